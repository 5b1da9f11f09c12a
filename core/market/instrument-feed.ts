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
} from "./tick-quality.js";
import type { Timeframe } from "./timeframe.js";

export interface InstrumentFeedConfig {
  readonly pointSize: number;
  readonly quality: TickQualityConfig;
  readonly timeframes?: readonly Timeframe[];
}

/** Everything the feed must remember between batches; plain JSON. */
export interface InstrumentFeedState {
  /** Newest applied tick (bars and spike reference), null before the first. */
  last: Tick | null;
  /** A tick flagged as a possible spike, waiting for the next tick to decide. */
  held: Tick | null;
  spike: SpikeDetectorState;
  bars: BarAggregatorState;
}

/** What happened to one tick of a batch. */
export type TickOutcome =
  | { readonly index: number; readonly status: "accepted" | "duplicate" | "held" }
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
  /** Earlier held ticks this batch decided. */
  resolvedHeld: HeldTickResolution[];
}

export interface FeedBatchContext {
  /** Server clock, epoch ms: only used for the FUTURE_TIMESTAMP rule. */
  readonly nowMs: number;
  /** True when storage already holds exactly this tick (an earlier delivery). */
  readonly isStored: (tick: Tick) => boolean;
}

/**
 * Applies batches of ticks to one instrument's stream.
 * @example
 * const feed = new InstrumentFeed({ pointSize: 0.01, quality });
 * const { outcomes, closedBars } = feed.ingest(ticks, { nowMs, isStored: () => false });
 */
export class InstrumentFeed {
  private readonly aggregator: BarAggregator;
  private readonly spikes: SpikeDetector;
  private last: Tick | null;
  private held: Tick | null;
  /** Position of the held tick in the batch being ingested, or null when it came from an earlier batch. */
  private heldIndex: number | null = null;

  constructor(private readonly config: InstrumentFeedConfig, state?: InstrumentFeedState) {
    this.aggregator = new BarAggregator({ pointSize: config.pointSize, timeframes: config.timeframes }, state?.bars);
    this.spikes = new SpikeDetector(config.quality, state?.spike);
    this.last = state?.last ?? null;
    this.held = state?.held ?? null;
  }

  /** Runs one batch. The feed's state advances; take a `snapshot()` before to be able to roll back. */
  ingest(ticks: readonly Tick[], context: FeedBatchContext): FeedBatchResult {
    const result: FeedBatchResult = { outcomes: [], applied: [], closedBars: [], resolvedHeld: [] };
    this.heldIndex = null;
    ticks.forEach((tick, index) => result.outcomes.push(this.ingestOne(tick, index, context, result)));
    this.heldIndex = null;
    return result;
  }

  /** Closes bars whose period is over on the clock (for live feeds); see `BarAggregator.closeDue`. */
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
      spike: this.spikes.snapshot(),
      bars: this.aggregator.snapshot(),
    };
  }

  private ingestOne(tick: Tick, index: number, context: FeedBatchContext, result: FeedBatchResult): TickOutcome {
    const values = checkTickValues(tick, context.nowMs, this.config.quality);
    if (!values.ok) return { index, status: "rejected", code: values.code, message: values.message };

    const newestMs = Math.max(this.last?.tsMs ?? -Infinity, this.held?.tsMs ?? -Infinity);
    if (tick.tsMs <= newestMs && this.isDuplicate(tick, result.applied, context)) return { index, status: "duplicate" };
    const tolerance = this.config.quality.outOfOrderToleranceMs;
    if (tick.tsMs < newestMs - tolerance) {
      return rejected(index, "OUT_OF_ORDER", `tick is ${newestMs - tick.tsMs} ms older than the newest (tolerance ${tolerance} ms)`);
    }
    if (!this.aggregator.accepts(tick.tsMs)) {
      return rejected(index, "OUT_OF_ORDER", "tick belongs to a bar that is already closed");
    }

    if (this.held) this.resolveHeld(tick, result);
    if (this.last && this.spikes.isSuspicious(this.last.bid, tick.bid)) {
      this.held = tick;
      this.heldIndex = index;
      return { index, status: "held" };
    }
    this.apply(tick, result);
    return { index, status: "accepted" };
  }

  private resolveHeld(next: Tick, result: FeedBatchResult): void {
    const held = this.held;
    const previous = this.last;
    const heldIndex = this.heldIndex;
    if (!held || !previous) return;
    this.held = null;
    this.heldIndex = null;
    let resolution: HeldTickResolution;
    if (SpikeDetector.cameBack(previous.bid, held.bid, next.bid)) {
      const message = `bid ${held.bid} jumped from ${previous.bid} and came back to ${next.bid}`;
      resolution = { tick: held, status: "rejected", code: "SPIKE", message };
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
    if (this.last) this.spikes.record(this.last.bid, tick.bid);
    if (!this.last || tick.tsMs >= this.last.tsMs) this.last = tick;
    result.applied.push(tick);
    result.closedBars.push(...this.aggregator.update(tick));
  }

  private isDuplicate(tick: Tick, appliedThisBatch: readonly Tick[], context: FeedBatchContext): boolean {
    if (this.held && isSameTick(this.held, tick)) return true;
    const oldestMs = tick.tsMs - this.config.quality.outOfOrderToleranceMs;
    for (let i = appliedThisBatch.length - 1; i >= 0; i--) {
      const applied = appliedThisBatch[i];
      if (applied === undefined || applied.tsMs < oldestMs) break;
      if (isSameTick(applied, tick)) return true;
    }
    return context.isStored(tick);
  }
}

function rejected(index: number, code: TickRejection["code"], message: string): TickOutcome {
  return { index, status: "rejected", code, message };
}
