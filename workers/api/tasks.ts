/**
 * The task API: `GET|POST /api/v1/tasks`, `GET /api/v1/tasks/{id}` (with its event trail), `POST …/retry`,
 * `POST …/cancel` and `GET /api/v1/tasks/analytics`. Reading needs viewer/read; creating, retrying and cancelling
 * need an admin (tasks back up, clean up and retrain the whole platform).
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { taskAnalytics } from "../../core/tasks/analytics.js";
import {
  CreateTaskRequestSchema,
  TaskAnalyticsQuerySchema,
  TaskAnalyticsSchema,
  TaskDetailSchema,
  TaskIdSchema,
  TaskLeaseAnswerSchema,
  TaskListQuerySchema,
  TaskPageSchema,
} from "../../core/schemas/tasks.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { actorName } from "../models/slot-plans.js";
import { analyticsFacts, cancelTask, createTask, listTasks, requireTask, retryTask, taskEvents } from "../tasks/task-store.js";

const TAGS = ["tasks"];
const READ = requires("viewer", "read");
const MANAGE = requires("admin");
const DAY_MS = 86_400_000;

const TaskIdParamSchema = z.object({ id: TaskIdSchema });
const CancelRequestSchema = z.strictObject({ reason: z.string().min(1).max(500).optional() });

function noteTarget(c: Context<AppEnv>, id: string, details?: Record<string, unknown>): void {
  c.set("audit", { ...c.get("audit"), target: `task:${id}`, ...(details ? { details } : {}) });
}

export const taskRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/tasks/analytics",
      tags: TAGS,
      summary: "Task counts, success rates, attempts, durations and failure classes by type, and the backlog",
      request: { query: TaskAnalyticsQuerySchema },
      responses: { 200: json(TaskAnalyticsSchema, "Analytics of the tasks created since `since`"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => {
      const nowMs = Date.now();
      const sinceMs = c.req.valid("query").since ?? nowMs - 7 * DAY_MS;
      const { tasks, failures, live } = await analyticsFacts(c.env, sinceMs);
      return c.json(taskAnalytics(tasks, failures, live, sinceMs, nowMs), 200);
    },
  )
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/tasks",
      tags: TAGS,
      summary: "Tasks, newest first, by status and type",
      description: "Keyset-paged: pass the answer's nextBefore as `before` for the next page.",
      request: { query: TaskListQuerySchema },
      responses: { 200: json(TaskPageSchema, "Tasks, newest first"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const [createdAtMs, id] = q.before === undefined ? [] : q.before.split(":");
      const rows = await listTasks(c.env, {
        status: q.status,
        type: q.type,
        sinceMs: q.since,
        before: createdAtMs === undefined || id === undefined ? undefined : { createdAtMs: Number(createdAtMs), id },
        limit: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      return c.json({ tasks: page, nextBefore: rows.length > q.limit && last ? `${last.createdAtMs}:${last.id}` : null }, 200);
    },
  )
  .openapi(
    route(MANAGE, {
      method: "post",
      path: "/api/v1/tasks",
      tags: TAGS,
      summary: "Create a task",
      description:
        "The payload is validated against the type's schema (400 with the fields otherwise). A task whose dependencies all " +
        "succeeded is queued at once; otherwise it waits (pending), or, when one already failed, follows its dependencyPolicy. " +
        "model_training tasks wait for a trainer daemon to claim them. With a dedupeKey that exists, answers that task (200).",
      request: { body: { required: true, content: { "application/json": { schema: CreateTaskRequestSchema } } } },
      responses: {
        201: json(TaskLeaseAnswerSchema, "Created"),
        200: json(TaskLeaseAnswerSchema, "A task with this dedupeKey exists"),
        ...errorResponses(...PROTECTED_ERRORS, 422),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { task, created } = await createTask(
        c.env,
        {
          type: body.type,
          payload: body.payload,
          priority: body.priority,
          dependsOn: body.dependsOn,
          dependencyPolicy: body.dependencyPolicy,
          maxAttempts: body.maxAttempts,
          timeoutMs: body.timeoutMs,
          runAfterMs: body.runAfter,
          dedupeKey: body.dedupeKey,
          createdBy: actorName(c.get("principal")),
        },
        Date.now(),
      );
      noteTarget(c, task.id, { type: task.type, created });
      return created ? c.json({ task }, 201) : c.json({ task }, 200);
    },
  )
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/tasks/{id}",
      tags: TAGS,
      summary: "A task with its event trail",
      request: { params: TaskIdParamSchema },
      responses: { 200: json(TaskDetailSchema, "The task and its events, oldest first"), ...errorResponses(...PROTECTED_ERRORS, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const task = await requireTask(c.env, id);
      return c.json({ task, events: await taskEvents(c.env, id) }, 200);
    },
  )
  .openapi(
    route(MANAGE, {
      method: "post",
      path: "/api/v1/tasks/{id}/retry",
      tags: TAGS,
      summary: "Run a failed, dead or cancelled task again with a fresh attempt budget",
      description: "409 when the task has not ended, succeeded, or depends on a task that failed (retry that one first).",
      request: { params: TaskIdParamSchema },
      responses: { 200: json(TaskLeaseAnswerSchema, "The task, queued or pending again"), ...errorResponses(...PROTECTED_ERRORS, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      noteTarget(c, id);
      return c.json({ task: await retryTask(c.env, id, actorName(c.get("principal")), Date.now()) }, 200);
    },
  )
  .openapi(
    route(MANAGE, {
      method: "post",
      path: "/api/v1/tasks/{id}/cancel",
      tags: TAGS,
      summary: "Cancel a task that has not ended",
      description:
        "Pending and queued tasks never run. A running task's run is not interrupted, but its result is discarded when it " +
        "arrives (a trainer daemon's next heartbeat answers 409 and it stops). Pending dependents follow their policy. 409 when it already ended.",
      request: { params: TaskIdParamSchema, body: { required: false, content: { "application/json": { schema: CancelRequestSchema } } } },
      responses: { 200: json(TaskLeaseAnswerSchema, "The cancelled task"), ...errorResponses(...PROTECTED_ERRORS, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = CancelRequestSchema.parse(c.req.valid("json") ?? {});
      noteTarget(c, id, { reason: body.reason ?? null });
      return c.json({ task: await cancelTask(c.env, id, actorName(c.get("principal")), body.reason, Date.now()) }, 200);
    },
  );
