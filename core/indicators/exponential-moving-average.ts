/** Exponential moving average (TA-Lib EMA): seeded with the SMA of the first `period` values, then k = 2/(period+1). */
import { isCount, isStoredNumber, requireFiniteInput, requirePeriod, requireSnapshot } from "./guards.js";
import type { Indicator } from "./indicator.js";

const NAME = "ExponentialMovingAverage";

/** Parameters of an {@link ExponentialMovingAverage}. */
export interface ExponentialMovingAverageOptions {
  /** Smoothing period, an integer in [1, 100000]; default 20. The weight of the newest value is 2 / (period + 1). */
  readonly period?: number;
}

/** Plain-JSON state of an {@link ExponentialMovingAverage}. */
export interface ExponentialMovingAverageState {
  readonly kind: "ema";
  readonly period: number;
  /** Values summed into the seed so far, up to `period`. */
  readonly seedCount: number;
  /** Sum of the first `seedCount` values. */
  readonly seedSum: number;
  /** Latest average, `null` during warm-up. */
  readonly current: number | null;
}

/**
 * Exponential moving average of a number series (same units out as in). TA-Lib's default seeding: the first value
 * is the simple average of the first `period` inputs (warm-up `period - 1`), then
 * `ema = (input - ema) * k + ema` with `k = 2 / (period + 1)`. O(1) per update and state.
 * @example
 * const ema = new ExponentialMovingAverage({ period: 3 });
 * runBatch(ema, [2, 4, 6, 8]); // [undefined, undefined, 4, 6]
 */
export class ExponentialMovingAverage implements Indicator<number, number, ExponentialMovingAverageState> {
  readonly period: number;
  readonly lookback: number;
  /** Weight of the newest input, 2 / (period + 1). */
  readonly smoothing: number;
  private seedCount = 0;
  private seedSum = 0;
  private current: number | undefined;

  constructor(options: ExponentialMovingAverageOptions = {}, state?: ExponentialMovingAverageState) {
    this.period = requirePeriod(NAME, "period", options.period ?? 20, 1);
    this.lookback = this.period - 1;
    this.smoothing = 2 / (this.period + 1);
    if (state) this.restore(state);
  }

  update(input: number): void {
    requireFiniteInput(NAME, input);
    if (this.current !== undefined) {
      this.current = (input - this.current) * this.smoothing + this.current;
      return;
    }
    this.seedSum += input;
    this.seedCount += 1;
    if (this.seedCount === this.period) this.current = this.seedSum / this.period;
  }

  value(): number | undefined {
    return this.current;
  }

  isReady(): boolean {
    return this.current !== undefined;
  }

  reset(): void {
    this.seedCount = 0;
    this.seedSum = 0;
    this.current = undefined;
  }

  snapshot(): ExponentialMovingAverageState {
    return {
      kind: "ema",
      period: this.period,
      seedCount: this.seedCount,
      seedSum: this.seedSum,
      current: this.current ?? null,
    };
  }

  restore(state: ExponentialMovingAverageState): void {
    requireSnapshot(
      state.kind === "ema" && state.period === this.period,
      NAME,
      `expected an ema of period ${this.period}`,
    );
    requireSnapshot(
      isCount(state.seedCount, this.period) && isStoredNumber(state.seedSum) && isStoredNumber(state.current, true),
      NAME,
      "bad seed or value",
    );
    requireSnapshot((state.seedCount === this.period) === (state.current !== null), NAME, "seed and value disagree");
    this.seedCount = state.seedCount;
    this.seedSum = state.seedSum;
    this.current = state.current ?? undefined;
  }
}
