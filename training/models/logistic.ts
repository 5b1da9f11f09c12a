/** L2-regularised logistic regression, binary and multinomial, by full-batch L-BFGS on standardised features. */
import { type FeatureInput, type FeatureMatrix, requireClassLabels, toFeatureMatrix } from "./feature-matrix.js";
import { binaryLogLoss, sigmoid } from "./objectives.js";
import { type ClassObjective, classCount, requireSettings, withDefaults } from "./settings.js";
import { applyPostTransform, type PostTransform } from "./tree-ensemble.js";

/** What the model predicts: class 1 against class 0 (LOGISTIC), or one of three or more classes (SOFTMAX). */
export type LogisticObjective = ClassObjective;

/** Settings of {@link fitLogistic}; every one but `nClasses` has a default in {@link LOGISTIC_DEFAULTS}. */
export interface LogisticParams {
  /** "binary": labels 0/1, one coefficient row, LOGISTIC. "multiclass": a row per class, SOFTMAX. Default "binary". */
  readonly objective: LogisticObjective;
  /** Classes of the multiclass objective (at least 3; use "binary" for 2); default the largest label + 1. */
  readonly nClasses?: number;
  /**
   * Penalty λ in mean log-loss + λ/2 × Σ w², on the standardised coefficients (not the intercepts), ≥ 0; default
   * 1e-4. λ = 1 / (C × nRows) matches scikit-learn's `C`.
   */
  readonly l2: number;
  /** Most L-BFGS iterations; default 1,000. */
  readonly maxIterations: number;
  /** Converged once every component of the objective's gradient is at most this in absolute value; default 1e-8. */
  readonly tolerance: number;
  /** Correction pairs L-BFGS keeps; default 10. */
  readonly memory: number;
}

/** The defaults of {@link LogisticParams}. */
export const LOGISTIC_DEFAULTS: Readonly<Omit<LogisticParams, "nClasses">> = Object.freeze({
  objective: "binary",
  l2: 1e-4,
  maxIterations: 1_000,
  tolerance: 1e-8,
  memory: 10,
});

/**
 * A fitted linear classifier on raw features, shaped like ONNX `Imputer` → `LinearClassifier`: a missing value is
 * replaced by `imputeValues[j]`, then margin k is `intercepts[k] + Σ_j coefficients[k][j] × x_j`, then the
 * post-transform. Binary has one margin (the log-odds of class 1), multiclass one per class.
 */
export interface LinearModel {
  readonly kind: "logistic";
  readonly objective: LogisticObjective;
  /** 2 for binary, else the number of classes. */
  readonly nClasses: number;
  readonly nFeatures: number;
  /** Per margin, per raw feature (the standardisation folded in). ONNX `coefficients`, flattened row by row. */
  readonly coefficients: readonly (readonly number[])[];
  /** Per margin. ONNX `intercepts`. */
  readonly intercepts: readonly number[];
  /** What replaces a missing (NaN) feature: its training mean. ONNX `Imputer` `imputed_value_floats`. */
  readonly imputeValues: readonly number[];
  readonly postTransform: PostTransform;
  /** The model as fitted: z_j = (x_j − mean_j) / scale_j (a missing z_j is 0), then these coefficients. */
  readonly standardised: {
    readonly mean: readonly number[];
    /** Population standard deviation of the training values, or 1 for a constant feature. */
    readonly scale: readonly number[];
    readonly coefficients: readonly (readonly number[])[];
    readonly intercepts: readonly number[];
  };
  /** Penalised objective at the solution (mean log-loss + λ/2 Σ w²). */
  readonly objectiveValue: number;
  readonly iterations: number;
  /** False when `maxIterations` ran out or the line search stalled before the gradient tolerance was met. */
  readonly converged: boolean;
  readonly params: LogisticParams & { readonly nClasses: number };
}

interface MinimiseOptions {
  readonly maxIterations: number;
  readonly tolerance: number;
  readonly memory: number;
}

interface MinimiseResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/** Armijo's sufficient-decrease constant. */
const ARMIJO = 1e-4;
/** Smallest step the backtracking tries before the line search counts as stalled. */
const SMALLEST_STEP = 1e-20;

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += a[i]! * b[i]!;
  return sum;
}

function maxAbs(values: Float64Array): number {
  let largest = 0;
  for (const value of values) largest = Math.max(largest, Math.abs(value));
  return largest;
}

/**
 * Minimises a smooth convex function by L-BFGS (two-loop recursion, initial scaling sᵀy / yᵀy) with a backtracking
 * Armijo line search. `evaluate` writes the gradient at `x` into `grad` and returns the value.
 */
function minimiseLbfgs(
  evaluate: (x: Float64Array, grad: Float64Array) => number,
  start: Float64Array,
  options: MinimiseOptions,
): MinimiseResult {
  const size = start.length;
  let x = Float64Array.from(start);
  let grad = new Float64Array(size);
  let value = evaluate(x, grad);
  const steps: Float64Array[] = [];
  const gradientSteps: Float64Array[] = [];
  const inverseCurvatures: number[] = [];
  const direction = new Float64Array(size);
  const alphas = new Float64Array(options.memory);
  for (let iteration = 0; iteration < options.maxIterations; iteration += 1) {
    if (maxAbs(grad) <= options.tolerance) return { x, value, iterations: iteration, converged: true };
    for (let i = 0; i < size; i += 1) direction[i] = -grad[i]!;
    for (let pair = steps.length - 1; pair >= 0; pair -= 1) {
      const alpha = inverseCurvatures[pair]! * dot(steps[pair]!, direction);
      alphas[pair] = alpha;
      const gradientStep = gradientSteps[pair]!;
      for (let i = 0; i < size; i += 1) direction[i]! -= alpha * gradientStep[i]!;
    }
    const newest = steps.length - 1;
    const newestGradientStep = gradientSteps[newest];
    const scaling =
      newestGradientStep === undefined
        ? 1
        : 1 / (inverseCurvatures[newest]! * dot(newestGradientStep, newestGradientStep));
    for (let i = 0; i < size; i += 1) direction[i]! *= scaling;
    for (let pair = 0; pair < steps.length; pair += 1) {
      const beta = inverseCurvatures[pair]! * dot(gradientSteps[pair]!, direction);
      const step = steps[pair]!;
      for (let i = 0; i < size; i += 1) direction[i]! += (alphas[pair]! - beta) * step[i]!;
    }
    let slope = dot(grad, direction);
    if (!(slope < 0)) {
      steps.length = 0;
      gradientSteps.length = 0;
      inverseCurvatures.length = 0;
      for (let i = 0; i < size; i += 1) direction[i] = -grad[i]!;
      slope = dot(grad, direction);
    }
    let stepLength = steps.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    const candidate = new Float64Array(size);
    const candidateGrad = new Float64Array(size);
    let candidateValue = Number.POSITIVE_INFINITY;
    for (; stepLength >= SMALLEST_STEP; stepLength /= 2) {
      for (let i = 0; i < size; i += 1) candidate[i] = x[i]! + stepLength * direction[i]!;
      candidateValue = evaluate(candidate, candidateGrad);
      if (candidateValue <= value + ARMIJO * stepLength * slope) break;
    }
    if (stepLength < SMALLEST_STEP) return { x, value, iterations: iteration, converged: false };
    const step = new Float64Array(size);
    const gradientStep = new Float64Array(size);
    for (let i = 0; i < size; i += 1) {
      step[i] = candidate[i]! - x[i]!;
      gradientStep[i] = candidateGrad[i]! - grad[i]!;
    }
    const curvature = dot(step, gradientStep);
    if (curvature > 1e-12 * Math.sqrt(dot(step, step) * dot(gradientStep, gradientStep))) {
      if (steps.length === options.memory) {
        steps.shift();
        gradientSteps.shift();
        inverseCurvatures.shift();
      }
      steps.push(step);
      gradientSteps.push(gradientStep);
      inverseCurvatures.push(1 / curvature);
    }
    x = candidate;
    grad = candidateGrad;
    value = candidateValue;
  }
  return { x, value, iterations: options.maxIterations, converged: maxAbs(grad) <= options.tolerance };
}

interface Standardisation {
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  /** Row-major standardised features, a missing value as 0. */
  readonly z: Float64Array;
}

/** Mean and population standard deviation per feature over its present values, and the standardised matrix. */
function standardise(matrix: FeatureMatrix): Standardisation {
  const { values, nRows, nCols } = matrix;
  const mean = new Float64Array(nCols);
  const scale = new Float64Array(nCols);
  for (let col = 0; col < nCols; col += 1) {
    let count = 0;
    let sum = 0;
    for (let row = 0; row < nRows; row += 1) {
      const value = values[row * nCols + col]!;
      if (Number.isNaN(value)) continue;
      count += 1;
      sum += value;
    }
    const centre = count > 0 ? sum / count : 0;
    let squares = 0;
    for (let row = 0; row < nRows; row += 1) {
      const value = values[row * nCols + col]!;
      if (!Number.isNaN(value)) squares += (value - centre) * (value - centre);
    }
    const deviation = count > 0 ? Math.sqrt(squares / count) : 0;
    mean[col] = centre;
    scale[col] = deviation > 0 && Number.isFinite(deviation) ? deviation : 1;
  }
  const z = new Float64Array(nRows * nCols);
  for (let at = 0; at < z.length; at += 1) {
    const col = at % nCols;
    const value = values[at]!;
    z[at] = Number.isNaN(value) ? 0 : (value - mean[col]!) / scale[col]!;
  }
  if (!z.every(Number.isFinite)) throw new RangeError("fitLogistic: features must be finite or NaN (missing)");
  return { mean, scale, z };
}

/**
 * The penalised objective and its gradient on standardised rows. Parameters are `margins` blocks of
 * `nCols` coefficients followed by the intercept.
 */
function objective(z: Float64Array, labels: Int32Array, nCols: number, margins: number, l2: number) {
  const nRows = labels.length;
  const width = nCols + 1;
  const rowMargins = new Float64Array(margins);
  return (parameters: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let total = 0;
    for (let row = 0; row < nRows; row += 1) {
      const offset = row * nCols;
      for (let k = 0; k < margins; k += 1) {
        let margin = parameters[k * width + nCols]!;
        for (let col = 0; col < nCols; col += 1) margin += parameters[k * width + col]! * z[offset + col]!;
        rowMargins[k] = margin;
      }
      const label = labels[row]!;
      if (margins === 1) {
        total += binaryLogLoss(rowMargins[0]!, label);
        rowMargins[0] = sigmoid(rowMargins[0]!) - label;
      } else {
        let largest = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < margins; k += 1) largest = Math.max(largest, rowMargins[k]!);
        let sum = 0;
        for (let k = 0; k < margins; k += 1) sum += Math.exp(rowMargins[k]! - largest);
        total += largest + Math.log(sum) - rowMargins[label]!;
        for (let k = 0; k < margins; k += 1) {
          rowMargins[k] = Math.exp(rowMargins[k]! - largest) / sum - (k === label ? 1 : 0);
        }
      }
      for (let k = 0; k < margins; k += 1) {
        const residual = rowMargins[k]!;
        for (let col = 0; col < nCols; col += 1) grad[k * width + col]! += residual * z[offset + col]!;
        grad[k * width + nCols]! += residual;
      }
    }
    let penalty = 0;
    for (let k = 0; k < margins; k += 1) {
      for (let col = 0; col < nCols; col += 1) {
        const weight = parameters[k * width + col]!;
        penalty += weight * weight;
        grad[k * width + col] = grad[k * width + col]! / nRows + l2 * weight;
      }
      grad[k * width + nCols]! /= nRows;
    }
    return total / nRows + (l2 / 2) * penalty;
  };
}

function resolveParams(
  params: Partial<LogisticParams>,
  labels: ArrayLike<number>,
): LogisticParams & { nClasses: number } {
  const merged = withDefaults<LogisticParams>(LOGISTIC_DEFAULTS, params);
  const nClasses = classCount("fitLogistic", merged.objective, merged.nClasses, labels);
  const { l2, maxIterations, tolerance, memory } = merged;
  requireSettings("fitLogistic", [
    ["l2", l2, l2 >= 0, ">= 0"],
    ["maxIterations", maxIterations, Number.isInteger(maxIterations) && maxIterations >= 1, "a positive integer"],
    ["tolerance", tolerance, tolerance > 0, "> 0"],
    ["memory", memory, Number.isInteger(memory) && memory >= 1, "a positive integer"],
  ]);
  return { ...merged, nClasses };
}

/**
 * Fits L2-regularised logistic regression. Features are standardised (training mean and population standard
 * deviation; a missing value becomes the mean), the penalised mean log-loss is minimised by full-batch L-BFGS
 * from zero (a smooth convex problem, strictly convex in the coefficients when λ > 0, so L-BFGS converges to the
 * unique optimum without the O(n d² K²) Hessian Newton's method would need for the multinomial case), and the
 * standardisation is folded back into the coefficients and intercepts so the model reads raw features.
 * Deterministic. Features must be finite or NaN.
 * @example
 * const model = fitLogistic({ features: trainRows, labels: trainLabels }, { l2: 1e-3 });
 * const pUp = predictProba(model, testRows);
 */
export function fitLogistic(
  train: { readonly features: FeatureInput; readonly labels: ArrayLike<number> },
  params: Partial<LogisticParams> = {},
): LinearModel {
  const resolved = resolveParams(params, train.labels);
  const { nClasses } = resolved;
  const matrix = toFeatureMatrix(train.features);
  const { nRows, nCols } = matrix;
  if (nRows < 1) throw new RangeError("fitLogistic: needs at least one training row");
  const labels = requireClassLabels(train.labels, nRows, nClasses, "fitLogistic");
  const margins = nClasses === 2 ? 1 : nClasses;
  const { mean, scale, z } = standardise(matrix);
  const width = nCols + 1;
  const evaluate = objective(z, labels, nCols, margins, resolved.l2);
  const result = minimiseLbfgs(evaluate, new Float64Array(margins * width), resolved);
  const standardisedCoefficients: number[][] = [];
  const standardisedIntercepts: number[] = [];
  const coefficients: number[][] = [];
  const intercepts: number[] = [];
  for (let k = 0; k < margins; k += 1) {
    const weights = Array.from(result.x.subarray(k * width, k * width + nCols));
    const intercept = result.x[k * width + nCols]!;
    standardisedCoefficients.push(weights);
    standardisedIntercepts.push(intercept);
    coefficients.push(weights.map((weight, col) => weight / scale[col]!));
    intercepts.push(weights.reduce((sum, weight, col) => sum - (weight * mean[col]!) / scale[col]!, intercept));
  }
  return {
    kind: "logistic",
    objective: resolved.objective,
    nClasses,
    nFeatures: nCols,
    coefficients,
    intercepts,
    imputeValues: Array.from(mean),
    postTransform: nClasses === 2 ? "LOGISTIC" : "SOFTMAX",
    standardised: {
      mean: Array.from(mean),
      scale: Array.from(scale),
      coefficients: standardisedCoefficients,
      intercepts: standardisedIntercepts,
    },
    objectiveValue: result.value,
    iterations: result.iterations,
    converged: result.converged,
    params: resolved,
  };
}

/**
 * Raw margins, row-major: `nRows` × 1 for binary (log-odds of class 1), `nRows` × `nClasses` for multiclass.
 * @example
 * const margins = predictScores(model, rows);
 */
export function predictScores(model: LinearModel, rows: FeatureInput): Float64Array;
export function predictScores(model: LinearModel, values: Float64Array, nCols: number): Float64Array;
export function predictScores(model: LinearModel, input: FeatureInput | Float64Array, nCols?: number): Float64Array {
  return marginsOf(model, toFeatureMatrix(input, nCols ?? model.nFeatures));
}

function marginsOf(model: LinearModel, matrix: FeatureMatrix): Float64Array {
  if (matrix.nCols !== model.nFeatures) {
    throw new RangeError(`predict: the model reads ${model.nFeatures} features, the rows have ${matrix.nCols}`);
  }
  const { values, nRows, nCols } = matrix;
  const margins = model.intercepts.length;
  const scores = new Float64Array(nRows * margins);
  for (let row = 0; row < nRows; row += 1) {
    for (let k = 0; k < margins; k += 1) {
      const weights = model.coefficients[k]!;
      let margin = model.intercepts[k]!;
      for (let col = 0; col < nCols; col += 1) {
        const value = values[row * nCols + col]!;
        margin += weights[col]! * (Number.isNaN(value) ? model.imputeValues[col]! : value);
      }
      scores[row * margins + k] = margin;
    }
  }
  return scores;
}

/**
 * Class probabilities: binary gives P(class 1) per row, multiclass `nClasses` per row, row-major, summing to 1.
 * @example
 * const pUp = predictProba(binaryModel, rows); // pUp[r] = P(class 1 | row r)
 * const p = predictProba(threeClassModel, flatValues, 29); // p[3 * r + k] = P(class k | row r)
 */
export function predictProba(model: LinearModel, rows: FeatureInput): Float64Array;
export function predictProba(model: LinearModel, values: Float64Array, nCols: number): Float64Array;
export function predictProba(model: LinearModel, input: FeatureInput | Float64Array, nCols?: number): Float64Array {
  const scores = marginsOf(model, toFeatureMatrix(input, nCols ?? model.nFeatures));
  return applyPostTransform(scores, model.postTransform, model.nClasses);
}
