/** A catalogue record builder for the registry's unit tests: a registered XAUUSD M1 binary model. */
import type { ModelRecord } from "../../../core/schemas/registry.js";
import { SPEC_SHA256 } from "../ml/manifest-fixture.js";

/** Model `id` ("v<id>"), registered, never deployed, with `overrides` applied. */
export function modelRecord(id: number, overrides: Partial<ModelRecord> = {}): ModelRecord {
  return {
    id,
    symbol: "XAUUSD",
    timeframe: "M1",
    version: `v${id}`,
    modelKind: "logistic",
    status: "registered",
    featureSpec: { name: "xau-m1-core", version: 1, sha256: SPEC_SHA256 },
    inputWidth: 29,
    label: { kind: "direction", horizonBars: 15, classes: "binary", noTradeBandSpreads: 0 },
    classLabels: ["down", "up"],
    heldOut: { rows: 2_800, logLoss: 0.68, priorLogLoss: 0.6931, championVersion: null, championLogLoss: null, accuracy: 0.54, auc: 0.55 },
    parentVersion: null,
    onnxSha256: "ab".repeat(32),
    onnxBytes: 1_217,
    createdAtMs: Date.UTC(2026, 1, 21),
    uploadedAtMs: Date.UTC(2026, 1, 22),
    uploadedBy: "key:abcd2345",
    deployedAtMs: null,
    ...overrides,
  };
}
