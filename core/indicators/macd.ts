/** MACD (TA-Lib MACD): fast EMA minus slow EMA, both starting on the same bar, an EMA signal line and the histogram. */
import { isCount, isStoredNumber, requireFiniteInput, requirePeriod, requireSnapshot } from "./guards.js";
import type { Indicator } from "./indicator.js";
import { ExponentialMovingAverage, type ExponentialMovingAverageState } from "./exponential-moving-average.js";

const NAME = "Macd";

/** Parameters of a {@link Macd}; all in bars. */
export interface MacdOptions {
  /** Fast EMA period, an integer in [2, 100000] and at most `slowPeriod`; default 12. */
  readonly fastPeriod?: number;
  /** Slow EMA period, an integer in [2, 100000]; default 26. */
  readonly slowPeriod?: number;
  /** Signal EMA period, an integer in [1, 100000]; default 9. */
  readonly signalPeriod?: number;
}

/** One MACD reading, in price units. */
export interface MacdValue {
  /** Fast EMA minus slow EMA. */
  readonly macd: number;
  /** EMA of `macd` over the signal period. */
  readonly signal: number;
  /** `macd - signal`. */
  readonly hist: number;
}

/** Plain-JSON state of a {@link Macd}. */
export interface MacdState {
  readonly kind: "macd";
  readonly fastPeriod: number;
  readonly slowPeriod: number;
  readonly signalPeriod: number;
  /** Inputs seen, counted up to `slowPeriod - fastPeriod` (the bar the fast EMA starts on). */
  readonly barsSeen: number;
  readonly fast: ExponentialMovingAverageState;
  readonly slow: ExponentialMovingAverageState;
  readonly signal: ExponentialMovingAverageState;
  /** Latest MACD line value, `null` until both EMAs are seeded. */
  readonly macd: number | null;
}

/**
 * MACD of a price series, defined as TA-Lib defines it. TA-Lib aligns the two EMAs: the slow EMA is seeded with
 * the SMA of inputs `0 .. slow-1` and the fast EMA with the SMA of the `fast` inputs that end on the same bar
 * (inputs `slow-fast .. slow-1`), not of the first `fast` inputs; so the fast EMA only starts reading at input
 * `slow - fast`. The signal is an EMA (seeded with the SMA of the first `signal` MACD values) and
 * `hist = macd - signal`. Warm-up: `(slow - 1) + (signal - 1)` inputs, 33 for 12/26/9. O(1) per update and state.
 * @example
 * const macd = new Macd(); // 12/26/9
 * closes.forEach((close) => macd.update(close));
 * macd.value(); // { macd, signal, hist } once 34 closes are in
 */
export class Macd implements Indicator<number, MacdValue, MacdState> {
  readonly fastPeriod: number;
  readonly slowPeriod: number;
  readonly signalPeriod: number;
  readonly lookback: number;
  private barsSeen = 0;
  private fast: ExponentialMovingAverage;
  private slow: ExponentialMovingAverage;
  private signal: ExponentialMovingAverage;
  private macd: number | undefined;

  constructor(options: MacdOptions = {}, state?: MacdState) {
    this.fastPeriod = requirePeriod(NAME, "fastPeriod", options.fastPeriod ?? 12, 2);
    this.slowPeriod = requirePeriod(NAME, "slowPeriod", options.slowPeriod ?? 26, 2);
    this.signalPeriod = requirePeriod(NAME, "signalPeriod", options.signalPeriod ?? 9, 1);
    if (this.fastPeriod > this.slowPeriod) {
      throw new RangeError(`${NAME}: fastPeriod ${this.fastPeriod} must not exceed slowPeriod ${this.slowPeriod}`);
    }
    this.lookback = this.slowPeriod - 1 + (this.signalPeriod - 1);
    this.fast = new ExponentialMovingAverage({ period: this.fastPeriod });
    this.slow = new ExponentialMovingAverage({ period: this.slowPeriod });
    this.signal = new ExponentialMovingAverage({ period: this.signalPeriod });
    if (state) this.restore(state);
  }

  update(input: number): void {
    requireFiniteInput(NAME, input);
    if (this.barsSeen < this.fastStart) this.barsSeen += 1;
    else this.fast.update(input);
    this.slow.update(input);
    const fast = this.fast.value();
    const slow = this.slow.value();
    if (fast === undefined || slow === undefined) return;
    this.macd = fast - slow;
    this.signal.update(this.macd);
  }

  value(): MacdValue | undefined {
    const signal = this.signal.value();
    if (signal === undefined || this.macd === undefined) return undefined;
    return { macd: this.macd, signal, hist: this.macd - signal };
  }

  isReady(): boolean {
    return this.signal.isReady();
  }

  reset(): void {
    this.barsSeen = 0;
    this.fast.reset();
    this.slow.reset();
    this.signal.reset();
    this.macd = undefined;
  }

  snapshot(): MacdState {
    return {
      kind: "macd",
      fastPeriod: this.fastPeriod,
      slowPeriod: this.slowPeriod,
      signalPeriod: this.signalPeriod,
      barsSeen: this.barsSeen,
      fast: this.fast.snapshot(),
      slow: this.slow.snapshot(),
      signal: this.signal.snapshot(),
      macd: this.macd ?? null,
    };
  }

  restore(state: MacdState): void {
    requireSnapshot(
      state.kind === "macd" &&
        state.fastPeriod === this.fastPeriod &&
        state.slowPeriod === this.slowPeriod &&
        state.signalPeriod === this.signalPeriod,
      NAME,
      `expected a macd ${this.fastPeriod}/${this.slowPeriod}/${this.signalPeriod}`,
    );
    requireSnapshot(
      isCount(state.barsSeen, this.fastStart) && isStoredNumber(state.macd, true),
      NAME,
      "bad bar count or MACD value",
    );
    const fast = new ExponentialMovingAverage({ period: this.fastPeriod }, state.fast);
    const slow = new ExponentialMovingAverage({ period: this.slowPeriod }, state.slow);
    const signal = new ExponentialMovingAverage({ period: this.signalPeriod }, state.signal);
    requireSnapshot(fast.isReady() === slow.isReady(), NAME, "fast and slow EMAs must start on the same bar");
    requireSnapshot(slow.isReady() === (state.macd !== null), NAME, "MACD value does not match the EMAs");
    this.barsSeen = state.barsSeen;
    this.fast = fast;
    this.slow = slow;
    this.signal = signal;
    this.macd = state.macd ?? undefined;
  }

  /** Input index the fast EMA starts reading at, so that it is seeded on the same bar as the slow one. */
  private get fastStart(): number {
    return this.slowPeriod - this.fastPeriod;
  }
}
