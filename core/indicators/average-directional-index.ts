/** Average directional index with +DI and −DI (TA-Lib ADX, PLUS_DI, MINUS_DI): Wilder's directional movement. */
import { isCount, isStoredNumber, requireFiniteBar, requirePeriod, requireSnapshot } from "./guards.js";
import type { HlcBar, Indicator } from "./indicator.js";
import { isTaLibZero } from "./talib-numerics.js";
import { trueRange } from "./true-range.js";

const NAME = "AverageDirectionalIndex";

/** Parameters of an {@link AverageDirectionalIndex}. */
export interface AverageDirectionalIndexOptions {
  /** Wilder smoothing period, an integer in [2, 100000]; default 14. */
  readonly period?: number;
}

/** One reading, each from 0 to 100. */
export interface AverageDirectionalIndexValue {
  /** Wilder-smoothed DX: trend strength whatever its direction. */
  readonly adx: number;
  /** +DI: smoothed up-move as a percentage of the smoothed true range (TA-Lib PLUS_DI on the same bar). */
  readonly plusDi: number;
  /** −DI: smoothed down-move as a percentage of the smoothed true range (TA-Lib MINUS_DI on the same bar). */
  readonly minusDi: number;
}

/** Plain-JSON state of an {@link AverageDirectionalIndex}. */
export interface AverageDirectionalIndexState {
  readonly kind: "adx";
  readonly period: number;
  /** Bars seen, counted up to `2 * period` (the bar after the first ADX). */
  readonly barsSeen: number;
  /** High, low and close of the previous bar, `null` before the first bar. */
  readonly previousHigh: number | null;
  readonly previousLow: number | null;
  readonly previousClose: number | null;
  /** Sum of +DM1 over bars `1 .. period-1`, then its Wilder running sum. */
  readonly plusMovement: number;
  /** Sum of −DM1 over bars `1 .. period-1`, then its Wilder running sum. */
  readonly minusMovement: number;
  /** Sum of TR1 over bars `1 .. period-1`, then its Wilder running sum. */
  readonly rangeSum: number;
  /** Sum of the DX of bars `period .. 2*period-1`, the seed of the first ADX. */
  readonly dxSum: number;
  /** Latest ADX, `null` during warm-up. */
  readonly adx: number | null;
}

/**
 * ADX of a bar series, exactly as TA-Lib 0.4.0 computes it (no rounding). On each bar from bar 1, +DM1 = up-move
 * and −DM1 = down-move where only the larger one counts (ties count for neither), and TR1 is the true range.
 * Bars `1 .. period-1` are summed; from bar `period` on, each sum is Wilder-smoothed as
 * `sum - sum / period + today`, giving ±DI = 100 * DM / TR and DX = 100 * |+DI − −DI| / (+DI + −DI). The first ADX
 * is the mean of the `period` DX of bars `period .. 2*period-1` (a DX that cannot be computed because TR or the DI sum
 * is within TA-Lib's 1e-8 zero band counts as 0); later ones are `(adx * (period - 1) + dx) / period`, and the ADX
 * holds when DX cannot be computed. Warm-up `2 * period - 1` bars (27 for 14); the DI shown are those of the same
 * bar (0 when TR is within the zero band). O(1) per update and state.
 * @example
 * const adx = new AverageDirectionalIndex({ period: 14 });
 * bars.forEach((bar) => adx.update(bar));
 * adx.value(); // { adx: 30.2, plusDi: 28.1, minusDi: 14.9 }
 */
export class AverageDirectionalIndex
  implements Indicator<HlcBar, AverageDirectionalIndexValue, AverageDirectionalIndexState>
{
  readonly period: number;
  readonly lookback: number;
  private barsSeen = 0;
  private previousHigh = 0;
  private previousLow = 0;
  private previousClose = 0;
  private plusMovement = 0;
  private minusMovement = 0;
  private rangeSum = 0;
  private dxSum = 0;
  private adx: number | undefined;

  constructor(options: AverageDirectionalIndexOptions = {}, state?: AverageDirectionalIndexState) {
    this.period = requirePeriod(NAME, "period", options.period ?? 14, 2);
    this.lookback = 2 * this.period - 1;
    if (state) this.restore(state);
  }

  update(input: HlcBar): void {
    requireFiniteBar(NAME, input);
    if (this.barsSeen === 0) {
      this.rememberBar(input);
      this.barsSeen = 1;
      return;
    }
    const upMove = input.high - this.previousHigh;
    const downMove = this.previousLow - input.low;
    const range = trueRange(input.high, input.low, this.previousClose);
    this.rememberBar(input);
    if (this.barsSeen < this.period) {
      this.addMovement(upMove, downMove);
      this.rangeSum += range;
      this.barsSeen += 1;
      return;
    }
    this.minusMovement -= this.minusMovement / this.period;
    this.plusMovement -= this.plusMovement / this.period;
    this.addMovement(upMove, downMove);
    this.rangeSum = this.rangeSum - this.rangeSum / this.period + range;
    const dx = this.directionalIndex();
    if (this.adx !== undefined) {
      if (dx !== undefined) this.adx = (this.adx * (this.period - 1) + dx) / this.period;
      return;
    }
    if (dx !== undefined) this.dxSum += dx;
    this.barsSeen += 1;
    if (this.barsSeen === 2 * this.period) this.adx = this.dxSum / this.period;
  }

  value(): AverageDirectionalIndexValue | undefined {
    if (this.adx === undefined) return undefined;
    if (isTaLibZero(this.rangeSum)) return { adx: this.adx, plusDi: 0, minusDi: 0 };
    return {
      adx: this.adx,
      plusDi: 100 * (this.plusMovement / this.rangeSum),
      minusDi: 100 * (this.minusMovement / this.rangeSum),
    };
  }

  isReady(): boolean {
    return this.adx !== undefined;
  }

  reset(): void {
    this.barsSeen = 0;
    this.previousHigh = 0;
    this.previousLow = 0;
    this.previousClose = 0;
    this.plusMovement = 0;
    this.minusMovement = 0;
    this.rangeSum = 0;
    this.dxSum = 0;
    this.adx = undefined;
  }

  snapshot(): AverageDirectionalIndexState {
    const started = this.barsSeen > 0;
    return {
      kind: "adx",
      period: this.period,
      barsSeen: this.barsSeen,
      previousHigh: started ? this.previousHigh : null,
      previousLow: started ? this.previousLow : null,
      previousClose: started ? this.previousClose : null,
      plusMovement: this.plusMovement,
      minusMovement: this.minusMovement,
      rangeSum: this.rangeSum,
      dxSum: this.dxSum,
      adx: this.adx ?? null,
    };
  }

  restore(state: AverageDirectionalIndexState): void {
    requireSnapshot(
      state.kind === "adx" && state.period === this.period,
      NAME,
      `expected an adx of period ${this.period}`,
    );
    requireSnapshot(
      isCount(state.barsSeen, 2 * this.period) &&
        isStoredNumber(state.plusMovement) &&
        isStoredNumber(state.minusMovement) &&
        isStoredNumber(state.rangeSum) &&
        isStoredNumber(state.dxSum) &&
        isStoredNumber(state.adx, true),
      NAME,
      "bad counter, sums or value",
    );
    const started = state.barsSeen > 0;
    requireSnapshot(
      [state.previousHigh, state.previousLow, state.previousClose].every((price) =>
        started ? isStoredNumber(price) : price === null,
      ),
      NAME,
      "previous bar does not match the bar count",
    );
    const adxDue = state.barsSeen === 2 * this.period;
    requireSnapshot(adxDue === (state.adx !== null), NAME, "ADX does not match the bar count");
    this.barsSeen = state.barsSeen;
    this.previousHigh = state.previousHigh ?? 0;
    this.previousLow = state.previousLow ?? 0;
    this.previousClose = state.previousClose ?? 0;
    this.plusMovement = state.plusMovement;
    this.minusMovement = state.minusMovement;
    this.rangeSum = state.rangeSum;
    this.dxSum = state.dxSum;
    this.adx = state.adx ?? undefined;
  }

  private rememberBar(bar: HlcBar): void {
    this.previousHigh = bar.high;
    this.previousLow = bar.low;
    this.previousClose = bar.close;
  }

  /** Adds today's one-bar movement: only the larger of the two moves counts, and only when positive. */
  private addMovement(upMove: number, downMove: number): void {
    if (downMove > 0 && upMove < downMove) this.minusMovement += downMove;
    else if (upMove > 0 && upMove > downMove) this.plusMovement += upMove;
  }

  /** Today's DX, or `undefined` when TA-Lib skips it (smoothed TR or DI sum within the 1e-8 zero band). */
  private directionalIndex(): number | undefined {
    if (isTaLibZero(this.rangeSum)) return undefined;
    const minusDi = 100 * (this.minusMovement / this.rangeSum);
    const plusDi = 100 * (this.plusMovement / this.rangeSum);
    const diSum = minusDi + plusDi;
    if (isTaLibZero(diSum)) return undefined;
    return 100 * (Math.abs(minusDi - plusDi) / diSum);
  }
}
