/**
 * Streaming OHLC aggregation on bid prices for several timeframes at once. The batch form is a fold of the
 * streaming form, so both always give the same bars.
 */
import type { Bar } from "./bar.js";
import { roundTo, spreadPoints, type Tick } from "./tick.js";
import { bucketStartMs, TIMEFRAME_MS, TIMEFRAMES, type Timeframe } from "./timeframe.js";

/** A bar being formed, with what is needed to keep it order-robust and to resume after a restart. */
export interface FormingBar {
  readonly timeframe: Timeframe;
  tsMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Time of the tick that set `open`: an earlier late tick (within tolerance) becomes the open. */
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
  forming: FormingBar[];
  /** Open time of the last M1-level bar that was closed, so a late tick can never reopen it. */
  lastClosedBucketMs: number | null;
}

export interface BarAggregatorConfig {
  /** Timeframes to build, default all of M1, M5, M15, H1. */
  readonly timeframes?: readonly Timeframe[];
  /** Instrument point size, in price units (0.01 for XAUUSD): spreads are reported in points. */
  readonly pointSize: number;
}

/**
 * Builds bars tick by tick. `update` returns the bars that the tick closed (a tick in a later bucket closes the
 * forming bar); `closeDue` closes bars whose time is over, for live feeds where the next tick may come late.
 * @example
 * const agg = new BarAggregator({ pointSize: 0.01 });
 * const closed = agg.update({ tsMs, bid: 2300.1, ask: 2300.3, volume: 1 });
 */
export class BarAggregator {
  private readonly timeframes: readonly Timeframe[];
  private readonly smallest: Timeframe;
  private readonly pointSize: number;
  private forming = new Map<Timeframe, FormingBar>();
  private lastClosedBucketMs: number | null = null;

  constructor(config: BarAggregatorConfig, state?: BarAggregatorState) {
    this.timeframes = [...(config.timeframes ?? TIMEFRAMES)].sort((a, b) => TIMEFRAME_MS[a] - TIMEFRAME_MS[b]);
    const smallest = this.timeframes[0];
    if (smallest === undefined) throw new RangeError("BarAggregator needs at least one timeframe");
    this.smallest = smallest;
    this.pointSize = config.pointSize;
    if (state) this.restore(state);
  }

  /**
   * True when the tick may still be aggregated: its smallest-timeframe bucket is not older than the bucket now
   * forming and has not been closed already.
   */
  accepts(tsMs: number): boolean {
    const bucketMs = bucketStartMs(tsMs, this.smallest);
    const current = this.forming.get(this.smallest);
    if (current && bucketMs < current.tsMs) return false;
    return this.lastClosedBucketMs === null || bucketMs > this.lastClosedBucketMs;
  }

  /** Adds one tick (the caller checked `accepts`) and returns the bars it closed, smallest timeframe first. */
  update(tick: Tick): Bar[] {
    const closed: Bar[] = [];
    const spread = spreadPoints(tick, this.pointSize);
    for (const timeframe of this.timeframes) {
      const bucketMs = bucketStartMs(tick.tsMs, timeframe);
      const bar = this.forming.get(timeframe);
      if (bar === undefined || bucketMs > bar.tsMs) {
        if (bar !== undefined) closed.push(this.close(bar));
        this.forming.set(timeframe, newBar(timeframe, bucketMs, tick, spread));
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
    return closed;
  }

  /**
   * Closes every forming bar whose period ended at least `graceMs` before `nowMs` (a clock-driven close, used when
   * the feed is live so that a bar does not wait for the next tick). Returns the closed bars, smallest first.
   */
  closeDue(nowMs: number, graceMs: number): Bar[] {
    const closed: Bar[] = [];
    for (const timeframe of this.timeframes) {
      const bar = this.forming.get(timeframe);
      if (bar && bar.tsMs + TIMEFRAME_MS[timeframe] + graceMs <= nowMs) {
        closed.push(this.close(bar));
        this.forming.delete(timeframe);
      }
    }
    return closed;
  }

  /** End time (epoch ms) of the earliest forming bar, or null when nothing is forming. */
  nextCloseMs(): number | null {
    const bar = this.forming.get(this.smallest);
    return bar ? bar.tsMs + TIMEFRAME_MS[this.smallest] : null;
  }

  /** The bars being formed, as bars with `closed: false`, smallest timeframe first. */
  formingBars(): Bar[] {
    const bars: Bar[] = [];
    for (const timeframe of this.timeframes) {
      const bar = this.forming.get(timeframe);
      if (bar) bars.push(toBar(bar, false));
    }
    return bars;
  }

  /** A deep copy of the state, for persistence or for rolling back a failed batch. */
  snapshot(): BarAggregatorState {
    return {
      forming: [...this.forming.values()].map((bar) => ({ ...bar })),
      lastClosedBucketMs: this.lastClosedBucketMs,
    };
  }

  /** Replaces the state with a snapshot taken earlier. */
  restore(state: BarAggregatorState): void {
    this.forming = new Map(state.forming.map((bar) => [bar.timeframe, { ...bar }]));
    this.lastClosedBucketMs = state.lastClosedBucketMs;
  }

  private close(bar: FormingBar): Bar {
    if (bar.timeframe === this.smallest) this.lastClosedBucketMs = bar.tsMs;
    return toBar(bar, true);
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
 * bars still forming at the end, sorted by timeframe then time. Ticks the streaming form would refuse are skipped
 * the same way.
 */
export function aggregateBars(ticks: readonly Tick[], config: BarAggregatorConfig): Bar[] {
  const aggregator = new BarAggregator(config);
  const bars: Bar[] = [];
  for (const tick of ticks) {
    if (aggregator.accepts(tick.tsMs)) bars.push(...aggregator.update(tick));
  }
  bars.push(...aggregator.formingBars());
  return bars.sort((a, b) => TIMEFRAME_MS[a.timeframe] - TIMEFRAME_MS[b.timeframe] || a.tsMs - b.tsMs);
}
