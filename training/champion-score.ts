/**
 * Scores the registry's current champion on a candidate's held-out rows: the same feature rows and labels the
 * pipeline scored the candidate on, run through the champion's own model.onnx in onnxruntime-node, so that the
 * promotion gate compares the two on equal terms (a champion's own manifest scores it on other rows).
 */
import * as ort from "onnxruntime-node";
import { binaryMetrics, type MetricSet } from "../core/ml/index.js";
import type { FeatureMatrix } from "./models/feature-matrix.js";
import { OUTPUT_PROBABILITIES } from "./onnx/export.js";
import type { TrainingDataset } from "./pipeline/dataset.js";
import { rowSlice } from "./pipeline/fitters.js";
import type { ManifestDraft } from "./pipeline/manifest.js";
import { type ChampionComparison, scoredRows } from "./pipeline/report.js";
import type { ModelRecord, RegistryClient } from "./registry-client.js";
import type { TrainResult } from "./pipeline/train.js";

/**
 * Why `champion`'s held-out scores would not compare with the candidate's: another timeframe, feature spec (hash or
 * width), label definition or class order. Empty when they compare.
 * @example
 * championIncompatibilities(champion, result.manifestDraft); // ["feature spec sha256 1f… ≠ the candidate's 05…"]
 */
export function championIncompatibilities(champion: ModelRecord, draft: ManifestDraft): string[] {
  const reasons: string[] = [];
  if (champion.timeframe !== draft.timeframe) {
    reasons.push(`timeframe ${champion.timeframe} ≠ the candidate's ${draft.timeframe}`);
  }
  if (champion.featureSpec.sha256 !== draft.featureSpec.sha256) {
    reasons.push(
      `feature spec ${champion.featureSpec.name}@${champion.featureSpec.version} sha256 ` +
        `${champion.featureSpec.sha256.slice(0, 12)}… ≠ the candidate's ${draft.featureSpec.name}@` +
        `${draft.featureSpec.version} ${draft.featureSpec.sha256.slice(0, 12)}…`,
    );
  } else if (champion.inputWidth !== draft.inputWidth) {
    reasons.push(`input width ${champion.inputWidth} ≠ the candidate's ${draft.inputWidth}`);
  }
  const label = champion.label;
  const same =
    label.kind === draft.label.kind &&
    label.horizonBars === draft.label.horizonBars &&
    label.classes === draft.label.classes &&
    label.noTradeBandSpreads === draft.label.noTradeBandSpreads;
  if (!same) reasons.push(`label ${JSON.stringify(label)} ≠ the candidate's ${JSON.stringify(draft.label)}`);
  else if (champion.classLabels.join(",") !== draft.classLabels.join(",")) {
    reasons.push(`class labels [${champion.classLabels.join(", ")}] ≠ the candidate's [${draft.classLabels.join(", ")}]`);
  }
  return reasons;
}

/**
 * P(class 1) of a binary ONNX model (tensor output `probabilities`, one column per class) for row-major rows.
 * Throws when the model's output is not `nRows × 2`.
 * @example
 * const pUp = await onnxProbabilityOfClass1(bytes, rows.features);
 */
export async function onnxProbabilityOfClass1(
  onnx: Uint8Array,
  rows: FeatureMatrix,
): Promise<Float64Array> {
  const session = await ort.InferenceSession.create(onnx);
  try {
    const inputName = session.inputNames[0];
    if (inputName === undefined) throw new Error("the model has no input");
    const input = new ort.Tensor("float32", Float32Array.from(rows.values), [rows.nRows, rows.nCols]);
    const output = (await session.run({ [inputName]: input }))[OUTPUT_PROBABILITIES];
    if (output === undefined) throw new Error(`the model has no '${OUTPUT_PROBABILITIES}' output`);
    const data = output.data;
    if (!(data instanceof Float32Array) || output.dims.length !== 2 || output.dims[1] !== 2 || data.length !== rows.nRows * 2) {
      throw new Error(`'${OUTPUT_PROBABILITIES}' is not a float ${rows.nRows} × 2 tensor (dims [${output.dims.join(", ")}])`);
    }
    const pUp = new Float64Array(rows.nRows);
    for (let row = 0; row < rows.nRows; row += 1) pUp[row] = data[row * 2 + 1] ?? Number.NaN;
    return pUp;
  } finally {
    await session.release();
  }
}

/**
 * The scores of a binary ONNX model on the candidate's held-out rows (`result.splits.heldOut` of `dataset`): the
 * rows and labels the pipeline scored the candidate on, by core/ml's `binaryMetrics`.
 * @example
 * const metrics = await heldOutMetricsOfOnnx(bytes, dataset, result);
 */
export async function heldOutMetricsOfOnnx(
  onnx: Uint8Array,
  dataset: TrainingDataset,
  result: Pick<TrainResult, "splits">,
): Promise<MetricSet> {
  const range = result.splits.heldOut;
  const rows = rowSlice(dataset, range).features;
  const pUp = await onnxProbabilityOfClass1(onnx, rows);
  // A float32 runtime can round a probability a hair outside [0, 1]; the metrics refuse such values.
  const probabilities = Array.from(pUp, (p) => Math.min(1, Math.max(0, p)));
  return binaryMetrics(Array.from(dataset.labels.subarray(range.from, range.to)), probabilities);
}

/**
 * Asks the registry for the symbol's champion and, when it predicts what the candidate predicts from the same
 * features (see {@link championIncompatibilities}), downloads its model.onnx and scores it on the candidate's
 * held-out rows. Returns null when the slot has no champion (for the candidate's timeframe); a comparison without
 * scores (and the reason) when it is incompatible. Progress and findings go to `log`.
 * @example
 * const comparison = await compareWithChampion(registry, result, dataset, (line) => console.error(line));
 */
export async function compareWithChampion(
  registry: RegistryClient,
  result: Pick<TrainResult, "splits" | "manifestDraft" | "report">,
  dataset: TrainingDataset,
  log: (line: string) => void,
): Promise<ChampionComparison | null> {
  const draft = result.manifestDraft;
  const champions = await registry.listModels({ symbol: draft.symbol, status: "champion" });
  const champion = champions.find((record) => record.timeframe === draft.timeframe) ?? champions[0];
  if (champion === undefined) {
    log(`no champion for ${draft.symbol} in the registry: the candidate is scored against the prior only`);
    return null;
  }
  const reasons = championIncompatibilities(champion, draft);
  if (reasons.length > 0) {
    const because = reasons.join("; ");
    log(
      `champion ${champion.version} is incompatible (${because}): uploading without a champion score, so the ` +
        "registry will refuse promotion with CHAMPION_NOT_EVALUATED unless forced",
    );
    return { version: champion.version, scored: null, notScoredBecause: because };
  }
  log(`scoring champion ${champion.version} (model ${String(champion.id)}) on the ${result.report.heldOut.rows.toLocaleString("en-US")} held-out rows`);
  const onnx = await registry.downloadModel(champion.id);
  const metrics = await heldOutMetricsOfOnnx(onnx, dataset, result);
  const { gain } = scoredRows(result.report.heldOut.rows, result.report.heldOut.model, metrics, result.report.heldOut.priorUp);
  log(
    `champion ${champion.version}: held-out log-loss ${metrics.logLoss.toFixed(5)}, the candidate's ` +
      `${result.report.heldOut.model.logLoss.toFixed(5)} (gain ${gain.logLoss >= 0 ? "+" : ""}${gain.logLoss.toFixed(5)})`,
  );
  return { version: champion.version, scored: { rows: result.report.heldOut.rows, champion: metrics, gain }, notScoredBecause: null };
}
