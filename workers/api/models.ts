/**
 * The model registry: upload (`POST /api/v1/models`, multipart), list, read, download, and the serving slots of a
 * symbol — deploy (promotion rule; `force` for admins), shadow, unshadow, rollback — with their history.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ForbiddenError, PayloadTooLargeError } from "../../core/errors/app-error.js";
import {
  DeployedSchema,
  DeploymentsPageSchema,
  DeploymentsQuerySchema,
  DeployRequestSchema,
  MAX_MODEL_UPLOAD_BYTES,
  ModelDetailSchema,
  ModelIdParamSchema,
  ModelListQuerySchema,
  ModelPageSchema,
  ModelUploadedSchema,
  ModelUploadFormSchema,
  RollbackRequestSchema,
  RolledBackSchema,
  ShadowedSchema,
  UnshadowedSchema,
} from "../../core/schemas/registry.js";
import { authorize, type Principal } from "../auth/roles.js";
import { db } from "../db/client.js";
import { listDeployments } from "../db/model-deployments.js";
import { listModels, toModelRecord } from "../db/models.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { readOnnx } from "../models/model-files.js";
import {
  deployModel,
  modelDetail,
  registerModel,
  requireModel,
  rollbackChampion,
  shadowModel,
  unshadowModel,
  type RegistryContext,
} from "../models/registry-service.js";
import { actorName } from "../models/slot-plans.js";

/** The upload route, which sets its own body limit (the app's global one is 64 KiB). */
export const MODEL_UPLOAD_PATH = "/api/v1/models";

/** True for the request the upload route's own body limit covers. */
export function isModelUpload(method: string, path: string): boolean {
  return method === "POST" && path === MODEL_UPLOAD_PATH;
}

const uploadSizeLimit = bodyLimit({
  maxSize: MAX_MODEL_UPLOAD_BYTES,
  onError: () => {
    throw new PayloadTooLargeError(`upload exceeds ${MAX_MODEL_UPLOAD_BYTES} bytes`, { details: { maxBytes: MAX_MODEL_UPLOAD_BYTES } });
  },
});

function registryContext(c: Context<AppEnv>): RegistryContext {
  return {
    env: c.env,
    db: db(c.env),
    platform: c.get("platform"),
    actor: actorName(c.get("principal")),
    nowMs: Date.now(),
    log: c.get("log"),
    audit: ({ target, details }) => {
      const noted = c.get("audit");
      const mergedDetails = details === undefined ? noted?.details : { ...(noted?.details as Record<string, unknown> | undefined), ...details };
      c.set("audit", { ...noted, ...(target === undefined ? {} : { target }), ...(mergedDetails === undefined ? {} : { details: mergedDetails }) });
    },
  };
}

/** The caller the access check admitted (always set on principal routes). */
function requirePrincipal(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (principal === undefined) throw new ForbiddenError("no principal");
  return principal;
}

const TAGS = ["models"];
const READ = requires("viewer", "read");
const MANAGE = requires("trader", "models");

export const modelRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    route(MANAGE, {
      method: "post",
      path: MODEL_UPLOAD_PATH,
      tags: TAGS,
      summary: "Upload a model (multipart: manifest + model.onnx)",
      description:
        "Parts `manifest` (manifest.json, text or file) and `model` (model.onnx), at most 32 MiB in all. The manifest must pass the " +
        "manifest schema (400), name a declared instrument (404), the platform's feature spec hash, width and timeframe (422); the " +
        "model must load in onnxruntime-web, take that width and give one probability column per class label (422). A version " +
        "is unique per symbol (409). Stored in R2 under models/<symbol>/<version>/, catalogued in D1 with status registered.",
      middleware: [uploadSizeLimit],
      request: { body: { required: true, content: { "multipart/form-data": { schema: ModelUploadFormSchema } } } },
      responses: { 201: json(ModelUploadedSchema, "The registered model"), ...errorResponses(...PROTECTED_ERRORS, 404, 409, 413, 422) },
    }),
    async (c) => {
      const model = await registerModel(registryContext(c), c.req.valid("form"));
      return c.json({ model }, 201);
    },
  )
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/models",
      tags: TAGS,
      summary: "List registered models, newest first",
      request: { query: ModelListQuerySchema },
      responses: { 200: json(ModelPageSchema, "Models, newest first"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await listModels(db(c.env), { symbol: q.symbol, timeframe: q.timeframe, status: q.status, beforeId: q.before, limit: q.limit + 1 });
      const page = rows.slice(0, q.limit).map(toModelRecord);
      return c.json({ models: page, next: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null }, 200);
    },
  )
  // Before /api/v1/models/{id}: the router tries routes in the order they are added.
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/models/deployments",
      tags: TAGS,
      summary: "Deployment history: every change of the serving slots, newest first",
      request: { query: DeploymentsQuerySchema },
      responses: { 200: json(DeploymentsPageSchema, "Events, newest first"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const events = await listDeployments(db(c.env), { symbol: q.symbol, beforeId: q.before, limit: q.limit + 1 });
      const page = events.slice(0, q.limit);
      return c.json({ events: page, next: events.length > q.limit ? (page.at(-1)?.id ?? null) : null }, 200);
    },
  )
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/models/{id}",
      tags: TAGS,
      summary: "A model and its full manifest",
      request: { params: ModelIdParamSchema },
      responses: { 200: json(ModelDetailSchema, "The model and its manifest"), ...errorResponses(...PROTECTED_ERRORS, 404, 502) },
    }),
    async (c) => c.json(await modelDetail(registryContext(c), c.req.valid("param").id), 200),
  )
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/models/{id}/model.onnx",
      tags: TAGS,
      summary: "Download model.onnx (e.g. to score the champion on new held-out rows)",
      request: { params: ModelIdParamSchema },
      responses: {
        200: {
          description: "The ONNX bytes; X-Model-Sha256 carries their SHA-256",
          content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
        },
        ...errorResponses(...PROTECTED_ERRORS, 404, 502),
      },
    }),
    async (c) => {
      const model = await requireModel(registryContext(c), c.req.valid("param").id);
      const object = await readOnnx(c.env.MODELS, model.symbol, model.version);
      return c.body(object.body, 200, {
        "content-type": "application/octet-stream",
        "content-length": String(object.size),
        "content-disposition": `attachment; filename="${model.symbol}-${model.version}.onnx"`,
        "x-model-sha256": model.onnxSha256,
      });
    },
  )
  .openapi(
    route(MANAGE, {
      method: "post",
      path: "/api/v1/models/rollback",
      tags: TAGS,
      summary: "Roll the champion back to the one it replaced",
      description:
        "Pops one level of the symbol's champion history: two rollbacks go two champions back. No promotion gate (the model " +
        "served before). 409 when there is no previous champion.",
      request: { body: { required: true, content: { "application/json": { schema: RollbackRequestSchema } } } },
      responses: { 200: json(RolledBackSchema, "The restored champion and what it serves"), ...errorResponses(...PROTECTED_ERRORS, 404, 409, 422, 502, 503) },
    }),
    async (c) => c.json(await rollbackChampion(registryContext(c), c.req.valid("json")), 200),
  )
  .openapi(
    route(MANAGE, {
      method: "post",
      path: "/api/v1/models/{id}/deploy",
      tags: TAGS,
      summary: "Make a model the champion of its symbol (promotion rule)",
      description:
        "The promotion rule compares the model's held-out scores with the prior and the current champion; a refusal answers 409 " +
        "PROMOTION_REFUSED with `details.decision`. `force: true` needs the admin role and overrides the score-based refusals " +
        "(never WRONG_INSTRUMENT or FEATURE_SPEC_MISMATCH). A model that was the shadow leaves the shadow slot.",
      request: {
        params: ModelIdParamSchema,
        body: { required: false, content: { "application/json": { schema: DeployRequestSchema } } },
      },
      responses: { 200: json(DeployedSchema, "The new champion, the decision and what the instrument serves"), ...errorResponses(...PROTECTED_ERRORS, 404, 409, 422, 502, 503) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      // The body is optional: without one the validator hands over {}, which the schema's defaults complete.
      const body = DeployRequestSchema.parse(c.req.valid("json"));
      const ctx = registryContext(c);
      ctx.audit({ target: `model:${id}`, details: { force: body.force } });
      if (body.force) authorize(requirePrincipal(c), { role: "admin", scope: "models" });
      return c.json(await deployModel(ctx, id, body), 200);
    },
  )
  .openapi(
    route(MANAGE, {
      method: "post",
      path: "/api/v1/models/{id}/shadow",
      tags: TAGS,
      summary: "Make a model the shadow (challenger) of its symbol",
      description: "Scored beside the champion without acting. Only WRONG_INSTRUMENT and FEATURE_SPEC_MISMATCH refuse (409 PROMOTION_REFUSED); the champion cannot be its own shadow (409).",
      request: { params: ModelIdParamSchema },
      responses: { 200: json(ShadowedSchema, "The new shadow and what the instrument serves"), ...errorResponses(...PROTECTED_ERRORS, 404, 409, 422, 502, 503) },
    }),
    async (c) => c.json(await shadowModel(registryContext(c), c.req.valid("param").id), 200),
  )
  .openapi(
    route(MANAGE, {
      method: "delete",
      path: "/api/v1/models/{id}/shadow",
      tags: TAGS,
      summary: "Stop shadowing",
      request: { params: ModelIdParamSchema },
      responses: { 200: json(UnshadowedSchema, "The model and what the instrument serves"), ...errorResponses(...PROTECTED_ERRORS, 404, 409, 502, 503) },
    }),
    async (c) => c.json(await unshadowModel(registryContext(c), c.req.valid("param").id), 200),
  );
