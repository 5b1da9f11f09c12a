/** The pure strategy layer: EMA-cross and model strategies, the regime detector and the entry filters, shared by backtest and live. */
import type { StrategyConfig } from "../schemas/trading.js";
import { type EmaCrossConfig, EmaCrossStrategy } from "./ema-cross.js";
import { ModelStrategy } from "./model-strategy.js";

export type { BarStrategy } from "./bar-strategy.js";

export { type EmaCrossConfig, EmaCrossStrategy, type EmaCrossStrategyState } from "./ema-cross.js";
export {
  decisionTsMs,
  type EntryFilterCode,
  entryFilter,
  type FilteredBar,
  isHourInWindow,
  utcHourOf,
  utcWeekdayOf,
} from "./filters.js";
export {
  decideModelTarget,
  type HeldSide,
  type ModelDecision,
  type ModelDecisionInput,
  type ModelDecisionRules,
  type ModelProbabilities,
  ModelStrategy,
  type ModelStrategyConfig,
  type ModelStrategyState,
} from "./model-strategy.js";
export {
  percentileRank,
  REGIME_MIN_WINDOW_VALUES,
  RegimeDetector,
  type RegimeDetectorState,
  type RegimeReading,
} from "./regime.js";

/** The strategy class of each `kind` of {@link StrategyConfig}. */
export type StrategyFor<C extends StrategyConfig> = C extends EmaCrossConfig ? EmaCrossStrategy : ModelStrategy;

/**
 * A fresh strategy for a parsed {@link StrategyConfig}, of the class its `kind` names (narrowed when the kind is known
 * statically), resumed from `state` when given.
 * @example
 * const strategy = createStrategy(StrategyConfigSchema.parse({ kind: "ema-cross" })); // EmaCrossStrategy
 * if (strategy.kind === "ema-cross") strategy.cross();
 */
export function createStrategy<C extends StrategyConfig>(config: C, state?: unknown): StrategyFor<C>;
export function createStrategy(config: StrategyConfig, state?: unknown): EmaCrossStrategy | ModelStrategy {
  switch (config.kind) {
    case "ema-cross":
      return new EmaCrossStrategy(config, state);
    case "model":
      return new ModelStrategy(config, state);
  }
}
