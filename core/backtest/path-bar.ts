/**
 * The closed M1 bar the platform builds from a source bar's standard tick path: the source's OHLC and tick volume
 * with the spread statistics of the path's four quotes, computed with the bar aggregator's own arithmetic so that a
 * backtest sees exactly the bar the InstrumentDO stores.
 */
import type { Bar } from "../market/bar.js";
import { roundTo, spreadPoints } from "../market/tick.js";
import type { SourceBar, TickPathConfig } from "../market/tick-path.js";

/** Path ticks per bar. */
export const PATH_TICKS_PER_BAR = 4;

/**
 * @example pathBar({ tsMs: 0, open: 10, high: 12, low: 9, close: 11, tickVolume: 6, spreadPoints: 20 }, { pointSize: 0.01, digits: 2 })
 * // { timeframe: "M1", tsMs: 0, open: 10, …, tickCount: 4, spreadAvgPoints: 20, spreadMaxPoints: 20, closed: true }
 */
export function pathBar(source: SourceBar, config: TickPathConfig): Bar {
  // The path's order (core/market/tick-path.ts): the aggregator sums the spreads in the order it sees the quotes.
  const up = source.close >= source.open;
  const s0 = pathSpread(source.open, source, config);
  const s1 = pathSpread(up ? source.low : source.high, source, config);
  const s2 = pathSpread(up ? source.high : source.low, source, config);
  const s3 = pathSpread(source.close, source, config);
  const sum = s0 + s1 + s2 + s3;
  const max = Math.max(s0, s1, s2, s3);
  return {
    timeframe: "M1",
    tsMs: source.tsMs,
    open: source.open,
    high: source.high,
    low: source.low,
    close: source.close,
    tickVolume: source.tickVolume,
    tickCount: PATH_TICKS_PER_BAR,
    spreadAvgPoints: roundTo(sum / PATH_TICKS_PER_BAR, 3),
    spreadMaxPoints: max,
    closed: true,
  };
}

/** The spread of one path quote in points, as the aggregator measures it (ask rounded to the instrument's digits). */
function pathSpread(bid: number, source: SourceBar, config: TickPathConfig): number {
  return spreadPoints({ bid, ask: roundTo(bid + source.spreadPoints * config.pointSize, config.digits) }, config.pointSize);
}
