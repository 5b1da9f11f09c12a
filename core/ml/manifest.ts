/** The model manifest stored as `manifest.json` beside `model.onnx`: what a model is, what it saw and how it scored. */
import { z } from "zod";
import { TimeframeSchema } from "../market/timeframe.js";
import { classCount, LabelDefinitionSchema } from "./labels.js";

/** File name of the manifest in a model's R2 folder. */
export const MANIFEST_FILE_NAME = "manifest.json";

/** File name of the ONNX model in a model's R2 folder. */
export const MODEL_FILE_NAME = "model.onnx";

/** Model families the platform can serve. */
export const MODEL_KINDS = ["gbdt", "logistic", "ensemble"] as const;
export const ModelKindSchema = z.enum(MODEL_KINDS).describe("Model family: gbdt, logistic or ensemble");
export type ModelKind = z.infer<typeof ModelKindSchema>;

/** A SHA-256 digest as 64 lower-case hex digits. */
export const Sha256HexSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, "expected 64 lower-case hex digits")
  .describe("SHA-256 digest, 64 lower-case hex digits");

/** A model version: safe in an R2 key and a URL, e.g. "2026-03-24.1" or "v12". */
export const ModelVersionSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
  .describe("Model version, unique per symbol (the registry refuses a repeat), e.g. 2026-03-24.1");

/** The feature spec a model was trained on. */
export const FeatureSpecRefSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/).describe("Spec family, e.g. xau-m1-core"),
    version: z.number().int().min(1).describe("Spec version"),
    sha256: Sha256HexSchema.describe("SHA-256 of the spec's canonical JSON (canonicalFeatureSpecJson)"),
  })
  .describe("Feature spec the model's inputs were built with");
export type FeatureSpecRef = z.infer<typeof FeatureSpecRefSchema>;

/** Half-open range of row indices into the data set the manifest's `dataSha256` identifies. */
export const RowRangeSchema = z
  .strictObject({
    from: z.number().int().min(0).describe("First row, inclusive (0 = the data set's oldest bar)"),
    to: z.number().int().min(1).describe("End row, exclusive"),
  })
  .refine((range) => range.from < range.to, { message: "'from' must be before 'to' (a non-empty range)" })
  .describe("Rows [from, to) of the data set, one row per bar in time order");

const metricFields = {
  logLoss: z.number().min(0).describe("Mean negative log-likelihood of the true class (natural log, eps 1e-15)"),
  auc: z.number().min(0).max(1).nullable().describe("ROC AUC of P(class 1) for binary labels; null for three-class"),
  brier: z.number().min(0).max(2).describe("Brier score (binary: mean (p − y)²; three-class: summed over classes)"),
  accuracy: z.number().min(0).max(1).describe("Share of rows whose argmax class is the true class"),
};

/** The scores of one predictor on one set of rows (see core/ml/metrics.ts). */
export const MetricSetSchema = z.strictObject(metricFields).describe("Scores of one predictor on one set of rows");

const scoredRows = z
  .number()
  .int()
  .min(1)
  .describe("Labelled rows scored (rows of the range whose label is not excluded)");

/** Scores of one walk-forward fold, with the constant prior of its training labels on the same rows. */
export const FoldMetricsSchema = z
  .strictObject({
    fold: z.number().int().min(0).describe("Fold number, 0 for the oldest validation window"),
    train: RowRangeSchema.describe("Rows the fold's model was fit on"),
    validation: RowRangeSchema.describe("Rows the fold's model was scored on"),
    rows: scoredRows,
    ...metricFields,
    prior: MetricSetSchema.describe("Constant prior (the training rows' class frequencies) on the validation rows"),
  })
  .describe("Out-of-sample scores of one walk-forward fold");
export type FoldMetrics = z.infer<typeof FoldMetricsSchema>;

/** The current champion, scored on the candidate's held-out rows. */
export const ChampionMetricsSchema = z
  .strictObject({
    version: ModelVersionSchema.describe("Version of the champion that was scored"),
    ...metricFields,
  })
  .describe("The champion at training time, scored on this model's held-out rows");
export type ChampionMetrics = z.infer<typeof ChampionMetricsSchema>;

/** Scores of the final model on the held-out tail, with the prior and the champion on the same rows. */
export const HeldOutMetricsSchema = z
  .strictObject({
    range: RowRangeSchema.describe("The held-out tail: never fit, tuned or selected on"),
    rows: scoredRows,
    ...metricFields,
    prior: MetricSetSchema.describe("Constant prior (the final training rows' class frequencies) on the held-out rows"),
    champion: ChampionMetricsSchema.nullable().describe("The champion on the same rows; null when there was none"),
  })
  .describe("Scores of the final model on the held-out tail");
export type HeldOutMetrics = z.infer<typeof HeldOutMetricsSchema>;

/** How much each input drives the final model, largest first (what the dashboard's models page draws). */
export const FeatureImportanceSchema = z
  .strictObject({
    method: z
      .enum(["gain", "standardised-coefficient"])
      .describe("gain: total split gain of the final GBDT's trees; standardised-coefficient: |coefficient| of the logistic model on standardised inputs (mean over margins)"),
    features: z
      .array(
        z.strictObject({
          feature: z.string().min(1),
          importance: z.number().min(0).describe("The method's raw figure"),
          share: z.number().min(0).max(1).describe("importance over the total of all inputs"),
        }),
      )
      .min(1),
  })
  .describe("Feature importance of the final model");
export type FeatureImportance = z.infer<typeof FeatureImportanceSchema>;

const ManifestObjectSchema = z.strictObject({
  symbol: z.string().regex(/^[A-Z0-9]{3,12}$/).describe("Upper-case instrument symbol, e.g. XAUUSD"),
  timeframe: TimeframeSchema,
  modelKind: ModelKindSchema,
  version: ModelVersionSchema,
  featureSpec: FeatureSpecRefSchema,
  label: LabelDefinitionSchema,
  inputWidth: z.number().int().min(1).describe("Length of the feature vector the model takes"),
  classLabels: z
    .array(z.string().min(1))
    .min(2)
    .describe("Class names by output index; as many as the label definition's classes"),
  trainingWindow: z
    .strictObject({
      fromMs: z.number().int().describe("Open time of the first bar the final model was fit on, epoch ms UTC"),
      toMs: z.number().int().describe("Open time of the last bar the final model was fit on, epoch ms UTC"),
      rows: z.number().int().min(1).describe("Labelled rows the final model was fit on"),
    })
    .describe("What the final model was fit on: rows before the held-out purge"),
  dataSha256: Sha256HexSchema.describe("SHA-256 of the data set (features and labels) the row ranges index"),
  hyperParameters: z.record(z.string(), z.json()).describe("Trainer settings the model was fit with, as JSON values"),
  metrics: z
    .strictObject({
      folds: z.array(FoldMetricsSchema).min(1).describe("Walk-forward folds, oldest first"),
      heldOut: HeldOutMetricsSchema,
    })
    .describe("Out-of-sample scores only: never in-sample"),
  parentVersion: ModelVersionSchema.nullable().describe("Version this model was retrained from; null for a first one"),
  createdAtMs: z.number().int().min(0).describe("When training finished, epoch ms UTC"),
  trainerVersion: z.string().min(1).max(200).describe("Version of the trainer that produced the model"),
  featureImportance: FeatureImportanceSchema.nullable()
    .optional()
    .describe("Absent in manifests written before it was recorded"),
});

type ManifestObject = z.infer<typeof ManifestObjectSchema>;

function checkConsistency(manifest: ManifestObject, context: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => context.addIssue({ code: "custom", path, message });
  const horizon = manifest.label.horizonBars;
  const classes = classCount(manifest.label);
  if (manifest.classLabels.length !== classes) {
    issue(["classLabels"], `the label has ${classes} classes, got ${manifest.classLabels.length} class labels`);
  }
  if (new Set(manifest.classLabels).size !== manifest.classLabels.length) issue(["classLabels"], "class labels repeat");
  if (manifest.parentVersion === manifest.version) issue(["parentVersion"], "a model cannot be its own parent");
  if (manifest.trainingWindow.fromMs > manifest.trainingWindow.toMs) {
    issue(["trainingWindow", "toMs"], "the training window ends before it starts");
  }
  const { folds, heldOut } = manifest.metrics;
  let validatedTo = 0;
  folds.forEach((fold, index) => {
    const path = ["metrics", "folds", index];
    if (fold.fold !== index) issue([...path, "fold"], `folds must be numbered 0, 1, … in order; expected ${index}`);
    if (fold.validation.from - fold.train.to < horizon) {
      issue([...path, "validation"], `validation must start at least ${horizon} rows (the horizon) after training`);
    }
    if (fold.validation.from < validatedTo) {
      issue([...path, "validation"], "validation windows must not overlap or go back");
    }
    if (fold.rows > fold.validation.to - fold.validation.from) {
      issue([...path, "rows"], "more rows than the range holds");
    }
    validatedTo = fold.validation.to;
  });
  const lastUsed = Math.max(...folds.flatMap((fold) => [fold.train.to, fold.validation.to]));
  if (heldOut.range.from - lastUsed < horizon) {
    issue(["metrics", "heldOut", "range"], `the held-out tail must start at least ${horizon} rows after every fold`);
  }
  if (heldOut.rows > heldOut.range.to - heldOut.range.from) {
    issue(["metrics", "heldOut", "rows"], "more rows than the range holds");
  }
  if (manifest.trainingWindow.rows > heldOut.range.from - horizon) {
    issue(["trainingWindow", "rows"], "the final model was fit on more rows than precede the held-out purge");
  }
  if (heldOut.champion?.version === manifest.version) {
    issue(["metrics", "heldOut", "champion", "version"], "a model is not its own champion");
  }
  if (manifest.label.classes !== "binary") return;
  const requireAuc = (path: (string | number)[], auc: number | null) => {
    if (auc === null) issue([...path, "auc"], "a binary model's scores must include the AUC");
  };
  folds.forEach((fold, index) => {
    requireAuc(["metrics", "folds", index], fold.auc);
    requireAuc(["metrics", "folds", index, "prior"], fold.prior.auc);
  });
  requireAuc(["metrics", "heldOut"], heldOut.auc);
  requireAuc(["metrics", "heldOut", "prior"], heldOut.prior.auc);
  if (heldOut.champion !== null) requireAuc(["metrics", "heldOut", "champion"], heldOut.champion.auc);
}

/**
 * A model manifest. Strict at every level (an unknown key is refused) and checked across fields: as many class
 * labels as the label has classes, folds numbered in order with validation windows that move forward and start at
 * least the label horizon after their training rows, a held-out tail at least the horizon after every fold, and
 * no more final training rows than precede the held-out purge. Row ranges index the data set `dataSha256` names.
 * @example
 * const manifest = ModelManifestSchema.parse(JSON.parse(await object.text()));
 */
export const ModelManifestSchema = ManifestObjectSchema.superRefine(checkConsistency).describe(
  "Manifest of a trained model, stored as manifest.json beside model.onnx",
);
export type ModelManifest = z.infer<typeof ModelManifestSchema>;
