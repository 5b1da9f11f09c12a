/**
 * The files a training run leaves for the registry and for people: model.onnx with its completed manifest, the
 * fitted model as JSON, the manifest draft, JSON and text reports.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChampionMetrics, FeatureSpecRef, LabelDefinition, ModelManifest } from "../../core/ml/index.js";
import { exportEnsemble, exportLinear, exportTreeEnsemble, type ExportMetadata } from "../onnx/export.js";
import { completeManifest, type ManifestDraft } from "./manifest.js";
import { type ChampionComparison, renderTextReport, reportJson, type TrainingReport } from "./report.js";
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

/** What completes a run's artifacts beyond the training result. */
export interface ArtifactOptions {
  /**
   * The registry's champion beside the candidate (training/champion-score). When it was scored, the manifest
   * carries its held-out scores and `parentVersion` = its version; either way the reports show it. Default none.
   */
  readonly champion?: ChampionComparison | null;
}

/** The final model as the registry takes it, and the report that goes with it. */
export interface FinalArtifacts {
  /** The completed manifest (parsed by `ModelManifestSchema`). */
  readonly manifest: ModelManifest;
  /** model.onnx, carrying the manifest's version, feature spec and label definition. */
  readonly onnx: Uint8Array;
  /** The training report, with the champion when there was one. */
  readonly report: TrainingReport;
}

/**
 * The completed manifest, the ONNX model and the report of a result: version by {@link versionOf}, the champion's
 * held-out scores and `parentVersion` from `options.champion` when it was scored.
 * @example
 * const { manifest, onnx } = finalArtifacts(result, { champion: comparison });
 */
export function finalArtifacts(result: TrainResult, options: ArtifactOptions = {}): FinalArtifacts {
  const comparison = options.champion ?? null;
  const scored = comparison?.scored ?? null;
  const champion: ChampionMetrics | null =
    comparison === null || scored === null ? null : { version: comparison.version, ...scored.champion };
  const manifest = completeManifest(result.manifestDraft, {
    version: versionOf(result.manifestDraft),
    parentVersion: champion?.version ?? null,
    champion,
  });
  const report: TrainingReport = comparison === null ? result.report : { ...result.report, champion: comparison };
  return { manifest, onnx: exportFinalModel(result, manifest), report };
}

/**
 * Writes model.onnx with its completed manifest.json (what the registry takes), model.json, the manifest draft,
 * report.json and report.txt into `directory` (created if missing, files replaced); returns their paths and the
 * artifacts written.
 * @example
 * const { paths, manifest } = writeArtifacts("runs/gbdt", result, dataset.featureNames);
 */
export function writeArtifacts(
  directory: string,
  result: TrainResult,
  featureNames: readonly string[],
  options: ArtifactOptions = {},
): FinalArtifacts & { readonly paths: Record<keyof typeof ARTIFACT_FILES, string> } {
  mkdirSync(directory, { recursive: true });
  const paths = {
    model: join(directory, ARTIFACT_FILES.model),
    onnx: join(directory, ARTIFACT_FILES.onnx),
    manifest: join(directory, ARTIFACT_FILES.manifest),
    manifestDraft: join(directory, ARTIFACT_FILES.manifestDraft),
    reportJson: join(directory, ARTIFACT_FILES.reportJson),
    reportText: join(directory, ARTIFACT_FILES.reportText),
  };
  const artifacts = finalArtifacts(result, options);
  writeFileSync(paths.onnx, artifacts.onnx);
  writeFileSync(paths.manifest, manifestJson(artifacts.manifest));
  writeFileSync(paths.model, `${JSON.stringify(modelFile(result, featureNames))}\n`);
  writeFileSync(paths.manifestDraft, `${JSON.stringify(result.manifestDraft, null, 2)}\n`);
  writeFileSync(paths.reportJson, reportJson(artifacts.report));
  writeFileSync(paths.reportText, renderTextReport(artifacts.report));
  return { ...artifacts, paths };
}

/**
 * A manifest as the file manifest.json holds it: pretty JSON with a final newline.
 * @example
 * writeFileSync("manifest.json", manifestJson(manifest));
 */
export function manifestJson(manifest: ModelManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
