import { describe, expect, it } from "vitest";
import { inverseNormalCdf } from "../../../core/risk/inverse-normal.js";
import {
  correlationAdjustedExposureUsd,
  correlationMatrix,
  covarianceMatrix,
  historicalVar,
  parametricVar,
  portfolioVar,
  scenarioPnlUsd,
  zScore,
} from "../../../core/risk/var.js";
import { mulberry32 } from "./risk-builders.js";

describe("historicalVar", () => {
  it("is the loss of the ⌈n(1 − c)⌉-th worst scenario", () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 49 - i); // 49 … −50, unsorted order irrelevant
    expect(historicalVar(hundred, 0.95)).toBe(46); // 5th worst: −46
    expect(historicalVar(hundred, 0.99)).toBe(50); // worst: −50
    const twoHundred = Array.from({ length: 200 }, (_, i) => i - 100); // −100 … 99
    expect(historicalVar(twoHundred, 0.95)).toBe(91); // 10th worst: −91
    expect(historicalVar(twoHundred, 0.99)).toBe(99); // 2nd worst: −99
  });

  it("takes the worst scenario when n(1 − c) ≤ 1", () => {
    const ten = [5, -3, 2, -7, 1, 0, -1, 4, -2, 3];
    expect(historicalVar(ten, 0.95)).toBe(7);
    expect(historicalVar(ten, 0.99)).toBe(7);
  });

  it("is 0 when the quantile is a gain or there are no scenarios", () => {
    expect(historicalVar([1, 2, 3], 0.95)).toBe(0);
    expect(historicalVar([], 0.99)).toBe(0);
  });

  it("agrees with a full sort on random scenarios, ties included", () => {
    const random = mulberry32(11);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(random() * 2_000);
      const scenarios = Array.from({ length: n }, () => (random() < 0.2 ? 0 : Math.round((random() - 0.55) * 1_000) / 10));
      const sorted = [...scenarios].sort((a, b) => a - b);
      for (const confidence of [0.95, 0.99] as const) {
        const rank = Math.max(1, Math.ceil(Number((n * (1 - confidence)).toFixed(9))));
        expect(historicalVar(scenarios, confidence)).toBe(Math.max(0, -sorted[rank - 1]!));
      }
    }
  });

  it("refuses non-finite scenarios", () => {
    expect(() => historicalVar([1, Number.NaN], 0.95)).toThrow(RangeError);
  });
});

describe("z-values", () => {
  it("matches the normal quantiles to 1e-8", () => {
    expect(zScore(0.95)).toBeCloseTo(1.6448536269514722, 8);
    expect(zScore(0.99)).toBeCloseTo(2.3263478740408408, 8);
    expect(inverseNormalCdf(0.5)).toBe(0);
    expect(inverseNormalCdf(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(inverseNormalCdf(0.001)).toBeCloseTo(-3.090232306167813, 8);
    expect(inverseNormalCdf(1e-9)).toBeCloseTo(-5.997807015007686, 7);
  });

  it("is antisymmetric", () => {
    for (const p of [0.01, 0.02, 0.0243, 0.3, 0.49]) expect(inverseNormalCdf(p)).toBeCloseTo(-inverseNormalCdf(1 - p), 9);
  });

  it("refuses probabilities outside (0, 1)", () => {
    for (const p of [0, 1, -0.1, 1.5, Number.NaN]) expect(() => inverseNormalCdf(p)).toThrow(RangeError);
  });
});

describe("parametricVar", () => {
  it("is z · |e| · σ for one asset", () => {
    expect(parametricVar([100_000], [[0.0001]], 0.99)).toBeCloseTo(2.3263478740408408 * 1_000, 4);
    expect(parametricVar([-100_000], [[0.0001]], 0.95)).toBeCloseTo(1.6448536269514722 * 1_000, 4);
  });

  it("matches the closed form for two assets", () => {
    const [a, b, s1, s2, rho] = [230_000, -140_000, 0.001, 0.0015, 0.7];
    const covariance = [
      [s1 * s1, rho * s1 * s2],
      [rho * s1 * s2, s2 * s2],
    ];
    const closedForm = 2.3263478740408408 * Math.sqrt(a * a * s1 * s1 + b * b * s2 * s2 + 2 * a * b * rho * s1 * s2);
    expect(parametricVar([a, b], covariance, 0.99)).toBeCloseTo(closedForm, 6);
  });
});

describe("covarianceMatrix and correlationMatrix", () => {
  it("uses the sample (n − 1) covariance", () => {
    expect(covarianceMatrix([[1, 2, 3]])).toEqual([[1]]);
    expect(covarianceMatrix([[1, 2, 3], [2, 4, 6]])).toEqual([[1, 2], [2, 4]]);
    expect(() => covarianceMatrix([[1]])).toThrow(RangeError);
  });

  it("gives ±1 for perfectly (anti)correlated series", () => {
    const x = [0.01, -0.02, 0.005, 0.013, -0.007];
    const matrix = correlationMatrix([x, x.map((v) => 2 * v + 0.001), x.map((v) => -3 * v)]);
    expect(matrix[0]![0]).toBe(1);
    expect(matrix[0]![1]).toBeCloseTo(1, 12);
    expect(matrix[0]![2]).toBeCloseTo(-1, 12);
    expect(matrix[1]![2]).toBeCloseTo(-1, 12);
    expect(matrix[2]![1]).toBe(matrix[1]![2]);
  });

  it("knows nothing about a flat series or too few returns", () => {
    expect(correlationMatrix([[0.01, 0.02, 0.03], [0, 0, 0]])).toEqual([[1, null], [null, 1]]);
    expect(correlationMatrix([[0.01], [0.02]])).toEqual([[1, null], [null, 1]]);
    expect(() => correlationMatrix([[0.01, 0.02], [0.02]])).toThrow(RangeError);
  });
});

describe("correlationAdjustedExposureUsd", () => {
  it("nets hedged positions by their correlation", () => {
    expect(correlationAdjustedExposureUsd([100_000, -100_000], [[1, 1], [1, 1]])).toBe(0);
    expect(correlationAdjustedExposureUsd([100_000, 100_000], [[1, -1], [-1, 1]])).toBe(0);
    expect(correlationAdjustedExposureUsd([100_000, -60_000], [[1, 1], [1, 1]])).toBeCloseTo(40_000, 6);
    expect(correlationAdjustedExposureUsd([100_000, 100_000], [[1, 0], [0, 1]])).toBeCloseTo(100_000 * Math.SQRT2, 6);
    expect(correlationAdjustedExposureUsd([100_000, 100_000], [[1, 1], [1, 1]])).toBe(200_000);
  });

  it("never credits an unknown correlation", () => {
    expect(correlationAdjustedExposureUsd([100_000, -100_000], [[1, null], [null, 1]])).toBe(200_000);
    expect(correlationAdjustedExposureUsd([100_000, 50_000], [[1, null], [null, 1]])).toBe(150_000);
    expect(correlationAdjustedExposureUsd([-30_000], [[1]])).toBe(30_000);
  });
});

describe("portfolioVar", () => {
  function correlatedReturns(count: number, seed: number): number[][] {
    const random = mulberry32(seed);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const a: number[] = [];
    const b: number[] = [];
    for (let t = 0; t < count; t++) {
      const common = gauss();
      a.push(0.0008 * common);
      b.push(0.001 * (0.8 * common + 0.6 * gauss()));
    }
    return [a, b];
  }

  it("scales one-minute VaR to a day by √1440", () => {
    const returns = correlatedReturns(1_000, 7);
    const exposures = [230_000, -140_000];
    const report = portfolioVar(exposures, returns);
    const scale = Math.sqrt(1_440);
    const scenarios = scenarioPnlUsd(exposures, returns);
    const sorted = [...scenarios].sort((x, y) => x - y);
    expect(report.horizon).toEqual({ bars: 1_440, scale, returnCount: 1_000 });
    expect(report.historical95Usd).toBeCloseTo(-sorted[49]! * scale, 6); // ⌈1000 × 0.05⌉ = 50th worst
    expect(report.historical99Usd).toBeCloseTo(-sorted[9]! * scale, 6); // 10th worst
    const covariance = covarianceMatrix(returns);
    const sigma = Math.sqrt(
      exposures[0]! ** 2 * covariance[0]![0]! + exposures[1]! ** 2 * covariance[1]![1]! + 2 * exposures[0]! * exposures[1]! * covariance[0]![1]!,
    );
    expect(report.parametric95Usd).toBeCloseTo(1.6448536269514722 * sigma * scale, 4);
    expect(report.parametric99Usd).toBeCloseTo(2.3263478740408408 * sigma * scale, 4);
    const rho = correlationMatrix(returns)[0]![1]!;
    expect(rho).toBeGreaterThan(0.7);
    expect(report.correlatedExposureUsd).toBeCloseTo(Math.sqrt(230_000 ** 2 + 140_000 ** 2 - 2 * rho * 230_000 * 140_000), 4);
  });

  it("reports no VaR and worst-case correlation below 30 returns", () => {
    const report = portfolioVar([230_000, -140_000], correlatedReturns(29, 3));
    expect(report).toMatchObject({ historical95Usd: null, historical99Usd: null, parametric95Usd: null, parametric99Usd: null, correlatedExposureUsd: 370_000 });
    expect(report.horizon.returnCount).toBe(29);
  });

  it("gives an empty portfolio zero risk", () => {
    expect(portfolioVar([], [])).toMatchObject({ historical95Usd: 0, historical99Usd: 0, parametric95Usd: 0, parametric99Usd: 0, correlatedExposureUsd: 0 });
  });
});
