/** Logistic regression: a known optimum, a stationary multinomial fit, standardisation folding, probabilities. */
import { describe, expect, it } from "vitest";
import { featureMatrix } from "../../../../training/models/feature-matrix.js";
import {
  fitLogistic,
  LOGISTIC_DEFAULTS,
  type LinearModel,
  predictProba,
  predictScores,
} from "../../../../training/models/logistic.js";
import { mulberry32 } from "../../../../training/models/random.js";
import { accuracy, blobData, type Dataset, noisyData } from "./synthetic-data.js";

/** The root of an increasing function on [low, high], by bisection to machine precision. */
function bisect(f: (x: number) => number, low: number, high: number): number {
  let a = low;
  let b = high;
  for (let step = 0; step < 200; step += 1) {
    const middle = (a + b) / 2;
    if (f(middle) > 0) b = middle;
    else a = middle;
  }
  return (a + b) / 2;
}

/** Margins of the model as fitted: standardised features (missing as 0), standardised coefficients. */
function standardisedScores(model: LinearModel, data: Dataset): Float64Array {
  const { mean, scale, coefficients, intercepts } = model.standardised;
  const { values, nRows, nCols } = data.features;
  const margins = intercepts.length;
  const scores = new Float64Array(nRows * margins);
  for (let row = 0; row < nRows; row += 1) {
    for (let k = 0; k < margins; k += 1) {
      let margin = intercepts[k] ?? 0;
      for (let col = 0; col < nCols; col += 1) {
        const value = values[row * nCols + col] ?? 0;
        const z = Number.isNaN(value) ? 0 : (value - (mean[col] ?? 0)) / (scale[col] ?? 1);
        margin += (coefficients[k]?.[col] ?? 0) * z;
      }
      scores[row * margins + k] = margin;
    }
  }
  return scores;
}

/** The multinomial penalised objective, written independently of the library, on standardised parameters. */
function multinomialObjective(model: LinearModel, data: Dataset, parameters: number[]): number {
  const nCols = data.features.nCols;
  const width = nCols + 1;
  const shifted: LinearModel = {
    ...model,
    standardised: {
      ...model.standardised,
      coefficients: [0, 1, 2].map((k) => parameters.slice(k * width, k * width + nCols)),
      intercepts: [0, 1, 2].map((k) => parameters[k * width + nCols] ?? 0),
    },
  };
  const scores = standardisedScores(shifted, data);
  let total = 0;
  data.labels.forEach((label, row) => {
    const margins = [0, 1, 2].map((k) => scores[3 * row + k] ?? 0);
    total += Math.log(margins.reduce((sum, margin) => sum + Math.exp(margin), 0)) - (margins[label] ?? 0);
  });
  const penalty = parameters.reduce((sum, value, index) => (index % width === nCols ? sum : sum + value * value), 0);
  return total / data.labels.length + (model.params.l2 / 2) * penalty;
}

describe("fitLogistic", () => {
  it("finds the known optimum of a symmetric two-point problem and folds the scaling into raw coefficients", () => {
    // x = 1 (label 0) and x = 3 (label 1): mean 2, population std 1, so z = ∓1. By symmetry the standardised
    // intercept is 0 and the objective is log(1 + e^−w) + λ/2 w², stationary where λ w = sigmoid(−w).
    const l2 = 0.1;
    const model = fitLogistic({ features: [[1], [3]], labels: [0, 1] }, { l2, tolerance: 1e-12 });
    const weight = bisect((w) => l2 * w - 1 / (1 + Math.exp(w)), 0, 10);
    expect(model.converged).toBe(true);
    expect(model.standardised.mean).toEqual([2]);
    expect(model.standardised.scale).toEqual([1]);
    expect(model.standardised.coefficients[0]?.[0]).toBeCloseTo(weight, 10);
    expect(model.standardised.intercepts[0]).toBeCloseTo(0, 10);
    expect(model.coefficients[0]?.[0]).toBeCloseTo(weight, 10);
    expect(model.intercepts[0]).toBeCloseTo(-2 * weight, 10);
    expect(model.objectiveValue).toBeCloseTo(Math.log1p(Math.exp(-weight)) + (l2 / 2) * weight * weight, 12);
  });

  it("reaches a stationary point of the multinomial objective, with coefficients summing to 0 over classes", () => {
    const data = blobData(300, 21);
    const model = fitLogistic(data, { objective: "multiclass", l2: 0.01, tolerance: 1e-10 });
    expect(model.converged).toBe(true);
    const { coefficients, intercepts } = model.standardised;
    const parameters = [0, 1, 2].flatMap((k) => [...(coefficients[k] ?? []), intercepts[k] ?? 0]);
    const step = 1e-6;
    parameters.forEach((_, index) => {
      const up = parameters.map((value, at) => (at === index ? value + step : value));
      const down = parameters.map((value, at) => (at === index ? value - step : value));
      const slope = (multinomialObjective(model, data, up) - multinomialObjective(model, data, down)) / (2 * step);
      expect(Math.abs(slope)).toBeLessThan(1e-7);
    });
    expect(multinomialObjective(model, data, parameters)).toBeCloseTo(model.objectiveValue, 12);
    for (let col = 0; col < 3; col += 1) {
      const sum = [0, 1, 2].reduce((total, k) => total + (model.standardised.coefficients[k]?.[col] ?? 0), 0);
      expect(sum).toBeCloseTo(0, 7);
    }
  });

  it("gives multiclass probabilities summing to 1 and separates the blobs", () => {
    const train = blobData(600, 22);
    const test = blobData(600, 23);
    const model = fitLogistic(train, { objective: "multiclass" });
    expect(model.postTransform).toBe("SOFTMAX");
    expect(model.coefficients).toHaveLength(3);
    const p = predictProba(model, test.features);
    for (let row = 0; row < 600; row += 1) {
      expect((p[3 * row] ?? 0) + (p[3 * row + 1] ?? 0) + (p[3 * row + 2] ?? 0)).toBeCloseTo(1, 12);
    }
    expect(accuracy(p, test.labels, 3)).toBeGreaterThan(0.95);
  });

  it.each([
    { objective: "binary" as const, nClasses: 2 },
    { objective: "multiclass" as const, nClasses: 3 },
  ])("folds the standardisation without changing a margin ($objective)", ({ objective, nClasses }) => {
    const data = noisyData(2_000, 6, 24, nClasses);
    const random = mulberry32(25);
    const { values } = data.features;
    for (let at = 0; at < values.length; at += 6) values[at] = 1_000 + 50 * (values[at] ?? 0);
    for (let at = 1; at < values.length; at += 6) {
      values[at] = random() < 0.1 ? Number.NaN : 1e-4 * (values[at] ?? 0);
    }
    const model = fitLogistic(data, { objective });
    const folded = predictScores(model, data.features);
    const standardised = standardisedScores(model, data);
    folded.forEach((margin, at) => expect(margin).toBeCloseTo(standardised[at] ?? Number.NaN, 9));
    expect(model.imputeValues).toEqual(model.standardised.mean);
  });

  it("takes rows, a flat array or a matrix, and gives P(class 1) in (0, 1) for binary", () => {
    const data = noisyData(500, 3, 26);
    const model = fitLogistic(data);
    expect(model.postTransform).toBe("LOGISTIC");
    expect(model.coefficients).toHaveLength(1);
    const p = predictProba(model, data.features);
    expect(p).toHaveLength(500);
    expect(p.every((value) => value > 0 && value < 1)).toBe(true);
    const rows = [Float64Array.of(0.1, Number.NaN, 2), Float64Array.of(-1, 0.5, 0)];
    const flat = Float64Array.of(0.1, Number.NaN, 2, -1, 0.5, 0);
    expect(predictProba(model, flat, 3)).toEqual(predictProba(model, rows));
    expect(predictProba(model, featureMatrix(flat, 3))).toEqual(predictProba(model, rows));
  });

  it("gives a constant feature scale 1 and coefficient 0", () => {
    const data = noisyData(400, 3, 27);
    const { values } = data.features;
    for (let at = 2; at < values.length; at += 3) values[at] = 7;
    const model = fitLogistic(data, { l2: 1e-3 });
    expect(model.standardised.scale[2]).toBe(1);
    expect(model.coefficients[0]?.[2]).toBe(0);
  });

  it("has the documented defaults and refuses bad settings and infinite features", () => {
    const defaults = { objective: "binary", l2: 1e-4, maxIterations: 1_000, tolerance: 1e-8, memory: 10 };
    expect(LOGISTIC_DEFAULTS).toEqual(defaults);
    expect(() => fitLogistic({ features: [[1], [2]], labels: [0, 1] }, { l2: -1 })).toThrow(RangeError);
    expect(() => fitLogistic({ features: [[1], [2]], labels: [0, 2] })).toThrow(/label 1/);
    expect(() => fitLogistic({ features: [[1], [Number.POSITIVE_INFINITY]], labels: [0, 1] })).toThrow(/finite/);
  });
});
