/**
 * Backups: list and read the registry (viewers), take a backup through a `data_backup` task, verify one, and restore
 * one into an empty database (admins). Verification and restore run inside the request.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { ValidationError } from "../../core/errors/app-error.js";
import {
  BackupDetailSchema,
  BackupIdParamSchema,
  BackupListQuerySchema,
  BackupPageSchema,
  BackupTaskCreatedSchema,
  BackupVerificationSchema,
  CreateBackupRequestSchema,
  RestoreRequestSchema,
  RestoreResultSchema,
} from "../../core/schemas/backups.js";
import { backupIdsInBucket } from "../backups/bucket.js";
import { listBackups, registeredIds, toBackupRecord } from "../backups/registry.js";
import { restoreBackup } from "../backups/restore-backup.js";
import { locateBackup, verifyBackup } from "../backups/verify-backup.js";
import { db } from "../db/client.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { actorName } from "../models/slot-plans.js";
import { createTask } from "../tasks/task-store.js";

const TAGS = ["backups"];
const READ = requires("viewer", "read");
const ADMIN = requires("admin");

export const backupRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/backups",
      tags: TAGS,
      summary: "Backups in the registry, newest first, and any the bucket holds that the registry does not know",
      request: { query: BackupListQuerySchema },
      responses: { 200: json(BackupPageSchema, "Backups, newest first"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const database = db(c.env);
      const rows = await listBackups(database, { status: q.status, beforeId: q.before, limit: q.limit + 1 });
      const page = rows.slice(0, q.limit).map(toBackupRecord);
      const inBucket = await backupIdsInBucket(c.env.BACKUPS);
      const known = await registeredIds(database, inBucket);
      return c.json(
        {
          backups: page,
          nextBefore: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null,
          unregistered: inBucket.filter((id) => !known.has(id)).reverse(),
        },
        200,
      );
    },
  )
  .openapi(
    route(ADMIN, {
      method: "post",
      path: "/api/v1/backups",
      tags: TAGS,
      summary: "Take a backup now (a data_backup task of kind manual)",
      description: "Answers 202 with the task; its result names the backup. Retention runs after the backup completes.",
      request: { body: { required: false, content: { "application/json": { schema: CreateBackupRequestSchema } } } },
      responses: { 202: json(BackupTaskCreatedSchema, "The queued task"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => {
      // The body is optional: without one the validator hands over {}, which the schema's defaults complete.
      const body = CreateBackupRequestSchema.parse(c.req.valid("json") ?? {});
      const { task } = await createTask(
        c.env,
        { type: "data_backup", payload: { kind: "manual", includeModels: body.includeModels, ...(body.reason === undefined ? {} : { reason: body.reason }) }, createdBy: actorName(c.get("principal")) },
        Date.now(),
      );
      c.set("audit", { target: `task:${task.id}`, details: { includeModels: body.includeModels } });
      return c.json({ task }, 202);
    },
  )
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/backups/{id}",
      tags: TAGS,
      summary: "A backup: its registry row and its manifest",
      request: { params: BackupIdParamSchema },
      responses: { 200: json(BackupDetailSchema, "The backup"), ...errorResponses(...PROTECTED_ERRORS, 404) },
    }),
    async (c) => {
      const { row, stored } = await locateBackup(c.env, c.req.valid("param").id);
      return c.json(
        {
          backup: row === undefined ? null : toBackupRecord(row),
          manifest: stored.state === "valid" ? stored.manifest : null,
          manifestProblem: stored.state === "invalid" ? stored.problem : null,
        },
        200,
      );
    },
  )
  .openapi(
    route(ADMIN, {
      method: "post",
      path: "/api/v1/backups/{id}/verify",
      tags: TAGS,
      summary: "Verify a backup: re-read and re-hash every file, compare with the manifest and the registry",
      description: "Answers the outcome (status ok or corrupt, with the problems) and records it on the registry row. 409 while the backup runs, 422 for a failed one.",
      request: { params: BackupIdParamSchema },
      responses: { 200: json(BackupVerificationSchema, "What the verification found"), ...errorResponses(...PROTECTED_ERRORS, 404, 409, 422) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { verification } = await verifyBackup(c.env, id, Date.now());
      c.set("audit", { target: `backup:${id}`, details: { status: verification.status, problems: verification.problems.length } });
      return c.json(verification, 200);
    },
  )
  .openapi(
    route(ADMIN, {
      method: "post",
      path: "/api/v1/backups/{id}/restore",
      tags: TAGS,
      summary: "Restore a backup into this (empty) database",
      description:
        "Body { confirm: <the backup id> }. Verifies the backup first and refuses a corrupt one (422, details.problems); refuses a " +
        "database whose tables hold rows (409, details.tables) — only the bootstrap tables a fresh deployment writes while the " +
        "operator logs in (users, refresh_tokens, revoked_access_tokens, login_throttle, audit_log) may hold rows, and the " +
        "backup's rows replace them: log in again afterwards. Not atomic: a failure midway leaves a partial restore (wipe the " +
        "database and restore again). Durable Object storage (ticks, bars, the account book) is not part of a backup.",
      request: { params: BackupIdParamSchema, body: { required: true, content: { "application/json": { schema: RestoreRequestSchema } } } },
      responses: { 200: json(RestoreResultSchema, "Rows restored per table"), ...errorResponses(...PROTECTED_ERRORS, 404, 409, 422) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { confirm } = c.req.valid("json");
      c.set("audit", { target: `backup:${id}` });
      if (confirm !== id) throw new ValidationError("confirm must repeat the backup id", { details: { field: "confirm", expected: id } });
      const result = await restoreBackup(c.env, id, Date.now(), c.get("log"));
      c.set("audit", { target: `backup:${id}`, details: { rows: result.rows, tables: result.tables.length, durationMs: result.durationMs } });
      return c.json(result, 200);
    },
  );
