/** Normalized average true range (TA-Lib NATR): the ATR as a percentage of the bar's close. */
import { requirePeriod, requireSnapshot } from "./guards.js";
import type { HlcBar, Indicator } from "./indicator.js";
import { AverageTrueRange, type AverageTrueRangeState } from "./average-true-range.js";
import { isTaLibZero } from "./talib-numerics.js";

const NAME = "NormalizedAverageTrueRange";

/** Parameters of a {@link NormalizedAverageTrueRange}. */
export interface NormalizedAverageTrueRangeOptions {
  /**
   * True ranges averaged, an integer in [2, 100000]; default 14. Period 1 is refused because TA-Lib returns the
   * raw, unnormalised true range there.
   */
  readonly period?: number;
}

/** Plain-JSON state of a {@link NormalizedAverageTrueRange}. */
export interface NormalizedAverageTrueRangeState {
  readonly kind: "natr";
  readonly period: number;
  readonly atr: AverageTrueRangeState;
}

/**
 * NATR of a bar series, in percent of the close: `(atr / close) * 100`, with the ATR of {@link AverageTrueRange}
 * (warm-up `period` bars). A close within TA-Lib's zero band (|close| < 1e-8) gives 0. O(1) per update and state.
 * @example
 * const natr = new NormalizedAverageTrueRange({ period: 14 });
 * bars.forEach((bar) => natr.update(bar));
 * natr.value(); // e.g. 0.153 (% of the close)
 */
export class NormalizedAverageTrueRange implements Indicator<HlcBar, number, NormalizedAverageTrueRangeState> {
  readonly period: number;
  readonly lookback: number;
  private atr: AverageTrueRange;

  constructor(options: NormalizedAverageTrueRangeOptions = {}, state?: NormalizedAverageTrueRangeState) {
    this.period = requirePeriod(NAME, "period", options.period ?? 14, 2);
    this.atr = new AverageTrueRange({ period: this.period });
    this.lookback = this.atr.lookback;
    if (state) this.restore(state);
  }

  update(input: HlcBar): void {
    this.atr.update(input);
  }

  value(): number | undefined {
    const atr = this.atr.value();
    const close = this.atr.lastClose();
    if (atr === undefined || close === undefined) return undefined;
    return isTaLibZero(close) ? 0 : (atr / close) * 100;
  }

  isReady(): boolean {
    return this.atr.isReady();
  }

  reset(): void {
    this.atr.reset();
  }

  snapshot(): NormalizedAverageTrueRangeState {
    return { kind: "natr", period: this.period, atr: this.atr.snapshot() };
  }

  restore(state: NormalizedAverageTrueRangeState): void {
    requireSnapshot(
      state.kind === "natr" && state.period === this.period,
      NAME,
      `expected a natr of period ${this.period}`,
    );
    this.atr = new AverageTrueRange({ period: this.period }, state.atr);
  }
}
