/** Renders a backtest as one self-contained HTML file: metrics, equity and drawdown charts (inline SVG) and trades. */
import { drawdownCurve, downsampleEquity, downsampleSeries, type BacktestMetrics, type EquityPoint } from "../../core/backtest/metrics.js";
import type { Trade } from "../../core/schemas/trading.js";

/** What a report shows. `config` is printed as JSON and searched for the symbol and strategy of the header. */
export interface BacktestReport {
  readonly title: string;
  /** When the report was produced, as the caller wants it printed (e.g. an ISO-8601 UTC string). */
  readonly generatedAt: string;
  readonly config: unknown;
  readonly metrics: BacktestMetrics;
  /** The equity curve, in time order; thinned to {@link CHART_MAX_POINTS} for the charts. */
  readonly equity: readonly EquityPoint[];
  readonly trades: readonly Trade[];
}

/** Above this many trades the table shows only the first and last {@link TRADE_ROWS_PER_END}. */
export const MAX_TRADE_ROWS = 2_000;
/** Trades shown from each end of a truncated table. */
export const TRADE_ROWS_PER_END = 1_000;
/** Points per chart line at most (min/max per bucket, see downsampleSeries): keeps the file small and honest. */
export const CHART_MAX_POINTS = 1_500;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** Epoch day 0 (1970-01-01) was a Thursday; weekly ticks fall on Mondays, 4 days later. */
const MONDAY_OFFSET_MS = 4 * DAY_MS;

// ---------------------------------------------------------------------------------------------------------------
// Text

/** Escapes text for HTML element content and quoted attribute values (also inside inline SVG). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!);
}

/** Fixed decimals with thousands separators and an ASCII minus; "-0.00" prints as "0.00". */
function formatNumber(value: number, decimals: number): string {
  if (!Number.isFinite(value)) return String(value);
  const fixed = Math.abs(value).toFixed(decimals);
  const [integerPart = "0", fraction] = fixed.split(".");
  const grouped = integerPart.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const sign = value < 0 && Number(fixed) !== 0 ? "-" : "";
  return `${sign}${grouped}${fraction === undefined ? "" : `.${fraction}`}`;
}

/** A price with up to 5 decimals, trailing zeros dropped but at least 2 kept (2345.10, 1.08523). */
function formatPrice(price: number): string {
  const trimmed = price.toFixed(5).replace(/0+$/, "");
  const decimals = Math.max(2, trimmed.length - trimmed.indexOf(".") - 1);
  return price.toFixed(decimals);
}

/** "2024-03-01 14:05:00" (UTC). */
function formatUtc(tsMs: number): string {
  return new Date(tsMs).toISOString().slice(0, 19).replace("T", " ");
}

const NOT_DEFINED = '<span title="not defined for this data">—</span>';

function orDash(value: number | null, format: (value: number) => string): string {
  return value === null ? NOT_DEFINED : escapeHtml(format(value));
}

function signClass(value: number): string {
  return value > 0 ? "pos" : value < 0 ? "neg" : "";
}

// ---------------------------------------------------------------------------------------------------------------
// Header

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringAt(value: unknown, path: readonly string[]): string | null {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return null;
    current = current[key];
  }
  return typeof current === "string" && current.length > 0 ? current : null;
}

/** Symbol and strategy from the usual places of a run config, else from the trades. */
function describeRun(config: unknown, trades: readonly Trade[]): { symbol: string | null; strategy: string | null } {
  const unique = (values: readonly string[]) => (values.length > 0 ? [...new Set(values)].join(", ") : null);
  const symbol = stringAt(config, ["symbol"]) ?? stringAt(config, ["instrument", "symbol"]) ?? stringAt(config, ["instrument"])
    ?? stringAt(config, ["trading", "symbol"]) ?? unique(trades.map((trade) => trade.symbol));
  const strategy = stringAt(config, ["strategy", "kind"]) ?? stringAt(config, ["strategy"])
    ?? stringAt(config, ["trading", "strategy", "kind"]) ?? unique(trades.map((trade) => trade.strategy));
  return { symbol, strategy };
}

function configJson(config: unknown): string {
  try {
    return JSON.stringify(config, null, 2) ?? "(no configuration)";
  } catch (error: unknown) {
    return `(the configuration cannot be shown as JSON: ${error instanceof Error ? error.message : String(error)})`;
  }
}

function renderHeader(report: BacktestReport): string {
  const { symbol, strategy } = describeRun(report.config, report.trades);
  const { firstTsMs, lastTsMs } = report.metrics;
  const period = firstTsMs !== null && lastTsMs !== null
    ? `${formatUtc(firstTsMs)} → ${formatUtc(lastTsMs)} UTC (${formatNumber((lastTsMs - firstTsMs) / DAY_MS, 1)} days)`
    : "no equity data";
  const facts: [string, string][] = [
    ["Symbol", symbol ?? "—"],
    ["Strategy", strategy ?? "—"],
    ["Period", period],
    ["Generated", report.generatedAt],
  ];
  return `<header>
<h1>${escapeHtml(report.title)}</h1>
<dl class="facts">${facts.map(([term, value]) => `<div><dt>${term}</dt><dd>${escapeHtml(value)}</dd></div>`).join("")}</dl>
</header>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics

function renderMetrics(metrics: BacktestMetrics): string {
  const usd = (value: number) => formatNumber(value, 2);
  const pct = (value: number) => formatNumber(value, 2);
  const ratio = (value: number) => formatNumber(value, 2);
  const count = (value: number) => formatNumber(value, 0);
  const utc = (value: number) => formatUtc(value);
  const rows: [string, string, string][] = [
    ["Initial balance", escapeHtml(usd(metrics.initialBalanceUsd)), "USD"],
    ["Final equity", escapeHtml(usd(metrics.finalEquityUsd)), "USD"],
    ["Net P&amp;L", `<span class="${signClass(metrics.netPnlUsd)}">${escapeHtml(usd(metrics.netPnlUsd))}</span>`, "USD"],
    ["Return", escapeHtml(pct(metrics.returnPct)), "%"],
    ["Gross profit (Σ winning trades)", escapeHtml(usd(metrics.grossProfitUsd)), "USD"],
    ["Gross loss (Σ losing trades, as a positive number)", escapeHtml(usd(metrics.grossLossUsd)), "USD"],
    ["Profit factor", orDash(metrics.profitFactor, ratio), "ratio"],
    ["Trades", escapeHtml(count(metrics.trades)), "trades"],
    ["Long / short trades", `${escapeHtml(count(metrics.longTrades))} / ${escapeHtml(count(metrics.shortTrades))}`, "trades"],
    ["Wins / losses", `${escapeHtml(count(metrics.wins))} / ${escapeHtml(count(metrics.losses))}`, "trades"],
    ["Win rate", orDash(metrics.winRatePct, pct), "%"],
    ["Expectancy (mean net P&amp;L per trade)", orDash(metrics.expectancyUsd, usd), "USD"],
    ["Average win", orDash(metrics.averageWinUsd, usd), "USD"],
    ["Average loss", orDash(metrics.averageLossUsd, usd), "USD"],
    ["Average R multiple", orDash(metrics.averageRMultiple, ratio), "R"],
    ["Best trade", orDash(metrics.bestTradeUsd, usd), "USD"],
    ["Worst trade", orDash(metrics.worstTradeUsd, usd), "USD"],
    ["Sharpe (daily, annualised ×√252)", orDash(metrics.sharpe, ratio), "ratio"],
    ["Sortino (daily, annualised ×√252)", orDash(metrics.sortino, ratio), "ratio"],
    ["Max drawdown", escapeHtml(usd(metrics.maxDrawdownUsd)), "USD"],
    ["Max drawdown", escapeHtml(pct(metrics.maxDrawdownPct)), "%"],
    ["Max drawdown peak", orDash(metrics.maxDrawdownStartMs, utc), "UTC"],
    ["Max drawdown trough", orDash(metrics.maxDrawdownEndMs, utc), "UTC"],
    ["Exposure (time with a position open)", orDash(metrics.exposurePct, pct), "%"],
    ["Average holding time", orDash(metrics.averageHoldingMinutes, (value) => formatNumber(value, 1)), "minutes"],
    ["Commission", escapeHtml(usd(metrics.commissionUsd)), "USD"],
    ["Slippage cost (inside the P&amp;L)", escapeHtml(usd(metrics.slippageUsd)), "USD"],
  ];
  return `<section aria-labelledby="metrics-heading">
<h2 id="metrics-heading">Metrics</h2>
<div class="scroll"><table class="metrics">
<caption>Performance over the period; — marks a figure not defined for this data</caption>
<thead><tr><th scope="col">Metric</th><th scope="col" class="num">Value</th><th scope="col">Unit</th></tr></thead>
<tbody>
${rows.map(([label, value, unit]) => `<tr><th scope="row">${label}</th><td class="num">${value}</td><td>${unit}</td></tr>`).join("\n")}
</tbody>
</table></div>
<details><summary>How these are computed</summary>
<ul class="definitions">
<li>All trade figures use each closed trade's net P&amp;L (after slippage and commission). A win has net P&amp;L &gt; 0, a loss &lt; 0.</li>
<li>Profit factor = gross profit ÷ gross loss; not defined without a losing trade. Expectancy = net P&amp;L ÷ trades.</li>
<li>Daily returns: the last equity point of each UTC day against the previous such day's (the first day against the initial balance); days without data are skipped.</li>
<li>Sharpe = mean ÷ sample standard deviation (n − 1) of daily returns × √252, risk-free rate 0. Sortino = mean ÷ √(mean of min(r, 0)² over all days) × √252. Both need at least 2 days and a non-zero deviation.</li>
<li>Max drawdown: largest fall of equity from its running peak; its percentage is of that peak. Peak and trough are the USD drawdown's.</li>
<li>Exposure = time covered by at least one open trade (overlaps counted once) ÷ (last − first equity point time).</li>
</ul>
</details>
</section>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Charts

const CHART_WIDTH = 720;
const CHART_HEIGHT = 300;
const PLOT = { left: 78, right: 16, top: 30, bottom: 40 } as const;
const PLOT_WIDTH = CHART_WIDTH - PLOT.left - PLOT.right;
const PLOT_HEIGHT = CHART_HEIGHT - PLOT.top - PLOT.bottom;

interface SeriesPoint {
  readonly tsMs: number;
  readonly value: number;
}

interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** Unit written above the value axis. */
  readonly unit: string;
  readonly points: readonly SeriesPoint[];
  readonly lineClass: string;
  /** Shade between the line and zero (drawdown). */
  readonly fillToZero: boolean;
  /** Never extend the value axis above zero (drawdown, plotted as negative percentages). */
  readonly capAtZero: boolean;
  readonly formatTick: (value: number, decimals: number) => string;
  readonly markers: readonly (SeriesPoint & { readonly label: string })[];
}

/** A 1, 2, 2.5 or 5 × 10ⁿ step giving about `targetTicks` intervals over `range`. */
function niceStep(range: number, targetTicks: number): number {
  const raw = range / targetTicks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalised = raw / magnitude;
  const nice = normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 2.5 ? 2.5 : normalised <= 5 ? 5 : 10;
  return nice * magnitude;
}

/** Decimals needed to print multiples of `step` exactly (0.25 → 2, 50 → 0). */
function decimalsOf(step: number): number {
  for (let decimals = 0; decimals < 8; decimals++) {
    const scaled = step * 10 ** decimals;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return decimals;
  }
  return 8;
}

function valueTicks(points: readonly SeriesPoint[], capAtZero: boolean): { low: number; high: number; ticks: number[]; decimals: number } {
  let min = Math.min(...points.map((point) => point.value));
  let max = capAtZero ? 0 : Math.max(...points.map((point) => point.value));
  if (max - min <= 0) {
    const pad = Math.max(Math.abs(max) * 0.01, 1);
    min -= pad;
    if (!capAtZero) max += pad;
  }
  const step = niceStep(max - min, 5);
  const low = Math.floor(min / step) * step;
  const high = capAtZero ? 0 : Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let index = 0; low + index * step <= high + step * 1e-9; index++) ticks.push(low + index * step);
  return { low, high, ticks, decimals: decimalsOf(step) };
}

interface TimeStep {
  readonly ms: number;
  /** Calendar months per step, when the step is months rather than a fixed length. */
  readonly months: number;
  readonly offsetMs: number;
}

const TIME_STEPS: readonly TimeStep[] = [
  ...[1, 5, 15, 30].map((minutes) => ({ ms: minutes * MINUTE_MS, months: 0, offsetMs: 0 })),
  ...[1, 2, 3, 6, 12].map((hours) => ({ ms: hours * HOUR_MS, months: 0, offsetMs: 0 })),
  { ms: DAY_MS, months: 0, offsetMs: 0 },
  { ms: 2 * DAY_MS, months: 0, offsetMs: 0 },
  { ms: 7 * DAY_MS, months: 0, offsetMs: MONDAY_OFFSET_MS },
  { ms: 14 * DAY_MS, months: 0, offsetMs: MONDAY_OFFSET_MS },
  ...[1, 2, 3, 6, 12, 24, 60, 120].map((months) => ({ ms: months * 30.44 * DAY_MS, months, offsetMs: 0 })),
];

/** Up to 6 UTC-aligned time ticks in [fromMs, toMs]: round minutes, hours, days, Mondays or month starts. */
function timeTicks(fromMs: number, toMs: number): { ticks: number[]; withTime: boolean } {
  const spanMs = toMs - fromMs;
  if (spanMs <= 0) return { ticks: [fromMs], withTime: true };
  const step = TIME_STEPS.find((candidate) => spanMs / candidate.ms <= 5) ?? TIME_STEPS[TIME_STEPS.length - 1]!;
  const ticks: number[] = [];
  if (step.months > 0) {
    const from = new Date(fromMs);
    let monthIndex = Math.ceil((from.getUTCFullYear() * 12 + from.getUTCMonth()) / step.months) * step.months;
    const monthStartMs = (index: number) => Date.UTC(Math.floor(index / 12), index % 12, 1);
    for (let tsMs = monthStartMs(monthIndex); tsMs <= toMs; monthIndex += step.months, tsMs = monthStartMs(monthIndex)) {
      if (tsMs >= fromMs) ticks.push(tsMs);
    }
  } else {
    for (let tsMs = Math.ceil((fromMs - step.offsetMs) / step.ms) * step.ms + step.offsetMs; tsMs <= toMs; tsMs += step.ms) ticks.push(tsMs);
  }
  return { ticks, withTime: step.ms < DAY_MS };
}

function formatTimeTick(tsMs: number, withTime: boolean): string {
  const iso = new Date(tsMs).toISOString();
  return withTime ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

function renderChart(spec: ChartSpec): string {
  const titleId = `${spec.id}-title`;
  const descId = `${spec.id}-desc`;
  const open = `<svg class="chart" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" role="img" aria-labelledby="${titleId} ${descId}" aria-label="${escapeHtml(spec.title)}">
<title id="${titleId}">${escapeHtml(spec.title)}</title>
<desc id="${descId}">${escapeHtml(spec.description)}</desc>`;
  if (spec.points.length === 0) {
    return `${open}
<text x="${CHART_WIDTH / 2}" y="${CHART_HEIGHT / 2}" text-anchor="middle" class="empty">No equity data</text>
</svg>`;
  }
  const fromMs = spec.points[0]!.tsMs;
  const toMs = spec.points[spec.points.length - 1]!.tsMs;
  const { low, high, ticks, decimals } = valueTicks(spec.points, spec.capAtZero);
  const xOf = (tsMs: number) => PLOT.left + (toMs > fromMs ? ((tsMs - fromMs) / (toMs - fromMs)) * PLOT_WIDTH : PLOT_WIDTH / 2);
  const yOf = (value: number) => PLOT.top + ((high - value) / (high - low)) * PLOT_HEIGHT;
  const coordinates = spec.points.map((point) => `${xOf(point.tsMs).toFixed(1)},${yOf(point.value).toFixed(1)}`);
  const bottom = PLOT.top + PLOT_HEIGHT;
  const right = PLOT.left + PLOT_WIDTH;

  const parts: string[] = [open];
  for (const tick of ticks) {
    const y = yOf(tick).toFixed(1);
    parts.push(`<line class="grid" x1="${PLOT.left}" x2="${right}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${PLOT.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(spec.formatTick(tick, decimals))}</text>`);
  }
  const time = timeTicks(fromMs, toMs);
  for (const tsMs of time.ticks) {
    const x = xOf(tsMs).toFixed(1);
    parts.push(`<line class="axis" x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 5}"/>`);
    parts.push(`<text class="tick" x="${x}" y="${bottom + 20}" text-anchor="middle">${escapeHtml(formatTimeTick(tsMs, time.withTime))}</text>`);
  }
  parts.push(`<line class="axis" x1="${PLOT.left}" x2="${PLOT.left}" y1="${PLOT.top}" y2="${bottom}"/>`);
  parts.push(`<line class="axis" x1="${PLOT.left}" x2="${right}" y1="${bottom}" y2="${bottom}"/>`);
  parts.push(`<text class="unit" x="${PLOT.left - 8}" y="${PLOT.top - 12}" text-anchor="end">${escapeHtml(spec.unit)}</text>`);
  parts.push(`<text class="unit" x="${right}" y="${CHART_HEIGHT - 4}" text-anchor="end">time (UTC)</text>`);
  if (spec.fillToZero) {
    const zeroY = yOf(0).toFixed(1);
    const firstX = xOf(fromMs).toFixed(1);
    const lastX = xOf(toMs).toFixed(1);
    parts.push(`<polygon class="area" points="${firstX},${zeroY} ${coordinates.join(" ")} ${lastX},${zeroY}"/>`);
  }
  parts.push(`<polyline class="${spec.lineClass}" points="${coordinates.join(" ")}"/>`);
  for (const marker of spec.markers) {
    parts.push(`<circle class="marker" cx="${xOf(marker.tsMs).toFixed(1)}" cy="${yOf(marker.value).toFixed(1)}" r="4"><title>${escapeHtml(marker.label)}</title></circle>`);
  }
  parts.push("</svg>");
  return parts.join("\n");
}

function renderCharts(report: BacktestReport): string {
  const { metrics } = report;
  const equity = downsampleEquity(report.equity, CHART_MAX_POINTS);
  const drawdown = downsampleSeries(
    drawdownCurve(report.equity).map((point) => ({ tsMs: point.tsMs, value: -point.drawdownPct })),
    CHART_MAX_POINTS,
    (point) => point.value,
  );
  const markers: (SeriesPoint & { label: string })[] = [];
  const markerAt = (tsMs: number | null, label: string) => {
    const point = tsMs === null ? undefined : report.equity.find((candidate) => candidate.tsMs === tsMs);
    if (point !== undefined) markers.push({ tsMs: point.tsMs, value: point.equityUsd, label: `${label}: ${formatNumber(point.equityUsd, 2)} USD at ${formatUtc(point.tsMs)} UTC` });
  };
  markerAt(metrics.maxDrawdownStartMs, "Max drawdown peak");
  markerAt(metrics.maxDrawdownEndMs, "Max drawdown trough");
  const thinned = (count: number) => (count > CHART_MAX_POINTS ? ` ${formatNumber(count, 0)} points thinned to ${formatNumber(CHART_MAX_POINTS, 0)} keeping each bucket's low and high.` : "");

  const equityChart = renderChart({
    id: "equity-chart",
    title: "Equity (USD) over time (UTC)",
    description: `Account equity from ${formatNumber(metrics.initialBalanceUsd, 2)} USD to ${formatNumber(metrics.finalEquityUsd, 2)} USD; circles mark the max drawdown's peak and trough.${thinned(report.equity.length)}`,
    unit: "USD",
    points: equity.map((point) => ({ tsMs: point.tsMs, value: point.equityUsd })),
    lineClass: "equity",
    fillToZero: false,
    capAtZero: false,
    formatTick: (value, decimals) => formatNumber(value, decimals),
    markers,
  });
  const drawdownChart = renderChart({
    id: "drawdown-chart",
    title: "Drawdown (% below peak equity) over time (UTC)",
    description: `Equity below its running peak, percent; deepest ${formatNumber(metrics.maxDrawdownPct, 2)} %.${thinned(report.equity.length)}`,
    unit: "% below peak",
    points: drawdown,
    lineClass: "drawdown",
    fillToZero: true,
    capAtZero: true,
    formatTick: (value, decimals) => `${formatNumber(value, decimals)}%`,
    markers: [],
  });
  return `<section aria-labelledby="charts-heading">
<h2 id="charts-heading">Equity and drawdown</h2>
<figure><div class="scroll">${equityChart}</div><figcaption>Equity, USD (circles: max drawdown peak and trough)</figcaption></figure>
<figure><div class="scroll">${drawdownChart}</div><figcaption>Drawdown, % below the running equity peak</figcaption></figure>
</section>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Trades

const TRADE_COLUMNS = [
  "#", "Entry (UTC)", "Exit (UTC)", "Side", "Lots", "Entry price", "Exit price", "Exit reason",
  "Net P&amp;L (USD)", "R", "MAE (USD)", "MFE (USD)", "Regime", "Confidence",
] as const;

function renderTradeRow(trade: Trade, number: number): string {
  const cells = [
    `<td class="num">${number}</td>`,
    `<td>${escapeHtml(formatUtc(trade.entryTsMs))}</td>`,
    `<td>${escapeHtml(formatUtc(trade.exitTsMs))}</td>`,
    `<td>${trade.side === "buy" ? "long" : "short"}</td>`,
    `<td class="num">${escapeHtml(formatNumber(trade.lots, 2))}</td>`,
    `<td class="num">${escapeHtml(formatPrice(trade.entryPrice))}</td>`,
    `<td class="num">${escapeHtml(formatPrice(trade.exitPrice))}</td>`,
    `<td>${escapeHtml(trade.exitReason)}</td>`,
    `<td class="num ${signClass(trade.netPnlUsd)}">${escapeHtml(formatNumber(trade.netPnlUsd, 2))}</td>`,
    `<td class="num">${orDash(trade.rMultiple, (value) => formatNumber(value, 2))}</td>`,
    `<td class="num">${escapeHtml(formatNumber(trade.maeUsd, 2))}</td>`,
    `<td class="num">${escapeHtml(formatNumber(trade.mfeUsd, 2))}</td>`,
    `<td>${escapeHtml(trade.regime)}</td>`,
    `<td class="num">${orDash(trade.confidence, (value) => formatNumber(value, 3))}</td>`,
  ];
  return `<tr>${cells.join("")}</tr>`;
}

function renderTrades(trades: readonly Trade[]): string {
  const truncated = trades.length > MAX_TRADE_ROWS;
  const omitted = trades.length - 2 * TRADE_ROWS_PER_END;
  const rows: string[] = [];
  if (truncated) {
    trades.slice(0, TRADE_ROWS_PER_END).forEach((trade, index) => rows.push(renderTradeRow(trade, index + 1)));
    rows.push(`<tr class="gap"><td colspan="${TRADE_COLUMNS.length}">… ${escapeHtml(formatNumber(omitted, 0))} trades omitted …</td></tr>`);
    const tailStart = trades.length - TRADE_ROWS_PER_END;
    trades.slice(tailStart).forEach((trade, index) => rows.push(renderTradeRow(trade, tailStart + index + 1)));
  } else {
    trades.forEach((trade, index) => rows.push(renderTradeRow(trade, index + 1)));
  }
  const note = truncated
    ? `<p class="note" role="note">${escapeHtml(formatNumber(trades.length, 0))} trades: showing the first ${escapeHtml(formatNumber(TRADE_ROWS_PER_END, 0))} and the last ${escapeHtml(formatNumber(TRADE_ROWS_PER_END, 0))}; ${escapeHtml(formatNumber(omitted, 0))} in between are omitted from this page (the metrics include them all).</p>`
    : "";
  const body = trades.length === 0
    ? `<tr><td colspan="${TRADE_COLUMNS.length}">No trades.</td></tr>`
    : rows.join("\n");
  return `<section aria-labelledby="trades-heading">
<h2 id="trades-heading">Trades</h2>
${note}
<div class="scroll"><table class="trades">
<caption>Closed trades in entry order; P&amp;L after slippage and commission; R = net P&amp;L ÷ initial risk; MAE/MFE = worst/best open P&amp;L</caption>
<thead><tr>${TRADE_COLUMNS.map((column) => `<th scope="col">${column}</th>`).join("")}</tr></thead>
<tbody>
${body}
</tbody>
</table></div>
</section>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Page

const STYLE = `
:root { color-scheme: light; --ink: #1a1a1a; --muted: #4a4a4a; --rule: #c8ccd2; --stripe: #f3f5f7; --pos: #1a6b1f; --neg: #a4001d; --line: #0b4f9c; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 16px; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 8px; }
h2 { font-size: 1.2rem; margin: 28px 0 8px; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
.facts { display: flex; flex-wrap: wrap; gap: 4px 24px; margin: 0; }
.facts div { display: flex; gap: 6px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; font-weight: 600; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); padding: 4px 0; font-size: 0.9rem; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--rule); text-align: left; white-space: nowrap; }
thead th { position: sticky; top: 0; background: #e8ecf0; }
tbody tr:nth-child(even) { background: var(--stripe); }
th[scope="row"] { font-weight: normal; }
.num { text-align: right; }
.pos { color: var(--pos); }
.neg { color: var(--neg); }
.trades { font-size: 0.85rem; }
.gap td, .note { font-style: italic; color: var(--muted); }
.definitions { color: var(--muted); font-size: 0.9rem; }
figure { margin: 12px 0 20px; }
figcaption { color: var(--muted); font-size: 0.9rem; }
svg.chart { display: block; width: 100%; min-width: 480px; height: auto; font: 13px system-ui, sans-serif; }
svg .grid { stroke: #dde1e6; stroke-width: 1; }
svg .axis { stroke: #50555c; stroke-width: 1; }
svg .tick, svg .unit, svg .empty { fill: #2b2f33; }
svg .unit { font-weight: 600; }
svg .equity { fill: none; stroke: var(--line); stroke-width: 1.6; stroke-linejoin: round; }
svg .drawdown { fill: none; stroke: var(--neg); stroke-width: 1.4; stroke-linejoin: round; }
svg .area { fill: #a4001d; fill-opacity: 0.15; stroke: none; }
svg .marker { fill: #fff; stroke: var(--neg); stroke-width: 2; }
pre { background: var(--stripe); padding: 12px; overflow-x: auto; font-size: 0.85rem; }
@media (max-width: 600px) { body { padding: 8px; font-size: 14px; } th, td { padding: 3px 6px; } }
`;

/**
 * The whole report as one HTML document that makes no request of its own: inline CSS, charts drawn here as inline
 * SVG (scaled by viewBox to the page width, scrolling sideways below 480 px), no script. Every piece of text from
 * the report (title, config, trade fields) is escaped. Tables above {@link MAX_TRADE_ROWS} trades show the first
 * and last {@link TRADE_ROWS_PER_END} with a note.
 * @example
 * await writeFile("report.html", renderBacktestReportHtml({ title: "XAUUSD ema-cross 2024", generatedAt: new Date().toISOString(), config, metrics, equity, trades }));
 */
export function renderBacktestReportHtml(report: BacktestReport): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${renderHeader(report)}
<main>
${renderMetrics(report.metrics)}
${renderCharts(report)}
${renderTrades(report.trades)}
<section aria-labelledby="config-heading">
<h2 id="config-heading">Configuration</h2>
<details><summary>Run configuration (JSON)</summary>
<pre>${escapeHtml(configJson(report.config))}</pre>
</details>
</section>
</main>
</body>
</html>
`;
}
