/**
 * The standard tick path: how an M1 bar becomes ticks for replay and backtests. Four bid ticks at +0, +15, +30 and
 * +45 s: the open, then the low and the high (low first when the bar closed at or above its open, high first
 * otherwise), then the close. Ask = bid + spread. Aggregating the path gives the bar back exactly.
 */
import type { Tick } from "./tick.js";
import { roundTo } from "./tick.js";

/** One M1 bar as read from a broker export; prices are bids. */
export interface SourceBar {
  /** Bar open time, epoch ms UTC. */
  readonly tsMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Price updates in the bar (MT5 `tick_volume`). */
  readonly tickVolume: number;
  /** Spread in points (MT5 `spread`). */
  readonly spreadPoints: number;
}

/** Offsets of the four path ticks inside the minute, in ms. */
export const TICK_PATH_OFFSETS_MS = [0, 15_000, 30_000, 45_000] as const;

export interface TickPathConfig {
  /** Point size in price units (0.01 for XAUUSD). */
  readonly pointSize: number;
  /** Price decimals; asks are rounded to them so that no float noise enters the stream. */
  readonly digits: number;
}

/**
 * Expands a bar into its four ticks. The bar's tick volume is split over them (remainder on the first ticks) so
 * that the rebuilt bar carries the same tick volume.
 * @example barToTicks({ tsMs: 0, open: 10, high: 12, low: 9, close: 11, tickVolume: 6, spreadPoints: 20 }, { pointSize: 0.01, digits: 2 })
 * // bids 10, 9, 12, 11 at 0, 15, 30, 45 s; asks 10.2, 9.2, 12.2, 11.2; volumes 2, 2, 1, 1
 */
export function barToTicks(bar: SourceBar, config: TickPathConfig): Tick[] {
  const middle = bar.close >= bar.open ? [bar.low, bar.high] : [bar.high, bar.low];
  const bids = [bar.open, ...middle, bar.close];
  const spreadPrice = bar.spreadPoints * config.pointSize;
  const baseVolume = Math.floor(bar.tickVolume / 4);
  const remainder = bar.tickVolume - baseVolume * 4;
  return bids.map((bid, i) => ({
    tsMs: bar.tsMs + (TICK_PATH_OFFSETS_MS[i] ?? 0),
    bid,
    ask: roundTo(bid + spreadPrice, config.digits),
    volume: baseVolume + (i < remainder ? 1 : 0),
  }));
}

/** Expands bars in order into one tick stream. */
export function barsToTicks(bars: readonly SourceBar[], config: TickPathConfig): Tick[] {
  return bars.flatMap((bar) => barToTicks(bar, config));
}
