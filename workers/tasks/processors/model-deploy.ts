/**
 * The `model_deploy` task: makes `payload.modelId` the champion of its instrument through the registry
 * (workers/models/registry-service.ts), gated by the promotion rule exactly as `POST /api/v1/models/{id}/deploy`
 * without `force`. The deployment history records the actor `task:<task id>`; what the API would write to the audit
 * log goes into the task's result and log.
 */
import { NotFoundError, PromotionRefusedError } from "../../../core/errors/app-error.js";
import { PermanentTaskError } from "../../../core/tasks/failure.js";
import { db } from "../../db/client.js";
import { deployModel, requireModel, type RegistryContext } from "../../models/registry-service.js";
import { platformOf } from "../../platform.js";
import type { TaskProcessor } from "../processor.js";

/**
 * Result: `{ outcome: "deployed" | "already-champion", modelId, symbol, version, decision, serving: { champion, shadow },
 * audit }`. A model that is already the champion succeeds without a change (a retry after a deploy that committed);
 * a refusal by the promotion rule and a missing model fail the task permanently; anything else (a slot changed
 * meanwhile, R2 or the object failing) is retried.
 */
export const runModelDeploy: TaskProcessor<"model_deploy"> = async (run) => {
  const { env, payload } = run;
  const audit: { target?: string; details: Record<string, unknown> } = { details: {} };
  const ctx: RegistryContext = {
    env,
    db: db(env),
    platform: platformOf(env),
    actor: `task:${run.task.id}`,
    nowMs: run.nowMs,
    log: run.log,
    audit: (entry) => {
      if (entry.target !== undefined) audit.target = entry.target;
      Object.assign(audit.details, entry.details);
    },
  };
  try {
    const model = await requireModel(ctx, payload.modelId);
    if (model.status === "champion") {
      run.log.info("model already champion", { modelId: model.id, version: model.version });
      return { outcome: "already-champion", modelId: model.id, symbol: model.symbol, version: model.version, decision: null, serving: null, audit };
    }
    const deployed = await deployModel(ctx, payload.modelId, { force: false, reason: payload.reason });
    const serving = { champion: deployed.serving.champion?.version ?? null, shadow: deployed.serving.shadow?.version ?? null };
    run.log.info("model deployed", { modelId: deployed.model.id, version: deployed.model.version, decision: deployed.decision.code, audit });
    return { outcome: "deployed", modelId: deployed.model.id, symbol: deployed.model.symbol, version: deployed.model.version, decision: deployed.decision.code, serving, audit };
  } catch (error: unknown) {
    if (error instanceof PromotionRefusedError) {
      run.log.warn("deploy refused by the promotion rule", { modelId: payload.modelId, decision: error.decision.code, audit });
      const refusals = error.decision.refusals.map((refusal) => `${refusal.code}: ${refusal.message}`).join("; ");
      throw new PermanentTaskError(`${error.message}${refusals === "" ? "" : ` (${refusals})`}`, { cause: error });
    }
    if (error instanceof NotFoundError) throw new PermanentTaskError(error.message, { cause: error });
    throw error;
  }
};
