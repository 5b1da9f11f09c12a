/** Market-data intake: `POST /api/v1/data/ingest` takes a batch of ticks for one instrument. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import type { MiddlewareHandler } from "hono";
import { PayloadTooLargeError } from "../../core/errors/app-error.js";
import { IngestRequestSchema, IngestResultSchema } from "../../core/schemas/market-data.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { readJson } from "../http/validate.js";
import { instrumentStub, requireInstrument } from "../instruments.js";

/** Largest ingest body accepted, bytes: 5,000 ticks as JSON with ISO timestamps fit well inside. */
export const MAX_INGEST_BODY_BYTES = 1_048_576;

/** 413 before validation: a batch over the limit is refused whole, whatever its ticks. */
const tickCountLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const body = await readJson(c);
  const maxTicks = c.get("platform").config.maxTicksPerRequest;
  const count = typeof body === "object" && body !== null && "ticks" in body && Array.isArray(body.ticks) ? body.ticks.length : 0;
  if (count > maxTicks) throw new PayloadTooLargeError(`batch of ${count} ticks exceeds the limit of ${maxTicks}`, { details: { maxTicks } });
  await next();
};

const sizeLimit = bodyLimit({
  maxSize: MAX_INGEST_BODY_BYTES,
  onError: () => {
    throw new PayloadTooLargeError(`body exceeds ${MAX_INGEST_BODY_BYTES} bytes`);
  },
});

export const dataRoutes = new OpenAPIHono<AppEnv>().openapi(
  route(requires("trader", "ingest"), {
    method: "post",
    path: "/api/v1/data/ingest",
    tags: ["market data"],
    summary: "Ingest a batch of ticks for one instrument",
    description: "At most 5,000 ticks and 1 MiB. Exact re-deliveries are counted as duplicates and change nothing.",
    middleware: [sizeLimit, tickCountLimit],
    request: { body: { required: true, content: { "application/json": { schema: IngestRequestSchema } } } },
    responses: { 200: json(IngestResultSchema, "What happened to each tick"), ...errorResponses(...PROTECTED_ERRORS, 404, 413) },
  }),
  async (c) => {
    const request = c.req.valid("json");
    requireInstrument(c.get("platform"), request.symbol);
    const ticks = request.ticks.map((t) => ({ tsMs: t.ts, bid: t.bid, ask: t.ask, volume: t.volume ?? 1 }));
    const result = await instrumentStub(c.env, request.symbol).ingest(request.symbol, ticks);
    return c.json(result, 200);
  },
);
