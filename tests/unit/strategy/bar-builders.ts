/** Bar builders for the strategy tests: closed M1 bars with defaults, so each test states only the prices that matter. */
import type { Bar } from "../../../core/market/bar.js";
import type { SourceBar } from "../../../core/market/tick-path.js";

/** 2026-03-24 14:00:00 UTC, a Tuesday. */
export const T0_MS = Date.UTC(2026, 2, 24, 14, 0, 0);
const MINUTE_MS = 60_000;

/** A closed XAUUSD-like M1 bar at T0: OHLC 2300, 20-point mean spread. */
export function makeBar(overrides: Partial<Bar> = {}): Bar {
  return {
    timeframe: "M1",
    tsMs: T0_MS,
    open: 2300,
    high: 2300,
    low: 2300,
    close: 2300,
    tickVolume: 4,
    tickCount: 4,
    spreadAvgPoints: 20,
    spreadMaxPoints: 25,
    closed: true,
    ...overrides,
  };
}

/** One bar per close, a minute apart from T0, each a flat bar (open = high = low = close). */
export function barsFromCloses(closes: readonly number[]): Bar[] {
  return closes.map((close, index) =>
    makeBar({ tsMs: T0_MS + index * MINUTE_MS, open: close, high: close, low: close, close }),
  );
}

/**
 * Consecutive bars, each opening at the previous close and moving by `moves[i]`, with `wick` price units of high above
 * and low below the body (true range `|move| + 2 * wick`).
 */
export function barsFromMoves(moves: readonly number[], options: { startPrice?: number; wick?: number; startMs?: number } = {}): Bar[] {
  const { startPrice = 2300, wick = 0.1, startMs = T0_MS } = options;
  let close = startPrice;
  return moves.map((move, index) => {
    const open = close;
    close = open + move;
    return makeBar({
      tsMs: startMs + index * MINUTE_MS,
      open,
      high: Math.max(open, close) + wick,
      low: Math.min(open, close) - wick,
      close,
    });
  });
}

/** A demo-file bar as the Durable Object would build it. */
export function barFromSource(source: SourceBar): Bar {
  return makeBar({
    tsMs: source.tsMs,
    open: source.open,
    high: source.high,
    low: source.low,
    close: source.close,
    tickVolume: source.tickVolume,
    spreadAvgPoints: source.spreadPoints,
    spreadMaxPoints: source.spreadPoints,
  });
}

/** A JSON round trip, as Durable Object storage does it. */
export function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
