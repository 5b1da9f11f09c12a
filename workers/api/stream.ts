/** Live stream: `GET /api/v1/stream/:symbol` upgrades to a WebSocket held by the instrument's Durable Object. */
import { Hono } from "hono";
import { UpgradeRequiredError } from "../../core/errors/app-error.js";
import { SymbolSchema } from "../../core/schemas/common.js";
import type { AppEnv } from "../http/app-env.js";
import { parseWith } from "../http/validate.js";
import { instrumentStub, requireInstrument } from "../instruments.js";

export const streamRoutes = new Hono<AppEnv>().get("/:symbol", async (c) => {
  const symbol = parseWith(SymbolSchema, c.req.param("symbol"), "symbol");
  requireInstrument(c.get("platform"), symbol);
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new UpgradeRequiredError();
  // fetch() is used only for the upgrade itself; every other call to the DO is native RPC.
  const url = new URL(c.req.url);
  url.searchParams.set("symbol", symbol);
  return instrumentStub(c.env, symbol).fetch(new Request(url, c.req.raw));
});
