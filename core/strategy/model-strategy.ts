/** The model strategy: the champion's class probabilities → a target position, with an entry/exit confidence band and a minimum hold. */
import { AverageTrueRange, type AverageTrueRangeState, type HlcBar } from "../indicators/index.js";
import type { LiveAction } from "../ml/live.js";
import type { FilterCode, StrategyConfig } from "../schemas/trading.js";
import type { BarStrategy } from "./bar-strategy.js";
import { requireNestedObject, requireState, requireStateObject } from "./strategy-state.js";

const NAME = "ModelStrategy";

/** The `model` member of {@link StrategyConfig}. */
export type ModelStrategyConfig = Extract<StrategyConfig, { kind: "model" }>;

/** The settings {@link decideModelTarget} reads. */
export type ModelDecisionRules = Pick<ModelStrategyConfig, "entryConfidence" | "exitConfidence" | "minHoldingBars">;

/** What the instrument holds (or wants to hold): a long, a short or nothing. */
export type HeldSide = "long" | "short" | "flat";

/** Probability mass of the champion's up and down classes, each 0 to 1; for a binary model `sell = 1 - buy`. */
export interface ModelProbabilities {
  readonly buy: number;
  readonly sell: number;
}

/** One decision's inputs, read at the close of a closed M1 bar. */
export interface ModelDecisionInput {
  /** The position held before this decision. */
  readonly held: HeldSide;
  /**
   * Closed M1 bars since the entry fill: bars whose close is after the fill and at or before this decision. The bar
   * whose close triggered the entry counts 0, the next bar to close counts 1, and so on. Ignored when flat.
   */
  readonly barsHeld: number;
  /** The champion's most probable class as a direction (core/ml/live `readProbabilities`). */
  readonly action: LiveAction;
  readonly probabilities: ModelProbabilities;
}

/** A decision: the position to move to (`null`: keep what is held) and, when a signal was held back, why. */
export interface ModelDecision {
  readonly target: HeldSide | null;
  readonly filteredBy: Extract<FilterCode, "LOW_CONFIDENCE" | "MIN_HOLDING"> | null;
}

// Every decision is one of these, so deciding allocates nothing.
const KEEP: ModelDecision = Object.freeze({ target: null, filteredBy: null });
const LOW_CONFIDENCE: ModelDecision = Object.freeze({ target: null, filteredBy: "LOW_CONFIDENCE" });
const MIN_HOLDING: ModelDecision = Object.freeze({ target: null, filteredBy: "MIN_HOLDING" });
const GO_LONG: ModelDecision = Object.freeze({ target: "long", filteredBy: null });
const GO_SHORT: ModelDecision = Object.freeze({ target: "short", filteredBy: null });
const GO_FLAT: ModelDecision = Object.freeze({ target: "flat", filteredBy: null });

/**
 * The position the champion's probabilities call for. With `buy`/`sell` the class probabilities:
 *
 * An entry side exists when exactly one of `buy ≥ entryConfidence` (long) and `sell ≥ entryConfidence` (short)
 * holds; both holding (a tie, only possible at 0.5/0.5) gives none.
 * - Flat: go to the entry side if there is one. Otherwise stay flat: `LOW_CONFIDENCE` when the action was `buy` or
 *   `sell` (a signal too weak to act on), no code when it was `hold` (no signal at all).
 * - Long: the wanted change is `short` when the entry side is short (a reversal), else `flat` when
 *   `buy < exitConfidence` (hysteresis: entered at ≥ entryConfidence, kept down to exitConfidence), else none. A
 *   change while `barsHeld < minHoldingBars` is held back with `MIN_HOLDING`; no change keeps the long with no code.
 * - Short: the mirror (`long` on a long entry side, else `flat` when `sell < exitConfidence`).
 *
 * The action only decides how a flat no-entry is reported; the probabilities decide the target. Stops and targets
 * are not this function's business (they apply whatever it says). O(1), no allocation. Throws a RangeError when a
 * probability is outside [0, 1] or `barsHeld` is not a non-negative integer.
 * @example
 * const rules = { entryConfidence: 0.55, exitConfidence: 0.5, minHoldingBars: 5 };
 * decideModelTarget({ held: "flat", barsHeld: 0, action: "buy", probabilities: { buy: 0.6, sell: 0.4 } }, rules);
 * // { target: "long", filteredBy: null }
 * decideModelTarget({ held: "long", barsHeld: 2, action: "sell", probabilities: { buy: 0.3, sell: 0.7 } }, rules);
 * // { target: null, filteredBy: "MIN_HOLDING" }
 */
export function decideModelTarget(input: ModelDecisionInput, rules: ModelDecisionRules): ModelDecision {
  const { held, barsHeld, action } = input;
  const { buy, sell } = input.probabilities;
  if (!(buy >= 0 && buy <= 1 && sell >= 0 && sell <= 1)) {
    throw new RangeError(`decideModelTarget: probabilities must be in [0, 1], got buy ${buy}, sell ${sell}`);
  }
  if (!Number.isInteger(barsHeld) || barsHeld < 0) {
    throw new RangeError(`decideModelTarget: barsHeld must be a non-negative integer, got ${barsHeld}`);
  }
  const longEntry = buy >= rules.entryConfidence;
  const shortEntry = sell >= rules.entryConfidence;
  if (held === "flat") {
    if (longEntry && !shortEntry) return GO_LONG;
    if (shortEntry && !longEntry) return GO_SHORT;
    return action === "hold" ? KEEP : LOW_CONFIDENCE;
  }
  let change: ModelDecision = KEEP;
  if (held === "long") {
    if (shortEntry && !longEntry) change = GO_SHORT;
    else if (buy < rules.exitConfidence) change = GO_FLAT;
  } else {
    if (longEntry && !shortEntry) change = GO_LONG;
    else if (sell < rules.exitConfidence) change = GO_FLAT;
  }
  if (change === KEEP) return KEEP;
  return barsHeld < rules.minHoldingBars ? MIN_HOLDING : change;
}

/** Plain-JSON state of a {@link ModelStrategy}. */
export interface ModelStrategyState {
  readonly kind: "model";
  readonly atrPeriod: number;
  readonly atr: AverageTrueRangeState;
}

/**
 * The model strategy of one instrument: {@link decideModelTarget} with its configured rules, plus the Wilder ATR of
 * `atrPeriod` (core/indicators) that its stops and targets are measured in. The champion's probabilities come from
 * the serving layer; this class keeps only the ATR as state. `update` is O(1).
 * @example
 * const strategy = new ModelStrategy(ModelStrategyConfigSchema.parse({ kind: "model" }));
 * strategy.update(bar);
 * strategy.decide({ held: "flat", barsHeld: 0, action: "buy", probabilities: { buy: 0.61, sell: 0.39 } });
 */
export class ModelStrategy implements BarStrategy {
  readonly kind = "model";
  readonly config: Readonly<ModelStrategyConfig>;
  private readonly atrIndicator: AverageTrueRange;

  /**
   * `config` is a parsed model {@link StrategyConfig}; `state` a {@link ModelStrategy.snapshot} to resume from.
   * Throws a RangeError when `exitConfidence > entryConfidence`, the ATR period is out of range, or the snapshot does
   * not fit.
   */
  constructor(config: ModelStrategyConfig, state?: unknown) {
    if (!(config.exitConfidence <= config.entryConfidence)) {
      throw new RangeError(
        `${NAME}: exitConfidence (${config.exitConfidence}) must not exceed entryConfidence (${config.entryConfidence})`,
      );
    }
    this.config = Object.freeze({ ...config });
    this.atrIndicator = new AverageTrueRange({ period: config.atrPeriod });
    if (state !== undefined) this.restore(state);
  }

  /**
   * Feeds the next closed M1 bar (bid high, low, close; a core/market `Bar` as it is), oldest first. Throws a
   * RangeError, leaving the state untouched, when a price is not finite. O(1).
   */
  update(bar: HlcBar): void {
    this.atrIndicator.update(bar);
  }

  /** ATR (Wilder, `atrPeriod`) of the latest bar, price units; `undefined` for the first `atrPeriod` bars. */
  atr(): number | undefined {
    return this.atrIndicator.value();
  }

  /** {@link decideModelTarget} with this strategy's entry/exit confidence and minimum holding bars. */
  decide(input: ModelDecisionInput): ModelDecision {
    return decideModelTarget(input, this.config);
  }

  /** A deep copy of the state as plain JSON. */
  snapshot(): ModelStrategyState {
    return { kind: "model", atrPeriod: this.config.atrPeriod, atr: this.atrIndicator.snapshot() };
  }

  /**
   * Replaces the state with a snapshot of a strategy with the same ATR period. Throws a RangeError, leaving the state
   * untouched, when it is of another kind, another period or malformed.
   */
  restore(state: unknown): void {
    const stored = requireStateObject(state, "model", NAME);
    requireState(stored.atrPeriod === this.config.atrPeriod, NAME, `expected atrPeriod ${this.config.atrPeriod}`);
    this.atrIndicator.restore(requireNestedObject(stored.atr, "atr", NAME) as AverageTrueRangeState);
  }
}
