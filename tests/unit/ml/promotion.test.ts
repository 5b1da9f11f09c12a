/** The promotion rule: every code, its thresholds at the edge, refusals kept under force, and no exception. */
import { describe, expect, it } from "vitest";
import {
  decidePromotion,
  DEFAULT_PROMOTION_POLICY,
  type ModelManifest,
  PROMOTION_CODES,
  type PromotionCode,
  type PromotionDecision,
  PromotionPolicySchema,
  type PromotionRequest,
  type PromotionTarget,
  REFUSAL_CODES,
  UNFORCEABLE_REFUSALS,
} from "../../../core/ml/index.js";
import { championFixture, manifestFixture, SPEC_SHA256 } from "./manifest-fixture.js";

const TARGET: PromotionTarget = { symbol: "XAUUSD", timeframe: "M1", featureSpecSha256: SPEC_SHA256, inputWidth: 29 };
const SEEN = new Set<PromotionCode>();

function decide(change: Partial<PromotionRequest> = {}): PromotionDecision {
  const decision = decidePromotion({ candidate: manifestFixture(), champion: championFixture(), target: TARGET, ...change });
  SEEN.add(decision.code);
  for (const refusal of decision.refusals) SEEN.add(refusal.code);
  return decision;
}

function candidate(change: (manifest: ModelManifest) => void): ModelManifest {
  return manifestFixture(change);
}

function codes(decision: PromotionDecision): string[] {
  return decision.refusals.map((refusal) => refusal.code);
}

describe("decidePromotion", () => {
  it("PROMOTE: beats the prior and the champion on the same held-out rows by more than 0.0005", () => {
    const decision = decide();
    expect(decision).toEqual({
      code: "PROMOTE",
      promote: true,
      refusals: [],
      evidence: {
        heldOutRows: 2_800,
        logLoss: 0.68,
        priorLogLoss: 0.6931,
        championLogLoss: 0.685,
        gainOverPrior: 0.6931 - 0.68,
        gainOverChampion: 0.685 - 0.68,
      },
    });
  });

  it("PROMOTE: a first model needs only to beat the prior", () => {
    const first = candidate((m) => {
      m.parentVersion = null;
      m.metrics.heldOut.champion = null;
    });
    const decision = decide({ candidate: first, champion: null });
    expect(decision.code).toBe("PROMOTE");
    expect(decision.evidence.championLogLoss).toBeNull();
    expect(decision.evidence.gainOverChampion).toBeNull();
  });

  it("NOT_BETTER_THAN_PRIOR: a gain under the margin, none, or a loss", () => {
    for (const logLoss of [0.6927, 0.6931, 0.7]) {
      const decision = decide({ candidate: candidate((m) => void (m.metrics.heldOut.logLoss = logLoss)), champion: null });
      expect(decision.code).toBe("NOT_BETTER_THAN_PRIOR");
      expect(decision.promote).toBe(false);
    }
  });

  it("takes a gain of exactly the margin (0.693 − 0.6925, float noise aside), and a custom margin", () => {
    expect(0.693 - 0.6925).toBeLessThan(0.0005);
    const edge = candidate((m) => {
      m.metrics.heldOut.prior.logLoss = 0.693;
      m.metrics.heldOut.logLoss = 0.6925;
    });
    expect(decide({ candidate: edge, champion: null }).code).toBe("PROMOTE");
    expect(decide({ candidate: edge, champion: null, policy: { minImprovement: 0.001 } }).code).toBe("NOT_BETTER_THAN_PRIOR");
    expect(decide({ candidate: edge, champion: null, policy: { minImprovement: 0 } }).code).toBe("PROMOTE");
    const equal = candidate((m) => void (m.metrics.heldOut.logLoss = 0.6931));
    expect(decide({ candidate: equal, champion: null, policy: { minImprovement: 0 } }).code).toBe("NOT_BETTER_THAN_PRIOR");
  });

  it("NOT_BETTER_THAN_CHAMPION: better than the prior, but not than the champion by the margin", () => {
    for (const championLogLoss of [0.6803, 0.68, 0.67]) {
      const close = candidate((m) => void (m.metrics.heldOut.champion!.logLoss = championLogLoss));
      const decision = decide({ candidate: close });
      expect(decision.code).toBe("NOT_BETTER_THAN_CHAMPION");
      expect(codes(decision)).toEqual(["NOT_BETTER_THAN_CHAMPION"]);
    }
    const edge = candidate((m) => void (m.metrics.heldOut.champion!.logLoss = 0.6805));
    expect(decide({ candidate: edge }).code).toBe("PROMOTE");
  });

  it("compares with the champion's score on the candidate's held-out rows, not with its own manifest", () => {
    const strongOnItsOwnRows = championFixture((m) => void (m.metrics.heldOut.logLoss = 0.5));
    expect(decide({ champion: strongOnItsOwnRows }).code).toBe("PROMOTE");
  });

  it("CHAMPION_NOT_EVALUATED: a champion serves, but the held-out rows were scored with none or another", () => {
    const none = candidate((m) => void (m.metrics.heldOut.champion = null));
    expect(decide({ candidate: none }).code).toBe("CHAMPION_NOT_EVALUATED");
    const other = championFixture((m) => void (m.version = "v1b"));
    const decision = decide({ champion: other });
    expect(decision.code).toBe("CHAMPION_NOT_EVALUATED");
    expect(decision.refusals[0]?.message).toMatch(/champion is v1b.*champion v1/);
    expect(decision.evidence.championLogLoss).toBeNull();
  });

  it("LABEL_MISMATCH: the champion predicts another label, so the log-losses do not compare", () => {
    for (const label of [
      { kind: "direction", horizonBars: 30, classes: "binary", noTradeBandSpreads: 0 },
      { kind: "direction", horizonBars: 15, classes: "binary", noTradeBandSpreads: 1 },
    ] as const) {
      const decision = decide({ champion: championFixture((m) => void (m.label = { ...label })) });
      expect(decision.code).toBe("LABEL_MISMATCH");
      expect(codes(decision)).toEqual(["LABEL_MISMATCH"]);
    }
  });

  it("FEATURE_SPEC_MISMATCH: another spec hash or input width; the hash compares case-insensitively", () => {
    const otherHash = { ...TARGET, featureSpecSha256: "0".repeat(64) };
    expect(decide({ target: otherHash }).code).toBe("FEATURE_SPEC_MISMATCH");
    expect(decide({ target: { ...TARGET, inputWidth: 30 } }).code).toBe("FEATURE_SPEC_MISMATCH");
    expect(decide({ target: { ...TARGET, featureSpecSha256: SPEC_SHA256.toUpperCase() } }).code).toBe("PROMOTE");
  });

  it("TOO_FEW_HELD_OUT_ROWS: under 2,000 labelled held-out rows by default, or under the policy's", () => {
    const rows = (count: number) => candidate((m) => void (m.metrics.heldOut.rows = count));
    expect(decide({ candidate: rows(1_999) }).code).toBe("TOO_FEW_HELD_OUT_ROWS");
    expect(decide({ candidate: rows(2_000) }).code).toBe("PROMOTE");
    expect(decide({ candidate: rows(2_000), policy: { minHeldOutRows: 2_500 } }).code).toBe("TOO_FEW_HELD_OUT_ROWS");
  });

  it("WRONG_INSTRUMENT: another symbol or timeframe", () => {
    expect(decide({ target: { ...TARGET, symbol: "XAGUSD" } }).code).toBe("WRONG_INSTRUMENT");
    expect(decide({ target: { ...TARGET, timeframe: "M5" } }).code).toBe("WRONG_INSTRUMENT");
  });

  it("keeps every refusal, in check order, the first giving the code", () => {
    const bad = candidate((m) => {
      m.metrics.heldOut.rows = 100;
      m.metrics.heldOut.logLoss = 0.7;
    });
    const decision = decide({ candidate: bad, target: { ...TARGET, symbol: "XAGUSD", inputWidth: 12 } });
    expect(codes(decision)).toEqual([
      "WRONG_INSTRUMENT",
      "FEATURE_SPEC_MISMATCH",
      "TOO_FEW_HELD_OUT_ROWS",
      "NOT_BETTER_THAN_PRIOR",
      "NOT_BETTER_THAN_CHAMPION",
    ]);
    expect(decision.code).toBe("WRONG_INSTRUMENT");
    expect(decision.promote).toBe(false);
    for (const refusal of decision.refusals) expect(refusal.message.length).toBeGreaterThan(10);
  });

  it("FORCED: force promotes over quality refusals, keeping them", () => {
    const weak = candidate((m) => {
      m.metrics.heldOut.rows = 500;
      m.metrics.heldOut.logLoss = 0.7;
    });
    const decision = decide({ candidate: weak, force: true });
    expect(decision.code).toBe("FORCED");
    expect(decision.promote).toBe(true);
    expect(codes(decision)).toEqual(["TOO_FEW_HELD_OUT_ROWS", "NOT_BETTER_THAN_PRIOR", "NOT_BETTER_THAN_CHAMPION"]);
    const mismatched = decide({ champion: championFixture((m) => void (m.label.horizonBars = 5)), force: true });
    expect(mismatched.code).toBe("FORCED");
    expect(decide({ force: true }).code).toBe("PROMOTE");
    expect(decide({ candidate: weak, force: false }).code).toBe("TOO_FEW_HELD_OUT_ROWS");
  });

  it("does not force a model for another instrument or feature vector", () => {
    expect(UNFORCEABLE_REFUSALS).toEqual(["WRONG_INSTRUMENT", "FEATURE_SPEC_MISMATCH"]);
    const weak = candidate((m) => void (m.metrics.heldOut.logLoss = 0.7));
    const wrong = decide({ candidate: weak, target: { ...TARGET, timeframe: "M15" }, force: true });
    expect(wrong).toMatchObject({ code: "WRONG_INSTRUMENT", promote: false });
    expect(codes(wrong)).toContain("NOT_BETTER_THAN_PRIOR");
    const spec = decide({ target: { ...TARGET, inputWidth: 28 }, force: true });
    expect(spec).toMatchObject({ code: "FEATURE_SPEC_MISMATCH", promote: false });
  });

  it("refuses rather than throws on NaN scores or thresholds", () => {
    const nan = candidate((m) => void (m.metrics.heldOut.logLoss = Number.NaN));
    expect(() => decide({ candidate: nan })).not.toThrow();
    expect(decide({ candidate: nan }).code).toBe("NOT_BETTER_THAN_PRIOR");
    expect(decide({ policy: { minHeldOutRows: Number.NaN } }).code).toBe("TOO_FEW_HELD_OUT_ROWS");
    expect(decide({ policy: { minImprovement: Number.NaN } }).code).toBe("NOT_BETTER_THAN_PRIOR");
    expect(decide({ candidate: candidate((m) => void (m.metrics.heldOut.rows = Number.NaN)) }).code).toBe(
      "TOO_FEW_HELD_OUT_ROWS",
    );
  });

  it("has closed code lists and a policy schema with the documented defaults", () => {
    expect(PROMOTION_CODES).toEqual(["PROMOTE", "FORCED", ...REFUSAL_CODES]);
    expect(DEFAULT_PROMOTION_POLICY).toEqual({ minImprovement: 0.0005, minHeldOutRows: 2_000 });
    expect(PromotionPolicySchema.parse({ minHeldOutRows: 5_000 })).toEqual({ minImprovement: 0.0005, minHeldOutRows: 5_000 });
    expect(PromotionPolicySchema.safeParse({ minImprovement: -0.1 }).success).toBe(false);
    expect(PromotionPolicySchema.safeParse({ minHeldOutRows: 10, extra: 1 }).success).toBe(false);
  });

  it("has produced every code of PROMOTION_CODES in the tests above", () => {
    expect([...SEEN].sort()).toEqual([...PROMOTION_CODES].sort());
  });
});
