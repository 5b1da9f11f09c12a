/** The HTML backtest report: self-contained, escaped, with both charts, every trade row and the truncation note. */
import { describe, expect, it } from "vitest";
import { computeMetrics, type EquityPoint } from "../../../core/backtest/metrics.js";
import type { Trade } from "../../../core/schemas/trading.js";
import { renderBacktestReportHtml, type BacktestReport } from "../../../scripts/lib/backtest-report-html.js";

const HOUR_MS = 3_600_000;
/** 2024-01-01T00:00:00Z. */
const DAY1_MS = Date.UTC(2024, 0, 1);
const INITIAL_BALANCE_USD = 10_000;

function makeTrade(index: number, overrides: Partial<Trade> = {}): Trade {
  const entryTsMs = DAY1_MS + index * HOUR_MS;
  const exitTsMs = entryTsMs + 30 * 60_000;
  const netPnlUsd = index % 3 === 0 ? -40 : 60;
  return {
    id: `position-${index}`, accountId: "backtest", symbol: "XAUUSD", side: index % 2 === 0 ? "buy" : "sell",
    lots: 0.5, units: 50, entryTsMs, entryPrice: 2_050.25, exitTsMs, exitPrice: 2_051.5, exitReason: "take-profit",
    stopPrice: 2_045, initialStopPrice: 2_045, targetPrice: 2_051.5, grossPnlUsd: netPnlUsd + 4, commissionUsd: 4,
    slippageUsd: 0.5, netPnlUsd, maeUsd: -12.5, mfeUsd: 70, rMultiple: netPnlUsd / 262.5, holdingMs: exitTsMs - entryTsMs,
    strategy: "model", signalTsMs: entryTsMs - 60_000, modelVersion: "v7", confidence: 0.61, regime: "ranging",
    ...overrides,
  };
}

/** Equity every hour over `hours`, drifting up with a dip on day 2. */
function makeEquity(hours: number): EquityPoint[] {
  return Array.from({ length: hours + 1 }, (_, hour) => {
    const equityUsd = INITIAL_BALANCE_USD + hour * 5 - (hour > 30 && hour < 40 ? 150 : 0);
    return { tsMs: DAY1_MS + hour * HOUR_MS, equityUsd, balanceUsd: equityUsd };
  });
}

function makeReport(tradeCount: number, overrides: Partial<BacktestReport> = {}): BacktestReport {
  const trades = Array.from({ length: tradeCount }, (_, index) => makeTrade(index));
  const equity = makeEquity(Math.max(96, tradeCount + 1));
  return {
    title: "XAUUSD model backtest",
    generatedAt: "2024-02-01T00:00:00.000Z",
    config: { symbol: "XAUUSD", strategy: { kind: "model", entryConfidence: 0.55 }, initialBalanceUsd: INITIAL_BALANCE_USD },
    metrics: computeMetrics(trades, equity, INITIAL_BALANCE_USD),
    equity,
    trades,
    ...overrides,
  };
}

/** Rows of the trades table's body. */
function tradeRows(html: string): string[] {
  const table = html.slice(html.indexOf('<table class="trades">'));
  const body = table.slice(table.indexOf("<tbody>"), table.indexOf("</tbody>"));
  return body.match(/<tr[ >][\s\S]*?<\/tr>/g) ?? [];
}

describe("renderBacktestReportHtml", () => {
  const html = renderBacktestReportHtml(makeReport(12));

  it("is one document that requests nothing: no src/href attributes, no url(), no http(s) at all", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/\b(?:src|href|xlink:href)\s*=/i);
    expect(html).not.toMatch(/url\s*\(/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<(?:script|link|img|iframe|object|embed)\b/i);
    expect(html).toContain("default-src 'none'");
  });

  it("has a title, a header with symbol, strategy and period, and a metrics table with units", () => {
    expect(html).toContain("<title>XAUUSD model backtest</title>");
    expect(html).toMatch(/<dt>Symbol<\/dt><dd>XAUUSD<\/dd>/);
    expect(html).toMatch(/<dt>Strategy<\/dt><dd>model<\/dd>/);
    expect(html).toContain("2024-01-01 00:00:00 → 2024-01-05 00:00:00 UTC (4.0 days)");
    expect(html).toMatch(/<th scope="row">Initial balance<\/th><td class="num">10,000.00<\/td><td>USD<\/td>/);
    expect(html).toMatch(/<th scope="row">Win rate<\/th><td class="num">66.67<\/td><td>%<\/td>/);
    expect(html).toMatch(/<th scope="row">Average holding time<\/th><td class="num">30.0<\/td><td>minutes<\/td>/);
  });

  it("draws an equity and a drawdown chart as labelled SVG with axes and UTC date ticks", () => {
    const charts = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(charts).toHaveLength(2);
    const [equityChart = "", drawdownChart = ""] = charts;
    expect(equityChart).toMatch(/role="img"/);
    expect(equityChart).toMatch(/<title id="equity-chart-title">Equity \(USD\)/);
    expect(equityChart).toMatch(/<polyline class="equity" points="[\d.,\s]+"\/>/);
    expect(equityChart).toContain(">2024-01-02<");
    expect(equityChart).toContain(">10,200<");
    expect(drawdownChart).toMatch(/<title id="drawdown-chart-title">Drawdown/);
    expect(drawdownChart).toMatch(/<polyline class="drawdown" points="[\d.,\s]+"\/>/);
    expect(drawdownChart).toContain(">0.0%<");
    expect(drawdownChart).toContain(">-1.5%<");
    expect(html).toMatch(/svg\.chart \{[^}]*width: 100%/);
    expect(equityChart).toContain('viewBox="0 0 720 300"');
  });

  it("lists every trade with its times, side, prices, reason, P&L, R, MAE/MFE, regime and confidence", () => {
    const rows = tradeRows(html);
    expect(rows).toHaveLength(12);
    expect(rows[1]).toBe(
      '<tr><td class="num">2</td><td>2024-01-01 01:00:00</td><td>2024-01-01 01:30:00</td><td>short</td>'
      + '<td class="num">0.50</td><td class="num">2050.25</td><td class="num">2051.50</td><td>take-profit</td>'
      + '<td class="num pos">60.00</td><td class="num">0.23</td><td class="num">-12.50</td><td class="num">70.00</td>'
      + '<td>ranging</td><td class="num">0.610</td></tr>',
    );
    expect(html).not.toContain("trades omitted");
  });

  it("escapes hostile text everywhere it appears", () => {
    const hostile = `<script>alert("x")</script><img src=x onerror='steal()'>`;
    const page = renderBacktestReportHtml(makeReport(2, {
      title: hostile,
      generatedAt: hostile,
      config: { symbol: hostile, strategy: { kind: hostile }, note: "see https://evil.example/x.png" },
    }));
    expect(page).not.toContain("<script>");
    expect(page).not.toMatch(/<img\b/i);
    expect(page).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;steal()&#39;&gt;");
    expect(page).toContain(`<title>&lt;script&gt;`);
    expect(page).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*https?:/i);
  });

  it("shows the first and last 1,000 of more than 2,000 trades and says so", () => {
    const page = renderBacktestReportHtml(makeReport(2_500));
    const rows = tradeRows(page);
    expect(rows).toHaveLength(2_001);
    expect(rows[999]).toMatch(/^<tr><td class="num">1000<\/td>/);
    expect(rows[1_000]).toContain("500 trades omitted");
    expect(rows[1_001]).toMatch(/^<tr><td class="num">1501<\/td>/);
    expect(rows[2_000]).toMatch(/^<tr><td class="num">2500<\/td>/);
    expect(page).toContain("2,500 trades: showing the first 1,000 and the last 1,000; 500 in between are omitted");
  });

  it("renders an empty run without failing", () => {
    const page = renderBacktestReportHtml(makeReport(0, { equity: [], metrics: computeMetrics([], [], INITIAL_BALANCE_USD) }));
    expect(page).toContain("No equity data");
    expect(page).toContain("No trades.");
    expect(page).toMatch(/<th scope="row">Profit factor<\/th><td class="num"><span title="not defined for this data">—<\/span>/);
  });
});
