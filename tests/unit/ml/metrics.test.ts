/** Metrics against hand-computed values, a brute-force AUC, and the constant-prior baseline built from training labels. */
import { describe, expect, it } from "vitest";
import {
  binaryAccuracy,
  binaryBrierScore,
  binaryLogLoss,
  binaryMetrics,
  binaryPriorMetrics,
  classFrequencies,
  multiclassAccuracy,
  multiclassBrierScore,
  multiclassLogLoss,
  multiclassMetrics,
  multiclassPriorMetrics,
  rocAuc,
} from "../../../core/ml/index.js";

const LABELS = [1, 0, 1, 0];
const PROBABILITIES = [0.9, 0.2, 0.6, 0.6];
const DIGITS = 14;

/** A seeded 32-bit LCG in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** AUC by its definition: over every (positive, negative) pair, 1 when the positive scores higher, 1/2 on a tie. */
function pairwiseAuc(labels: readonly number[], scores: readonly number[]): number {
  let wins = 0;
  let pairs = 0;
  labels.forEach((yi, i) => {
    if (yi !== 1) return;
    labels.forEach((yj, j) => {
      if (yj !== 0) return;
      const si = scores[i] ?? Number.NaN;
      const sj = scores[j] ?? Number.NaN;
      wins += si > sj ? 1 : si === sj ? 0.5 : 0;
      pairs += 1;
    });
  });
  return wins / pairs;
}

describe("binary metrics, by hand", () => {
  it("log-loss: −(ln 0.9 + ln 0.8 + ln 0.6 + ln 0.4) / 4", () => {
    expect(binaryLogLoss(LABELS, PROBABILITIES)).toBeCloseTo(0.4389051056530455, DIGITS);
    expect(binaryLogLoss([1, 0], [0.5, 0.5])).toBeCloseTo(Math.LN2, DIGITS);
  });

  it("log-loss clips probabilities to [1e-15, 1 − 1e-15]", () => {
    expect(binaryLogLoss([1], [0])).toBeCloseTo(34.538776394910684, 10);
    expect(binaryLogLoss([0], [1])).toBeCloseTo(-Math.log(1 - (1 - 1e-15)), 10);
    expect(binaryLogLoss([0], [1])).toBeCloseTo(34.54, 2);
    expect(binaryLogLoss([1], [1])).toBeGreaterThan(9e-16);
    expect(binaryLogLoss([1], [1])).toBeLessThan(1.1e-15);
  });

  it("AUC: 3.5 of the 4 positive/negative pairs ordered right (the 0.6/0.6 tie counts one half)", () => {
    expect(rocAuc(LABELS, PROBABILITIES)).toBe(0.875);
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4])).toBe(0);
    expect(rocAuc([1, 0, 1, 0, 0], [0.3, 0.3, 0.3, 0.3, 0.3])).toBe(0.5);
    expect(rocAuc([0, 1, 0, 1], [-5, 1e9, 2, 2])).toBe(0.875);
  });

  it("AUC equals the pairwise definition on 300 seeded rows with many ties", () => {
    const next = random(42);
    const labels = Array.from({ length: 300 }, () => (next() < 0.4 ? 1 : 0));
    const scores = labels.map((y) => Math.round((next() + 0.3 * y) * 10) / 10);
    expect(rocAuc(labels, scores)).toBeCloseTo(pairwiseAuc(labels, scores), 12);
    expect(rocAuc(labels, scores)).not.toBeCloseTo(0.5, 2);
  });

  it("Brier: (0.01 + 0.04 + 0.16 + 0.36) / 4", () => {
    expect(binaryBrierScore(LABELS, PROBABILITIES)).toBeCloseTo(0.1425, DIGITS);
  });

  it("accuracy at 0.5: p > 0.5 predicts 1, p = 0.5 predicts 0", () => {
    expect(binaryAccuracy(LABELS, PROBABILITIES)).toBe(0.75);
    expect(binaryAccuracy([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(binaryAccuracy([1, 1], [0.5, 0.5000001])).toBe(0.5);
  });

  it("binaryMetrics bundles the four", () => {
    expect(binaryMetrics(LABELS, PROBABILITIES)).toEqual({
      logLoss: binaryLogLoss(LABELS, PROBABILITIES),
      auc: 0.875,
      brier: binaryBrierScore(LABELS, PROBABILITIES),
      accuracy: 0.75,
    });
  });
});

describe("multiclass metrics, by hand", () => {
  const labels = [2, 0, 1, 1];
  const rows = [
    [0.1, 0.2, 0.7],
    [0.5, 0.25, 0.25],
    [0.3, 0.4, 0.3],
    [0.4, 0.4, 0.2],
  ];

  it("log-loss: −(ln 0.7 + ln 0.5 + ln 0.4 + ln 0.4) / 4", () => {
    expect(multiclassLogLoss(labels, rows)).toBeCloseTo(0.7206009, 7);
    expect(multiclassLogLoss(labels, rows)).toBeCloseTo(
      (0.35667494393873245 + 0.6931471805599453 + 2 * 0.916290731874155) / 4,
      DIGITS,
    );
  });

  it("Brier sums the squared errors over classes: (0.14 + 0.375 + 0.54 + 0.56) / 4", () => {
    expect(multiclassBrierScore(labels, rows)).toBeCloseTo(0.40375, DIGITS);
  });

  it("accuracy by argmax, a tie going to the lowest class index", () => {
    expect(multiclassAccuracy(labels, rows)).toBe(0.75);
    expect(multiclassMetrics(labels, rows).auc).toBeNull();
  });

  it("on two classes matches binary log-loss and accuracy, with twice the binary Brier", () => {
    const twoClass = PROBABILITIES.map((p) => [1 - p, p]);
    expect(multiclassLogLoss(LABELS, twoClass)).toBeCloseTo(binaryLogLoss(LABELS, PROBABILITIES), DIGITS);
    expect(multiclassAccuracy(LABELS, twoClass)).toBe(binaryAccuracy(LABELS, PROBABILITIES));
    expect(multiclassBrierScore(LABELS, twoClass)).toBeCloseTo(2 * binaryBrierScore(LABELS, PROBABILITIES), DIGITS);
  });

  it("clips the true class's probability at 1e-15", () => {
    expect(multiclassLogLoss([0], [[0, 0.5, 0.5]])).toBeCloseTo(34.538776394910684, 10);
  });
});

describe("constant-prior baseline", () => {
  it("binary: predicts the training frequency of class 1, never the evaluation's", () => {
    const prior = binaryPriorMetrics([0, 1, 1, 1], [1, 0, 1]);
    expect(prior.logLoss).toBeCloseTo((2 * 0.2876820724517809 + 1.3862943611198906) / 3, DIGITS);
    expect(prior.logLoss).not.toBeCloseTo(binaryLogLoss([1, 0, 1], [2 / 3, 2 / 3, 2 / 3]), 3);
    expect(prior.brier).toBeCloseTo((0.0625 + 0.5625 + 0.0625) / 3, DIGITS);
    expect(prior.accuracy).toBeCloseTo(2 / 3, DIGITS);
    expect(prior.auc).toBe(0.5);
  });

  it("binary: a class missing from training is clipped, not excused", () => {
    expect(binaryPriorMetrics([1, 1], [0, 1]).logLoss).toBeCloseTo(17.26978799617044, 10);
  });

  it("multiclass: predicts the training frequencies; accuracy is the training majority's share", () => {
    expect(classFrequencies([0, 1, 1, 2], 3)).toEqual([0.25, 0.5, 0.25]);
    const prior = multiclassPriorMetrics([0, 1, 1, 2], [1, 2, 0, 1], 3);
    expect(prior.logLoss).toBeCloseTo((2 * Math.LN2 + 2 * Math.log(4)) / 4, DIGITS);
    expect(prior.brier).toBeCloseTo((0.375 + 0.875 + 0.875 + 0.375) / 4, DIGITS);
    expect(prior.accuracy).toBe(0.5);
    expect(prior.auc).toBeNull();
  });

  it("a better-than-prior model scores lower log-loss than its prior on the same rows", () => {
    const next = random(3);
    const labels = Array.from({ length: 2_000 }, () => (next() < 0.45 ? 1 : 0));
    const informed = labels.map((y) => (y === 1 ? 0.55 + 0.1 * next() : 0.35 + 0.1 * next()));
    const model = binaryMetrics(labels, informed);
    const prior = binaryPriorMetrics(labels.slice(0, 1_000), labels.slice(1_000));
    const modelOnSameRows = binaryMetrics(labels.slice(1_000), informed.slice(1_000));
    expect(modelOnSameRows.logLoss).toBeLessThan(prior.logLoss);
    expect(model.auc).toBe(1);
  });
});

describe("input checks", () => {
  it.each([
    ["no rows", () => binaryLogLoss([], [])],
    ["mismatched lengths", () => binaryBrierScore([1, 0], [0.5])],
    ["a label 2 in a binary metric", () => binaryAccuracy([2], [0.5])],
    ["a fractional label", () => binaryLogLoss([0.5], [0.5])],
    ["a probability above 1", () => binaryLogLoss([1], [1.1])],
    ["a NaN probability", () => binaryBrierScore([1], [Number.NaN])],
    ["a non-finite AUC score", () => rocAuc([1, 0], [Number.POSITIVE_INFINITY, 0])],
    ["an AUC with one class", () => rocAuc([1, 1], [0.2, 0.8])],
    ["a row not summing to 1", () => multiclassLogLoss([0], [[0.5, 0.4, 0.2]])],
    ["ragged rows", () => multiclassAccuracy([0, 1], [[0.5, 0.5], [0.2, 0.3, 0.5]])],
    ["a single-class row", () => multiclassBrierScore([0], [[1]])],
    ["a label beyond the classes", () => multiclassLogLoss([3], [[0.2, 0.3, 0.5]])],
    ["frequencies over one class", () => classFrequencies([0], 1)],
    ["frequencies of nothing", () => classFrequencies([], 2)],
  ])("throws a RangeError on %s", (_name, call) => {
    expect(call).toThrow(RangeError);
  });

  it("accepts a row that misses 1 by float32 noise", () => {
    expect(multiclassLogLoss([1], [[0.2, 0.3000004, 0.5]])).toBeCloseTo(-Math.log(0.3000004), DIGITS);
  });
});
