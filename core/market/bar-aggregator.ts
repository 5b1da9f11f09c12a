/**
 * Streaming OHLC aggregation on bid prices for several timeframes at once. Bars close by a watermark: a bar closes
 * once the newest tick is `graceMs` past its end (so a tick up to `graceMs` late still lands in its own bar), or on
 * the clock for live feeds. The batch form is a fold of the streaming form, so both always give the same bars.
 */
import type { Bar } from "./bar.js";
import { roundTo, spreadPoints, type Tick } from "./tick.js";
import { bucketStartMs, TIMEFRAME_MS, TIMEFRAMES, type Timeframe } from "./timeframe.js";

/** A bar being formed, with what is needed to keep it order-robust and to resume after a restart. */
export interface FormingBar {
  readonly timeframe: Timeframe;
  readonly tsMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Time of the tick that set `open`: an earlier late tick becomes the open. */
  openTickMs: number;
  /** Time of the tick that set `close`: only a tick at or after it moves the close. */
  closeTickMs: number;
  tickVolume: number;
  tickCount: number;
  spreadSumPoints: number;
  spreadMaxPoints: number;
}

/** Serialisable aggregator state (kept in the instrument's storage between batches and restarts). */
export interface BarAggregatorState {
  /** Every forming bar, by timeframe then open time (usually one per timeframe, two around a boundary). */
  forming: FormingBar[];
  /** Bars that end at or before this time are closed, and no tick may enter them (epoch ms). */
  watermarkMs: number | null;
}

export interface BarAggregatorConfig {
  /** Timeframes to build, default all of M1, M5, M15, H1. */
  readonly timeframes?: readonly Timeframe[];
  /** Instrument point size, in price units (0.01 for XAUUSD): spreads are reported in points. */
  readonly pointSize: number;
  /** How long after its end a bar waits for late ticks before the newest tick closes it, ms. */
  readonly graceMs: number;
}

const byTimeAndFrame = (a: { timeframe: Timeframe; tsMs: number }, b: { timeframe: Timeframe; tsMs: number }) =>
  TIMEFRAME_MS[a.timeframe] - TIMEFRAME_MS[b.timeframe] || a.tsMs - b.tsMs;

/**
 * Builds bars tick by tick. `update` returns the bars the tick's watermark closed; `closeDue` closes bars on the
 * clock.
 * @example
 * const agg = new BarAggregator({ pointSize: 0.01, graceMs: 2_000 });
 * const closed = agg.update({ tsMs, bid: 2300.1, ask: 2300.3, volume: 1 });
 */
export class BarAggregator {
  private readonly timeframes: readonly Timeframe[];
  private readonly smallest: Timeframe;
  private readonly pointSize: number;
  private readonly graceMs: number;
  private forming: FormingBar[] = [];
  private watermarkMs: number | null = null;

  constructor(config: BarAggregatorConfig, state?: BarAggregatorState) {
    this.timeframes = [...(config.timeframes ?? TIMEFRAMES)].sort((a, b) => TIMEFRAME_MS[a] - TIMEFRAME_MS[b]);
    const smallest = this.timeframes[0];
    if (smallest === undefined) throw new RangeError("BarAggregator needs at least one timeframe");
    this.smallest = smallest;
    this.pointSize = config.pointSize;
    this.graceMs = config.graceMs;
    if (state) this.restore(state);
  }

  /** True when a tick at `tsMs` may still be aggregated: its bar does not end at or before the watermark. */
  accepts(tsMs: number): boolean {
    return this.watermarkMs === null || bucketStartMs(tsMs, this.smallest) + TIMEFRAME_MS[this.smallest] > this.watermarkMs;
  }

  /**
   * Adds one tick and returns the bars its watermark closed, smallest timeframe first.
   * @throws RangeError when the tick's bar is already closed (check `accepts` first).
   */
  update(tick: Tick): Bar[] {
    if (!this.accepts(tick.tsMs)) throw new RangeError(`tick at ${tick.tsMs} belongs to a closed bar`);
    const spread = spreadPoints(tick, this.pointSize);
    for (const timeframe of this.timeframes) {
      const bucketMs = bucketStartMs(tick.tsMs, timeframe);
      const bar = this.forming.find((b) => b.timeframe === timeframe && b.tsMs === bucketMs);
      if (bar === undefined) {
        this.forming.push(newBar(timeframe, bucketMs, tick, spread));
        this.forming.sort(byTimeAndFrame);
        continue;
      }
      bar.high = Math.max(bar.high, tick.bid);
      bar.low = Math.min(bar.low, tick.bid);
      if (tick.tsMs < bar.openTickMs) {
        bar.open = tick.bid;
        bar.openTickMs = tick.tsMs;
      }
      if (tick.tsMs >= bar.closeTickMs) {
        bar.close = tick.bid;
        bar.closeTickMs = tick.tsMs;
      }
      bar.tickVolume += tick.volume;
      bar.tickCount += 1;
      bar.spreadSumPoints += spread;
      bar.spreadMaxPoints = Math.max(bar.spreadMaxPoints, spread);
    }
    return this.closeUpTo(tick.tsMs - this.graceMs);
  }

  /**
   * Closes every forming bar whose period ended at least `graceMs` before `nowMs` (a clock-driven close, for live
   * feeds where the next tick may come late). Returns the closed bars, smallest timeframe first.
   */
  closeDue(nowMs: number, graceMs: number): Bar[] {
    return this.closeUpTo(nowMs - graceMs);
  }

  /** End time (epoch ms) of the forming bar that ends first, or null when nothing is forming. */
  nextCloseMs(): number | null {
    let earliest: number | null = null;
    for (const bar of this.forming) {
      const endMs = bar.tsMs + TIMEFRAME_MS[bar.timeframe];
      if (earliest === null || endMs < earliest) earliest = endMs;
    }
    return earliest;
  }

  /** The bars being formed, as bars with `closed: false`, by timeframe then time. */
  formingBars(): Bar[] {
    return this.forming.map((bar) => toBar(bar, false));
  }

  /** A deep copy of the state, for persistence or for rolling back a failed batch. */
  snapshot(): BarAggregatorState {
    return { forming: this.forming.map((bar) => ({ ...bar })), watermarkMs: this.watermarkMs };
  }

  /** Replaces the state with a snapshot taken earlier. */
  restore(state: BarAggregatorState): void {
    this.forming = state.forming.map((bar) => ({ ...bar })).sort(byTimeAndFrame);
    this.watermarkMs = state.watermarkMs;
  }

  private closeUpTo(watermarkMs: number): Bar[] {
    if (this.watermarkMs !== null && watermarkMs <= this.watermarkMs) return [];
    this.watermarkMs = watermarkMs;
    const closed: Bar[] = [];
    const open: FormingBar[] = [];
    for (const bar of this.forming) {
      if (bar.tsMs + TIMEFRAME_MS[bar.timeframe] <= watermarkMs) {
        closed.push(toBar(bar, true));
      } else {
        open.push(bar);
      }
    }
    this.forming = open;
    return closed;
  }
}

function newBar(timeframe: Timeframe, tsMs: number, tick: Tick, spread: number): FormingBar {
  return {
    timeframe,
    tsMs,
    open: tick.bid,
    high: tick.bid,
    low: tick.bid,
    close: tick.bid,
    openTickMs: tick.tsMs,
    closeTickMs: tick.tsMs,
    tickVolume: tick.volume,
    tickCount: 1,
    spreadSumPoints: spread,
    spreadMaxPoints: spread,
  };
}

function toBar(bar: FormingBar, closed: boolean): Bar {
  return {
    timeframe: bar.timeframe,
    tsMs: bar.tsMs,
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    tickVolume: bar.tickVolume,
    tickCount: bar.tickCount,
    spreadAvgPoints: roundTo(bar.spreadSumPoints / bar.tickCount, 3),
    spreadMaxPoints: bar.spreadMaxPoints,
    closed,
  };
}

/**
 * Batch aggregation: the fold of `BarAggregator.update` over `ticks`, returning every closed bar followed by the
 * bars still forming at the end, sorted by timeframe then time. Ticks the streaming form would refuse are skipped.
 */
export function aggregateBars(ticks: readonly Tick[], config: BarAggregatorConfig): Bar[] {
  const aggregator = new BarAggregator(config);
  const bars: Bar[] = [];
  for (const tick of ticks) {
    if (aggregator.accepts(tick.tsMs)) bars.push(...aggregator.update(tick));
  }
  bars.push(...aggregator.formingBars());
  return bars.sort(byTimeAndFrame);
}
