/** Bollinger Bands (TA-Lib BBANDS with an SMA): middle SMA ± a multiple of the population standard deviation. */
import { isStoredNumber, requireFiniteInput, requirePeriod, requireSnapshot } from "./guards.js";
import type { Indicator } from "./indicator.js";
import { isTaLibZeroOrNegative } from "./talib-numerics.js";
import { WindowBuffer, type WindowBufferState } from "./window-buffer.js";

const NAME = "BollingerBands";

/** Parameters of {@link BollingerBands}. */
export interface BollingerBandsOptions {
  /** Values in the window, an integer in [2, 100000]; default 20. */
  readonly period?: number;
  /** Standard deviations from the middle to each band, a finite number ≥ 0; default 2. */
  readonly deviations?: number;
}

/** One reading of the bands, in price units. */
export interface BollingerBandsValue {
  readonly upper: number;
  readonly middle: number;
  readonly lower: number;
}

/** Plain-JSON state of {@link BollingerBands}. */
export interface BollingerBandsState {
  readonly kind: "bbands";
  readonly period: number;
  readonly deviations: number;
  readonly window: WindowBufferState;
  /** Sum of the newest `min(count, period - 1)` values (TA-Lib's running total between outputs). */
  readonly runningSum: number;
  /** Sum of the squares of the same values. */
  readonly runningSquares: number;
  /** Latest mean, `null` during warm-up. */
  readonly middle: number | null;
  /** Latest population standard deviation, `null` during warm-up. */
  readonly deviation: number | null;
}

/**
 * Bollinger Bands of a price series. Middle: the SMA of the latest `period` values. Width: `deviations` times the
 * population standard deviation (divide by `period`), computed as TA-Lib does, as `sqrt(mean(x²) - mean(x)²)`
 * from rolling sums, and 0 when that variance is below TA-Lib's 1e-8 floor. TA-Lib's formula cancels
 * catastrophically on prices in the thousands, so its rounding (and ours, which is the same) can leave a standard
 * deviation of about 1e-4 on a window of equal prices. Warm-up `period - 1`. O(1) per update, O(period) state.
 * @example
 * const bands = new BollingerBands({ period: 3, deviations: 2 });
 * runBatch(bands, [1, 2, 3]).at(-1); // { upper: 3.633, middle: 2, lower: 0.367 }
 */
export class BollingerBands implements Indicator<number, BollingerBandsValue, BollingerBandsState> {
  readonly period: number;
  readonly deviations: number;
  readonly lookback: number;
  private window: WindowBuffer;
  private runningSum = 0;
  private runningSquares = 0;
  private middle: number | undefined;
  private deviation: number | undefined;

  constructor(options: BollingerBandsOptions = {}, state?: BollingerBandsState) {
    this.period = requirePeriod(NAME, "period", options.period ?? 20, 2);
    const deviations = options.deviations ?? 2;
    if (!Number.isFinite(deviations) || deviations < 0) {
      throw new RangeError(`${NAME}: deviations must be a finite number >= 0, got ${deviations}`);
    }
    this.deviations = deviations;
    this.lookback = this.period - 1;
    this.window = new WindowBuffer(this.period);
    if (state) this.restore(state);
  }

  update(input: number): void {
    requireFiniteInput(NAME, input);
    this.window.push(input);
    const total = this.runningSum + input;
    const totalSquares = this.runningSquares + input * input;
    if (!this.window.isFull) {
      this.runningSum = total;
      this.runningSquares = totalSquares;
      return;
    }
    const oldest = this.window.newest(this.period - 1);
    const mean = total / this.period;
    const meanOfSquares = totalSquares / this.period;
    this.runningSum = total - oldest;
    this.runningSquares = totalSquares - oldest * oldest;
    const variance = meanOfSquares - mean * mean;
    this.middle = mean;
    this.deviation = isTaLibZeroOrNegative(variance) ? 0 : Math.sqrt(variance);
  }

  value(): BollingerBandsValue | undefined {
    if (this.middle === undefined || this.deviation === undefined) return undefined;
    const halfWidth = this.deviation * this.deviations;
    return { upper: this.middle + halfWidth, middle: this.middle, lower: this.middle - halfWidth };
  }

  isReady(): boolean {
    return this.middle !== undefined;
  }

  reset(): void {
    this.window.clear();
    this.runningSum = 0;
    this.runningSquares = 0;
    this.middle = undefined;
    this.deviation = undefined;
  }

  snapshot(): BollingerBandsState {
    return {
      kind: "bbands",
      period: this.period,
      deviations: this.deviations,
      window: this.window.snapshot(),
      runningSum: this.runningSum,
      runningSquares: this.runningSquares,
      middle: this.middle ?? null,
      deviation: this.deviation ?? null,
    };
  }

  restore(state: BollingerBandsState): void {
    requireSnapshot(
      state.kind === "bbands" && state.period === this.period && state.deviations === this.deviations,
      NAME,
      `expected bbands of period ${this.period} and ${this.deviations} deviations`,
    );
    requireSnapshot(
      isStoredNumber(state.runningSum) &&
        isStoredNumber(state.runningSquares) &&
        isStoredNumber(state.middle, true) &&
        isStoredNumber(state.deviation, true),
      NAME,
      "bad sums or values",
    );
    const window = new WindowBuffer(this.period);
    window.restore(state.window, NAME);
    requireSnapshot(
      window.isFull === (state.middle !== null) && (state.middle === null) === (state.deviation === null),
      NAME,
      "values do not match the window fill",
    );
    this.window = window;
    this.runningSum = state.runningSum;
    this.runningSquares = state.runningSquares;
    this.middle = state.middle ?? undefined;
    this.deviation = state.deviation ?? undefined;
  }
}
