/** The serving-slot rules: who serves next, which statuses change (demotions first), and what is refused. */
import { describe, expect, it } from "vitest";
import { ConflictError } from "../../../core/errors/app-error.js";
import { decidePromotion } from "../../../core/ml/promotion.js";
import {
  actorName,
  afterPlan,
  deployEventKind,
  planChampion,
  planShadow,
  planUnshadow,
  shadowRefusals,
  statusAfterLeavingSlot,
} from "../../../workers/models/slot-plans.js";
import { manifestFixture, SPEC_SHA256 } from "../ml/manifest-fixture.js";
import { modelRecord } from "./model-record.js";

const NOW_MS = Date.UTC(2026, 2, 1, 12);
const TARGET = { symbol: "XAUUSD", timeframe: "M1", featureSpecSha256: SPEC_SHA256, inputWidth: 29 } as const;

describe("statusAfterLeavingSlot", () => {
  it("retires a model that was ever champion and registers one that never was", () => {
    expect(statusAfterLeavingSlot(modelRecord(1, { deployedAtMs: NOW_MS }))).toBe("retired");
    expect(statusAfterLeavingSlot(modelRecord(1))).toBe("registered");
  });
});

describe("planChampion", () => {
  it("fills an empty champion slot", () => {
    const candidate = modelRecord(1);
    const plan = planChampion({ champion: null, shadow: null }, candidate, NOW_MS);
    expect(plan).toEqual({ next: { champion: candidate, shadow: null }, changes: [{ id: 1, status: "champion", deployedAtMs: NOW_MS }], replaced: null });
  });

  it("retires the old champion first, then promotes, and keeps another model's shadow", () => {
    const champion = modelRecord(1, { status: "champion", deployedAtMs: 1 });
    const shadow = modelRecord(3, { status: "shadow" });
    const plan = planChampion({ champion, shadow }, modelRecord(2), NOW_MS);
    expect(plan.changes).toEqual([{ id: 1, status: "retired" }, { id: 2, status: "champion", deployedAtMs: NOW_MS }]);
    expect([plan.next.champion?.id, plan.next.shadow?.id, plan.replaced?.id]).toEqual([2, 3, 1]);
  });

  it("empties the shadow slot when the shadow becomes champion", () => {
    const shadow = modelRecord(2, { status: "shadow" });
    const plan = planChampion({ champion: modelRecord(1, { status: "champion" }), shadow }, shadow, NOW_MS);
    expect(plan.next).toEqual({ champion: shadow, shadow: null });
    expect(afterPlan(shadow, plan)).toMatchObject({ status: "champion", deployedAtMs: NOW_MS });
  });

  it("refuses the champion itself with a conflict", () => {
    const champion = modelRecord(1, { status: "champion" });
    expect(() => planChampion({ champion, shadow: null }, champion, NOW_MS)).toThrow(ConflictError);
  });
});

describe("planShadow and planUnshadow", () => {
  it("replaces the shadow, sending the old one back to registered or retired, and keeps the champion", () => {
    const champion = modelRecord(1, { status: "champion" });
    const neverServed = modelRecord(2, { status: "shadow" });
    const servedBefore = modelRecord(3, { status: "shadow", deployedAtMs: 5 });
    expect(planShadow({ champion, shadow: neverServed }, modelRecord(4)).changes).toEqual([{ id: 2, status: "registered" }, { id: 4, status: "shadow" }]);
    const plan = planShadow({ champion, shadow: servedBefore }, modelRecord(4));
    expect(plan.changes).toEqual([{ id: 3, status: "retired" }, { id: 4, status: "shadow" }]);
    expect([plan.next.champion?.id, plan.next.shadow?.id, plan.replaced?.id]).toEqual([1, 4, 3]);
  });

  it("refuses the champion (not its own challenger) and the shadow itself", () => {
    const champion = modelRecord(1, { status: "champion" });
    const shadow = modelRecord(2, { status: "shadow" });
    expect(() => planShadow({ champion, shadow }, champion)).toThrow(/cannot also be its shadow/);
    expect(() => planShadow({ champion, shadow }, shadow)).toThrow(/already is the shadow/);
  });

  it("stops the shadow only", () => {
    const champion = modelRecord(1, { status: "champion" });
    const shadow = modelRecord(2, { status: "shadow", deployedAtMs: 7 });
    expect(planUnshadow({ champion, shadow }, shadow)).toEqual({ next: { champion, shadow: null }, changes: [{ id: 2, status: "retired" }], replaced: null });
    expect(() => planUnshadow({ champion, shadow }, champion)).toThrow(ConflictError);
    expect(afterPlan(champion, planUnshadow({ champion, shadow }, shadow))).toBe(champion);
  });
});

describe("shadowRefusals", () => {
  it("keeps only the unforceable refusals: scores never stop a shadow, a wrong instrument or spec does", () => {
    const weak = manifestFixture((m) => {
      m.metrics.heldOut.rows = 100;
      m.metrics.heldOut.logLoss = 0.7;
    });
    expect(decidePromotion({ candidate: weak, champion: null, target: TARGET }).promote).toBe(false);
    expect(shadowRefusals(decidePromotion({ candidate: weak, champion: null, target: TARGET }))).toEqual([]);
    const wrong = manifestFixture((m) => {
      m.timeframe = "M5";
      m.featureSpec.sha256 = "0".repeat(64);
    });
    expect(shadowRefusals(decidePromotion({ candidate: wrong, champion: null, target: TARGET }))).toEqual(["WRONG_INSTRUMENT", "FEATURE_SPEC_MISMATCH"]);
  });
});

describe("deployEventKind and actorName", () => {
  it("names a deploy that only force let through force-deploy", () => {
    const champion = manifestFixture((m) => void (m.version = "v0"));
    const candidate = manifestFixture();
    expect(deployEventKind(decidePromotion({ candidate, champion: null, target: TARGET }))).toBe("deploy");
    expect(deployEventKind(decidePromotion({ candidate, champion, target: TARGET, force: true }))).toBe("force-deploy");
    expect(deployEventKind(decidePromotion({ candidate, champion: null, target: TARGET, force: true }))).toBe("deploy");
  });

  it("records users by name and keys by prefix", () => {
    expect(actorName({ kind: "user", userId: "u1", username: "alice", role: "trader", tokenId: "t", tokenExpiresAtMs: 0 })).toBe("alice");
    expect(actorName({ kind: "api-key", keyId: "k1", prefix: "abcd2345", role: "trader", scopes: ["models"] })).toBe("key:abcd2345");
    expect(actorName(undefined)).toBe("anonymous");
  });
});
