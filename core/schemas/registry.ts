/**
 * Boundary schemas of the model registry: the catalogue record of a model, the upload form, list queries, the
 * deploy and rollback bodies, promotion decisions and the deployment history.
 */
import { z } from "zod";
import { TimeframeSchema } from "../market/timeframe.js";
import { LabelDefinitionSchema } from "../ml/labels.js";
import { FeatureSpecRefSchema, type HeldOutMetrics, ModelKindSchema, ModelManifestSchema, ModelVersionSchema, Sha256HexSchema } from "../ml/manifest.js";
import { PROMOTION_CODES, REFUSAL_CODES } from "../ml/promotion.js";
import { SymbolSchema } from "./common.js";
import { ServingStateSchema } from "./serving.js";

/** Largest upload the registry takes, bytes: the whole multipart body (model.onnx, manifest and framing), 32 MiB. */
export const MAX_MODEL_UPLOAD_BYTES = 33_554_432;

/** Largest manifest.json the registry takes, bytes (a manifest with 50 folds is about 20 KB). */
export const MAX_MANIFEST_BYTES = 262_144;

/**
 * Where a model stands: `registered` (uploaded, never served), `champion` (its signals act), `shadow` (scored beside
 * the champion), `retired` (was champion and was replaced; may come back by a rollback or a deploy).
 */
export const MODEL_STATUSES = ["registered", "champion", "shadow", "retired"] as const;
export const ModelStatusSchema = z.enum(MODEL_STATUSES).describe("registered, champion, shadow or retired (was champion, replaced)");
export type ModelStatus = z.infer<typeof ModelStatusSchema>;

/** The held-out scores of a model's manifest that the catalogue keeps for listing and comparing. */
export const HeldOutSummarySchema = z
  .object({
    rows: z.number().int().min(1).describe("Labelled held-out rows scored"),
    logLoss: z.number().min(0).describe("The model's held-out log-loss"),
    priorLogLoss: z.number().min(0).describe("The constant prior's log-loss on the same rows"),
    championVersion: ModelVersionSchema.nullable().describe("The champion scored on the same rows at training time; null when none"),
    championLogLoss: z.number().min(0).nullable().describe("That champion's log-loss on the same rows; null when none"),
    accuracy: z.number().min(0).max(1),
    auc: z.number().min(0).max(1).nullable().describe("ROC AUC (binary labels); null for three-class"),
  })
  .describe("Held-out scores from the manifest");
export type HeldOutSummary = z.infer<typeof HeldOutSummarySchema>;

/** The catalogue's summary of a manifest's held-out scores. */
export function heldOutSummaryOf(heldOut: HeldOutMetrics): HeldOutSummary {
  return {
    rows: heldOut.rows,
    logLoss: heldOut.logLoss,
    priorLogLoss: heldOut.prior.logLoss,
    championVersion: heldOut.champion?.version ?? null,
    championLogLoss: heldOut.champion?.logLoss ?? null,
    accuracy: heldOut.accuracy,
    auc: heldOut.auc,
  };
}

/** A registered model as the catalogue lists it (the full manifest is `GET /api/v1/models/{id}`). */
export const ModelRecordSchema = z.object({
  id: z.number().int().min(1).describe("Registry id"),
  symbol: SymbolSchema,
  timeframe: TimeframeSchema,
  version: ModelVersionSchema,
  modelKind: ModelKindSchema,
  status: ModelStatusSchema,
  featureSpec: FeatureSpecRefSchema,
  inputWidth: z.number().int().min(1).describe("Features per row the model takes"),
  label: LabelDefinitionSchema,
  classLabels: z.array(z.string()).min(2).describe("Class names by output column"),
  heldOut: HeldOutSummarySchema,
  parentVersion: ModelVersionSchema.nullable(),
  onnxSha256: Sha256HexSchema.describe("SHA-256 of model.onnx"),
  onnxBytes: z.number().int().min(1).describe("Size of model.onnx, bytes"),
  createdAtMs: z.number().int().describe("When training finished (from the manifest), epoch ms"),
  uploadedAtMs: z.number().int().describe("When the model was uploaded, epoch ms"),
  uploadedBy: z.string().describe("Who uploaded it: a username or key:<prefix>"),
  deployedAtMs: z.number().int().nullable().describe("When it last became champion, epoch ms; null if never"),
});
export type ModelRecord = z.infer<typeof ModelRecordSchema>;

/**
 * The multipart form of `POST /api/v1/models`: `manifest` (manifest.json, as a text field or a file) and `model`
 * (model.onnx). One part of each; sizes are checked by the route (413).
 */
export const ModelUploadFormSchema = z.object({
  manifest: z
    .union([z.string().min(1), z.instanceof(File)])
    .meta({ type: "string", description: "manifest.json: JSON text or a file part (see the ModelManifest schema)" }),
  model: z.instanceof(File).meta({ type: "string", format: "binary", description: "model.onnx: float32 [N, width] in, probabilities and label out" }),
});
export type ModelUploadForm = z.infer<typeof ModelUploadFormSchema>;

const PageLimitSchema = (defaultLimit: number, maxLimit: number) =>
  z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit).describe(`Items per page, newest first, at most ${maxLimit}`);

const BeforeIdSchema = z
  .string()
  .regex(/^\d{1,15}$/, "an id: digits only")
  .transform(Number)
  .describe("Only items with a smaller id (the `next` of the previous page)");

/** `GET /api/v1/models` query: filters and paging, newest first. */
export const ModelListQuerySchema = z.object({
  symbol: SymbolSchema.optional().describe("Only this instrument's models"),
  timeframe: TimeframeSchema.optional().describe("Only models of this timeframe"),
  status: ModelStatusSchema.optional().describe("Only models in this status"),
  limit: PageLimitSchema(100, 500),
  before: BeforeIdSchema.optional(),
});
export type ModelListQuery = z.infer<typeof ModelListQuerySchema>;

/** One page of the catalogue. */
export const ModelPageSchema = z.object({
  models: z.array(ModelRecordSchema).describe("Newest first"),
  next: z.number().int().nullable().describe("Pass as `before` for the next page; null on the last"),
});

/** The `{id}` of the registry's routes. */
export const ModelIdParamSchema = z.object({
  id: z.string().regex(/^\d{1,15}$/, "a model id: digits only").transform(Number).describe("Registry id of the model"),
});

/**
 * The manifest as the API documents it: ModelManifestSchema's fields, with the hyper-parameters as a plain object
 * (its recursive JSON value type cannot be written into OpenAPI). What the API answers was parsed with the full schema.
 */
const ManifestDocumentSchema = z
  .strictObject({
    ...ModelManifestSchema.shape,
    hyperParameters: z.record(z.string(), z.unknown()).describe("Trainer settings the model was fit with, as JSON values"),
  })
  .describe("The model's manifest.json (core/ml/manifest.ts)");

/** A model with its full manifest. */
export const ModelDetailSchema = z.object({ model: ModelRecordSchema, manifest: ManifestDocumentSchema });

/** `POST /api/v1/models` answer. */
export const ModelUploadedSchema = z.object({ model: ModelRecordSchema });

/** One reason of the promotion rule not to promote (core/ml/promotion.ts). */
export const PromotionRefusalSchema = z.object({
  code: z.enum(REFUSAL_CODES),
  message: z.string().describe("What failed, with the numbers"),
});

/** A decision of the promotion rule, as the API and the deployment history show it. */
export const PromotionDecisionSchema = z
  .object({
    code: z.enum(PROMOTION_CODES).describe("PROMOTE, FORCED, or the first refusal's code"),
    promote: z.boolean(),
    refusals: z.array(PromotionRefusalSchema).readonly().describe("Every check that failed, in the rule's order"),
    evidence: z.object({
      heldOutRows: z.number().int(),
      logLoss: z.number(),
      priorLogLoss: z.number(),
      championLogLoss: z.number().nullable(),
      gainOverPrior: z.number().describe("priorLogLoss − logLoss: positive when the candidate is better"),
      gainOverChampion: z.number().nullable().describe("championLogLoss − logLoss; null without a champion score"),
    }),
  })
  .describe("The promotion rule's decision (core/ml/promotion.ts)");

/** `POST /api/v1/models/{id}/deploy` body. */
export const DeployRequestSchema = z.strictObject({
  force: z.boolean().default(false).describe("Admin only: deploy despite forceable refusals (never a wrong instrument or feature spec)"),
  reason: z.string().trim().min(1).max(500).optional().describe("Why, for the deployment history"),
});
export type DeployRequest = z.infer<typeof DeployRequestSchema>;

/** `POST /api/v1/models/rollback` body. */
export const RollbackRequestSchema = z.strictObject({
  symbol: SymbolSchema,
  timeframe: TimeframeSchema.default("M1"),
  reason: z.string().trim().min(1).max(500).optional().describe("Why, for the deployment history"),
});
export type RollbackRequest = z.infer<typeof RollbackRequestSchema>;

/** What changed a symbol's serving slots. */
export const DEPLOYMENT_EVENTS = ["deploy", "force-deploy", "shadow", "unshadow", "rollback"] as const;
export const DeploymentEventKindSchema = z.enum(DEPLOYMENT_EVENTS);
export type DeploymentEventKind = z.infer<typeof DeploymentEventKindSchema>;

/** One change of a symbol's serving slots. */
export const DeploymentEventSchema = z.object({
  id: z.number().int(),
  symbol: SymbolSchema,
  timeframe: TimeframeSchema,
  event: DeploymentEventKindSchema,
  modelId: z.number().int().describe("The model that became champion (deploy, rollback) or shadow, or stopped shadowing"),
  modelVersion: ModelVersionSchema,
  replacedModelId: z.number().int().nullable().describe("The champion (or shadow) it replaced; null when the slot was empty"),
  replacedModelVersion: ModelVersionSchema.nullable(),
  actor: z.string().describe("Who: a username or key:<prefix>"),
  reason: z.string().nullable(),
  decision: PromotionDecisionSchema.nullable().describe("The promotion rule's decision (deploy, shadow); null for rollback, unshadow"),
  atMs: z.number().int(),
});
export type DeploymentEvent = z.infer<typeof DeploymentEventSchema>;

/** `GET /api/v1/models/deployments` query. */
export const DeploymentsQuerySchema = z.object({
  symbol: SymbolSchema.optional().describe("Only this instrument's events"),
  limit: PageLimitSchema(50, 500),
  before: BeforeIdSchema.optional(),
});
export type DeploymentsQuery = z.infer<typeof DeploymentsQuerySchema>;

/** One page of the deployment history. */
export const DeploymentsPageSchema = z.object({
  events: z.array(DeploymentEventSchema).describe("Newest first"),
  next: z.number().int().nullable().describe("Pass as `before` for the next page; null on the last"),
});

/** `POST /api/v1/models/{id}/deploy` answer. */
export const DeployedSchema = z.object({
  model: ModelRecordSchema.describe("The new champion"),
  decision: PromotionDecisionSchema,
  serving: ServingStateSchema.describe("What the instrument's Durable Object serves now"),
});

/** `POST /api/v1/models/{id}/shadow` answer. */
export const ShadowedSchema = z.object({
  model: ModelRecordSchema.describe("The new shadow"),
  decision: PromotionDecisionSchema.describe("The rule's decision; only WRONG_INSTRUMENT and FEATURE_SPEC_MISMATCH stop a shadow"),
  serving: ServingStateSchema,
});

/** `DELETE /api/v1/models/{id}/shadow` answer. */
export const UnshadowedSchema = z.object({ model: ModelRecordSchema, serving: ServingStateSchema });

/** `POST /api/v1/models/rollback` answer. */
export const RolledBackSchema = z.object({
  model: ModelRecordSchema.describe("The champion restored"),
  replaced: ModelRecordSchema.nullable().describe("The champion rolled back, now retired"),
  serving: ServingStateSchema,
});
