/** The files a training run leaves for the exporter and for people: model, manifest draft, JSON and text reports. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FeatureSpecRef, LabelDefinition } from "../../core/ml/index.js";
import type { ManifestDraft } from "./manifest.js";
import { renderTextReport, reportJson } from "./report.js";
import type { FinalModel, TrainResult } from "./train.js";

/** File names written by {@link writeArtifacts}. */
export const ARTIFACT_FILES = Object.freeze({
  model: "model.json",
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
 * Writes model.json, manifest-draft.json, report.json and report.txt into `directory` (created if missing,
 * files replaced) and returns their paths.
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
    manifestDraft: join(directory, ARTIFACT_FILES.manifestDraft),
    reportJson: join(directory, ARTIFACT_FILES.reportJson),
    reportText: join(directory, ARTIFACT_FILES.reportText),
  };
  writeFileSync(paths.model, `${JSON.stringify(modelFile(result, featureNames))}\n`);
  writeFileSync(paths.manifestDraft, `${JSON.stringify(result.manifestDraft, null, 2)}\n`);
  writeFileSync(paths.reportJson, reportJson(result.report));
  writeFileSync(paths.reportText, renderTextReport(result.report));
  return paths;
}
