/**
 * The bars of one timeframe as a live chart holds them: closed bars from the API and the stream's `bar` messages,
 * and the forming bar moved by streamed ticks with the platform's own aggregation (core/market/bar-aggregator.ts:
 * OHLC of the bid, a late tick never moving the close), so the chart's forming bar follows the same rule as the bar
 * the platform will close. The stream pushes only the newest tick per throttle interval, so a forming bar may miss a
 * brief extreme; the closed bar that follows replaces it with the platform's exact one.
 */
import { BarAggregator, type FormingBar } from "../market/bar-aggregator.js";
import { bucketStartMs, TIMEFRAME_MS, type Timeframe } from "../market/timeframe.js";
import { toBarOutput, type BarOutput } from "../schemas/market-data.js";

/** A tick as the stream sends it (the bid makes the bars, the ask the spread). */
export interface LiveTick {
  readonly tsMs: number;
  readonly bid: number;
  readonly ask: number;
}

/**
 * Merges bars read again (a resync after a reconnect) into those held: one bar per open time, oldest first. The newer
 * reading wins, except that a closed bar is never replaced by a forming one of the same time.
 * @example mergeBars([{ ts: 0, closed: true, … }, { ts: 60_000, closed: false, … }], [{ ts: 60_000, closed: true, … }, { ts: 120_000, closed: false, … }]).map((b) => b.ts) // [0, 60_000, 120_000]
 */
export function mergeBars(held: readonly BarOutput[], incoming: readonly BarOutput[]): BarOutput[] {
  const byTs = new Map<number, BarOutput>();
  for (const bar of held) byTs.set(bar.ts, bar);
  for (const bar of incoming) {
    const current = byTs.get(bar.ts);
    if (current !== undefined && current.closed && !bar.closed) continue;
    byTs.set(bar.ts, bar);
  }
  return [...byTs.values()].sort((a, b) => a.ts - b.ts);
}

/**
 * The aggregator's forming bar for a bar the API or the stream reported. What a bar does not carry is taken at its
 * least committal: the open tick at the bar's start (no later tick can move the open) and the close tick at the
 * newest tick the page knows of, if inside the bar (only a tick at or after it moves the close).
 */
export function formingBarOf(bar: BarOutput, timeframe: Timeframe, lastTickTsMs: number | null): FormingBar {
  const endMs = bar.ts + TIMEFRAME_MS[timeframe];
  const closeTickMs = lastTickTsMs !== null && lastTickTsMs >= bar.ts && lastTickTsMs < endMs ? lastTickTsMs : bar.ts;
  const tickCount = Math.max(1, Math.round(bar.tickVolume));
  return {
    timeframe,
    tsMs: bar.ts,
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    openTickMs: bar.ts,
    closeTickMs,
    tickVolume: bar.tickVolume,
    tickCount,
    spreadSumPoints: bar.spreadAvg * tickCount,
    spreadMaxPoints: bar.spreadMax,
  };
}

/**
 * The bars of one instrument and timeframe on a live chart.
 * @example
 * const series = new LiveBarSeries("M1", 0.01);
 * series.load(page.bars);
 * const forming = series.applyTick({ tsMs, bid: 2301.1, ask: 2301.4 }); // the forming bar to draw, or null
 */
export class LiveBarSeries {
  private closed: BarOutput[] = [];
  /** Bars ending at or before this time are closed: no tick may move them (epoch ms). */
  private watermarkMs: number | null = null;
  private readonly aggregator: BarAggregator;

  constructor(
    readonly timeframe: Timeframe,
    pointSize: number,
  ) {
    // Bars close only by the platform's word (a `bar` message or a resync), never on the page's clock or ticks.
    this.aggregator = new BarAggregator({ timeframes: [timeframe], pointSize, graceMs: Number.POSITIVE_INFINITY });
  }

  /** Replaces everything with the bars of an API answer (oldest first, the forming one last with `closed: false`). */
  load(bars: readonly BarOutput[], lastTickTsMs: number | null = null): void {
    this.closed = [];
    this.watermarkMs = null;
    this.restoreForming([]);
    this.merge(bars, lastTickTsMs);
  }

  /**
   * Merges bars read again after a reconnect (closed ones stored, the forming one taking the place of what the
   * ticks built). Returns the closed bars this series did not hold closed before, oldest first.
   */
  merge(bars: readonly BarOutput[], lastTickTsMs: number | null = null): BarOutput[] {
    const heldClosed = new Set(this.closed.map((bar) => bar.ts));
    const added = bars.filter((bar) => bar.closed && !heldClosed.has(bar.ts));
    this.closed = mergeBars(this.closed, bars.filter((bar) => bar.closed));
    const newest = this.closed.at(-1);
    if (newest !== undefined) this.advanceWatermark(newest.ts + TIMEFRAME_MS[this.timeframe]);
    const forming = this.aggregator.snapshot().forming;
    for (const bar of bars) {
      if (bar.closed) continue;
      const index = forming.findIndex((f) => f.tsMs === bar.ts);
      const replacement = formingBarOf(bar, this.timeframe, lastTickTsMs);
      if (index >= 0) forming[index] = replacement;
      else forming.push(replacement);
    }
    this.restoreForming(forming);
    return added.sort((a, b) => a.ts - b.ts);
  }

  /** Takes the forming bar the stream's hello reported (the platform's own, so it replaces the page's). */
  setForming(bar: BarOutput, lastTickTsMs: number | null = null): void {
    if (bar.closed) throw new RangeError("setForming takes a forming bar (closed: false)");
    this.merge([bar], lastTickTsMs);
  }

  /** Moves the forming bar with a streamed tick; returns that bar, or null when the tick's bar has already closed. */
  applyTick(tick: LiveTick): BarOutput | null {
    if (!this.aggregator.accepts(tick.tsMs)) return null;
    this.aggregator.update({ tsMs: tick.tsMs, bid: tick.bid, ask: tick.ask, volume: 1 });
    const bucketMs = bucketStartMs(tick.tsMs, this.timeframe);
    const bar = this.aggregator.formingBars().find((b) => b.tsMs === bucketMs);
    return bar === undefined ? null : toBarOutput(bar);
  }

  /**
   * A bar the platform closed: stored, its forming version dropped. Returns false (and changes nothing) for a bar of
   * the wrong kind or one already held closed with the same values.
   */
  applyClosedBar(bar: BarOutput): boolean {
    if (!bar.closed) return false;
    const held = this.closed.find((b) => b.ts === bar.ts);
    if (held !== undefined && sameBar(held, bar)) return false;
    this.merge([bar]);
    return true;
  }

  /** Closed bars, then those forming, oldest first. */
  bars(): BarOutput[] {
    const forming = this.aggregator.formingBars().map(toBarOutput);
    return mergeBars(this.closed, forming);
  }

  /** Open time of the newest closed bar, or null. */
  lastClosedTs(): number | null {
    return this.closed.at(-1)?.ts ?? null;
  }

  /** Open time of the newest bar, closed or forming, or null. */
  newestTs(): number | null {
    return this.bars().at(-1)?.ts ?? null;
  }

  private advanceWatermark(endMs: number): void {
    if (this.watermarkMs === null || endMs > this.watermarkMs) this.watermarkMs = endMs;
  }

  private restoreForming(forming: FormingBar[]): void {
    const watermarkMs = this.watermarkMs;
    const open = forming.filter((bar) => watermarkMs === null || bar.tsMs + TIMEFRAME_MS[this.timeframe] > watermarkMs);
    // The aggregator refuses ticks of closed bars by this watermark; with an infinite grace it never closes one itself.
    this.aggregator.restore({ forming: open, watermarkMs });
  }
}

function sameBar(a: BarOutput, b: BarOutput): boolean {
  return a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close && a.tickVolume === b.tickVolume && a.closed === b.closed;
}
