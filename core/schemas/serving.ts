/**
 * The contract between the model registry (Worker, D1, R2) and the InstrumentDO that serves models: which models a
 * symbol runs (champion, shadow), and the signals they produce.
 */
import { z } from "zod";
import { LabelDefinitionSchema } from "../ml/labels.js";
import { ModelKindSchema, ModelVersionSchema, Sha256HexSchema } from "../ml/manifest.js";
import { TimeframeSchema } from "../market/timeframe.js";
import { QueryTimestampSchema, SymbolSchema } from "./common.js";

/** The two serving slots of a symbol: the champion acts, the shadow (a challenger) is scored beside it. */
export const SERVING_ROLES = ["champion", "shadow"] as const;
export const ServingRoleSchema = z.enum(SERVING_ROLES).describe("champion: its signals act; shadow: scored beside it");
export type ServingRole = z.infer<typeof ServingRoleSchema>;

/**
 * R2 key of a model's file: `models/<symbol>/<version>/<file>`.
 * @example modelObjectKey("XAUUSD", "XAUUSD-M1-20261121T231500Z-3f9a1c2b", "model.onnx")
 */
export function modelObjectKey(symbol: string, version: string, file: "model.onnx" | "manifest.json"): string {
  return `models/${symbol}/${version}/${file}`;
}

/** What the InstrumentDO needs to serve and monitor one registered model (taken from its manifest). */
export const ServedModelSchema = z.strictObject({
  modelId: z.number().int().min(1).describe("Registry id of the model"),
  version: ModelVersionSchema,
  modelKind: ModelKindSchema,
  timeframe: TimeframeSchema,
  onnxKey: z.string().min(1).describe("R2 key of model.onnx in the MODELS bucket"),
  onnxSha256: Sha256HexSchema.describe("SHA-256 of model.onnx; the object read from R2 must match it"),
  featureSpecSha256: Sha256HexSchema,
  inputWidth: z.number().int().min(1),
  label: LabelDefinitionSchema,
  classLabels: z.array(z.string().min(1)).min(2),
  heldOut: z
    .strictObject({
      logLoss: z.number().min(0),
      accuracy: z.number().min(0).max(1),
      priorLogLoss: z.number().min(0),
    })
    .describe("The manifest's held-out scores, shown beside the live ones"),
});
export type ServedModel = z.infer<typeof ServedModelSchema>;

/** `InstrumentDO.assignModels` arguments: the full assignment of a symbol's slots (null empties a slot). */
export const AssignModelsArgsSchema = z.strictObject({
  symbol: SymbolSchema,
  champion: ServedModelSchema.nullable(),
  shadow: ServedModelSchema.nullable(),
});
export type AssignModelsArgs = z.input<typeof AssignModelsArgsSchema>;

/** A symbol's slots as its InstrumentDO serves them. */
export const ServingStateSchema = z.object({
  symbol: SymbolSchema,
  champion: ServedModelSchema.nullable(),
  shadow: ServedModelSchema.nullable(),
  assignedAtMs: z.number().int().nullable().describe("When the slots were last assigned, epoch ms; null if never"),
});
export type ServingState = z.infer<typeof ServingStateSchema>;

/** What a signal tells the strategy: the argmax class as a direction. */
export const SIGNAL_ACTIONS = ["buy", "sell", "hold"] as const;
export const SignalActionSchema = z.enum(SIGNAL_ACTIONS);
export type SignalAction = z.infer<typeof SignalActionSchema>;

/** One model's prediction for one closed bar, and, once its horizon has passed, how it turned out. */
export const SignalSchema = z.object({
  ts: z.number().int().describe("Open time of the closed bar the signal is for, epoch ms UTC"),
  symbol: SymbolSchema,
  timeframe: TimeframeSchema,
  role: ServingRoleSchema,
  modelVersion: ModelVersionSchema,
  probabilities: z.record(z.string(), z.number()).describe("Probability per class label, e.g. { down, up }"),
  action: SignalActionSchema.describe("The most probable class as a direction: up/buy → buy, down/sell → sell, hold"),
  confidence: z.number().min(0).max(1).describe("Probability of the most probable class"),
  createdAtMs: z.number().int().describe("When the signal was made, epoch ms"),
  outcome: z
    .object({
      label: z.string().nullable().describe("The class that happened; null when the bar was excluded (gap, band)"),
      exclusion: z.string().nullable().describe("Why the bar has no label: GAP or IN_NO_TRADE_BAND"),
      logLoss: z.number().nullable().describe("−ln p(true class), clipped at 1e-15; null when excluded"),
      correct: z.boolean().nullable().describe("Whether the most probable class happened; null when excluded"),
      scoredAtBarTs: z.number().int().describe("Open time of the bar that decided the outcome"),
    })
    .nullable()
    .describe("Null until the label horizon has passed"),
});
export type Signal = z.infer<typeof SignalSchema>;

/** Largest page of signals one query returns. */
export const MAX_SIGNALS_PER_QUERY = 5_000;

/** The query of `GET /api/v1/signals/{symbol}` (the symbol comes from the path). */
export const SignalsQuerySchema = z
  .object({
    role: ServingRoleSchema.optional().describe("Only this slot's signals (default both)"),
    version: ModelVersionSchema.optional().describe("Only this model version's signals"),
    from: QueryTimestampSchema.optional().describe("Oldest bar time to return (inclusive)"),
    to: QueryTimestampSchema.optional().describe("Newest bar time to return (inclusive)"),
    limit: z.coerce.number().int().min(1).max(MAX_SIGNALS_PER_QUERY).default(500)
      .describe(`Signals per page, newest first, at most ${MAX_SIGNALS_PER_QUERY}`),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: "'from' must not be after 'to'",
    path: ["from"],
  });
export type SignalsQuery = z.infer<typeof SignalsQuerySchema>;

/** `InstrumentDO.signals` arguments. */
export const SignalsRpcArgsSchema = z.strictObject({
  symbol: SymbolSchema,
  role: ServingRoleSchema.optional(),
  version: ModelVersionSchema.optional(),
  fromMs: z.number().int().optional(),
  toMs: z.number().int().optional(),
  limit: z.number().int().min(1).max(MAX_SIGNALS_PER_QUERY),
});
export type SignalsRpcArgs = z.input<typeof SignalsRpcArgsSchema>;

/** Largest page of feature rows `InstrumentDO.featureRows` returns. */
export const MAX_FEATURE_ROWS_PER_QUERY = 5_000;

/** `InstrumentDO.featureRows` arguments: stored feature vectors of closed bars with open times in [fromMs, toMs]. */
export const FeatureRowsRpcArgsSchema = z.strictObject({
  symbol: SymbolSchema,
  fromMs: z.number().int(),
  toMs: z.number().int(),
  limit: z.number().int().min(1).max(MAX_FEATURE_ROWS_PER_QUERY).default(MAX_FEATURE_ROWS_PER_QUERY),
});

/** Rolling live scores of one model version beside its held-out ones (core/ml/live.ts). */
export const ModelLivePerformanceSchema = z.object({
  version: ModelVersionSchema,
  modelId: z.number().int(),
  role: ServingRoleSchema.nullable().describe("The slot it holds now; null when it no longer serves"),
  outcomes: z.number().int().describe("Scored outcomes in the rolling window (latest 500)"),
  logLoss: z.number().nullable().describe("Live mean log-loss of the window; null without outcomes"),
  accuracy: z.number().nullable().describe("Live share correct of the window; null without outcomes"),
  heldOutLogLoss: z.number().describe("The manifest's held-out log-loss"),
  heldOutAccuracy: z.number().describe("The manifest's held-out accuracy"),
  priorLogLoss: z.number().describe("The constant prior's held-out log-loss"),
  logLossExcess: z.number().nullable().describe("Live minus held-out log-loss, nats"),
  degraded: z.boolean().describe("At least 200 outcomes and a live log-loss more than 0.02 nats above the held-out one"),
  reason: z.string(),
});

export const LatestSignalResponseSchema = z.object({
  symbol: SymbolSchema,
  signal: SignalSchema.nullable().describe("The newest signal of the slot; null when it has none"),
});

export const SignalsResponseSchema = z.object({
  symbol: SymbolSchema,
  signals: z.array(SignalSchema).describe("Newest first"),
});

export const ModelPerformanceResponseSchema = z.object({
  symbol: SymbolSchema,
  serving: ServingStateSchema.nullable().describe("The models assigned to the symbol; null before any assignment"),
  championDegraded: z.boolean().describe("The champion is flagged degraded (the retraining trigger)"),
  models: z.array(ModelLivePerformanceSchema).describe("Every version the symbol has served, the serving ones first"),
});
