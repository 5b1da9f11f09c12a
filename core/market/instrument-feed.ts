/**
 * The tick pipeline of one instrument: quality rules, duplicate detection, spike hold-back and bar aggregation.
 * Pure and deterministic: the Durable Object feeds it batches, persists what it returns and its snapshot.
 */
import type { Bar } from "./bar.js";
import { BarAggregator, type BarAggregatorState } from "./bar-aggregator.js";
import { isSameTick, type Tick } from "./tick.js";
import {
  checkTickValues,
  SpikeDetector,
  type SpikeDetectorState,
  type TickQualityConfig,
  type TickRejection,
  type TickRejectionCode,
} from "./tick-quality.js";
import type { Timeframe } from "./timeframe.js";

/** Spike-rejected ticks remembered so that re-sending them is recognised as a duplicate. */
const REMEMBERED_SPIKES = 32;

export interface InstrumentFeedConfig {
  readonly pointSize: number;
  readonly quality: TickQualityConfig;
  readonly timeframes?: readonly Timeframe[];
  /**
   * How far past its end a bar stays open for late ticks (ms); default: the out-of-order tolerance. The platform uses
   * 0: a bar closes at the first tick of a later period, so strategies act on that tick.
   */
  readonly barCloseGraceMs?: number;
}

/** Everything the feed must remember between batches; plain JSON. */
export interface InstrumentFeedState {
  /** Newest applied tick (ordering and spike reference), null before the first. */
  last: Tick | null;
  /** A tick flagged as a possible spike, waiting for the next tick to decide. */
  held: Tick | null;
  /** The latest spike-rejected ticks, newest last. */
  spikes: Tick[];
  spike: SpikeDetectorState;
  bars: BarAggregatorState;
}

/** What happened to one tick of a batch. A duplicate carries the DUPLICATE code but is not an error. */
export type TickOutcome =
  | { readonly index: number; readonly status: "accepted" | "held" }
  | { readonly index: number; readonly status: "duplicate"; readonly code: "DUPLICATE" }
  | ({ readonly index: number; readonly status: "rejected" } & TickRejection);

/** A tick held back by an earlier batch and decided by this one. */
export type HeldTickResolution =
  | { readonly tick: Tick; readonly status: "accepted" }
  | ({ readonly tick: Tick; readonly status: "rejected" } & TickRejection);

export interface FeedBatchResult {
  /** One outcome per input tick, in input order. */
  outcomes: TickOutcome[];
  /** Ticks to store, in the order they were applied (may include a previously held tick). */
  applied: Tick[];
  /** Bars closed by this batch, in the order they closed. */
  closedBars: Bar[];
  /** Held ticks of earlier batches that this batch decided. */
  resolvedHeld: HeldTickResolution[];
}

export interface FeedBatchContext {
  /** Server clock, epoch ms: only used for the FUTURE_TIMESTAMP rule. */
  readonly nowMs: number;
  /** True when storage already holds exactly this tick (an earlier delivery). */
  readonly isStored: (tick: Tick) => boolean;
}

const keyOf = (t: Tick) => `${t.tsMs}|${t.bid}|${t.ask}|${t.volume}`;

/**
 * Applies batches of ticks to one instrument's stream.
 * @example
 * const feed = new InstrumentFeed({ pointSize: 0.01, quality });
 * const { outcomes, closedBars } = feed.ingest(ticks, { nowMs, isStored: () => false });
 */
export class InstrumentFeed {
  private readonly aggregator: BarAggregator;
  private readonly spikeDetector: SpikeDetector;
  private last: Tick | null;
  private held: Tick | null;
  private spikes: Tick[];
  /** Where the held tick sits in the batch being ingested; null when it came from an earlier batch. */
  private heldIndex: number | null = null;
  /** Keys of this batch's applied ticks, built on the first duplicate lookup of the batch. */
  private appliedKeys: Set<string> | null = null;

  constructor(private readonly config: InstrumentFeedConfig, state?: InstrumentFeedState) {
    this.aggregator = new BarAggregator(
      { pointSize: config.pointSize, timeframes: config.timeframes, graceMs: config.barCloseGraceMs ?? config.quality.outOfOrderToleranceMs },
      state?.bars,
    );
    this.spikeDetector = new SpikeDetector(config.quality, state?.spike);
    this.last = state?.last ?? null;
    this.held = state?.held ?? null;
    this.spikes = state?.spikes ?? [];
  }

  /** Runs one batch. The feed's state advances; take a `snapshot()` before to be able to roll back. */
  ingest(ticks: readonly Tick[], context: FeedBatchContext): FeedBatchResult {
    const result: FeedBatchResult = { outcomes: [], applied: [], closedBars: [], resolvedHeld: [] };
    this.heldIndex = null;
    this.appliedKeys = null;
    ticks.forEach((tick, index) => result.outcomes.push(this.ingestOne(tick, index, context, result)));
    this.heldIndex = null;
    this.appliedKeys = null;
    return result;
  }

  /** Closes bars whose period ended `graceMs` before `nowMs` (live feeds); see `BarAggregator.closeDue`. */
  closeDue(nowMs: number, graceMs: number): Bar[] {
    return this.aggregator.closeDue(nowMs, graceMs);
  }

  formingBars(): Bar[] {
    return this.aggregator.formingBars();
  }

  nextCloseMs(): number | null {
    return this.aggregator.nextCloseMs();
  }

  lastTick(): Tick | null {
    return this.last;
  }

  snapshot(): InstrumentFeedState {
    return {
      last: this.last && { ...this.last },
      held: this.held && { ...this.held },
      spikes: this.spikes.map((t) => ({ ...t })),
      spike: this.spikeDetector.snapshot(),
      bars: this.aggregator.snapshot(),
    };
  }

  private ingestOne(tick: Tick, index: number, context: FeedBatchContext, result: FeedBatchResult): TickOutcome {
    const values = checkTickValues(tick, context.nowMs, this.config.quality);
    if (!values.ok) return rejected(index, values.code, values.message);
    if (this.isDuplicate(tick, result.applied, context)) return { index, status: "duplicate", code: "DUPLICATE" };

    const newestMs = this.last?.tsMs ?? -Infinity;
    const tolerance = this.config.quality.outOfOrderToleranceMs;
    if (tick.tsMs < newestMs - tolerance) {
      return rejected(index, "OUT_OF_ORDER", `tick is ${newestMs - tick.tsMs} ms older than the newest (tolerance ${tolerance} ms)`);
    }
    // The held tick is decided by the next in-order tick, before that tick is judged on its own.
    if (this.held) this.settleHeld(tick, result);
    if (!this.aggregator.accepts(tick.tsMs)) return rejected(index, "OUT_OF_ORDER", "tick belongs to a bar that is already closed");

    if (this.last && this.spikeDetector.isSuspicious(this.last.bid, tick.bid)) {
      if (tick.tsMs < this.last.tsMs) {
        // A late print: the tick after it in time is already here and did not follow the jump.
        this.rememberSpike(tick);
        return rejected(index, "SPIKE", `late bid ${tick.bid} jumps away from ${this.last.bid}, which follows it in time`);
      }
      this.held = tick;
      this.heldIndex = index;
      return { index, status: "held" };
    }
    this.apply(tick, result);
    return { index, status: "accepted" };
  }

  private settleHeld(next: Tick, result: FeedBatchResult): void {
    const held = this.held;
    const previous = this.last;
    const heldIndex = this.heldIndex;
    this.held = null;
    this.heldIndex = null;
    if (!held || !previous) return;
    let resolution: HeldTickResolution;
    if (SpikeDetector.cameBack(previous.bid, held.bid, next.bid)) {
      this.rememberSpike(held);
      resolution = { tick: held, status: "rejected", code: "SPIKE", message: `bid ${held.bid} jumped from ${previous.bid} and came back to ${next.bid}` };
    } else if (!this.aggregator.accepts(held.tsMs)) {
      resolution = { tick: held, status: "rejected", code: "OUT_OF_ORDER", message: "its bar closed while the tick was held" };
    } else {
      this.apply(held, result);
      resolution = { tick: held, status: "accepted" };
    }
    if (heldIndex === null) {
      result.resolvedHeld.push(resolution);
    } else {
      const { tick: _tick, ...outcome } = resolution;
      result.outcomes[heldIndex] = { index: heldIndex, ...outcome };
    }
  }

  private apply(tick: Tick, result: FeedBatchResult): void {
    if (this.last) this.spikeDetector.record(this.last.bid, tick.bid);
    if (!this.last || tick.tsMs >= this.last.tsMs) this.last = tick;
    result.applied.push(tick);
    this.appliedKeys?.add(keyOf(tick));
    result.closedBars.push(...this.aggregator.update(tick));
  }

  private rememberSpike(tick: Tick): void {
    this.spikes = [...this.spikes.slice(-(REMEMBERED_SPIKES - 1)), tick];
  }

  /** Exact re-delivery of a held, spike-rejected, applied-in-this-batch or stored tick. */
  private isDuplicate(tick: Tick, appliedThisBatch: readonly Tick[], context: FeedBatchContext): boolean {
    if (this.held && isSameTick(this.held, tick)) return true;
    if (this.spikes.some((spike) => isSameTick(spike, tick))) return true;
    // Only a tick no newer than the stream can repeat one already applied.
    if (tick.tsMs > (this.last?.tsMs ?? -Infinity)) return false;
    this.appliedKeys ??= new Set(appliedThisBatch.map(keyOf));
    return this.appliedKeys.has(keyOf(tick)) || context.isStored(tick);
  }
}

function rejected(index: number, code: TickRejectionCode, message: string): TickOutcome {
  return { index, status: "rejected", code, message };
}
