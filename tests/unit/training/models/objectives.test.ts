/** The boosting objectives: gradients and hessians against finite differences, and stable losses at extreme margins. */
import { describe, expect, it } from "vitest";
import {
  binaryGradients,
  binaryLogLoss,
  meanMarginLogLoss,
  probabilityLogLoss,
  sigmoid,
  softmaxGradients,
  softmaxLogLoss,
} from "../../../../training/models/objectives.js";
import { mulberry32 } from "../../../../training/models/random.js";

const STEP = 1e-5;

function binaryGradientAt(margin: number, label: number): { g: number; h: number } {
  const grad = new Float64Array(1);
  const hess = new Float64Array(1);
  binaryGradients(Float64Array.of(margin), Int32Array.of(label), grad, hess);
  return { g: grad[0] ?? Number.NaN, h: hess[0] ?? Number.NaN };
}

function softmaxGradientAt(margins: Float64Array, label: number): { g: Float64Array; h: Float64Array } {
  const g = new Float64Array(margins.length);
  const h = new Float64Array(margins.length);
  softmaxGradients(margins, Int32Array.of(label), margins.length, g, h);
  return { g, h };
}

function shifted(margins: Float64Array, k: number, by: number): Float64Array {
  const copy = Float64Array.from(margins);
  copy[k] = (copy[k] ?? 0) + by;
  return copy;
}

describe("binary log-loss", () => {
  it.each([-6, -1.3, -1e-3, 0, 0.7, 4.2])("has g = dL/dm and h = dg/dm at margin %d for both labels", (margin) => {
    for (const label of [0, 1]) {
      const { g, h } = binaryGradientAt(margin, label);
      const numericG = (binaryLogLoss(margin + STEP, label) - binaryLogLoss(margin - STEP, label)) / (2 * STEP);
      const gUp = binaryGradientAt(margin + STEP, label).g;
      const numericH = (gUp - binaryGradientAt(margin - STEP, label).g) / (2 * STEP);
      expect(g).toBeCloseTo(numericG, 8);
      expect(h).toBeCloseTo(numericH, 8);
      expect(h).toBeGreaterThan(0);
    }
  });

  it("stays finite and exact at extreme margins", () => {
    expect(sigmoid(-1_000)).toBe(0);
    expect(sigmoid(1_000)).toBe(1);
    expect(binaryLogLoss(1_000, 0)).toBe(1_000);
    expect(binaryLogLoss(-1_000, 1)).toBe(1_000);
    expect(binaryLogLoss(1_000, 1)).toBe(0);
    expect(binaryLogLoss(0, 1)).toBeCloseTo(Math.LN2, 15);
  });
});

describe("softmax log-loss", () => {
  it("has g_k = dL/dm_k and h_k = dg_k/dm_k for random margins, every class and label", () => {
    const random = mulberry32(3);
    for (let trial = 0; trial < 20; trial += 1) {
      const margins = Float64Array.from({ length: 3 }, () => 6 * random() - 3);
      const label = trial % 3;
      const { g, h } = softmaxGradientAt(margins, label);
      for (let k = 0; k < 3; k += 1) {
        const up = softmaxLogLoss(shifted(margins, k, STEP), 0, 3, label);
        const down = softmaxLogLoss(shifted(margins, k, -STEP), 0, 3, label);
        const gUp = softmaxGradientAt(shifted(margins, k, STEP), label).g[k] ?? Number.NaN;
        const gDown = softmaxGradientAt(shifted(margins, k, -STEP), label).g[k] ?? Number.NaN;
        expect(g[k]).toBeCloseTo((up - down) / (2 * STEP), 8);
        expect(h[k]).toBeCloseTo((gUp - gDown) / (2 * STEP), 8);
      }
      expect(g.reduce((sum, value) => sum + value, 0)).toBeCloseTo(0, 14);
    }
  });

  it("lays gradients out class-major for several rows and survives huge margins", () => {
    const margins = Float64Array.of(0, 0, 0, 800, -800, 0);
    const grad = new Float64Array(6);
    const hess = new Float64Array(6);
    softmaxGradients(margins, Int32Array.of(2, 0), 3, grad, hess);
    const expectedGrad = [1 / 3, 0, 1 / 3, 0, 1 / 3 - 1, 0];
    const expectedHess = [2 / 9, 0, 2 / 9, 0, 2 / 9, 0];
    expectedGrad.forEach((value, at) => expect(grad[at]).toBeCloseTo(value, 15));
    expectedHess.forEach((value, at) => expect(hess[at]).toBeCloseTo(value, 15));
    expect(softmaxLogLoss(margins, 3, 3, 0)).toBe(0);
    expect(softmaxLogLoss(margins, 3, 3, 1)).toBe(1_600);
  });
});

describe("mean log-loss", () => {
  it("is ln 2 and ln 3 for zero margins and matches the probability form", () => {
    expect(meanMarginLogLoss(new Float64Array(2), Int32Array.of(0, 1), 2)).toBeCloseTo(Math.LN2, 15);
    expect(meanMarginLogLoss(new Float64Array(6), Int32Array.of(0, 2), 3)).toBeCloseTo(Math.log(3), 15);
    const margins = Float64Array.of(0.3, -1.2, 2);
    const labels = Int32Array.of(1, 0, 0);
    const probabilities = margins.map(sigmoid);
    expect(probabilityLogLoss(probabilities, labels, 2)).toBeCloseTo(meanMarginLogLoss(margins, labels, 2), 14);
  });

  it("clips probabilities of 0 and 1", () => {
    expect(probabilityLogLoss(Float64Array.of(0), [1], 2)).toBeCloseTo(-Math.log(1e-15), 10);
    expect(probabilityLogLoss(Float64Array.of(0, 0, 1), [2], 3)).toBeCloseTo(-Math.log(1 - 1e-15), 14);
  });
});
