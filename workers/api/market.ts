/**
 * Market data: bar history, `GET /api/v1/market/data?symbol=&timeframe=&from=&to=&limit=`, and the feeds at a glance,
 * `GET /api/v1/market/status` (newest tick, spread, forming bars, freshness and regime of every instrument).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import type { Context } from "hono";
import type { Instrument } from "../../core/instruments/instrument.js";
import { feedFreshness } from "../../core/market/freshness.js";
import { spreadPoints } from "../../core/market/tick.js";
import {
  BarsQuerySchema,
  BarsResponseSchema,
  MarketStatusResponseSchema,
  type BarsResponse,
  type InstrumentMarketStatus,
  type MarketStatusResponse,
} from "../../core/schemas/market-data.js";
import { db } from "../db/client.js";
import { signals } from "../db/schema.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { instrumentStub, requireInstrument } from "../instruments.js";
import { FEED_MAX_AGE_MS } from "../tasks/health-check.js";

/** The regime of the newest signal bar D1 holds for `symbol` (the index signals_by_symbol_time serves it). */
async function latestRegime(c: Context<AppEnv>, symbol: string): Promise<InstrumentMarketStatus["regime"]> {
  const row = await db(c.env)
    .select({ regime: signals.regime, barTs: signals.tsMs })
    .from(signals)
    .where(eq(signals.symbol, symbol))
    .orderBy(desc(signals.tsMs))
    .limit(1)
    .get();
  return row ?? null;
}

/** One instrument's feed from its Durable Object's status, judged like the health check judges it. */
async function instrumentStatus(c: Context<AppEnv>, instrument: Instrument, nowMs: number): Promise<InstrumentMarketStatus> {
  const [status, regime] = await Promise.all([instrumentStub(c.env, instrument.symbol).status(), latestRegime(c, instrument.symbol)]);
  const tick = status.lastTick;
  return {
    symbol: instrument.symbol,
    lastTick: tick === null ? null : { ts: tick.tsMs, bid: tick.bid, ask: tick.ask },
    spreadPoints: tick === null ? null : spreadPoints(tick, instrument.pointSize),
    forming: status.forming,
    freshness: feedFreshness(instrument, tick?.tsMs ?? null, nowMs, FEED_MAX_AGE_MS),
    regime,
  };
}

export const marketRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    route(requires("viewer", "read"), {
      method: "get",
      path: "/api/v1/market/data",
      tags: ["market data"],
      summary: "Bars of one instrument and timeframe",
      description: "Oldest first. Without `from`, the newest `limit` bars; with it, a page and `next` for the following one.",
      request: { query: BarsQuerySchema },
      responses: { 200: json(BarsResponseSchema, "Bars, the forming one last with closed: false"), ...errorResponses(...PROTECTED_ERRORS, 404) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      requireInstrument(c.get("platform"), query.symbol);
      const page = await instrumentStub(c.env, query.symbol).bars({
        symbol: query.symbol,
        timeframe: query.timeframe,
        fromMs: query.from,
        toMs: query.to,
        limit: query.limit,
      });
      const response: BarsResponse = { symbol: query.symbol, timeframe: query.timeframe, ...page };
      return c.json(response, 200);
    },
  )
  .openapi(
    route(requires("viewer", "read"), {
      method: "get",
      path: "/api/v1/market/status",
      tags: ["market data"],
      summary: "Every instrument's feed: newest tick, spread, forming bars, freshness and regime",
      description:
        "Per declared instrument, from its Durable Object: the newest tick (null before the first), its spread in points, " +
        "the bars still forming, and the feed's freshness judged at the answer's `nowMs` as the health check judges it " +
        "(`closed` outside trading hours; `stale` when open and the newest tick is older than `feedMaxAgeMs`; `no-data` " +
        "when open and never a tick). `regime` is the market regime of the newest signal bar recorded in D1.",
      responses: { 200: json(MarketStatusResponseSchema, "Feeds of every instrument, in catalogue order"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => {
      const nowMs = Date.now();
      const instruments = await Promise.all(c.get("platform").instruments.list().map((instrument) => instrumentStatus(c, instrument, nowMs)));
      const response: MarketStatusResponse = MarketStatusResponseSchema.parse({ nowMs, feedMaxAgeMs: FEED_MAX_AGE_MS, instruments });
      return c.json(response, 200);
    },
  );
