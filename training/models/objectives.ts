/** The boosting objectives in margin space: binary log-loss and multiclass softmax, with gradients and hessians. */

import { LOG_LOSS_EPSILON } from "../../core/ml/metrics.js";

/** Probabilities are clipped to [eps, 1 − eps] before the logarithm (the platform's one definition, core/ml). */
export { LOG_LOSS_EPSILON };

/**
 * The logistic function 1 / (1 + e^−m), computed without overflow for any margin.
 * @example
 * sigmoid(0); // 0.5
 */
export function sigmoid(margin: number): number {
  if (margin >= 0) return 1 / (1 + Math.exp(-margin));
  const exp = Math.exp(margin);
  return exp / (1 + exp);
}

/**
 * Log-loss of one row of the binary objective: −log P(label), with P(1) = sigmoid(margin), computed stably as
 * log(1 + e^−|m|) + max(m, 0) − label × m.
 * @example
 * binaryLogLoss(0, 1); // ln 2
 */
export function binaryLogLoss(margin: number, label: number): number {
  return Math.log1p(Math.exp(-Math.abs(margin))) + Math.max(margin, 0) - label * margin;
}

/**
 * Log-loss of one row of the softmax objective: log Σ e^m_k − m_label, over the `nClasses` margins from `offset`.
 * @example
 * softmaxLogLoss([0, 0, 0], 0, 3, 2); // ln 3
 */
export function softmaxLogLoss(margins: ArrayLike<number>, offset: number, nClasses: number, label: number): number {
  let largest = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < nClasses; k += 1) largest = Math.max(largest, margins[offset + k] ?? Number.NaN);
  let sum = 0;
  for (let k = 0; k < nClasses; k += 1) sum += Math.exp((margins[offset + k] ?? Number.NaN) - largest);
  return largest + Math.log(sum) - (margins[offset + label] ?? Number.NaN);
}

/**
 * Gradient and hessian of {@link binaryLogLoss} in the margin, for every row: g = p − y, h = p (1 − p).
 * @example
 * binaryGradients(margins, labels, grad, hess); // grad, hess: Float64Array(margins.length)
 */
export function binaryGradients(
  margins: Float64Array,
  labels: Int32Array,
  grad: Float64Array,
  hess: Float64Array,
): void {
  for (let row = 0; row < margins.length; row += 1) {
    const p = sigmoid(margins[row]!);
    grad[row] = p - labels[row]!;
    hess[row] = p * (1 - p);
  }
}

/**
 * Gradient and diagonal hessian of {@link softmaxLogLoss} in each class margin: g_k = p_k − [y = k],
 * h_k = p_k (1 − p_k). `margins` is row-major (`nRows` × `nClasses`); `grad` and `hess` are class-major
 * (class `k`, row `r` at `k × nRows + r`), the layout one tree per class reads.
 * @example
 * softmaxGradients(margins, labels, 3, grad, hess); // grad, hess: Float64Array(3 * nRows)
 */
export function softmaxGradients(
  margins: Float64Array,
  labels: Int32Array,
  nClasses: number,
  grad: Float64Array,
  hess: Float64Array,
): void {
  const nRows = labels.length;
  for (let row = 0; row < nRows; row += 1) {
    const offset = row * nClasses;
    let largest = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < nClasses; k += 1) largest = Math.max(largest, margins[offset + k]!);
    let sum = 0;
    for (let k = 0; k < nClasses; k += 1) sum += Math.exp(margins[offset + k]! - largest);
    const label = labels[row]!;
    for (let k = 0; k < nClasses; k += 1) {
      const p = Math.exp(margins[offset + k]! - largest) / sum;
      grad[k * nRows + row] = p - (k === label ? 1 : 0);
      hess[k * nRows + row] = p * (1 - p);
    }
  }
}

/**
 * Mean log-loss of margins: binary (`nClasses` 2, one margin per row) or softmax (`nClasses` margins per row).
 * @example
 * meanMarginLogLoss(new Float64Array([0, 0]), Int32Array.of(0, 1), 2); // ln 2
 */
export function meanMarginLogLoss(margins: Float64Array, labels: Int32Array, nClasses: number): number {
  let total = 0;
  for (let row = 0; row < labels.length; row += 1) {
    total +=
      nClasses === 2
        ? binaryLogLoss(margins[row]!, labels[row]!)
        : softmaxLogLoss(margins, row * nClasses, nClasses, labels[row]!);
  }
  return total / labels.length;
}

/**
 * Mean log-loss of predicted probabilities, clipped by {@link LOG_LOSS_EPSILON}, on the flat typed-array layouts
 * the trainers use in their hot loop (core/ml's `binaryLogLoss` takes plain arrays): binary (`nClasses` 2) reads one
 * P(class 1) per row, multiclass reads `nClasses` probabilities per row (the layouts `predictProba` returns).
 * @example
 * probabilityLogLoss(Float64Array.of(0.5, 0.5), [0, 1], 2); // ln 2
 */
export function probabilityLogLoss(probabilities: Float64Array, labels: ArrayLike<number>, nClasses: number): number {
  const clip = (p: number) => Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, p));
  let total = 0;
  for (let row = 0; row < labels.length; row += 1) {
    const label = labels[row] ?? Number.NaN;
    const p =
      nClasses === 2
        ? label === 1
          ? (probabilities[row] ?? Number.NaN)
          : 1 - (probabilities[row] ?? Number.NaN)
        : (probabilities[row * nClasses + label] ?? Number.NaN);
    total -= Math.log(clip(p));
  }
  return total / labels.length;
}
