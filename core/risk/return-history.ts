/** Per-symbol rings of the latest M1 closes keyed by bar time, and the log returns they give aligned across symbols. */
import { z } from "zod";

/** Closes kept per symbol by default: one day of M1 bars. */
export const DEFAULT_HISTORY_BARS = 1_440;

/** One symbol's closes, oldest first. */
export const SymbolClosesSchema = z
  .object({
    barTsMs: z.array(z.number().int()).describe("Bar times, strictly increasing, epoch ms"),
    closes: z.array(z.number().positive()).describe("Closing bid of each bar, price units"),
  })
  .refine((series) => series.barTsMs.length === series.closes.length, "barTsMs and closes must have the same length")
  .refine((series) => series.barTsMs.every((tsMs, i) => i === 0 || tsMs > series.barTsMs[i - 1]!), "barTsMs must increase strictly");
export type SymbolCloses = z.infer<typeof SymbolClosesSchema>;

/** Plain-JSON form of a {@link ReturnHistory}; each series is chronological, so equal histories have equal snapshots. */
export const ReturnHistoryStateSchema = z
  .object({
    capacity: z.number().int().min(2).max(1_000_000).describe("Closes kept per symbol"),
    series: z.record(z.string(), SymbolClosesSchema).describe("Closes per symbol, oldest first"),
  })
  .refine((state) => Object.values(state.series).every((series) => series.closes.length <= state.capacity), "a series is longer than the capacity");
export type ReturnHistoryState = z.infer<typeof ReturnHistoryStateSchema>;

/** Log returns of the closes common to a set of symbols. */
export interface AlignedReturns {
  /** Bar time of the later close of each return, epoch ms (the same for every symbol). */
  readonly barTsMs: number[];
  /** `returns[s][t]`: ln(close at barTsMs[t]) − ln(close at the previous common bar time) for symbol `s`. */
  readonly returns: number[][];
}

/** One symbol's ring: slot `head` is written next; `size` slots hold closes (and their logs, for cheap returns). */
class ClosesRing {
  readonly barTsMs: Float64Array;
  readonly closes: Float64Array;
  readonly logCloses: Float64Array;
  head = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.barTsMs = new Float64Array(capacity);
    this.closes = new Float64Array(capacity);
    this.logCloses = new Float64Array(capacity);
  }

  /** Physical slot of the `index`-th oldest close. */
  slot(index: number): number {
    const slot = this.head - this.size + index;
    return slot < 0 ? slot + this.capacity : slot;
  }
}

/**
 * The latest `capacity` M1 closes of every symbol it is given, keyed by bar time. `push` is O(1) and allocation-free
 * once a symbol is known. Returns are taken between consecutive bar times common to all the symbols asked for, so a
 * gap (no bar, or a bar another symbol lacks) makes one longer return rather than a missing one.
 * @example
 * const history = new ReturnHistory();
 * history.push("XAUUSD", barTsMs, 2300.15);
 * history.alignedReturns(["XAUUSD", "XAGUSD"]).returns; // [[…], […]]
 */
export class ReturnHistory {
  readonly capacity: number;
  private readonly rings = new Map<string, ClosesRing>();

  /** `capacity`: closes kept per symbol (≥ 2); `state`: a snapshot to resume from (its own capacity wins). */
  constructor(capacity: number = DEFAULT_HISTORY_BARS, state?: ReturnHistoryState) {
    const restored = state === undefined ? undefined : ReturnHistoryStateSchema.parse(state);
    this.capacity = restored?.capacity ?? capacity;
    if (!Number.isInteger(this.capacity) || this.capacity < 2) {
      throw new RangeError(`ReturnHistory: capacity must be an integer ≥ 2, got ${this.capacity}`);
    }
    if (restored === undefined) return;
    for (const [symbol, series] of Object.entries(restored.series)) {
      series.closes.forEach((close, i) => this.push(symbol, series.barTsMs[i]!, close));
    }
  }

  /**
   * Records the close of the bar at `barTsMs` (epoch ms; a finite positive `close`, else a RangeError). A bar time
   * equal to the symbol's latest replaces that close (a re-delivery); an older one is ignored. Returns false when
   * ignored.
   */
  push(symbol: string, barTsMs: number, close: number): boolean {
    if (!(close > 0) || !Number.isFinite(close)) throw new RangeError(`ReturnHistory: close must be a finite positive price, got ${close}`);
    if (!Number.isFinite(barTsMs)) throw new RangeError(`ReturnHistory: bar time must be finite, got ${barTsMs}`);
    let ring = this.rings.get(symbol);
    if (ring === undefined) {
      ring = new ClosesRing(this.capacity);
      this.rings.set(symbol, ring);
    }
    if (ring.size > 0) {
      const latest = ring.head === 0 ? ring.capacity - 1 : ring.head - 1;
      const latestTsMs = ring.barTsMs[latest]!;
      if (barTsMs < latestTsMs) return false;
      if (barTsMs === latestTsMs) {
        ring.closes[latest] = close;
        ring.logCloses[latest] = Math.log(close);
        return true;
      }
    }
    ring.barTsMs[ring.head] = barTsMs;
    ring.closes[ring.head] = close;
    ring.logCloses[ring.head] = Math.log(close);
    ring.head = ring.head + 1 === ring.capacity ? 0 : ring.head + 1;
    if (ring.size < ring.capacity) ring.size += 1;
    return true;
  }

  /** Closes held for `symbol` (0 for an unknown one). */
  size(symbol: string): number {
    return this.rings.get(symbol)?.size ?? 0;
  }

  /** Bar time of `symbol`'s latest close, or null when it has none. */
  latestTsMs(symbol: string): number | null {
    const ring = this.rings.get(symbol);
    if (ring === undefined || ring.size === 0) return null;
    return ring.barTsMs[ring.slot(ring.size - 1)]!;
  }

  /** `symbol`'s closes, oldest first (a copy). */
  series(symbol: string): SymbolCloses {
    const ring = this.rings.get(symbol);
    const barTsMs: number[] = [];
    const closes: number[] = [];
    if (ring === undefined) return { barTsMs, closes };
    for (let i = 0; i < ring.size; i += 1) {
      const slot = ring.slot(i);
      barTsMs.push(ring.barTsMs[slot]!);
      closes.push(ring.closes[slot]!);
    }
    return { barTsMs, closes };
  }

  /**
   * Log returns of `symbols` (distinct) over the bar times every one of them has a close for: with common times t₀ <
   * t₁ < … < tₙ, return k of symbol s is ln close_s(t_k) − ln close_s(t_{k−1}). Empty when fewer than two common
   * times. One merge walk over the rings: O(symbols × capacity), no logarithms (they are taken on push).
   */
  alignedReturns(symbols: readonly string[]): AlignedReturns {
    const count = symbols.length;
    const rings: ClosesRing[] = [];
    for (const symbol of symbols) {
      const ring = this.rings.get(symbol);
      if (ring === undefined || ring.size === 0) return { barTsMs: [], returns: symbols.map(() => []) };
      rings.push(ring);
    }
    const first = rings[0];
    if (first === undefined) return { barTsMs: [], returns: [] };
    // commonSlots[s * first.size + k]: physical slot of symbol s's close at the k-th common bar time.
    const commonSlots = new Int32Array(count * first.size);
    const cursors = new Int32Array(count);
    const commonTsMs: number[] = [];
    for (let i = 0; i < first.size; i += 1) {
      const firstSlot = first.slot(i);
      const tsMs = first.barTsMs[firstSlot]!;
      let everywhere = true;
      for (let s = 1; s < count && everywhere; s += 1) {
        const ring = rings[s]!;
        let cursor = cursors[s]!;
        while (cursor < ring.size && ring.barTsMs[ring.slot(cursor)]! < tsMs) cursor += 1;
        cursors[s] = cursor;
        everywhere = cursor < ring.size && ring.barTsMs[ring.slot(cursor)]! === tsMs;
      }
      if (!everywhere) continue;
      const k = commonTsMs.length;
      commonSlots[k] = firstSlot;
      for (let s = 1; s < count; s += 1) commonSlots[s * first.size + k] = rings[s]!.slot(cursors[s]!);
      commonTsMs.push(tsMs);
    }
    const returnCount = Math.max(0, commonTsMs.length - 1);
    const returns: number[][] = [];
    for (let s = 0; s < count; s += 1) {
      const logCloses = rings[s]!.logCloses;
      const offset = s * first.size;
      const series = new Array<number>(returnCount);
      for (let k = 0; k < returnCount; k += 1) series[k] = logCloses[commonSlots[offset + k + 1]!]! - logCloses[commonSlots[offset + k]!]!;
      returns.push(series);
    }
    return { barTsMs: commonTsMs.slice(1), returns };
  }

  /** A deep copy as plain JSON (chronological series, symbols in the order first seen). */
  snapshot(): ReturnHistoryState {
    const series: Record<string, SymbolCloses> = {};
    for (const symbol of this.rings.keys()) series[symbol] = this.series(symbol);
    return { capacity: this.capacity, series };
  }
}
