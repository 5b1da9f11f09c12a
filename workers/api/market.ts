/** Bar history: `GET /api/v1/market/data?symbol=&timeframe=&from=&to=&limit=`. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { BarsQuerySchema, BarsResponseSchema, type BarsResponse } from "../../core/schemas/market-data.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { instrumentStub, requireInstrument } from "../instruments.js";

export const marketRoutes = new OpenAPIHono<AppEnv>().openapi(
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
);
