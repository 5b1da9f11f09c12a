/**
 * The registry's rules for a symbol's two serving slots, as pure plans: which models serve next and which catalogue
 * statuses change. Demotions come first in `changes`, because D1 checks the one-champion and one-shadow indexes
 * statement by statement.
 */
import { ConflictError } from "../../core/errors/app-error.js";
import type { PromotionDecision, RefusalCode } from "../../core/ml/promotion.js";
import { UNFORCEABLE_REFUSALS } from "../../core/ml/promotion.js";
import type { DeploymentEventKind, ModelRecord, ModelStatus } from "../../core/schemas/registry.js";
import type { Principal } from "../auth/roles.js";

/** The models serving a symbol's slots. */
export interface Slots {
  readonly champion: ModelRecord | null;
  readonly shadow: ModelRecord | null;
}

/** One catalogue status change; `deployedAtMs` is set when the model becomes champion. */
export interface StatusChange {
  readonly id: number;
  readonly status: ModelStatus;
  readonly deployedAtMs?: number;
}

/** A change of the slots: what serves next, the status changes (demotions first), and the model replaced. */
export interface SlotPlan {
  readonly next: Slots;
  readonly changes: readonly StatusChange[];
  /** The champion (deploy, rollback) or shadow (shadow) the subject replaces; null when the slot was empty. */
  readonly replaced: ModelRecord | null;
}

/**
 * The status of a model leaving a slot: `retired` when it was ever champion (it served and was replaced), else
 * `registered` again.
 * @example statusAfterLeavingSlot({ ...record, deployedAtMs: null }) // "registered"
 */
export function statusAfterLeavingSlot(record: Pick<ModelRecord, "deployedAtMs">): ModelStatus {
  return record.deployedAtMs === null ? "registered" : "retired";
}

/**
 * `candidate` becomes champion (a deploy or a rollback): the old champion retires, and the shadow slot empties when
 * the candidate was the shadow. 409 when the candidate already is the champion.
 */
export function planChampion(slots: Slots, candidate: ModelRecord, nowMs: number): SlotPlan {
  if (slots.champion?.id === candidate.id) throw new ConflictError(`model ${candidate.id} (${candidate.version}) already is the champion`);
  const changes: StatusChange[] = [];
  if (slots.champion !== null) changes.push({ id: slots.champion.id, status: "retired" });
  changes.push({ id: candidate.id, status: "champion", deployedAtMs: nowMs });
  const shadow = slots.shadow?.id === candidate.id ? null : slots.shadow;
  return { next: { champion: candidate, shadow }, changes, replaced: slots.champion };
}

/**
 * `candidate` becomes the shadow, replacing the current one (which goes back to registered or retired). 409 when it is
 * the champion (a model is not its own challenger) or already the shadow.
 */
export function planShadow(slots: Slots, candidate: ModelRecord): SlotPlan {
  if (slots.champion?.id === candidate.id) throw new ConflictError(`model ${candidate.id} (${candidate.version}) is the champion; it cannot also be its shadow`);
  if (slots.shadow?.id === candidate.id) throw new ConflictError(`model ${candidate.id} (${candidate.version}) already is the shadow`);
  const changes: StatusChange[] = [];
  if (slots.shadow !== null) changes.push({ id: slots.shadow.id, status: statusAfterLeavingSlot(slots.shadow) });
  changes.push({ id: candidate.id, status: "shadow" });
  return { next: { champion: slots.champion, shadow: candidate }, changes, replaced: slots.shadow };
}

/** `candidate` stops shadowing. 409 when it is not the shadow. */
export function planUnshadow(slots: Slots, candidate: ModelRecord): SlotPlan {
  if (slots.shadow?.id !== candidate.id) throw new ConflictError(`model ${candidate.id} (${candidate.version}) is not the shadow`);
  return {
    next: { champion: slots.champion, shadow: null },
    changes: [{ id: candidate.id, status: statusAfterLeavingSlot(candidate) }],
    replaced: null,
  };
}

/** The record after the plan's changes (the API answers with the new status). */
export function afterPlan(record: ModelRecord, plan: SlotPlan): ModelRecord {
  const change = plan.changes.find((c) => c.id === record.id);
  if (change === undefined) return record;
  return { ...record, status: change.status, deployedAtMs: change.deployedAtMs ?? record.deployedAtMs };
}

/** The refusals that stop a shadow: the unforceable ones (wrong instrument, feature spec); scores do not matter. */
export function shadowRefusals(decision: PromotionDecision): RefusalCode[] {
  return decision.refusals.map((refusal) => refusal.code).filter((code) => UNFORCEABLE_REFUSALS.includes(code));
}

/** The history's name for a champion change the rule allowed: `force-deploy` when only `force` let it through. */
export function deployEventKind(decision: PromotionDecision): DeploymentEventKind {
  return decision.code === "FORCED" ? "force-deploy" : "deploy";
}

/**
 * Who acts, as the catalogue and the history record it: the username, or `key:<prefix>` for an API key.
 * @example actorName({ kind: "api-key", keyId: "k1", prefix: "abcd2345", role: "trader", scopes: ["models"] }) // "key:abcd2345"
 */
export function actorName(principal: Principal | undefined): string {
  if (principal === undefined) return "anonymous";
  return principal.kind === "user" ? principal.username : `key:${principal.prefix}`;
}
