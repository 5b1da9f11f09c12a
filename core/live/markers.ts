/**
 * What a live chart marks on its bars: where the champion model's signal changed direction, and the entries and exits
 * of closed trades at their fill prices. Each marker sits on the chart bar (of the chart's timeframe) its time falls in.
 */
import { formatNumber, formatUsd } from "../display/format.js";
import { bucketStartMs, type Timeframe } from "../market/timeframe.js";
import type { Signal, SignalAction } from "../schemas/serving.js";
import type { Side, Trade } from "../schemas/trading.js";

export type ChartMarker =
  | { readonly kind: "signal"; readonly id: string; readonly barTs: number; readonly action: SignalAction; readonly text: string }
  | { readonly kind: "entry" | "exit"; readonly id: string; readonly barTs: number; readonly side: Side; readonly price: number; readonly text: string };

/** The chart bars markers may sit on: open times from `fromTs` to `toTs`, inclusive (epoch ms). */
export interface MarkerRange {
  readonly fromTs: number;
  readonly toTs: number;
}

const inRange = (range: MarkerRange, ts: number): boolean => ts >= range.fromTs && ts <= range.toTs;

/**
 * A marker where the champion's signal turned to another action than the signal before it (every signal says buy or
 * sell each minute, so marking each would bury the chart); the first signal of the list is marked too. When several
 * changes fall in one chart bar, the newest is kept. Shadow signals are left out: only the champion's act.
 * @example signalMarkers(signals, "M5", { fromTs, toTs }) // [{ kind: "signal", action: "buy", text: "buy 62 %", … }]
 */
export function signalMarkers(signals: readonly Signal[], timeframe: Timeframe, range: MarkerRange): ChartMarker[] {
  const champion = signals.filter((s) => s.role === "champion").sort((a, b) => a.ts - b.ts);
  const byBar = new Map<number, ChartMarker>();
  let previous: SignalAction | null = null;
  for (const signal of champion) {
    if (signal.action !== previous) {
      const barTs = bucketStartMs(signal.ts, timeframe);
      if (inRange(range, barTs)) {
        byBar.set(barTs, { kind: "signal", id: `signal:${signal.ts}`, barTs, action: signal.action, text: `${signal.action} ${formatNumber(signal.confidence * 100, 0)} %` });
      }
    }
    previous = signal.action;
  }
  return [...byBar.values()];
}

/**
 * An entry and an exit marker per closed trade, at their fill prices; ends outside the chart's bars are left out.
 * @example tradeMarkers([trade], "M1", range) // [{ kind: "entry", text: "buy 0.50 lots", … }, { kind: "exit", text: "exit +$120.00", … }]
 */
export function tradeMarkers(trades: readonly Trade[], timeframe: Timeframe, range: MarkerRange): ChartMarker[] {
  return trades.flatMap((trade): ChartMarker[] => {
    const entryTs = bucketStartMs(trade.entryTsMs, timeframe);
    const exitTs = bucketStartMs(trade.exitTsMs, timeframe);
    const markers: ChartMarker[] = [];
    if (inRange(range, entryTs)) {
      markers.push({ kind: "entry", id: `entry:${trade.id}`, barTs: entryTs, side: trade.side, price: trade.entryPrice, text: `${trade.side} ${formatNumber(trade.lots, 2)} lots` });
    }
    if (inRange(range, exitTs)) {
      markers.push({ kind: "exit", id: `exit:${trade.id}`, barTs: exitTs, side: trade.side, price: trade.exitPrice, text: `exit ${formatUsd(trade.netPnlUsd, { signed: true })}` });
    }
    return markers;
  });
}

const KIND_ORDER = { signal: 0, entry: 1, exit: 2 } as const;

/** Markers in the order the chart needs them: by bar time, then signal, entry, exit. */
export function sortMarkers(markers: readonly ChartMarker[]): ChartMarker[] {
  return [...markers].sort((a, b) => a.barTs - b.barTs || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
