/** Slow stochastic oscillator (TA-Lib STOCH with SMA smoothing): %K over a high/low range, smoothed twice. */
import { requireFiniteBar, requirePeriod, requireSnapshot } from "./guards.js";
import type { HlcBar, Indicator } from "./indicator.js";
import { SimpleMovingAverage, type SimpleMovingAverageState } from "./simple-moving-average.js";
import { WindowBuffer, type WindowBufferState } from "./window-buffer.js";

const NAME = "Stochastic";

/** Parameters of a {@link Stochastic}; all in bars. */
export interface StochasticOptions {
  /** Bars in the high/low range of the fast %K, an integer in [1, 100000]; default 14. */
  readonly fastKPeriod?: number;
  /** SMA period turning the fast %K into the slow %K, an integer in [1, 100000]; default 3. */
  readonly slowKPeriod?: number;
  /** SMA period turning the slow %K into the slow %D, an integer in [1, 100000]; default 3. */
  readonly slowDPeriod?: number;
}

/** One reading, in percent (0 to 100). */
export interface StochasticValue {
  /** Slow %K: the SMA of the fast %K. */
  readonly k: number;
  /** Slow %D: the SMA of the slow %K. */
  readonly d: number;
}

/** Plain-JSON state of a {@link Stochastic}. */
export interface StochasticState {
  readonly kind: "stoch";
  readonly fastKPeriod: number;
  readonly slowKPeriod: number;
  readonly slowDPeriod: number;
  readonly highs: WindowBufferState;
  readonly lows: WindowBufferState;
  readonly slowK: SimpleMovingAverageState;
  readonly slowD: SimpleMovingAverageState;
}

/**
 * Slow stochastic of a bar series. Fast %K = `(close - lowest low) / ((highest high - lowest low) / 100)` over the
 * latest `fastKPeriod` bars, 0 when the range is 0 (TA-Lib's rule); slow %K = SMA of the fast %K, slow %D = SMA of
 * the slow %K. Warm-up: `(fastK - 1) + (slowK - 1) + (slowD - 1)` bars, 17 for 14/3/3. The high and low are found
 * with a loop over the window: O(fastKPeriod) per update, O(fastKPeriod) state.
 * @example
 * const stoch = new Stochastic(); // 14/3/3
 * bars.forEach((bar) => stoch.update(bar));
 * stoch.value(); // { k: 57.2, d: 46.2 }
 */
export class Stochastic implements Indicator<HlcBar, StochasticValue, StochasticState> {
  readonly fastKPeriod: number;
  readonly slowKPeriod: number;
  readonly slowDPeriod: number;
  readonly lookback: number;
  private highs: WindowBuffer;
  private lows: WindowBuffer;
  private slowK: SimpleMovingAverage;
  private slowD: SimpleMovingAverage;

  constructor(options: StochasticOptions = {}, state?: StochasticState) {
    this.fastKPeriod = requirePeriod(NAME, "fastKPeriod", options.fastKPeriod ?? 14, 1);
    this.slowKPeriod = requirePeriod(NAME, "slowKPeriod", options.slowKPeriod ?? 3, 1);
    this.slowDPeriod = requirePeriod(NAME, "slowDPeriod", options.slowDPeriod ?? 3, 1);
    this.lookback = this.fastKPeriod - 1 + (this.slowKPeriod - 1) + (this.slowDPeriod - 1);
    this.highs = new WindowBuffer(this.fastKPeriod);
    this.lows = new WindowBuffer(this.fastKPeriod);
    this.slowK = new SimpleMovingAverage({ period: this.slowKPeriod });
    this.slowD = new SimpleMovingAverage({ period: this.slowDPeriod });
    if (state) this.restore(state);
  }

  update(input: HlcBar): void {
    requireFiniteBar(NAME, input);
    this.highs.push(input.high);
    this.lows.push(input.low);
    if (!this.highs.isFull) return;
    const lowest = this.lows.lowest();
    const range = (this.highs.highest() - lowest) / 100;
    this.slowK.update(range !== 0 ? (input.close - lowest) / range : 0);
    const slowK = this.slowK.value();
    if (slowK !== undefined) this.slowD.update(slowK);
  }

  value(): StochasticValue | undefined {
    const k = this.slowK.value();
    const d = this.slowD.value();
    return k === undefined || d === undefined ? undefined : { k, d };
  }

  isReady(): boolean {
    return this.slowD.isReady();
  }

  reset(): void {
    this.highs.clear();
    this.lows.clear();
    this.slowK.reset();
    this.slowD.reset();
  }

  snapshot(): StochasticState {
    return {
      kind: "stoch",
      fastKPeriod: this.fastKPeriod,
      slowKPeriod: this.slowKPeriod,
      slowDPeriod: this.slowDPeriod,
      highs: this.highs.snapshot(),
      lows: this.lows.snapshot(),
      slowK: this.slowK.snapshot(),
      slowD: this.slowD.snapshot(),
    };
  }

  restore(state: StochasticState): void {
    requireSnapshot(
      state.kind === "stoch" &&
        state.fastKPeriod === this.fastKPeriod &&
        state.slowKPeriod === this.slowKPeriod &&
        state.slowDPeriod === this.slowDPeriod,
      NAME,
      `expected a stoch ${this.fastKPeriod}/${this.slowKPeriod}/${this.slowDPeriod}`,
    );
    const highs = new WindowBuffer(this.fastKPeriod);
    highs.restore(state.highs, NAME);
    const lows = new WindowBuffer(this.fastKPeriod);
    lows.restore(state.lows, NAME);
    requireSnapshot(highs.size === lows.size, NAME, "high and low windows hold different numbers of bars");
    const slowK = new SimpleMovingAverage({ period: this.slowKPeriod }, state.slowK);
    const slowD = new SimpleMovingAverage({ period: this.slowDPeriod }, state.slowD);
    this.highs = highs;
    this.lows = lows;
    this.slowK = slowK;
    this.slowD = slowD;
  }
}
