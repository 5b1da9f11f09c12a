/** Relative strength index (TA-Lib RSI): Wilder-smoothed average gain and loss, seeded with their simple means. */
import { isCount, isStoredNumber, requireFiniteInput, requirePeriod, requireSnapshot } from "./guards.js";
import type { Indicator } from "./indicator.js";
import { isTaLibZero } from "./talib-numerics.js";

const NAME = "RelativeStrengthIndex";

/** Parameters of a {@link RelativeStrengthIndex}. */
export interface RelativeStrengthIndexOptions {
  /** Changes averaged, an integer in [2, 100000]; default 14. */
  readonly period?: number;
}

/** Plain-JSON state of a {@link RelativeStrengthIndex}. */
export interface RelativeStrengthIndexState {
  readonly kind: "rsi";
  readonly period: number;
  /** Previous input, `null` before the first one. */
  readonly previous: number | null;
  /** Changes folded into the seed so far, up to `period`. */
  readonly seedCount: number;
  /** Sum of the gains while seeding, then Wilder's average gain. */
  readonly gain: number;
  /** Sum of the losses (positive) while seeding, then Wilder's average loss. */
  readonly loss: number;
}

/**
 * RSI of a price series, from 0 to 100. TA-Lib's classic definition: the first value (after `period` changes, so
 * warm-up `period` inputs) uses the simple means of the first `period` gains and losses; later ones use Wilder's
 * smoothing `avg = (avg * (period - 1) + change) / period`. RSI = 100 * gain / (gain + loss), and 0 when
 * `gain + loss` is within TA-Lib's zero band (|x| < 1e-8). O(1) per update and state.
 * @example
 * const rsi = new RelativeStrengthIndex({ period: 3 });
 * runBatch(rsi, [10, 11, 10.5, 12]); // [undefined, undefined, undefined, 83.33...]
 */
export class RelativeStrengthIndex implements Indicator<number, number, RelativeStrengthIndexState> {
  readonly period: number;
  readonly lookback: number;
  private previous: number | undefined;
  private seedCount = 0;
  private gain = 0;
  private loss = 0;

  constructor(options: RelativeStrengthIndexOptions = {}, state?: RelativeStrengthIndexState) {
    this.period = requirePeriod(NAME, "period", options.period ?? 14, 2);
    this.lookback = this.period;
    if (state) this.restore(state);
  }

  update(input: number): void {
    requireFiniteInput(NAME, input);
    const previous = this.previous;
    this.previous = input;
    if (previous === undefined) return;
    const change = input - previous;
    if (this.seedCount < this.period) {
      if (change < 0) this.loss -= change;
      else this.gain += change;
      this.seedCount += 1;
      if (this.seedCount === this.period) {
        this.loss /= this.period;
        this.gain /= this.period;
      }
      return;
    }
    this.loss *= this.period - 1;
    this.gain *= this.period - 1;
    if (change < 0) this.loss -= change;
    else this.gain += change;
    this.loss /= this.period;
    this.gain /= this.period;
  }

  value(): number | undefined {
    if (!this.isReady()) return undefined;
    const total = this.gain + this.loss;
    return isTaLibZero(total) ? 0 : 100 * (this.gain / total);
  }

  isReady(): boolean {
    return this.seedCount === this.period;
  }

  reset(): void {
    this.previous = undefined;
    this.seedCount = 0;
    this.gain = 0;
    this.loss = 0;
  }

  snapshot(): RelativeStrengthIndexState {
    return {
      kind: "rsi",
      period: this.period,
      previous: this.previous ?? null,
      seedCount: this.seedCount,
      gain: this.gain,
      loss: this.loss,
    };
  }

  restore(state: RelativeStrengthIndexState): void {
    requireSnapshot(
      state.kind === "rsi" && state.period === this.period,
      NAME,
      `expected an rsi of period ${this.period}`,
    );
    requireSnapshot(
      isStoredNumber(state.previous, true) &&
        isCount(state.seedCount, this.period) &&
        isStoredNumber(state.gain) &&
        isStoredNumber(state.loss),
      NAME,
      "bad counters or averages",
    );
    requireSnapshot(state.previous !== null || state.seedCount === 0, NAME, "changes counted without a previous input");
    this.previous = state.previous ?? undefined;
    this.seedCount = state.seedCount;
    this.gain = state.gain;
    this.loss = state.loss;
  }
}
