/**
 * Models at work: what a served model's probabilities say (action, confidence), how each prediction turned out once
 * its label horizon passed, and whether a model's live scores have drifted away from its held-out ones.
 */
import { z } from "zod";
import { TIMEFRAME_MS, type Timeframe } from "../market/timeframe.js";
import { labelForward, type LabelDefinition } from "./labels.js";
import { LOG_LOSS_EPSILON } from "./metrics.js";

/** A direction to act on, read from the most probable class. */
export type LiveAction = "buy" | "sell" | "hold";

/** Class labels that mean a direction; any other class label means hold. */
const ACTION_OF_CLASS: Readonly<Record<string, LiveAction>> = { up: "buy", buy: "buy", down: "sell", sell: "sell" };

/** The reading of one row of class probabilities. */
export interface ProbabilityReading {
  /** Probability per class label. */
  readonly probabilities: Record<string, number>;
  /** Index of the most probable class (ties go to the lowest index, as the metrics count accuracy). */
  readonly classIndex: number;
  readonly action: LiveAction;
  /** Probability of the most probable class. */
  readonly confidence: number;
}

/**
 * Reads a row of class probabilities: the most probable class (ties to the lowest index) as an action
 * (up/buy → buy, down/sell → sell, anything else → hold) with its probability as the confidence.
 * Throws a RangeError when the row and the labels differ in length or a probability is not in [0, 1].
 * @example
 * readProbabilities([0.42, 0.58], ["down", "up"]); // { action: "buy", confidence: 0.58, classIndex: 1, … }
 */
export function readProbabilities(row: ArrayLike<number>, classLabels: readonly string[]): ProbabilityReading {
  if (row.length !== classLabels.length || row.length < 2) {
    throw new RangeError(`live: ${row.length} probabilities for ${classLabels.length} class labels`);
  }
  const probabilities: Record<string, number> = {};
  let classIndex = 0;
  for (let k = 0; k < row.length; k += 1) {
    const p = row[k]!;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`live: probability ${k} must be in [0, 1], got ${p}`);
    probabilities[classLabels[k]!] = p;
    if (p > row[classIndex]!) classIndex = k;
  }
  const label = classLabels[classIndex]!;
  return { probabilities, classIndex, action: ACTION_OF_CLASS[label] ?? "hold", confidence: row[classIndex]! };
}

/** How one prediction turned out, scored like the trainer scores held-out rows. */
export interface ScoredOutcome {
  /** The row's term of the trainer's log-loss (core/ml/metrics): −ln p(true class), p clipped to [1e-15, 1 − 1e-15]. */
  readonly logLoss: number;
  /** The row's term of the trainer's accuracy: whether the predicted class is the true class. */
  readonly correct: boolean;
}

const clip = (p: number) => Math.min(Math.max(p, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON);

/**
 * Scores a prediction against the class that happened, with the trainer's definitions: for two classes from
 * P(class 1) alone (loss −ln p or −ln(1 − p), class 1 predicted when p > 0.5), otherwise −ln p(true class) and the
 * most probable class (ties to the lowest index).
 * @example
 * scoreOutcome([0.4, 0.6], 1); // { logLoss: 0.5108…, correct: true }
 */
export function scoreOutcome(probabilities: ArrayLike<number>, trueClass: number): ScoredOutcome {
  if (!Number.isInteger(trueClass) || trueClass < 0 || trueClass >= probabilities.length) {
    throw new RangeError(`live: class ${trueClass} is not one of ${probabilities.length}`);
  }
  if (probabilities.length === 2) {
    const p = clip(probabilities[1]!);
    return { logLoss: -Math.log(trueClass === 1 ? p : 1 - p), correct: (probabilities[1]! > 0.5 ? 1 : 0) === trueClass };
  }
  let best = 0;
  for (let k = 1; k < probabilities.length; k += 1) if (probabilities[k]! > probabilities[best]!) best = k;
  return { logLoss: -Math.log(clip(probabilities[trueClass]!)), correct: best === trueClass };
}

/** What scoring a prediction needs to know of the model that made it. */
export interface PredictingModel {
  readonly label: LabelDefinition;
  readonly classLabels: readonly string[];
  readonly timeframe: Timeframe;
}

/** A bar as outcome scoring reads it: its index counts the instrument's bars of the model's timeframe. */
export interface IndexedBar {
  readonly tsMs: number;
  readonly barIndex: number;
  readonly close: number;
  readonly spreadAvgPoints: number;
}

/** How a prediction turned out: a class and its scores, or why the bar has no label. */
export interface PredictionOutcome {
  readonly label: string | null;
  readonly exclusion: string | null;
  readonly logLoss: number | null;
  readonly correct: boolean | null;
}

/**
 * Open time of the bar that decides a prediction made at bar `tsMs`: `horizonBars` bar lengths later. The outcome is
 * decided by the first closed bar at or after it.
 */
export function outcomeDueTsMs(tsMs: number, model: Pick<PredictingModel, "label" | "timeframe">): number {
  return tsMs + model.label.horizonBars * TIMEFRAME_MS[model.timeframe];
}

/**
 * The outcome of a prediction made at `signalBar`, decided by `decidingBar` (the first closed bar at or after the due
 * time), scored as the trainer scores held-out rows. The trainer labels bar t from bar t + h (counted in bars) and
 * excludes it when that bar is more than h bar lengths later; live, the deciding bar must therefore open exactly at
 * the due time AND be h bars on — otherwise bars were missing in between (a gap).
 * @example
 * decideOutcome(signalBar, { up: 0.6, down: 0.4 }, decidingBar, model, 0.01); // { label: "up", logLoss: 0.51…, … }
 */
export function decideOutcome(
  signalBar: IndexedBar,
  probabilities: Readonly<Record<string, number>>,
  decidingBar: IndexedBar,
  model: PredictingModel,
  pointSize: number,
): PredictionOutcome {
  const excluded = (exclusion: string): PredictionOutcome => ({ label: null, exclusion, logLoss: null, correct: null });
  const isForwardBar =
    decidingBar.tsMs === outcomeDueTsMs(signalBar.tsMs, model) &&
    decidingBar.barIndex === signalBar.barIndex + model.label.horizonBars;
  if (!isForwardBar) return excluded("GAP");
  const label = labelForward(signalBar, decidingBar, model.label, { pointSize, timeframe: model.timeframe });
  if (label.label === undefined) return excluded(label.exclusion ?? "GAP");
  const score = scoreOutcome(model.classLabels.map((name) => probabilities[name] ?? 0), label.label);
  return { label: model.classLabels[label.label] ?? null, exclusion: null, logLoss: score.logLoss, correct: score.correct };
}

/** When a model counts as degraded. */
export const DegradationPolicySchema = z.strictObject({
  windowOutcomes: z.number().int().min(10).default(500).describe("Latest scored outcomes the rolling scores average"),
  minOutcomes: z.number().int().min(1).default(200).describe("Fewest scored outcomes before a model can be flagged"),
  maxLogLossExcess: z
    .number()
    .min(0)
    .default(0.02)
    .describe("Live log-loss above the held-out log-loss by more than this (nats) flags the model"),
});
export type DegradationPolicy = z.infer<typeof DegradationPolicySchema>;

/**
 * The default: over the latest 500 outcomes, at least 200 of them, a live log-loss 0.02 nats above the held-out one.
 * Overlapping 15-bar horizons make neighbouring outcomes dependent: 500 of them carry roughly the information of
 * 500 / 15 ≈ 33 independent ones, whose log-loss has a standard error near 0.01 nats; 0.02 is about two of those.
 */
export const DEFAULT_DEGRADATION_POLICY: DegradationPolicy = Object.freeze(DegradationPolicySchema.parse({}));

/** The rolling live scores of one model version beside its held-out ones. */
export interface LivePerformance {
  /** Scored outcomes in the window (excluded bars, e.g. gaps, are not scored). */
  readonly outcomes: number;
  /** Mean log-loss of the window; null without outcomes. */
  readonly logLoss: number | null;
  /** Share correct in the window; null without outcomes. */
  readonly accuracy: number | null;
  readonly heldOutLogLoss: number;
  readonly heldOutAccuracy: number;
  /** The constant prior's held-out log-loss: a live log-loss above it means the model does worse than no model. */
  readonly priorLogLoss: number;
  /** Live minus held-out log-loss; null without outcomes. */
  readonly logLossExcess: number | null;
  readonly degraded: boolean;
  /** Why it is (or is not yet) flagged, for a person. */
  readonly reason: string;
}

/** A window's totals: the sum of log-losses and the count correct over `outcomes` scored outcomes. */
export interface LiveWindow {
  readonly outcomes: number;
  readonly logLossSum: number;
  readonly correct: number;
}

/**
 * Rolling live scores of a model and the degradation flag: degraded when at least `minOutcomes` outcomes were scored
 * and the live log-loss exceeds the held-out log-loss by more than `maxLogLossExcess`.
 * @example
 * assessLivePerformance({ outcomes: 480, logLossSum: 345.6, correct: 250 }, { logLoss: 0.6915, accuracy: 0.52, priorLogLoss: 0.6932 });
 */
export function assessLivePerformance(
  window: LiveWindow,
  heldOut: { readonly logLoss: number; readonly accuracy: number; readonly priorLogLoss: number },
  policy: DegradationPolicy = DEFAULT_DEGRADATION_POLICY,
): LivePerformance {
  const base = { heldOutLogLoss: heldOut.logLoss, heldOutAccuracy: heldOut.accuracy, priorLogLoss: heldOut.priorLogLoss };
  if (window.outcomes === 0) {
    return { outcomes: 0, logLoss: null, accuracy: null, ...base, logLossExcess: null, degraded: false, reason: "no outcome scored yet" };
  }
  const logLoss = window.logLossSum / window.outcomes;
  const excess = logLoss - heldOut.logLoss;
  const scores = { outcomes: window.outcomes, logLoss, accuracy: window.correct / window.outcomes, ...base, logLossExcess: excess };
  if (window.outcomes < policy.minOutcomes) {
    return { ...scores, degraded: false, reason: `${window.outcomes} of the ${policy.minOutcomes} outcomes needed to judge` };
  }
  const degraded = excess > policy.maxLogLossExcess;
  const comparison = `live log-loss ${logLoss.toFixed(5)} vs held-out ${heldOut.logLoss.toFixed(5)} (excess ${excess.toFixed(5)}, limit ${policy.maxLogLossExcess})`;
  return { ...scores, degraded, reason: degraded ? `degraded: ${comparison}` : `healthy: ${comparison}` };
}
