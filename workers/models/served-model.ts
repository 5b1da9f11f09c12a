/** From catalogue rows to what an InstrumentDO serves: `ServedModel` per slot and the full assignment of a symbol. */
import { modelObjectKey, type AssignModelsArgs, type ServedModel } from "../../core/schemas/serving.js";
import type { ModelRecord } from "../../core/schemas/registry.js";

/**
 * What the InstrumentDO needs to load, check and monitor a registered model. Everything comes from the catalogue
 * record, which holds the manifest's serving fields, so assigning a slot reads no manifest from R2.
 * @example servedModelOf(toModelRecord(row)).onnxKey // "models/XAUUSD/v3/model.onnx"
 */
export function servedModelOf(record: ModelRecord): ServedModel {
  return {
    modelId: record.id,
    version: record.version,
    modelKind: record.modelKind,
    timeframe: record.timeframe,
    onnxKey: modelObjectKey(record.symbol, record.version, "model.onnx"),
    onnxSha256: record.onnxSha256,
    featureSpecSha256: record.featureSpec.sha256,
    inputWidth: record.inputWidth,
    label: record.label,
    classLabels: [...record.classLabels],
    heldOut: { logLoss: record.heldOut.logLoss, accuracy: record.heldOut.accuracy, priorLogLoss: record.heldOut.priorLogLoss },
  };
}

/**
 * The full assignment of a symbol's slots (the object always receives both).
 * @example assignmentOf("XAUUSD", championRecord, null)
 */
export function assignmentOf(symbol: string, champion: ModelRecord | null, shadow: ModelRecord | null): AssignModelsArgs {
  return {
    symbol,
    champion: champion === null ? null : servedModelOf(champion),
    shadow: shadow === null ? null : servedModelOf(shadow),
  };
}
