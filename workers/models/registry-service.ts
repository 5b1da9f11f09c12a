/**
 * The model registry: registers uploaded models (R2 files, then the D1 row) and changes a symbol's serving slots —
 * deploy (gated by the promotion rule), shadow, unshadow, rollback. A slot change computes the new assignment, has
 * the InstrumentDO load it first (the risky part: R2 and ORT), then writes D1 in one batch (status changes and the
 * history event, whose per-slot sequence number makes concurrent changes collide); when that write fails the
 * object is given back what D1 records.
 */
import { ConflictError, NotFoundError, PromotionRefusedError } from "../../core/errors/app-error.js";
import type { Timeframe } from "../../core/market/timeframe.js";
import { decidePromotion, type PromotionDecision } from "../../core/ml/promotion.js";
import { type DeployRequest, heldOutSummaryOf, type ModelRecord, type ModelUploadForm, type RollbackRequest } from "../../core/schemas/registry.js";
import type { AssignModelsArgs, ServingState } from "../../core/schemas/serving.js";
import type { ModelManifest } from "../../core/ml/manifest.js";
import type { Db } from "../db/client.js";
import {
  currentChampionEvent,
  findDeploymentEvent,
  insertDeploymentEvent,
  latestSlotSequence,
  type DeploymentRow,
  type NewDeploymentRow,
} from "../db/model-deployments.js";
import { findModelById, findModelByVersion, insertModel, isUniqueViolation, setModelStatus, slotModels, toModelRecord } from "../db/models.js";
import { requireInstrument } from "../instruments.js";
import { describeError, type Logger } from "../log.js";
import type { Platform } from "../platform.js";
import { deleteModelFiles, readManifest, storeModelFiles } from "./model-files.js";
import { platformFeatures, promotionTarget, sha256Hex } from "./platform-target.js";
import { assignmentOf } from "./served-model.js";
import { assignModels } from "./serving-client.js";
import { afterPlan, deployEventKind, planChampion, planShadow, planUnshadow, shadowRefusals, type SlotPlan, type Slots } from "./slot-plans.js";
import { checkManifestFitsPlatform, parseUploadedManifest } from "./manifest-checks.js";
import { checkOnnxModel } from "./onnx-checks.js";

/** What the registry needs from the request it serves. */
export interface RegistryContext {
  readonly env: Env;
  readonly db: Db;
  readonly platform: Platform;
  /** Who acts: a username or key:<prefix>. */
  readonly actor: string;
  readonly nowMs: number;
  readonly log: Logger;
  /** Adds a target and details to the request's audit entry (merged with what was noted before). */
  readonly audit: (entry: { target?: string; details?: Record<string, unknown> }) => void;
}

/** The model with `id`, or 404. */
export async function requireModel(ctx: RegistryContext, id: number): Promise<ModelRecord> {
  const row = await findModelById(ctx.db, id);
  if (row === undefined) throw new NotFoundError(`no model ${id}`);
  return toModelRecord(row);
}

/** A model with its manifest (from R2). */
export async function modelDetail(ctx: RegistryContext, id: number): Promise<{ model: ModelRecord; manifest: ModelManifest }> {
  const model = await requireModel(ctx, id);
  return { model, manifest: await readManifest(ctx.env.MODELS, model.symbol, model.version) };
}

/**
 * Registers an uploaded model: manifest valid (400), instrument declared (404), trained on the platform's feature spec
 * and width (422), version new for the symbol (409), ONNX loads and fits the manifest (422); then both files go to
 * R2 and the row to D1 (the files are deleted again when the row cannot be written).
 */
export async function registerModel(ctx: RegistryContext, form: ModelUploadForm): Promise<ModelRecord> {
  const manifest = await parseUploadedManifest(form.manifest);
  const { symbol, version } = manifest;
  ctx.audit({ target: `model:${symbol}/${version}` });
  requireInstrument(ctx.platform, symbol);
  checkManifestFitsPlatform(manifest, await platformFeatures());
  const duplicate = () => new ConflictError(`${symbol} already has a model version ${version}`, { details: { symbol, version } });
  if ((await findModelByVersion(ctx.db, symbol, version)) !== undefined) throw duplicate();
  const onnx = new Uint8Array(await form.model.arrayBuffer());
  await checkOnnxModel(onnx, manifest);
  const onnxSha256 = await sha256Hex(onnx);
  const keys = await storeModelFiles(ctx.env.MODELS, symbol, version, { onnx, onnxSha256, manifestJson: JSON.stringify(manifest, null, 2) });
  try {
    const row = await insertModel(ctx.db, {
      symbol,
      timeframe: manifest.timeframe,
      version,
      modelKind: manifest.modelKind,
      status: "registered",
      featureSpec: manifest.featureSpec,
      inputWidth: manifest.inputWidth,
      label: manifest.label,
      classLabels: manifest.classLabels,
      heldOut: heldOutSummaryOf(manifest.metrics.heldOut),
      parentVersion: manifest.parentVersion,
      onnxSha256,
      onnxBytes: onnx.byteLength,
      createdAtMs: manifest.createdAtMs,
      uploadedAtMs: ctx.nowMs,
      uploadedBy: ctx.actor,
      deployedAtMs: null,
    });
    ctx.audit({ target: `model:${row.id}`, details: { symbol, version, onnxSha256, onnxBytes: onnx.byteLength } });
    return toModelRecord(row);
  } catch (error: unknown) {
    await deleteModelFiles(ctx.env.MODELS, keys);
    throw isUniqueViolation(error) ? duplicate() : error;
  }
}

/** A slot's state at one sequence number: changes committed later collide with a change planned on it. */
interface SlotHead {
  readonly sequence: number;
  readonly slots: Slots;
  /** The event that made the current champion champion. */
  readonly championEvent: DeploymentRow | undefined;
}

/** Reads the sequence first, then the state, so that any change committed after the read makes ours collide. */
async function readSlotHead(ctx: RegistryContext, symbol: string, timeframe: Timeframe): Promise<SlotHead> {
  const sequence = await latestSlotSequence(ctx.db, symbol, timeframe);
  const [slots, championEvent] = await Promise.all([slotModels(ctx.db, symbol, timeframe), currentChampionEvent(ctx.db, symbol, timeframe)]);
  return {
    sequence,
    slots: {
      champion: slots.champion === null ? null : toModelRecord(slots.champion),
      shadow: slots.shadow === null ? null : toModelRecord(slots.shadow),
    },
    championEvent,
  };
}

/** The history event of a slot change, without what {@link commitSlotChange} fills in. */
type EventDraft = Pick<NewDeploymentRow, "event" | "modelId" | "replacedModelId" | "previousChampionEventId" | "decision" | "reason">;

/** Has the object serve `plan.next`, then records the change in D1; compensates the object when D1 fails. */
async function commitSlotChange(
  ctx: RegistryContext,
  slot: { symbol: string; timeframe: Timeframe; head: SlotHead },
  plan: SlotPlan,
  event: EventDraft,
): Promise<ServingState> {
  const { symbol, timeframe, head } = slot;
  const serving = await assignModels(ctx.env, assignmentOf(symbol, plan.next.champion, plan.next.shadow));
  try {
    await ctx.db.batch([
      insertDeploymentEvent(ctx.db, { ...event, symbol, timeframe, sequence: head.sequence + 1, actor: ctx.actor, atMs: ctx.nowMs }),
      ...plan.changes.map((change) => setModelStatus(ctx.db, change.id, change.status, change.deployedAtMs)),
    ]);
  } catch (error: unknown) {
    await restoreServing(ctx, symbol, timeframe, assignmentOf(symbol, head.slots.champion, head.slots.shadow));
    if (isUniqueViolation(error)) {
      throw new ConflictError(`the serving slots of ${symbol} ${timeframe} changed meanwhile; re-read and retry`, { cause: error });
    }
    throw error;
  }
  return serving;
}

/**
 * Compensation after a failed D1 write: gives the object what D1 records now (another change may have committed),
 * or `before` when D1 cannot be read. A failure here is logged loudly: the object may serve what D1 does not record.
 */
async function restoreServing(ctx: RegistryContext, symbol: string, timeframe: Timeframe, before: AssignModelsArgs): Promise<void> {
  let assignment = before;
  try {
    const slots = await slotModels(ctx.db, symbol, timeframe);
    assignment = assignmentOf(
      symbol,
      slots.champion === null ? null : toModelRecord(slots.champion),
      slots.shadow === null ? null : toModelRecord(slots.shadow),
    );
  } catch (error: unknown) {
    ctx.log.warn("registry compensation could not read D1; restoring the assignment before the change", { symbol, ...describeError(error) });
  }
  try {
    await assignModels(ctx.env, assignment);
  } catch (error: unknown) {
    ctx.log.error("registry compensation failed: the Durable Object may serve models D1 does not record", { symbol, assignment, ...describeError(error) });
  }
}

/** What the audit log keeps of a decision. */
function auditedDecision(decision: PromotionDecision): Record<string, unknown> {
  return { code: decision.code, promote: decision.promote, refusals: decision.refusals, evidence: decision.evidence };
}

/**
 * What the promotion rule would decide for model `id` against the current champion, without deploying anything
 * (the training hand-off uses it to decide whether a trained model gets a deploy task).
 */
export async function previewPromotion(ctx: Pick<RegistryContext, "env" | "db">, id: number): Promise<{ model: ModelRecord; decision: PromotionDecision }> {
  const row = await findModelById(ctx.db, id);
  if (row === undefined) throw new NotFoundError(`no model ${id}`);
  const model = toModelRecord(row);
  const slots = await slotModels(ctx.db, model.symbol, model.timeframe);
  const champion = slots.champion === null || slots.champion.id === model.id ? null : toModelRecord(slots.champion);
  const [candidateManifest, championManifest] = await Promise.all([
    readManifest(ctx.env.MODELS, model.symbol, model.version),
    champion === null ? null : readManifest(ctx.env.MODELS, model.symbol, champion.version),
  ]);
  const decision = decidePromotion({ candidate: candidateManifest, champion: championManifest, target: await promotionTarget(model.symbol), force: false });
  return { model, decision };
}

/**
 * Makes model `id` the champion of its symbol and timeframe if the promotion rule allows it against the current
 * champion (refused → PromotionRefusedError, 409); `force` (checked for the admin role by the route) overrides the
 * score-based refusals. The shadow slot empties when the model was the shadow.
 */
export async function deployModel(
  ctx: RegistryContext,
  id: number,
  request: DeployRequest,
): Promise<{ model: ModelRecord; decision: PromotionDecision; serving: ServingState }> {
  ctx.audit({ target: `model:${id}`, details: { force: request.force, reason: request.reason ?? null } });
  const { symbol, timeframe } = await requireModel(ctx, id);
  requireInstrument(ctx.platform, symbol);
  const head = await readSlotHead(ctx, symbol, timeframe);
  const candidate = await requireModel(ctx, id);
  const plan = planChampion(head.slots, candidate, ctx.nowMs);
  const [candidateManifest, championManifest] = await Promise.all([
    readManifest(ctx.env.MODELS, symbol, candidate.version),
    head.slots.champion === null ? null : readManifest(ctx.env.MODELS, symbol, head.slots.champion.version),
  ]);
  const decision = decidePromotion({
    candidate: candidateManifest,
    champion: championManifest,
    target: await promotionTarget(symbol),
    force: request.force,
  });
  ctx.audit({ details: { version: candidate.version, champion: head.slots.champion?.version ?? null, decision: auditedDecision(decision) } });
  if (!decision.promote) throw new PromotionRefusedError(decision, `model ${id} (${candidate.version}) may not replace the champion: ${decision.code}`);
  const serving = await commitSlotChange(ctx, { symbol, timeframe, head }, plan, {
    event: deployEventKind(decision),
    modelId: candidate.id,
    replacedModelId: plan.replaced?.id ?? null,
    previousChampionEventId: head.championEvent?.id ?? null,
    decision,
    reason: request.reason ?? null,
  });
  return { model: afterPlan(candidate, plan), decision, serving };
}

/**
 * Makes model `id` the shadow (challenger) of its symbol, replacing the current shadow. Only the unforceable checks
 * apply (WRONG_INSTRUMENT, FEATURE_SPEC_MISMATCH → PromotionRefusedError); the champion cannot be its own shadow (409).
 */
export async function shadowModel(
  ctx: RegistryContext,
  id: number,
): Promise<{ model: ModelRecord; decision: PromotionDecision; serving: ServingState }> {
  ctx.audit({ target: `model:${id}` });
  const { symbol, timeframe } = await requireModel(ctx, id);
  requireInstrument(ctx.platform, symbol);
  const head = await readSlotHead(ctx, symbol, timeframe);
  const candidate = await requireModel(ctx, id);
  const plan = planShadow(head.slots, candidate);
  const decision = decidePromotion({
    candidate: await readManifest(ctx.env.MODELS, symbol, candidate.version),
    champion: null,
    target: await promotionTarget(symbol),
  });
  ctx.audit({ details: { version: candidate.version, replacedShadow: plan.replaced?.version ?? null, decision: auditedDecision(decision) } });
  const blocking = shadowRefusals(decision);
  if (blocking.length > 0) throw new PromotionRefusedError(decision, `model ${id} (${candidate.version}) cannot shadow ${symbol}: ${blocking.join(", ")}`);
  const serving = await commitSlotChange(ctx, { symbol, timeframe, head }, plan, {
    event: "shadow",
    modelId: candidate.id,
    replacedModelId: plan.replaced?.id ?? null,
    previousChampionEventId: null,
    decision,
    reason: null,
  });
  return { model: afterPlan(candidate, plan), decision, serving };
}

/** Model `id` stops shadowing its symbol (409 when it is not the shadow). */
export async function unshadowModel(ctx: RegistryContext, id: number): Promise<{ model: ModelRecord; serving: ServingState }> {
  ctx.audit({ target: `model:${id}` });
  const { symbol, timeframe } = await requireModel(ctx, id);
  const head = await readSlotHead(ctx, symbol, timeframe);
  const candidate = await requireModel(ctx, id);
  const plan = planUnshadow(head.slots, candidate);
  ctx.audit({ details: { version: candidate.version } });
  const serving = await commitSlotChange(ctx, { symbol, timeframe, head }, plan, {
    event: "unshadow",
    modelId: candidate.id,
    replacedModelId: null,
    previousChampionEventId: null,
    decision: null,
    reason: null,
  });
  return { model: afterPlan(candidate, plan), serving };
}

/**
 * The champion before the current one serves again (no promotion gate: it served before). Each rollback pops one
 * level of the slot's champion stack, so two rollbacks go two champions back; 409 when there is none.
 */
export async function rollbackChampion(
  ctx: RegistryContext,
  request: RollbackRequest,
): Promise<{ model: ModelRecord; replaced: ModelRecord | null; serving: ServingState }> {
  const { symbol, timeframe } = request;
  ctx.audit({ target: `slot:${symbol}/${timeframe}`, details: { reason: request.reason ?? null } });
  requireInstrument(ctx.platform, symbol);
  const head = await readSlotHead(ctx, symbol, timeframe);
  const beneathId = head.championEvent?.previousChampionEventId ?? null;
  const beneath = beneathId === null ? undefined : await findDeploymentEvent(ctx.db, beneathId);
  if (beneath === undefined) throw new ConflictError(`${symbol} ${timeframe} has no previous champion to roll back to`);
  const restored = await requireModel(ctx, beneath.modelId);
  const plan = planChampion(head.slots, restored, ctx.nowMs);
  ctx.audit({ target: `model:${restored.id}`, details: { version: restored.version, rolledBack: head.slots.champion?.version ?? null } });
  const serving = await commitSlotChange(ctx, { symbol, timeframe, head }, plan, {
    event: "rollback",
    modelId: restored.id,
    replacedModelId: plan.replaced?.id ?? null,
    previousChampionEventId: beneath.previousChampionEventId,
    decision: null,
    reason: request.reason ?? null,
  });
  return { model: afterPlan(restored, plan), replaced: plan.replaced === null ? null : afterPlan(plan.replaced, plan), serving };
}
