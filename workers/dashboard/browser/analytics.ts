/**
 * The analytics page's charts: the equity curve (USD) and its drawdown below the running peak (%), drawn with
 * lightweight-charts from the `#equity-data` JSON block the server rendered (the figures are also in the page as
 * text). Both charts share one time axis in UTC: scrolling or zooming one moves the other. Bundled to
 * /app/analytics.js by `npm run vendor`.
 */
import { AreaSeries, ColorType, createChart, LineSeries, LineStyle, type DeepPartial, type IChartApi, type LogicalRange, type ChartOptions, type Time, type UTCTimestamp } from "lightweight-charts";
import { formatNumber, formatUsd, formatUtc } from "../../../core/display/format.js";

/** What the server puts in `#equity-data` (workers/dashboard/pages/analytics.tsx, EquityChartData). */
interface EquityChartData {
  readonly startEquityUsd: number;
  readonly points: readonly { readonly timeS: number; readonly equityUsd: number; readonly drawdownPct: number }[];
}

/** The dashboard's palette (public/css/dashboard.css). */
const COLORS = { panel: "#171e26", line: "#2c3846", muted: "#9fb0c0", accent: "#f0b429", bad: "#ff7b72" } as const;

function readData(): EquityChartData | null {
  const element = document.getElementById("equity-data");
  if (element?.textContent == null) return null;
  const data = JSON.parse(element.textContent) as EquityChartData;
  const valid =
    Number.isFinite(data.startEquityUsd) &&
    Array.isArray(data.points) &&
    data.points.every((p) => Number.isInteger(p.timeS) && Number.isFinite(p.equityUsd) && Number.isFinite(p.drawdownPct));
  return valid ? data : null;
}

const utcTime = (time: Time): string => (typeof time === "number" ? formatUtc(time * 1_000) : String(time));

function chartOptions(): DeepPartial<ChartOptions> {
  return {
    autoSize: true,
    layout: { background: { type: ColorType.Solid, color: COLORS.panel }, textColor: COLORS.muted, attributionLogo: false },
    grid: { vertLines: { color: COLORS.line }, horzLines: { color: COLORS.line } },
    rightPriceScale: { borderColor: COLORS.line },
    timeScale: { borderColor: COLORS.line, timeVisible: true, secondsVisible: false },
    localization: { timeFormatter: utcTime },
  };
}

/** Keeps the visible range of the charts in step (their points share the same times). */
function linkTimeScales(charts: readonly IChartApi[]): void {
  let syncing = false;
  for (const source of charts) {
    source.timeScale().subscribeVisibleLogicalRangeChange((range: LogicalRange | null) => {
      if (range === null || syncing) return;
      syncing = true;
      for (const target of charts) if (target !== source) target.timeScale().setVisibleLogicalRange(range);
      syncing = false;
    });
  }
}

function draw(data: EquityChartData, equityElement: HTMLElement, drawdownElement: HTMLElement): void {
  const time = (timeS: number): UTCTimestamp => timeS as UTCTimestamp;

  const equityChart = createChart(equityElement, chartOptions());
  const equity = equityChart.addSeries(LineSeries, {
    color: COLORS.accent,
    lineWidth: 2,
    priceFormat: { type: "custom", formatter: (price: number) => formatUsd(price), minMove: 0.01 },
  });
  equity.setData(data.points.map((p) => ({ time: time(p.timeS), value: p.equityUsd })));
  equity.createPriceLine({ price: data.startEquityUsd, color: COLORS.muted, lineStyle: LineStyle.Dashed, lineWidth: 1, axisLabelVisible: true, title: "Start" });

  const drawdownChart = createChart(drawdownElement, chartOptions());
  const drawdown = drawdownChart.addSeries(AreaSeries, {
    lineColor: COLORS.bad,
    topColor: "rgba(255, 123, 114, 0.05)",
    bottomColor: "rgba(255, 123, 114, 0.45)",
    invertFilledArea: true,
    lineWidth: 2,
    priceFormat: { type: "custom", formatter: (pct: number) => `${formatNumber(pct, 2)} %`, minMove: 0.01 },
  });
  drawdown.setData(data.points.map((p) => ({ time: time(p.timeS), value: p.drawdownPct })));

  equityChart.timeScale().fitContent();
  drawdownChart.timeScale().fitContent();
  linkTimeScales([equityChart, drawdownChart]);
}

function start(): void {
  const data = readData();
  const equityElement = document.getElementById("equity-chart");
  const drawdownElement = document.getElementById("drawdown-chart");
  if (data === null || data.points.length === 0 || equityElement === null || drawdownElement === null) return;
  draw(data, equityElement, drawdownElement);
}

start();
