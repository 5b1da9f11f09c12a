/**
 * Data-quality rules for ticks. Corrupt data is rejected with a code from one closed set, never repaired.
 * Ordering, duplicate and spike rules need the stream's history and are applied by `InstrumentFeed`.
 */
import { z } from "zod";
import type { Tick } from "./tick.js";

/** Every reason a tick can be refused: the single source of truth for rejection codes. */
export const TICK_REJECTION_CODES = [
  "INVALID_TIMESTAMP",
  "NON_FINITE_PRICE",
  "NON_POSITIVE_PRICE",
  "PRICE_OUT_OF_RANGE",
  "CROSSED_QUOTE",
  "INVALID_VOLUME",
  "FUTURE_TIMESTAMP",
  "OUT_OF_ORDER",
  "DUPLICATE",
  "SPIKE",
] as const;
export const TickRejectionCodeSchema = z.enum(TICK_REJECTION_CODES);
export type TickRejectionCode = z.infer<typeof TickRejectionCodeSchema>;

/** A refused tick's code and a message a person can act on. */
export interface TickRejection {
  readonly code: TickRejectionCode;
  readonly message: string;
}

/** Largest price accepted: far above any instrument, low enough that spreads in points stay finite. */
export const MAX_PRICE = 1e9;

/** Largest tick volume accepted: far above any real tick, low enough that sums never overflow. */
export const MAX_TICK_VOLUME = 1e9;

/** Settings of the tick-quality rules; every field is required here, defaults live in the config schema. */
export interface TickQualityConfig {
  /** A tick older than the stream's newest by more than this is refused as OUT_OF_ORDER (ms). */
  readonly outOfOrderToleranceMs: number;
  /** A tick newer than the server clock by more than this is refused as FUTURE_TIMESTAMP (ms). */
  readonly futureToleranceMs: number;
  /** A spike jumps more than this many robust standard deviations of recent tick moves. */
  readonly spikeSigmas: number;
  /** ...and more than this percentage of the price. */
  readonly spikeMinJumpPct: number;
  /** Number of recent tick-to-tick moves the robust volatility is measured on. */
  readonly spikeWindowTicks: number;
  /** Spike detection starts once this many moves were seen. */
  readonly spikeWarmupTicks: number;
}

/**
 * Checks what can be judged from one tick alone: timestamp, prices, quote, volume and clock.
 * @returns `{ ok: true }` when the tick passes, otherwise `{ ok: false, code, message }`.
 */
export function checkTickValues(
  tick: Tick,
  nowMs: number,
  config: Pick<TickQualityConfig, "futureToleranceMs">,
): { ok: true } | ({ ok: false } & TickRejection) {
  if (!Number.isSafeInteger(tick.tsMs) || tick.tsMs < 0) {
    return reject("INVALID_TIMESTAMP", `timestamp ${String(tick.tsMs)} is not a non-negative integer of epoch ms`);
  }
  if (!Number.isFinite(tick.bid) || !Number.isFinite(tick.ask)) {
    return reject("NON_FINITE_PRICE", `bid ${String(tick.bid)} / ask ${String(tick.ask)} must be finite`);
  }
  if (tick.bid <= 0 || tick.ask <= 0) {
    return reject("NON_POSITIVE_PRICE", `bid ${tick.bid} / ask ${tick.ask} must be positive`);
  }
  if (tick.bid > MAX_PRICE || tick.ask > MAX_PRICE) {
    return reject("PRICE_OUT_OF_RANGE", `bid ${tick.bid} / ask ${tick.ask} above ${MAX_PRICE} is not a real quote`);
  }
  if (tick.bid > tick.ask) {
    return reject("CROSSED_QUOTE", `bid ${tick.bid} is above ask ${tick.ask}`);
  }
  if (!Number.isFinite(tick.volume) || tick.volume < 0 || tick.volume > MAX_TICK_VOLUME) {
    return reject("INVALID_VOLUME", `volume ${String(tick.volume)} must be a number from 0 to ${MAX_TICK_VOLUME}`);
  }
  if (tick.tsMs > nowMs + config.futureToleranceMs) {
    const aheadMs = tick.tsMs - nowMs;
    return reject("FUTURE_TIMESTAMP", `timestamp is ${aheadMs} ms ahead of the server clock (tolerance ${config.futureToleranceMs} ms)`);
  }
  return { ok: true };
}

function reject(code: TickRejectionCode, message: string): { ok: false } & TickRejection {
  return { ok: false, code, message };
}

/** Serialisable state of the spike detector: a ring of recent absolute bid moves. */
export interface SpikeDetectorState {
  movesAbs: number[];
  next: number;
  seen: number;
}

/**
 * Flags a bid that jumps away from recent robust volatility (median absolute move × 1.4826). The feed holds a
 * flagged tick until the next one: if that one comes back the flagged tick was a spike, otherwise the move is real.
 */
export class SpikeDetector {
  private state: SpikeDetectorState;

  constructor(private readonly config: TickQualityConfig, state?: SpikeDetectorState) {
    this.state = state ? structuredCopy(state) : { movesAbs: [], next: 0, seen: 0 };
  }

  /** True when moving from `previousBid` to `bid` is a suspicious jump. */
  isSuspicious(previousBid: number, bid: number): boolean {
    const jump = Math.abs(bid - previousBid);
    if (this.state.seen < this.config.spikeWarmupTicks) return false;
    if (jump <= (this.config.spikeMinJumpPct / 100) * previousBid) return false;
    return jump > this.config.spikeSigmas * this.robustSigma();
  }

  /** True when `nextBid` returns at least halfway from the `heldBid` jump back towards `previousBid`. */
  static cameBack(previousBid: number, heldBid: number, nextBid: number): boolean {
    return Math.abs(nextBid - previousBid) <= 0.5 * Math.abs(heldBid - previousBid);
  }

  /** Records an accepted move. */
  record(previousBid: number, bid: number): void {
    const window = this.config.spikeWindowTicks;
    this.state.movesAbs[this.state.next] = Math.abs(bid - previousBid);
    this.state.next = (this.state.next + 1) % window;
    this.state.seen += 1;
  }

  snapshot(): SpikeDetectorState {
    return structuredCopy(this.state);
  }

  private robustSigma(): number {
    const sorted = [...this.state.movesAbs].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
    return 1.4826 * median;
  }
}

function structuredCopy(state: SpikeDetectorState): SpikeDetectorState {
  return { movesAbs: [...state.movesAbs], next: state.next, seen: state.seen };
}
