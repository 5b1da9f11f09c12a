/** Out-of-sample scores of probabilistic classifiers and of the constant-prior baseline every model must beat. */

/** Probabilities are clipped to [eps, 1 − eps] before the logarithm of the log-loss. */
export const LOG_LOSS_EPSILON = 1e-15;

/** A row of class probabilities may miss 1 by this much (float32 model outputs). */
export const PROBABILITY_SUM_TOLERANCE = 1e-5;

/** The scores a model (or its baseline) is judged on. Lower log-loss and Brier, higher AUC and accuracy are better. */
export interface MetricSet {
  /** Mean negative log-likelihood of the true class, natural log, probabilities clipped by {@link LOG_LOSS_EPSILON}. */
  readonly logLoss: number;
  /** ROC AUC of the probability of class 1 (binary only); null for multiclass. */
  readonly auc: number | null;
  /** Brier score: binary, mean (p − y)², in [0, 1]; multiclass, squared errors summed over classes, in [0, 2]. */
  readonly brier: number;
  /** Share of rows whose most probable class (ties to the lowest index; binary: p > 0.5) is the true class. */
  readonly accuracy: number;
}

function requireSameLength(name: string, labels: readonly number[], predictions: readonly unknown[]): void {
  if (labels.length === 0) throw new RangeError(`${name}: needs at least one row`);
  if (predictions.length !== labels.length) {
    throw new RangeError(`${name}: ${labels.length} labels but ${predictions.length} predictions`);
  }
}

function requireLabels(name: string, labels: readonly number[], classes: number): void {
  labels.forEach((label, index) => {
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new RangeError(`${name}: label ${index} must be an integer in [0, ${classes - 1}], got ${label}`);
    }
  });
}

function requireProbability(name: string, value: number, where: string): void {
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`${name}: probability ${where} must be in [0, 1], got ${value}`);
  }
}

function requireBinary(name: string, labels: readonly number[], probabilities: readonly number[]): void {
  requireSameLength(name, labels, probabilities);
  requireLabels(name, labels, 2);
  probabilities.forEach((p, index) => requireProbability(name, p, `${index}`));
}

/** Returns the number of classes after checking every row has that many probabilities summing to 1. */
function requireMulticlass(name: string, labels: readonly number[], rows: readonly (readonly number[])[]): number {
  requireSameLength(name, labels, rows);
  const classes = rows[0]?.length ?? 0;
  if (classes < 2) throw new RangeError(`${name}: rows need at least 2 class probabilities, got ${classes}`);
  rows.forEach((row, index) => {
    if (row.length !== classes) {
      throw new RangeError(`${name}: row ${index} has ${row.length} probabilities, not ${classes}`);
    }
    row.forEach((p, k) => requireProbability(name, p, `${index}[${k}]`));
    const sum = row.reduce((total, p) => total + p, 0);
    if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
      throw new RangeError(`${name}: row ${index} probabilities sum to ${sum}, not 1`);
    }
  });
  requireLabels(name, labels, classes);
  return classes;
}

function clip(p: number): number {
  return Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, p));
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function at(values: readonly number[], index: number): number {
  const value = values[index];
  if (value === undefined) throw new RangeError(`metrics: no value at index ${index}`);
  return value;
}

/** Index of the largest value, ties to the lowest index. */
function argmax(values: readonly number[]): number {
  let best = 0;
  values.forEach((value, index) => {
    if (value > at(values, best)) best = index;
  });
  return best;
}

/**
 * Binary log-loss: −mean(y·ln p + (1 − y)·ln(1 − p)), p the probability of class 1 clipped to
 * [1e-15, 1 − 1e-15].
 * Throws a RangeError on empty or mismatched inputs, labels other than 0/1 or probabilities outside [0, 1].
 * @example
 * binaryLogLoss([1, 0], [0.8, 0.4]); // −(ln 0.8 + ln 0.6) / 2 ≈ 0.3670
 */
export function binaryLogLoss(labels: readonly number[], probabilities: readonly number[]): number {
  requireBinary("binaryLogLoss", labels, probabilities);
  return -mean(labels.map((y, index) => {
    const p = clip(at(probabilities, index));
    return y === 1 ? Math.log(p) : Math.log(1 - p);
  }));
}

/**
 * ROC AUC as the Mann–Whitney statistic: the chance that a random positive scores above a random negative, a tie
 * counting one half (scores ranked with average ranks for ties). Scores may be any finite numbers. Throws a
 * RangeError when either class is missing (the AUC is undefined), or on mismatched inputs.
 * @example
 * rocAuc([1, 0, 1, 0], [0.9, 0.2, 0.6, 0.6]); // 0.875
 */
export function rocAuc(labels: readonly number[], scores: readonly number[]): number {
  requireSameLength("rocAuc", labels, scores);
  requireLabels("rocAuc", labels, 2);
  scores.forEach((score, index) => {
    if (!Number.isFinite(score)) throw new RangeError(`rocAuc: score ${index} must be finite, got ${score}`);
  });
  const positives = labels.filter((y) => y === 1).length;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) throw new RangeError("rocAuc: needs both classes among the labels");
  const order = scores.map((_, index) => index).sort((a, b) => at(scores, a) - at(scores, b));
  let positiveRankSum = 0;
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && at(scores, at(order, end)) === at(scores, at(order, start))) end += 1;
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k += 1) {
      if (labels[at(order, k)] === 1) positiveRankSum += averageRank;
    }
    start = end;
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Binary Brier score: mean (p − y)², p the probability of class 1.
 * @example
 * binaryBrierScore([1, 0], [0.8, 0.4]); // (0.04 + 0.16) / 2 = 0.1
 */
export function binaryBrierScore(labels: readonly number[], probabilities: readonly number[]): number {
  requireBinary("binaryBrierScore", labels, probabilities);
  return mean(labels.map((y, index) => (at(probabilities, index) - y) ** 2));
}

/**
 * Binary accuracy at the 0.5 threshold: class 1 is predicted when p > 0.5 (p = 0.5 predicts 0, as an argmax over
 * [1 − p, p] does).
 * @example
 * binaryAccuracy([1, 0, 1], [0.8, 0.4, 0.5]); // 2 / 3
 */
export function binaryAccuracy(labels: readonly number[], probabilities: readonly number[]): number {
  requireBinary("binaryAccuracy", labels, probabilities);
  return mean(labels.map((y, index) => ((at(probabilities, index) > 0.5 ? 1 : 0) === y ? 1 : 0)));
}

/**
 * Multiclass log-loss: −mean ln p[y], p[y] the probability of the true class clipped to [1e-15, 1 − 1e-15]. Each
 * row holds one probability per class and sums to 1 (within {@link PROBABILITY_SUM_TOLERANCE}).
 * @example
 * multiclassLogLoss([2, 0], [[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]); // −(ln 0.7 + ln 0.5) / 2 ≈ 0.5249
 */
export function multiclassLogLoss(labels: readonly number[], rows: readonly (readonly number[])[]): number {
  requireMulticlass("multiclassLogLoss", labels, rows);
  return -mean(labels.map((y, index) => Math.log(clip(at(rows[index] ?? [], y)))));
}

/**
 * Multiclass Brier score: mean over rows of Σ_k (p_k − [y = k])², in [0, 2]. For two classes it is twice the
 * binary Brier score.
 * @example
 * multiclassBrierScore([2], [[0.1, 0.2, 0.7]]); // 0.01 + 0.04 + 0.09 = 0.14
 */
export function multiclassBrierScore(labels: readonly number[], rows: readonly (readonly number[])[]): number {
  requireMulticlass("multiclassBrierScore", labels, rows);
  const squaredError = (row: readonly number[], y: number) =>
    row.reduce((sum, p, k) => sum + (p - (k === y ? 1 : 0)) ** 2, 0);
  return mean(labels.map((y, index) => squaredError(rows[index] ?? [], y)));
}

/**
 * Multiclass accuracy: share of rows whose argmax (ties to the lowest class index) is the true class.
 * @example
 * multiclassAccuracy([2, 1], [[0.1, 0.2, 0.7], [0.4, 0.4, 0.2]]); // 0.5: the tie in row 2 goes to class 0
 */
export function multiclassAccuracy(labels: readonly number[], rows: readonly (readonly number[])[]): number {
  requireMulticlass("multiclassAccuracy", labels, rows);
  return mean(labels.map((y, index) => (argmax(rows[index] ?? []) === y ? 1 : 0)));
}

/**
 * Every binary score at once.
 * @example
 * binaryMetrics([1, 0, 1, 0], [0.9, 0.2, 0.6, 0.6]).auc; // 0.875
 */
export function binaryMetrics(labels: readonly number[], probabilities: readonly number[]): MetricSet {
  return {
    logLoss: binaryLogLoss(labels, probabilities),
    auc: rocAuc(labels, probabilities),
    brier: binaryBrierScore(labels, probabilities),
    accuracy: binaryAccuracy(labels, probabilities),
  };
}

/**
 * Every multiclass score at once; `auc` is null.
 * @example
 * multiclassMetrics([2, 0], [[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]).accuracy; // 1
 */
export function multiclassMetrics(labels: readonly number[], rows: readonly (readonly number[])[]): MetricSet {
  return {
    logLoss: multiclassLogLoss(labels, rows),
    auc: null,
    brier: multiclassBrierScore(labels, rows),
    accuracy: multiclassAccuracy(labels, rows),
  };
}

/**
 * Class frequencies of `labels`: the constant-prior model's prediction. A class absent from `labels` gets 0 (its
 * log-loss is then clipped, and large, if it turns up later).
 * @example
 * classFrequencies([0, 1, 1, 1], 2); // [0.25, 0.75]
 */
export function classFrequencies(labels: readonly number[], classes: number): number[] {
  if (!Number.isInteger(classes) || classes < 2) {
    throw new RangeError(`classFrequencies: classes must be an integer >= 2, got ${classes}`);
  }
  if (labels.length === 0) throw new RangeError("classFrequencies: needs at least one label");
  requireLabels("classFrequencies", labels, classes);
  const counts = new Array<number>(classes).fill(0);
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts.map((count) => count / labels.length);
}

/**
 * Scores on `evaluationLabels` of the constant-prior baseline of a binary model: every row gets the frequency of
 * class 1 among `trainingLabels` (never the evaluation labels: that would be look-ahead). Its AUC is 0.5: one
 * score for every row ties every pair.
 * @example
 * binaryPriorMetrics([0, 1, 1, 1], [1, 0]).logLoss; // −(ln 0.75 + ln 0.25) / 2 ≈ 0.8370
 */
export function binaryPriorMetrics(trainingLabels: readonly number[], evaluationLabels: readonly number[]): MetricSet {
  const p = at(classFrequencies(trainingLabels, 2), 1);
  return binaryMetrics(evaluationLabels, evaluationLabels.map(() => p));
}

/**
 * Scores on `evaluationLabels` of the constant-prior baseline of a multiclass model: every row gets the class
 * frequencies of `trainingLabels`. Its accuracy is the share of the training majority class (ties to the lowest
 * index) in the evaluation labels.
 * @example
 * multiclassPriorMetrics([0, 1, 1, 2], [1, 2], 3).accuracy; // 0.5
 */
export function multiclassPriorMetrics(
  trainingLabels: readonly number[],
  evaluationLabels: readonly number[],
  classes: number,
): MetricSet {
  const prior = classFrequencies(trainingLabels, classes);
  return multiclassMetrics(evaluationLabels, evaluationLabels.map(() => prior));
}
