/** Commodity channel index (TA-Lib CCI): typical price against its SMA, in units of 0.015 mean deviations. */
import { isStoredNumber, requireFiniteBar, requirePeriod, requireSnapshot } from "./guards.js";
import type { HlcBar, Indicator } from "./indicator.js";
import { WindowBuffer, type WindowBufferState } from "./window-buffer.js";

const NAME = "CommodityChannelIndex";

/** Lambert's constant: scales the CCI so that roughly 70–80 % of values fall within ±100. */
export const CCI_SCALE = 0.015;

/** Parameters of a {@link CommodityChannelIndex}. */
export interface CommodityChannelIndexOptions {
  /** Bars in the window, an integer in [2, 100000]; default 20. */
  readonly period?: number;
}

/** Plain-JSON state of a {@link CommodityChannelIndex}. */
export interface CommodityChannelIndexState {
  readonly kind: "cci";
  readonly period: number;
  /** Typical prices `(high + low + close) / 3` of the latest bars, in TA-Lib's circular-buffer layout. */
  readonly window: WindowBufferState;
  /** Latest CCI, `null` during warm-up. */
  readonly current: number | null;
}

/**
 * CCI of a bar series (dimensionless, typically ±100 to ±300). With `tp = (high + low + close) / 3`, the mean `m`
 * and the mean absolute deviation `md` of the latest `period` typical prices, CCI = `(tp - m) / (0.015 * md)`, and 0
 * when `tp - m` or `md` is exactly 0 (TA-Lib 0.4.0's rule). The mean deviation needs the whole window, so each
 * update is O(period); the sums run in TA-Lib's buffer order so the rounding matches. Warm-up `period - 1`.
 * @example
 * const cci = new CommodityChannelIndex({ period: 20 });
 * bars.forEach((bar) => cci.update(bar));
 * cci.value(); // e.g. 137.6
 */
export class CommodityChannelIndex implements Indicator<HlcBar, number, CommodityChannelIndexState> {
  readonly period: number;
  readonly lookback: number;
  private window: WindowBuffer;
  private current: number | undefined;

  constructor(options: CommodityChannelIndexOptions = {}, state?: CommodityChannelIndexState) {
    this.period = requirePeriod(NAME, "period", options.period ?? 20, 2);
    this.lookback = this.period - 1;
    this.window = new WindowBuffer(this.period);
    if (state) this.restore(state);
  }

  update(input: HlcBar): void {
    requireFiniteBar(NAME, input);
    const typicalPrice = (input.high + input.low + input.close) / 3;
    this.window.push(typicalPrice);
    if (!this.window.isFull) return;
    let sum = 0;
    for (let slot = 0; slot < this.period; slot += 1) sum += this.window.slot(slot);
    const mean = sum / this.period;
    let deviationSum = 0;
    for (let slot = 0; slot < this.period; slot += 1) deviationSum += Math.abs(this.window.slot(slot) - mean);
    const distance = typicalPrice - mean;
    this.current = distance !== 0 && deviationSum !== 0 ? distance / (CCI_SCALE * (deviationSum / this.period)) : 0;
  }

  value(): number | undefined {
    return this.current;
  }

  isReady(): boolean {
    return this.current !== undefined;
  }

  reset(): void {
    this.window.clear();
    this.current = undefined;
  }

  snapshot(): CommodityChannelIndexState {
    return { kind: "cci", period: this.period, window: this.window.snapshot(), current: this.current ?? null };
  }

  restore(state: CommodityChannelIndexState): void {
    requireSnapshot(
      state.kind === "cci" && state.period === this.period,
      NAME,
      `expected a cci of period ${this.period}`,
    );
    requireSnapshot(isStoredNumber(state.current, true), NAME, "bad value");
    const window = new WindowBuffer(this.period);
    window.restore(state.window, NAME);
    requireSnapshot(window.isFull === (state.current !== null), NAME, "value does not match the window fill");
    this.window = window;
    this.current = state.current ?? undefined;
  }
}
