/** Williams %R (TA-Lib WILLR): where the close sits in the recent high/low range, from 0 (top) to −100 (bottom). */
import { isStoredNumber, requireFiniteBar, requirePeriod, requireSnapshot } from "./guards.js";
import type { HlcBar, Indicator } from "./indicator.js";
import { WindowBuffer, type WindowBufferState } from "./window-buffer.js";

const NAME = "WilliamsPercentR";

/** Parameters of a {@link WilliamsPercentR}. */
export interface WilliamsPercentROptions {
  /** Bars in the high/low range, an integer in [2, 100000]; default 14. */
  readonly period?: number;
}

/** Plain-JSON state of a {@link WilliamsPercentR}. */
export interface WilliamsPercentRState {
  readonly kind: "willr";
  readonly period: number;
  readonly highs: WindowBufferState;
  readonly lows: WindowBufferState;
  /**
   * Close of the latest bar, `null` before the first bar. The snapshot keeps the close rather than the %R because
   * JSON drops the sign of −0, which TA-Lib returns when the close is the high.
   */
  readonly lastClose: number | null;
}

/**
 * Williams %R of a bar series, in percent from 0 to −100:
 * `(highest high - close) / ((highest high - lowest low) / -100)` over the latest `period` bars, and 0 when the
 * range is 0 (TA-Lib's rule; a close at the high gives −0, as in TA-Lib). Warm-up `period - 1`. The high and low
 * are found with a loop over the window: O(period) per update, O(period) state.
 * @example
 * const willr = new WilliamsPercentR({ period: 14 });
 * bars.forEach((bar) => willr.update(bar));
 * willr.value(); // e.g. -43.5
 */
export class WilliamsPercentR implements Indicator<HlcBar, number, WilliamsPercentRState> {
  readonly period: number;
  readonly lookback: number;
  private highs: WindowBuffer;
  private lows: WindowBuffer;
  private lastClose: number | undefined;
  private current: number | undefined;

  constructor(options: WilliamsPercentROptions = {}, state?: WilliamsPercentRState) {
    this.period = requirePeriod(NAME, "period", options.period ?? 14, 2);
    this.lookback = this.period - 1;
    this.highs = new WindowBuffer(this.period);
    this.lows = new WindowBuffer(this.period);
    if (state) this.restore(state);
  }

  update(input: HlcBar): void {
    requireFiniteBar(NAME, input);
    this.highs.push(input.high);
    this.lows.push(input.low);
    this.lastClose = input.close;
    this.current = this.percentR();
  }

  value(): number | undefined {
    return this.current;
  }

  isReady(): boolean {
    return this.current !== undefined;
  }

  reset(): void {
    this.highs.clear();
    this.lows.clear();
    this.lastClose = undefined;
    this.current = undefined;
  }

  snapshot(): WilliamsPercentRState {
    return {
      kind: "willr",
      period: this.period,
      highs: this.highs.snapshot(),
      lows: this.lows.snapshot(),
      lastClose: this.lastClose ?? null,
    };
  }

  restore(state: WilliamsPercentRState): void {
    requireSnapshot(
      state.kind === "willr" && state.period === this.period,
      NAME,
      `expected a willr of period ${this.period}`,
    );
    requireSnapshot(isStoredNumber(state.lastClose, true), NAME, "bad last close");
    const highs = new WindowBuffer(this.period);
    highs.restore(state.highs, NAME);
    const lows = new WindowBuffer(this.period);
    lows.restore(state.lows, NAME);
    requireSnapshot(
      highs.size === lows.size && (highs.size === 0) === (state.lastClose === null),
      NAME,
      "last close does not match the windows",
    );
    this.highs = highs;
    this.lows = lows;
    this.lastClose = state.lastClose ?? undefined;
    this.current = this.percentR();
  }

  /** %R of the latest bar, or `undefined` while the window is not full. */
  private percentR(): number | undefined {
    if (!this.highs.isFull || this.lastClose === undefined) return undefined;
    const highest = this.highs.highest();
    const range = (highest - this.lows.lowest()) / -100;
    return range !== 0 ? (highest - this.lastClose) / range : 0;
  }
}
