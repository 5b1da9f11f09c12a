/** A rolling window of durations with its percentiles: how long a hot path took over its latest runs. */

/** Percentiles of a window, in milliseconds. */
export interface LatencySummary {
  /** Runs in the window (at most its capacity). */
  readonly samples: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

/**
 * Keeps the latest `capacity` durations (a ring) and summarises them. Percentiles are nearest-rank on the sorted
 * window: p99 of 1,000 samples is the 990th smallest.
 * @example
 * const window = new LatencyWindow(1_000);
 * window.record(0.21);
 * window.summary(); // { samples: 1, p50Ms: 0.21, p99Ms: 0.21, maxMs: 0.21 }
 */
export class LatencyWindow {
  private readonly values: Float64Array;
  private count = 0;
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`LatencyWindow: capacity must be a positive integer, got ${capacity}`);
    this.values = new Float64Array(capacity);
  }

  /** Adds one duration in ms; a negative or non-finite one is refused with a RangeError. */
  record(durationMs: number): void {
    if (!(durationMs >= 0) || !Number.isFinite(durationMs)) throw new RangeError(`LatencyWindow: bad duration ${durationMs}`);
    this.values[this.next] = durationMs;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  summary(): LatencySummary {
    if (this.count === 0) return { samples: 0, p50Ms: null, p99Ms: null, maxMs: null };
    const sorted = this.values.slice(0, this.count).sort();
    const rank = (q: number) => sorted[Math.min(this.count, Math.max(1, Math.ceil(q * this.count))) - 1]!;
    return { samples: this.count, p50Ms: rank(0.5), p99Ms: rank(0.99), maxMs: sorted[this.count - 1]! };
  }
}
