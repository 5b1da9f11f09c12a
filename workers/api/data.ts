/** Market-data intake: `POST /api/v1/data/ingest` takes a batch of ticks for one instrument. */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { PayloadTooLargeError } from "../../core/errors/app-error.js";
import { IngestRequestSchema, type IngestResult } from "../../core/schemas/market-data.js";
import type { AppEnv } from "../http/app-env.js";
import { parseWith, readJson } from "../http/validate.js";
import { instrumentStub, requireInstrument } from "../instruments.js";

/** Largest ingest body accepted, bytes: 5,000 ticks as JSON with ISO timestamps fit well inside. */
export const MAX_INGEST_BODY_BYTES = 1_048_576;

export const dataRoutes = new Hono<AppEnv>().post(
  "/ingest",
  bodyLimit({
    maxSize: MAX_INGEST_BODY_BYTES,
    onError: () => {
      throw new PayloadTooLargeError(`body exceeds ${MAX_INGEST_BODY_BYTES} bytes`);
    },
  }),
  async (c) => {
    const platform = c.get("platform");
    const body = await readJson(c);
    const maxTicks = platform.config.maxTicksPerRequest;
    const count = tickCount(body);
    if (count > maxTicks) {
      throw new PayloadTooLargeError(`batch of ${count} ticks exceeds the limit of ${maxTicks}`, { details: { maxTicks } });
    }
    const request = parseWith(IngestRequestSchema, body, "ingest request");
    requireInstrument(platform, request.symbol);
    const ticks = request.ticks.map((t) => ({ tsMs: t.ts, bid: t.bid, ask: t.ask, volume: t.volume ?? 1 }));
    const result: IngestResult = await instrumentStub(c.env, request.symbol).ingest(request.symbol, ticks);
    return c.json(result);
  },
);

function tickCount(body: unknown): number {
  if (typeof body !== "object" || body === null || !("ticks" in body)) return 0;
  return Array.isArray(body.ticks) ? body.ticks.length : 0;
}
