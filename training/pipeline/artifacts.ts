/** The files a training run leaves for the exporter and for people: model, manifest draft, JSON and text reports. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FeatureSpecRef, LabelDefinition, ModelManifest } from "../../core/ml/index.js";
import { exportEnsemble, exportLinear, exportTreeEnsemble, type ExportMetadata } from "../onnx/export.js";
import { completeManifest, type ManifestDraft } from "./manifest.js";
import { renderTextReport, reportJson } from "./report.js";
import type { FinalModel, TrainResult } from "./train.js";

/** File names written by {@link writeArtifacts}. */
export const ARTIFACT_FILES = Object.freeze({
  model: "model.json",
  onnx: "model.onnx",
  manifest: "manifest.json",
  manifestDraft: "manifest-draft.json",
  reportJson: "report.json",
  reportText: "report.txt",
});

/** Identifies the layout of model.json. */
export const MODEL_FILE_FORMAT = "aurum-pipeline-model/1";

/** model.json: the fitted final model(s) with what they read and predict, for the ONNX exporter. */
export interface ModelFile {
  readonly format: typeof MODEL_FILE_FORMAT;
  readonly symbol: string;
  readonly featureSpec: FeatureSpecRef;
  /** Input columns, in order. */
  readonly featureNames: readonly string[];
  readonly label: LabelDefinition;
  readonly classLabels: readonly string[];
  /** `gbdt` is a TreeEnsembleModel, `logistic` a LinearModel (training/models), as JSON. */
  readonly model: FinalModel;
}

/**
 * The model file of a result.
 * @example
 * const file = modelFile(result, dataset.featureNames);
 */
export function modelFile(result: TrainResult, featureNames: readonly string[]): ModelFile {
  const draft: ManifestDraft = result.manifestDraft;
  return {
    format: MODEL_FILE_FORMAT,
    symbol: draft.symbol,
    featureSpec: draft.featureSpec,
    featureNames,
    label: draft.label,
    classLabels: draft.classLabels,
    model: result.model,
  };
}

/**
 * The version a run is given: symbol, timeframe, the UTC time training finished and the data hash's first
 * characters, e.g. `XAUUSD-M1-20261121T231500Z-3f9a1c2b`.
 */
export function versionOf(draft: ManifestDraft): string {
  const stamp = new Date(draft.createdAtMs).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  return `${draft.symbol}-${draft.timeframe}-${stamp}-${draft.dataSha256.slice(0, 8)}`;
}

/** The final model as ONNX (tensor outputs, no ZipMap), carrying the feature spec, version and label definition. */
export function exportFinalModel(result: TrainResult, manifest: ModelManifest): Uint8Array {
  const metadata: ExportMetadata = {
    featureSpec: manifest.featureSpec,
    modelVersion: manifest.version,
    labelDefinition: manifest.label,
  };
  const model = result.model;
  if (model.kind === "gbdt") return exportTreeEnsemble(model.gbdt, { metadata });
  if (model.kind === "logistic") return exportLinear(model.logistic, { metadata });
  return exportEnsemble(model.gbdt, model.logistic, { weightGbdt: model.gbdtWeight, metadata });
}

/**
 * Writes model.onnx with its completed manifest.json (what the registry takes), model.json, the manifest draft,
 * report.json and report.txt into `directory` (created if missing, files replaced) and returns their paths.
 * @example
 * writeArtifacts("runs/gbdt", result, dataset.featureNames);
 */
export function writeArtifacts(
  directory: string,
  result: TrainResult,
  featureNames: readonly string[],
): Record<keyof typeof ARTIFACT_FILES, string> {
  mkdirSync(directory, { recursive: true });
  const paths = {
    model: join(directory, ARTIFACT_FILES.model),
    onnx: join(directory, ARTIFACT_FILES.onnx),
    manifest: join(directory, ARTIFACT_FILES.manifest),
    manifestDraft: join(directory, ARTIFACT_FILES.manifestDraft),
    reportJson: join(directory, ARTIFACT_FILES.reportJson),
    reportText: join(directory, ARTIFACT_FILES.reportText),
  };
  const manifest = completeManifest(result.manifestDraft, { version: versionOf(result.manifestDraft), parentVersion: null });
  writeFileSync(paths.onnx, exportFinalModel(result, manifest));
  writeFileSync(paths.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(paths.model, `${JSON.stringify(modelFile(result, featureNames))}\n`);
  writeFileSync(paths.manifestDraft, `${JSON.stringify(result.manifestDraft, null, 2)}\n`);
  writeFileSync(paths.reportJson, reportJson(result.report));
  writeFileSync(paths.reportText, renderTextReport(result.report));
  return paths;
}
