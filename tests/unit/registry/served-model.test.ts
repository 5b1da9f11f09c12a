/** Catalogue records become what the InstrumentDO serves, in the shape its RPC validates. */
import { describe, expect, it } from "vitest";
import { AssignModelsArgsSchema, ServedModelSchema } from "../../../core/schemas/serving.js";
import { assignmentOf, servedModelOf } from "../../../workers/models/served-model.js";
import { modelRecord } from "./model-record.js";

describe("servedModelOf", () => {
  it("maps a record to a valid ServedModel with its R2 key and held-out scores", () => {
    const record = modelRecord(7, { version: "2026-03-24.1" });
    const served = servedModelOf(record);
    expect(ServedModelSchema.parse(served)).toEqual(served);
    expect(served).toEqual({
      modelId: 7,
      version: "2026-03-24.1",
      modelKind: "logistic",
      timeframe: "M1",
      onnxKey: "models/XAUUSD/2026-03-24.1/model.onnx",
      onnxSha256: record.onnxSha256,
      featureSpecSha256: record.featureSpec.sha256,
      inputWidth: 29,
      label: record.label,
      classLabels: ["down", "up"],
      heldOut: { logLoss: 0.68, accuracy: 0.54, priorLogLoss: 0.6931 },
    });
  });
});

describe("assignmentOf", () => {
  it("always names both slots, null for an empty one", () => {
    const assignment = assignmentOf("XAUUSD", modelRecord(1), null);
    expect(AssignModelsArgsSchema.parse(assignment)).toEqual(assignment);
    expect(assignment).toMatchObject({ symbol: "XAUUSD", champion: { modelId: 1 }, shadow: null });
    expect(assignmentOf("XAUUSD", null, modelRecord(2))).toMatchObject({ champion: null, shadow: { modelId: 2 } });
  });
});
