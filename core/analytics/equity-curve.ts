/**
 * The equity curve of closed trades (the dashboard's analytics page): a starting equity plus the running sum of the
 * trades' net P&L in exit order, with the drawdown below the running peak, and the same curve as chart data.
 */
import type { Trade } from "../schemas/trading.js";

export type CurveTrade = Pick<Trade, "id" | "exitTsMs" | "netPnlUsd">;

/** Equity after one trade closed, and how far it stood below the highest equity reached so far. */
export interface EquityPoint {
  readonly exitTsMs: number;
  readonly equityUsd: number;
  /** equity − running peak, USD (≤ 0). */
  readonly drawdownUsd: number;
  /** drawdownUsd ÷ running peak × 100, percent (≤ 0). */
  readonly drawdownPct: number;
}

export interface EquityCurve {
  readonly startEquityUsd: number;
  /** One point per trade, oldest exit first (ties: smaller id first). */
  readonly points: readonly EquityPoint[];
  readonly endEquityUsd: number;
  /** The deepest point below the running peak (null without trades). */
  readonly maxDrawdown: EquityPoint | null;
}

/**
 * The equity curve of closed trades: `startEquityUsd` plus the running sum of their net P&L in exit order, with the
 * drawdown below the running peak (which starts at `startEquityUsd`). Pure; the order of `trades` does not matter.
 * @example equityCurveOf([{ id: "a", exitTsMs: 1, netPnlUsd: 100 }, { id: "b", exitTsMs: 2, netPnlUsd: -50 }], 1_000).points.map((p) => p.equityUsd) // [1100, 1050]
 */
export function equityCurveOf(trades: readonly CurveTrade[], startEquityUsd: number): EquityCurve {
  const ordered = [...trades].sort((a, b) => a.exitTsMs - b.exitTsMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let equityUsd = startEquityUsd;
  let peakUsd = startEquityUsd;
  let maxDrawdown: EquityPoint | null = null;
  const points = ordered.map((trade): EquityPoint => {
    equityUsd += trade.netPnlUsd;
    peakUsd = Math.max(peakUsd, equityUsd);
    const drawdownUsd = equityUsd - peakUsd;
    const point = { exitTsMs: trade.exitTsMs, equityUsd, drawdownUsd, drawdownPct: peakUsd > 0 ? (drawdownUsd / peakUsd) * 100 : 0 };
    if (maxDrawdown === null || point.drawdownPct < maxDrawdown.drawdownPct) maxDrawdown = point;
    return point;
  });
  return { startEquityUsd, points, endEquityUsd: equityUsd, maxDrawdown };
}

/** What /app/analytics.js draws: one point per second of exit time (charts need strictly increasing times). */
export interface EquityChartData {
  readonly startEquityUsd: number;
  readonly points: readonly { readonly timeS: number; readonly equityUsd: number; readonly drawdownPct: number }[];
}

/**
 * The curve as chart data: trades that closed within the same second become one point, the equity after the last.
 * @example chartDataOf(equityCurveOf([{ id: "a", exitTsMs: 1_500, netPnlUsd: 1 }, { id: "b", exitTsMs: 1_900, netPnlUsd: 2 }], 10)).points // [{ timeS: 1, equityUsd: 13, drawdownPct: 0 }]
 */
export function chartDataOf(curve: EquityCurve): EquityChartData {
  const points: { timeS: number; equityUsd: number; drawdownPct: number }[] = [];
  for (const point of curve.points) {
    const timeS = Math.floor(point.exitTsMs / 1_000);
    const entry = { timeS, equityUsd: point.equityUsd, drawdownPct: point.drawdownPct };
    if (points.at(-1)?.timeS === timeS) points[points.length - 1] = entry;
    else points.push(entry);
  }
  return { startEquityUsd: curve.startEquityUsd, points };
}
