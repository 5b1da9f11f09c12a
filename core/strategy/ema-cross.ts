/** The rule strategy: a fast/slow EMA cross of M1 closes, with a Wilder ATR of the same bars for stops and targets. */
import {
  AverageTrueRange,
  type AverageTrueRangeState,
  ExponentialMovingAverage,
  type ExponentialMovingAverageState,
  type HlcBar,
} from "../indicators/index.js";
import type { Side, StrategyConfig } from "../schemas/trading.js";
import type { BarStrategy } from "./bar-strategy.js";
import { isFiniteOrNull, requireNestedObject, requireState, requireStateObject } from "./strategy-state.js";

const NAME = "EmaCrossStrategy";

/** The `ema-cross` member of {@link StrategyConfig}. */
export type EmaCrossConfig = Extract<StrategyConfig, { kind: "ema-cross" }>;

/** Plain-JSON state of an {@link EmaCrossStrategy}. */
export interface EmaCrossStrategyState {
  readonly kind: "ema-cross";
  readonly fastPeriod: number;
  readonly slowPeriod: number;
  readonly atrPeriod: number;
  readonly fast: ExponentialMovingAverageState;
  readonly slow: ExponentialMovingAverageState;
  readonly atr: AverageTrueRangeState;
  /** Fast EMA before the latest bar, price units; `null` when it was not defined yet. */
  readonly previousFast: number | null;
  /** Slow EMA before the latest bar, price units; `null` when it was not defined yet. */
  readonly previousSlow: number | null;
}

/**
 * EMA cross of closed M1 bars. Each bar feeds its close (bid) to a TA-Lib EMA of `fastPeriod` and one of
 * `slowPeriod`, and the bar to a Wilder ATR of `atrPeriod` (all from core/indicators, so the values are TA-Lib's).
 * {@link EmaCrossStrategy.cross} reads the latest bar:
 * - `buy` when fast > slow on it and fast ≤ slow on the bar before;
 * - `sell` when fast < slow on it and fast ≥ slow on the bar before;
 * - `null` otherwise, and whenever either EMA is undefined on either bar (the first possible signal is on bar
 *   `slowPeriod`, counting from 0: a cross during the warm-up is never reported).
 *
 * Equal EMAs count as "at or below" for a buy and "at or above" for a sell, so the bar on which they touch never
 * signals and the next bar signals the side it leaves to: below → equal → above gives one buy (on the last bar), and
 * a touch from above that bounces back up gives a buy too (a long position ignores it).
 *
 * `update` is O(1) and allocates nothing of its own.
 * @example
 * const strategy = new EmaCrossStrategy({ kind: "ema-cross", fastPeriod: 12, slowPeriod: 26, atrPeriod: 14 });
 * for (const bar of closedBars) {
 *   strategy.update(bar);
 *   const side = strategy.cross(); // "buy" | "sell" | null
 * }
 */
export class EmaCrossStrategy implements BarStrategy {
  readonly kind = "ema-cross";
  readonly config: Readonly<EmaCrossConfig>;
  private readonly fast: ExponentialMovingAverage;
  private readonly slow: ExponentialMovingAverage;
  private readonly atrIndicator: AverageTrueRange;
  private previousFast: number | undefined;
  private previousSlow: number | undefined;

  /**
   * `config` is a parsed ema-cross {@link StrategyConfig}; `state` a {@link EmaCrossStrategy.snapshot} to resume
   * from. Throws a RangeError on periods out of range, `fastPeriod ≥ slowPeriod`, or a snapshot that does not fit.
   */
  constructor(config: EmaCrossConfig, state?: unknown) {
    if (!(config.fastPeriod < config.slowPeriod)) {
      throw new RangeError(`${NAME}: fastPeriod (${config.fastPeriod}) must be below slowPeriod (${config.slowPeriod})`);
    }
    this.config = Object.freeze({ ...config });
    this.fast = new ExponentialMovingAverage({ period: config.fastPeriod });
    this.slow = new ExponentialMovingAverage({ period: config.slowPeriod });
    this.atrIndicator = new AverageTrueRange({ period: config.atrPeriod });
    if (state !== undefined) this.restore(state);
  }

  /**
   * Feeds the next closed M1 bar (bid high, low, close; a core/market `Bar` as it is), oldest first. Throws a
   * RangeError, leaving the state untouched, when a price is not finite. O(1).
   */
  update(bar: HlcBar): void {
    if (!Number.isFinite(bar.high) || !Number.isFinite(bar.low) || !Number.isFinite(bar.close)) {
      throw new RangeError(`${NAME}: bar high/low/close must be finite numbers, got ${bar.high}/${bar.low}/${bar.close}`);
    }
    this.previousFast = this.fast.value();
    this.previousSlow = this.slow.value();
    this.fast.update(bar.close);
    this.slow.update(bar.close);
    this.atrIndicator.update(bar);
  }

  /** The cross on the latest bar: `buy`, `sell` or `null` (rules in the class doc). O(1). */
  cross(): Side | null {
    const fast = this.fast.value();
    const slow = this.slow.value();
    const previousFast = this.previousFast;
    const previousSlow = this.previousSlow;
    if (fast === undefined || slow === undefined || previousFast === undefined || previousSlow === undefined) {
      return null;
    }
    if (fast > slow && previousFast <= previousSlow) return "buy";
    if (fast < slow && previousFast >= previousSlow) return "sell";
    return null;
  }

  /** ATR (Wilder, `atrPeriod`) of the latest bar, price units; `undefined` for the first `atrPeriod` bars. */
  atr(): number | undefined {
    return this.atrIndicator.value();
  }

  /** Fast EMA of the latest bar, price units; `undefined` for the first `fastPeriod - 1` bars. */
  fastEma(): number | undefined {
    return this.fast.value();
  }

  /** Slow EMA of the latest bar, price units; `undefined` for the first `slowPeriod - 1` bars. */
  slowEma(): number | undefined {
    return this.slow.value();
  }

  /** A deep copy of the state as plain JSON. */
  snapshot(): EmaCrossStrategyState {
    return {
      kind: "ema-cross",
      fastPeriod: this.config.fastPeriod,
      slowPeriod: this.config.slowPeriod,
      atrPeriod: this.config.atrPeriod,
      fast: this.fast.snapshot(),
      slow: this.slow.snapshot(),
      atr: this.atrIndicator.snapshot(),
      previousFast: this.previousFast ?? null,
      previousSlow: this.previousSlow ?? null,
    };
  }

  /**
   * Replaces the state with a snapshot of a strategy with the same periods. Throws a RangeError, leaving the state
   * untouched, when it is of another kind, other periods or malformed.
   */
  restore(state: unknown): void {
    const stored = requireStateObject(state, "ema-cross", NAME);
    const { fastPeriod, slowPeriod, atrPeriod } = this.config;
    requireState(
      stored.fastPeriod === fastPeriod && stored.slowPeriod === slowPeriod && stored.atrPeriod === atrPeriod,
      NAME,
      `expected periods ${fastPeriod}/${slowPeriod}/${atrPeriod}`,
    );
    const fastState = requireNestedObject(stored.fast, "fast", NAME) as ExponentialMovingAverageState;
    const slowState = requireNestedObject(stored.slow, "slow", NAME) as ExponentialMovingAverageState;
    const atrState = requireNestedObject(stored.atr, "atr", NAME) as AverageTrueRangeState;
    // Validate every part on throwaway instances first, so a bad snapshot changes nothing.
    const fastCheck = new ExponentialMovingAverage({ period: fastPeriod }, fastState);
    const slowCheck = new ExponentialMovingAverage({ period: slowPeriod }, slowState);
    new AverageTrueRange({ period: atrPeriod }, atrState);
    const { previousFast, previousSlow } = stored;
    requireState(
      isFiniteOrNull(previousFast) && isFiniteOrNull(previousSlow),
      NAME,
      "previousFast and previousSlow must be finite numbers or null",
    );
    requireState(
      (previousFast === null || fastCheck.isReady()) && (previousSlow === null || slowCheck.isReady()),
      NAME,
      "a previous EMA is defined while the EMA is not",
    );
    this.fast.restore(fastState);
    this.slow.restore(slowState);
    this.atrIndicator.restore(atrState);
    this.previousFast = previousFast ?? undefined;
    this.previousSlow = previousSlow ?? undefined;
  }
}
