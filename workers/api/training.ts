/**
 * The training hand-off: a Node trainer daemon (`npm run trainer`) claims `model_training` tasks under a lease,
 * keeps the lease with heartbeats, and completes or fails them. Completing checks the promotion gate for the uploaded
 * model: its decision goes into the task's result, and the follow-up rules create a deploy task when it passes.
 * An expired lease (the daemon died) hands the task back at the next sweep. Needs role trader and scope models.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ConflictError, NotFoundError, UnprocessableError } from "../../core/errors/app-error.js";
import { retryDelaySeconds } from "../../core/tasks/retry-policy.js";
import {
  TaskIdSchema,
  TaskLeaseAnswerSchema,
  TrainingClaimRequestSchema,
  TrainingClaimSchema,
  TrainingCompleteRequestSchema,
  TrainingFailRequestSchema,
  TrainingHeartbeatRequestSchema,
  type TaskError,
  type TaskRecord,
} from "../../core/schemas/tasks.js";
import { db } from "../db/client.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { previewPromotion } from "../models/registry-service.js";
import { actorName } from "../models/slot-plans.js";
import { afterSuccess, afterTerminalFailure } from "../tasks/runner.js";
import type { TaskRow } from "../tasks/task-rows.js";
import { claimNextTask, completeTask, extendLease, readTask, recordFailure, requireTask } from "../tasks/task-store.js";

const TAGS = ["training"];
const TRAINER = requires("trader", "models");
const TaskIdParamSchema = z.object({ id: TaskIdSchema });

function trainerActor(c: Context<AppEnv>, worker?: string): string {
  return `trainer:${worker ?? actorName(c.get("principal"))}`;
}

/** The training task `id` as stored, or 404. */
async function requireTrainingTask(env: Env, id: string): Promise<{ row: TaskRow; task: TaskRecord }> {
  const read = await readTask(env, id);
  if (read === null) throw new NotFoundError(`no task ${id}`);
  if (read.task.type !== "model_training") throw new ConflictError(`task ${id} is a ${read.task.type} task, not model_training`);
  return read;
}

/** The running training task `id` whose lease is `leaseToken`, or 409 naming what happened to the lease. */
function requireLease({ row, task }: { row: TaskRow; task: TaskRecord }, leaseToken: string): TaskRecord {
  if (task.status !== "running" || row.lease_token !== leaseToken) {
    throw new ConflictError(`the lease on task ${task.id} is lost (the task is ${task.status}${task.status === "running" ? " under another lease" : ""})`, {
      details: { status: task.status },
    });
  }
  return task;
}

/** The lease changed between checking it and using it (it expired, or the task was cancelled, in between). */
function leaseLost(id: string): ConflictError {
  return new ConflictError(`the lease on task ${id} was lost while it was being used`);
}

export const trainingRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    route(TRAINER, {
      method: "post",
      path: "/api/v1/training/claim",
      tags: TAGS,
      summary: "Claim the highest-priority waiting model_training task",
      description: "Answers task null when none waits. Send heartbeats before leaseMs runs out, or the task goes back to the queue.",
      request: { body: { required: true, content: { "application/json": { schema: TrainingClaimRequestSchema } } } },
      responses: { 200: json(TrainingClaimSchema, "The claim, or task null"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => {
      const { worker, leaseMs } = c.req.valid("json");
      const claim = await claimNextTask(c.env, "model_training", trainerActor(c, worker), leaseMs, Date.now());
      if (claim) c.set("audit", { ...c.get("audit"), target: `task:${claim.task.id}`, details: { worker } });
      return c.json(claim === null ? { task: null, leaseToken: null, leaseExpiresAtMs: null } : claim, 200);
    },
  )
  .openapi(
    route(TRAINER, {
      method: "post",
      path: "/api/v1/training/tasks/{id}/heartbeat",
      tags: TAGS,
      summary: "Extend a claimed training task's lease",
      description: "409 when the lease is lost (expired and handed on, or the task was cancelled): stop working on it.",
      request: { params: TaskIdParamSchema, body: { required: true, content: { "application/json": { schema: TrainingHeartbeatRequestSchema } } } },
      responses: { 200: json(TaskLeaseAnswerSchema, "The task with its new lease expiry"), ...errorResponses(...PROTECTED_ERRORS, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { leaseToken, leaseMs, progress } = c.req.valid("json");
      requireLease(await requireTrainingTask(c.env, id), leaseToken);
      if (!(await extendLease(c.env, id, leaseToken, leaseMs, Date.now(), progress))) throw leaseLost(id);
      return c.json({ task: await requireTask(c.env, id) }, 200);
    },
  )
  .openapi(
    route(TRAINER, {
      method: "post",
      path: "/api/v1/training/tasks/{id}/complete",
      tags: TAGS,
      summary: "Complete a training task with the model it uploaded",
      description:
        "The model must be registered for the task's symbol (422 otherwise). The promotion gate's decision for it goes into the " +
        "result; when it passes and the payload's deploy is true, a model_deploy task follows. Repeating a completion with the same " +
        "lease answers the task again. 409 when the lease is lost.",
      request: { params: TaskIdParamSchema, body: { required: true, content: { "application/json": { schema: TrainingCompleteRequestSchema } } } },
      responses: { 200: json(TaskLeaseAnswerSchema, "The succeeded task"), ...errorResponses(...PROTECTED_ERRORS, 404, 409, 422) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      c.set("audit", { ...c.get("audit"), target: `task:${id}`, details: { modelId: body.modelId } });
      // A repeated completion (its first answer was lost on the way back) answers the same success.
      const stored = await requireTrainingTask(c.env, id);
      if (stored.row.status === "succeeded" && stored.row.lease_token === body.leaseToken) return c.json({ task: stored.task }, 200);
      const task = requireLease(stored, body.leaseToken);
      const { model, decision } = await previewPromotion({ env: c.env, db: db(c.env) }, body.modelId).catch((error: unknown) => {
        throw new UnprocessableError(`model ${body.modelId} cannot complete the task: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      });
      if (model.symbol !== task.payload["symbol"] || model.version !== body.version) {
        throw new UnprocessableError(`model ${body.modelId} is ${model.symbol} ${model.version}, not the task's ${String(task.payload["symbol"])} ${body.version}`);
      }
      const result = {
        modelId: model.id,
        version: model.version,
        summary: body.summary,
        promotion: { promote: decision.promote, code: decision.code, refusals: decision.refusals.map((r) => r.code) },
      };
      const nowMs = Date.now();
      const actor = trainerActor(c);
      const durationMs = task.startedAtMs === null ? null : nowMs - task.startedAtMs;
      if (!(await completeTask(c.env, id, body.leaseToken, result, actor, nowMs, durationMs))) throw leaseLost(id);
      await afterSuccess(c.env, task, result, actor, nowMs, c.get("log"));
      return c.json({ task: await requireTask(c.env, id) }, 200);
    },
  )
  .openapi(
    route(TRAINER, {
      method: "post",
      path: "/api/v1/training/tasks/{id}/fail",
      tags: TAGS,
      summary: "Fail a training task",
      description:
        "retryable: true puts it back in the queue after the task's backoff while attempts remain (then it is dead); false fails it " +
        "for good. 409 when the lease is lost.",
      request: { params: TaskIdParamSchema, body: { required: true, content: { "application/json": { schema: TrainingFailRequestSchema } } } },
      responses: { 200: json(TaskLeaseAnswerSchema, "The task, queued again, failed or dead"), ...errorResponses(...PROTECTED_ERRORS, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const task = requireLease(await requireTrainingTask(c.env, id), body.leaseToken);
      const { retryBaseS, retryMaxS } = c.get("platform").config.tasks;
      const willRetry = body.retryable && task.attempts < task.maxAttempts;
      const error: TaskError = {
        class: body.retryable ? "retryable" : "permanent",
        name: "TrainerError",
        message: body.error,
        attempt: task.attempts,
        willRetry,
        nextDelayS: willRetry ? retryDelaySeconds(task.attempts, { baseS: retryBaseS, maxS: retryMaxS }) : null,
      };
      const nowMs = Date.now();
      const actor = trainerActor(c);
      const { recorded, status } = await recordFailure(c.env, id, body.leaseToken, error, actor, nowMs);
      if (!recorded) throw leaseLost(id);
      if (!willRetry) await afterTerminalFailure(c.env, { ...task, status, error }, body.error, actor, nowMs);
      c.set("audit", { ...c.get("audit"), target: `task:${id}`, details: { retryable: body.retryable, status } });
      return c.json({ task: await requireTask(c.env, id) }, 200);
    },
  );
