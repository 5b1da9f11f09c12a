/** Simple moving average (TA-Lib SMA): the mean of the latest `period` values, kept as TA-Lib's rolling sum. */
import { isStoredNumber, requireFiniteInput, requirePeriod, requireSnapshot } from "./guards.js";
import type { Indicator } from "./indicator.js";
import { WindowBuffer, type WindowBufferState } from "./window-buffer.js";

const NAME = "SimpleMovingAverage";

/** Parameters of a {@link SimpleMovingAverage}. */
export interface SimpleMovingAverageOptions {
  /** Values averaged, an integer in [1, 100000]; default 20. */
  readonly period?: number;
}

/** Plain-JSON state of a {@link SimpleMovingAverage}. */
export interface SimpleMovingAverageState {
  readonly kind: "sma";
  readonly period: number;
  readonly window: WindowBufferState;
  /** TA-Lib's running total between outputs: the sum of the newest `min(count, period - 1)` values. */
  readonly runningSum: number;
  /** Latest average, `null` during warm-up. */
  readonly current: number | null;
}

/**
 * Simple moving average of a number series (prices in, same units out). Warm-up: `period - 1` inputs, like TA-Lib.
 * The sum is rolled as TA-Lib rolls it (add the newest, divide, subtract the oldest), so over a long series the
 * rounding drifts exactly as TA-Lib's does. O(1) per update, O(period) state.
 * @example
 * const sma = new SimpleMovingAverage({ period: 3 });
 * runBatch(sma, [1, 2, 3, 4]); // [undefined, undefined, 2, 3]
 */
export class SimpleMovingAverage implements Indicator<number, number, SimpleMovingAverageState> {
  readonly period: number;
  readonly lookback: number;
  private window: WindowBuffer;
  private runningSum = 0;
  private current: number | undefined;

  constructor(options: SimpleMovingAverageOptions = {}, state?: SimpleMovingAverageState) {
    this.period = requirePeriod(NAME, "period", options.period ?? 20, 1);
    this.lookback = this.period - 1;
    this.window = new WindowBuffer(this.period);
    if (state) this.restore(state);
  }

  update(input: number): void {
    requireFiniteInput(NAME, input);
    this.window.push(input);
    const total = this.runningSum + input;
    if (this.window.isFull) {
      this.current = total / this.period;
      this.runningSum = total - this.window.newest(this.period - 1);
    } else {
      this.runningSum = total;
    }
  }

  value(): number | undefined {
    return this.current;
  }

  isReady(): boolean {
    return this.current !== undefined;
  }

  reset(): void {
    this.window.clear();
    this.runningSum = 0;
    this.current = undefined;
  }

  snapshot(): SimpleMovingAverageState {
    return {
      kind: "sma",
      period: this.period,
      window: this.window.snapshot(),
      runningSum: this.runningSum,
      current: this.current ?? null,
    };
  }

  restore(state: SimpleMovingAverageState): void {
    requireSnapshot(
      state.kind === "sma" && state.period === this.period,
      NAME,
      `expected an sma of period ${this.period}`,
    );
    requireSnapshot(isStoredNumber(state.runningSum) && isStoredNumber(state.current, true), NAME, "bad sums");
    const window = new WindowBuffer(this.period);
    window.restore(state.window, NAME);
    requireSnapshot(window.isFull === (state.current !== null), NAME, "current value does not match the window fill");
    this.window = window;
    this.runningSum = state.runningSum;
    this.current = state.current ?? undefined;
  }
}
