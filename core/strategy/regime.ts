/** Market regime of the latest closed M1 bar (trending, ranging, volatile) from where its ATR and ADX rank in a window. */
import {
  AverageDirectionalIndex,
  type AverageDirectionalIndexState,
  AverageTrueRange,
  type AverageTrueRangeState,
  type HlcBar,
} from "../indicators/index.js";
import type { Regime, RegimeConfig } from "../schemas/trading.js";
import { isFiniteOrNull, requireNestedObject, requireState, requireStateObject } from "./strategy-state.js";

const NAME = "RegimeDetector";

/** Fewest ATR/ADX pairs the window must hold before a regime other than `unknown` is given. */
export const REGIME_MIN_WINDOW_VALUES = 20;

/** Largest window the detector accepts, bars (the schema's bound, kept here because the ring is allocated from it). */
const MAX_WINDOW_BARS = 100_000;

/**
 * Percentile rank of `value` among the first `count` entries of `values`: the fraction of them that are less than or
 * equal to `value`, in `[0, 1]`. When `value` is itself one of them (the detector's case: the latest reading ranked
 * in a window that holds it) the rank is in `[1 / count, 1]`; the window's largest value ranks 1 and ties rank
 * together at the top of their group, so a window of identical values ranks 1. Order of the entries does not
 * matter. O(count). Throws a RangeError when `count` is not an integer in `[1, values.length]`.
 * @example
 * percentileRank([3, 1, 2, 2], 2); // 0.75 (1, 2 and 2 are ≤ 2)
 * percentileRank(new Float64Array([5, 9, 0, 0]), 9, 2); // 1 (only the first 2 entries count)
 */
export function percentileRank(values: ArrayLike<number>, value: number, count: number = values.length): number {
  if (!Number.isInteger(count) || count < 1 || count > values.length) {
    throw new RangeError(`percentileRank: count must be an integer in [1, ${values.length}], got ${count}`);
  }
  let atOrBelow = 0;
  for (let index = 0; index < count; index += 1) {
    if ((values[index] as number) <= value) atOrBelow += 1;
  }
  return atOrBelow / count;
}

/** What the regime was decided from; the numbers are `null` while the regime is `unknown`. */
export interface RegimeReading {
  readonly regime: Regime;
  /** Latest ATR, price units. */
  readonly atr: number | null;
  /** Latest ADX, 0 to 100. */
  readonly adx: number | null;
  /** {@link percentileRank} of the latest ATR in the window, 0 to 1. */
  readonly atrPercentileRank: number | null;
  /** {@link percentileRank} of the latest ADX in the window, 0 to 1. */
  readonly adxPercentileRank: number | null;
  /** ATR/ADX pairs in the window, 0 to `windowBars`. */
  readonly windowValues: number;
}

/** Plain-JSON state of a {@link RegimeDetector}. */
export interface RegimeDetectorState {
  readonly kind: "regime";
  readonly period: number;
  readonly windowBars: number;
  readonly atr: AverageTrueRangeState;
  readonly adx: AverageDirectionalIndexState;
  /** ATR of the bars in the window, oldest first, price units; at most `windowBars` of them. */
  readonly atrWindow: number[];
  /** ADX of the same bars, oldest first; as long as `atrWindow`. */
  readonly adxWindow: number[];
}

/**
 * Classifies the market of the latest closed M1 bar. Each bar updates a Wilder ATR and a TA-Lib ADX of `period`
 * (core/indicators), and, once both are ready, their values go into a ring of the last `windowBars` pairs. The regime
 * is worked out only when asked ({@link RegimeDetector.current}), from the {@link percentileRank} of the latest ATR
 * and ADX in that window:
 * - `unknown` until both indicators are ready and the window holds {@link REGIME_MIN_WINDOW_VALUES} pairs
 *   (`2 * period - 1 + 20` bars: 47 for period 14);
 * - `volatile` when the ATR rank is ≥ `volatileAtrPercentile` (checked first);
 * - `trending` when the ADX rank is ≥ `trendingAdxPercentile` and the ADX is ≥ `minTrendAdx`;
 * - `ranging` otherwise.
 *
 * `update` is O(1) and writes into two pre-allocated Float64Array rings (no allocation of its own: a backtester feeds
 * it a million bars a second); `current` scans the window, O(windowBars), which is fine at signal time.
 * @example
 * const regime = new RegimeDetector(RegimeConfigSchema.parse({}));
 * bars.forEach((bar) => regime.update(bar));
 * regime.current(); // "ranging"
 */
export class RegimeDetector {
  readonly config: Readonly<RegimeConfig>;
  private readonly atrIndicator: AverageTrueRange;
  private readonly adxIndicator: AverageDirectionalIndex;
  /** Ring of the last `windowBars` ATRs; slots `[0, filled)` hold real values (in whatever order). */
  private readonly atrWindow: Float64Array;
  /** Ring of the ADXs of the same bars, same slots. */
  private readonly adxWindow: Float64Array;
  /** Slot the next pair is written to. */
  private head = 0;
  /** Pairs in the window, up to `windowBars`. */
  private filled = 0;

  /**
   * `config` is a parsed {@link RegimeConfig}; `state` a {@link RegimeDetector.snapshot} to resume from (Durable
   * Object restart). Throws a RangeError on a period or window out of range, or a snapshot that does not fit.
   */
  constructor(config: RegimeConfig, state?: unknown) {
    const { windowBars } = config;
    if (!Number.isInteger(windowBars) || windowBars < REGIME_MIN_WINDOW_VALUES || windowBars > MAX_WINDOW_BARS) {
      throw new RangeError(
        `${NAME}: windowBars must be an integer in [${REGIME_MIN_WINDOW_VALUES}, ${MAX_WINDOW_BARS}], got ${windowBars}`,
      );
    }
    this.config = Object.freeze({ ...config });
    this.atrIndicator = new AverageTrueRange({ period: config.period });
    this.adxIndicator = new AverageDirectionalIndex({ period: config.period });
    this.atrWindow = new Float64Array(windowBars);
    this.adxWindow = new Float64Array(windowBars);
    if (state !== undefined) this.restore(state);
  }

  /**
   * Feeds the next closed M1 bar (bid high, low, close; a core/market `Bar` as it is), oldest first. Throws a
   * RangeError, leaving the state untouched, when a price is not finite. O(1).
   */
  update(bar: HlcBar): void {
    this.atrIndicator.update(bar);
    this.adxIndicator.update(bar);
    const atr = this.atrIndicator.value();
    const adx = this.adxIndicator.value()?.adx;
    if (atr === undefined || adx === undefined) return;
    this.atrWindow[this.head] = atr;
    this.adxWindow[this.head] = adx;
    this.head = this.head + 1 === this.atrWindow.length ? 0 : this.head + 1;
    if (this.filled < this.atrWindow.length) this.filled += 1;
  }

  /** The regime of the latest bar (see the class doc). O(windowBars). */
  current(): Regime {
    return this.reading().regime;
  }

  /** The regime of the latest bar with the numbers that decided it, for the trade post-mortem. O(windowBars). */
  reading(): RegimeReading {
    if (this.filled < REGIME_MIN_WINDOW_VALUES) {
      return {
        regime: "unknown",
        atr: null,
        adx: null,
        atrPercentileRank: null,
        adxPercentileRank: null,
        windowValues: this.filled,
      };
    }
    const newest = this.head === 0 ? this.atrWindow.length - 1 : this.head - 1;
    const atr = this.atrWindow[newest] as number;
    const adx = this.adxWindow[newest] as number;
    const atrPercentileRank = percentileRank(this.atrWindow, atr, this.filled);
    const adxPercentileRank = percentileRank(this.adxWindow, adx, this.filled);
    const { volatileAtrPercentile, trendingAdxPercentile, minTrendAdx } = this.config;
    let regime: Regime = "ranging";
    if (atrPercentileRank >= volatileAtrPercentile) regime = "volatile";
    else if (adxPercentileRank >= trendingAdxPercentile && adx >= minTrendAdx) regime = "trending";
    return { regime, atr, adx, atrPercentileRank, adxPercentileRank, windowValues: this.filled };
  }

  /** A deep copy of the state as plain JSON, the window oldest first (about 40 bytes of JSON per window bar). */
  snapshot(): RegimeDetectorState {
    const capacity = this.atrWindow.length;
    const atrWindow = new Array<number>(this.filled);
    const adxWindow = new Array<number>(this.filled);
    for (let age = 0; age < this.filled; age += 1) {
      const slot = (this.head - this.filled + age + capacity) % capacity;
      atrWindow[age] = this.atrWindow[slot] as number;
      adxWindow[age] = this.adxWindow[slot] as number;
    }
    return {
      kind: "regime",
      period: this.config.period,
      windowBars: capacity,
      atr: this.atrIndicator.snapshot(),
      adx: this.adxIndicator.snapshot(),
      atrWindow,
      adxWindow,
    };
  }

  /**
   * Replaces the state with a snapshot of a detector with the same period and window. Throws a RangeError, leaving
   * the state untouched, when it is of another kind or shape, or its window disagrees with its indicators.
   */
  restore(state: unknown): void {
    const stored = requireStateObject(state, "regime", NAME);
    requireState(
      stored.period === this.config.period && stored.windowBars === this.atrWindow.length,
      NAME,
      `expected period ${this.config.period} and windowBars ${this.atrWindow.length}`,
    );
    const atrState = requireNestedObject(stored.atr, "atr", NAME) as AverageTrueRangeState;
    const adxState = requireNestedObject(stored.adx, "adx", NAME) as AverageDirectionalIndexState;
    // Validate both indicator snapshots on throwaway instances first, so a bad one changes nothing.
    const atrCheck = new AverageTrueRange({ period: this.config.period }, atrState);
    const adxCheck = new AverageDirectionalIndex({ period: this.config.period }, adxState);
    const { atrWindow, adxWindow } = stored;
    requireState(
      Array.isArray(atrWindow) &&
        Array.isArray(adxWindow) &&
        atrWindow.length === adxWindow.length &&
        atrWindow.length <= this.atrWindow.length &&
        atrWindow.every((value) => isFiniteOrNull(value, false)) &&
        adxWindow.every((value) => isFiniteOrNull(value, false)),
      NAME,
      `windows must be two equally long arrays of at most ${this.atrWindow.length} finite numbers`,
    );
    const count = atrWindow.length;
    const atrNow = atrCheck.value();
    const adxNow = adxCheck.value()?.adx;
    requireState(
      count === 0 || (atrWindow[count - 1] === atrNow && adxWindow[count - 1] === adxNow),
      NAME,
      "the newest window values are not the indicators' values",
    );
    this.atrIndicator.restore(atrState);
    this.adxIndicator.restore(adxState);
    this.atrWindow.fill(0);
    this.adxWindow.fill(0);
    for (let index = 0; index < count; index += 1) {
      this.atrWindow[index] = atrWindow[index] as number;
      this.adxWindow[index] = adxWindow[index] as number;
    }
    this.filled = count;
    this.head = count === this.atrWindow.length ? 0 : count;
  }
}
