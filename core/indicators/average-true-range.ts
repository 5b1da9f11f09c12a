/** Average true range (TA-Lib ATR): Wilder's smoothing of the true range, seeded with the SMA of the first ones. */
import { isCount, isStoredNumber, requireFiniteBar, requirePeriod, requireSnapshot } from "./guards.js";
import type { HlcBar, Indicator } from "./indicator.js";
import { trueRange } from "./true-range.js";

const NAME = "AverageTrueRange";

/** Parameters of an {@link AverageTrueRange}. */
export interface AverageTrueRangeOptions {
  /** True ranges averaged, an integer in [1, 100000]; default 14. */
  readonly period?: number;
}

/** Plain-JSON state of an {@link AverageTrueRange}. */
export interface AverageTrueRangeState {
  readonly kind: "atr";
  readonly period: number;
  /** Close of the previous bar, `null` before the first bar. */
  readonly previousClose: number | null;
  /** True ranges summed into the seed so far, up to `period`. */
  readonly seedCount: number;
  /** Sum of the first `seedCount` true ranges. */
  readonly seedSum: number;
  /** Latest ATR, `null` during warm-up. */
  readonly current: number | null;
}

/**
 * Average true range of a bar series, in price units. The first true range needs a previous close, so it is on
 * bar 1; TA-Lib seeds the ATR with the simple mean of the true ranges of bars `1 .. period` (warm-up `period`
 * bars), then smooths `atr = (atr * (period - 1) + tr) / period`. O(1) per update and state.
 * @example
 * const atr = new AverageTrueRange({ period: 14 });
 * bars.forEach((bar) => atr.update(bar));
 * atr.value(); // e.g. 6.72 (dollars per ounce on XAUUSD M1)
 */
export class AverageTrueRange implements Indicator<HlcBar, number, AverageTrueRangeState> {
  readonly period: number;
  readonly lookback: number;
  private previousClose: number | undefined;
  private seedCount = 0;
  private seedSum = 0;
  private current: number | undefined;

  constructor(options: AverageTrueRangeOptions = {}, state?: AverageTrueRangeState) {
    this.period = requirePeriod(NAME, "period", options.period ?? 14, 1);
    this.lookback = this.period;
    if (state) this.restore(state);
  }

  update(input: HlcBar): void {
    requireFiniteBar(NAME, input);
    const previousClose = this.previousClose;
    this.previousClose = input.close;
    if (previousClose === undefined) return;
    const range = trueRange(input.high, input.low, previousClose);
    if (this.current !== undefined) {
      this.current = (this.current * (this.period - 1) + range) / this.period;
      return;
    }
    this.seedSum += range;
    this.seedCount += 1;
    if (this.seedCount === this.period) this.current = this.seedSum / this.period;
  }

  value(): number | undefined {
    return this.current;
  }

  /** Close of the latest bar (price units), `undefined` before the first bar. */
  lastClose(): number | undefined {
    return this.previousClose;
  }

  isReady(): boolean {
    return this.current !== undefined;
  }

  reset(): void {
    this.previousClose = undefined;
    this.seedCount = 0;
    this.seedSum = 0;
    this.current = undefined;
  }

  snapshot(): AverageTrueRangeState {
    return {
      kind: "atr",
      period: this.period,
      previousClose: this.previousClose ?? null,
      seedCount: this.seedCount,
      seedSum: this.seedSum,
      current: this.current ?? null,
    };
  }

  restore(state: AverageTrueRangeState): void {
    requireSnapshot(
      state.kind === "atr" && state.period === this.period,
      NAME,
      `expected an atr of period ${this.period}`,
    );
    requireSnapshot(
      isStoredNumber(state.previousClose, true) &&
        isCount(state.seedCount, this.period) &&
        isStoredNumber(state.seedSum) &&
        isStoredNumber(state.current, true),
      NAME,
      "bad close, seed or value",
    );
    requireSnapshot((state.seedCount === this.period) === (state.current !== null), NAME, "seed and value disagree");
    requireSnapshot(
      state.previousClose !== null || state.seedCount === 0,
      NAME,
      "true ranges counted without a previous close",
    );
    this.previousClose = state.previousClose ?? undefined;
    this.seedCount = state.seedCount;
    this.seedSum = state.seedSum;
    this.current = state.current ?? undefined;
  }
}
