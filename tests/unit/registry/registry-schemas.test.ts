/** The registry's boundary schemas: defaults, refusals, and that the promotion rule's decisions fit the API shape. */
import { describe, expect, it } from "vitest";
import { decidePromotion } from "../../../core/ml/promotion.js";
import {
  DeployRequestSchema,
  DeploymentsQuerySchema,
  ModelIdParamSchema,
  ModelListQuerySchema,
  ModelRecordSchema,
  PromotionDecisionSchema,
  RollbackRequestSchema,
} from "../../../core/schemas/registry.js";
import { manifestFixture, SPEC_SHA256 } from "../ml/manifest-fixture.js";
import { modelRecord } from "./model-record.js";

describe("registry schemas", () => {
  it("defaults deploy to no force, rollback to M1, and upper-cases symbols", () => {
    expect(DeployRequestSchema.parse({})).toEqual({ force: false });
    expect(DeployRequestSchema.safeParse({ force: "yes" }).success).toBe(false);
    expect(DeployRequestSchema.safeParse({ force: true, extra: 1 }).success).toBe(false);
    expect(RollbackRequestSchema.parse({ symbol: "xauusd" })).toEqual({ symbol: "XAUUSD", timeframe: "M1" });
    expect(RollbackRequestSchema.safeParse({}).error?.issues.map((i) => i.path.join("."))).toEqual(["symbol"]);
  });

  it("reads ids and pages from strings, within limits", () => {
    expect(ModelIdParamSchema.parse({ id: "42" })).toEqual({ id: 42 });
    expect(ModelIdParamSchema.safeParse({ id: "4a" }).success).toBe(false);
    expect(ModelListQuerySchema.parse({})).toEqual({ limit: 100 });
    expect(ModelListQuerySchema.parse({ status: "shadow", before: "9", limit: "2" })).toEqual({ status: "shadow", before: 9, limit: 2 });
    expect(ModelListQuerySchema.safeParse({ status: "deleted" }).success).toBe(false);
    expect(DeploymentsQuerySchema.parse({ symbol: "eurusd" })).toEqual({ symbol: "EURUSD", limit: 50 });
    expect(DeploymentsQuerySchema.safeParse({ limit: "501" }).success).toBe(false);
  });

  it("describes every decision the promotion rule makes, and the catalogue records", () => {
    const target = { symbol: "XAUUSD", timeframe: "M1", featureSpecSha256: SPEC_SHA256, inputWidth: 29 } as const;
    const champion = manifestFixture((m) => void (m.version = "v0"));
    for (const decision of [
      decidePromotion({ candidate: manifestFixture(), champion: null, target }),
      decidePromotion({ candidate: manifestFixture(), champion, target }),
      decidePromotion({ candidate: manifestFixture(), champion, target, force: true }),
    ]) {
      expect(PromotionDecisionSchema.parse(decision)).toEqual(decision);
    }
    expect(ModelRecordSchema.parse(modelRecord(1))).toEqual(modelRecord(1));
  });
});
