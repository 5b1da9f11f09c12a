/** The verdict rule and its standard error. */
import { describe, expect, it } from "vitest";
import type { MetricSet } from "../../../../core/ml/index.js";
import { blockedGainStandardError, verdictOf } from "../../../../training/pipeline/report.js";

const PRIOR: MetricSet = { logLoss: 0.693, auc: 0.5, brier: 0.25, accuracy: 0.5 };

function evidence(gain: number, standardError: number) {
  const model = { ...PRIOR, logLoss: PRIOR.logLoss - gain };
  return { rows: 18_000, model, prior: PRIOR, standardError, blockRows: 120 };
}

describe("verdictOf", () => {
  it("says the model beats the prior when the gain clears the margin and 2 standard errors", () => {
    const verdict = verdictOf(evidence(0.002, 0.0005));
    expect(verdict.beatsPrior).toBe(true);
    expect(verdict.text).toMatch(/^beats the prior out of sample by 0\.00200 log-loss \(4\.0 s\.e\.; held-out/);
  });

  it("says it does NOT when the gain is within 2 standard errors, however large", () => {
    const verdict = verdictOf(evidence(0.002, 0.0015));
    expect(verdict.beatsPrior).toBe(false);
    expect(verdict.text).toMatch(/^does NOT beat the prior out of sample: its gain of 0\.00200 log-loss is 1\.3 s\.e/);
    expect(verdict.text).toContain("within noise");
  });

  it("says it does NOT below the promotion margin or with a loss", () => {
    expect(verdictOf(evidence(0.0003, 0.00001)).beatsPrior).toBe(false);
    const losing = verdictOf(evidence(-0.0025, 0.0019));
    expect(losing.beatsPrior).toBe(false);
    expect(losing.text).toMatch(/^does NOT beat the prior out of sample \(held-out log-loss 0\.69550 vs prior 0\.693/);
    expect(losing.text).toContain("gain -0.00250 ± 0.00190 s.e.");
  });
});

describe("blockedGainStandardError", () => {
  it("is the spread of block mean gains over √blocks", () => {
    // Block 1: two up rows at p = 0.6 gain ln(0.6/0.5); block 2: two down rows lose ln(0.5/0.4).
    const se = blockedGainStandardError([1, 1, 0, 0], [0.6, 0.6, 0.6, 0.6], 0.5, 2);
    expect(se).toBeCloseTo((Math.log(0.6 / 0.5) - Math.log(0.4 / 0.5)) / 2, 12);
  });

  it("is 0 for the prior itself and NaN without two rows", () => {
    expect(blockedGainStandardError([1, 0, 1, 1, 0, 0], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], 0.5, 2)).toBe(0);
    expect(blockedGainStandardError([1], [0.7], 0.5, 2)).toBeNaN();
  });

  it("grows when neighbouring rows repeat each other (as overlapping labels do)", () => {
    const labels = Array.from({ length: 2_000 }, (_, row) => ((row * 7919) % 13 < 6 ? 1 : 0));
    const p = labels.map((_, row) => ((row * 104_729) % 17) / 40 + 0.3);
    const repeated = labels.flatMap((label) => new Array<number>(10).fill(label));
    const repeatedP = p.flatMap((value) => new Array<number>(10).fill(value));
    const independent = blockedGainStandardError(repeated, repeatedP, 0.5, 1);
    const blocked = blockedGainStandardError(repeated, repeatedP, 0.5, 100);
    expect(blocked).toBeGreaterThan(2 * independent);
  });
});
