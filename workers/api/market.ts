/** Bar history: `GET /api/v1/market/data?symbol=&timeframe=&from=&to=&limit=`. */
import { Hono } from "hono";
import { BarsQuerySchema, type BarsResponse } from "../../core/schemas/market-data.js";
import type { AppEnv } from "../http/app-env.js";
import { parseQuery } from "../http/validate.js";
import { instrumentStub, requireInstrument } from "../instruments.js";

export const marketRoutes = new Hono<AppEnv>().get("/data", async (c) => {
  const query = parseQuery(c, BarsQuerySchema);
  requireInstrument(c.get("platform"), query.symbol);
  const page = await instrumentStub(c.env, query.symbol).bars({
    symbol: query.symbol,
    timeframe: query.timeframe,
    fromMs: query.from,
    toMs: query.to,
    limit: query.limit,
  });
  const response: BarsResponse = { symbol: query.symbol, timeframe: query.timeframe, ...page };
  return c.json(response);
});
