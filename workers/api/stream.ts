/** Live stream: `GET /api/v1/stream/{symbol}` upgrades to a WebSocket held by the instrument's Durable Object. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { UpgradeRequiredError } from "../../core/errors/app-error.js";
import { SymbolSchema } from "../../core/schemas/common.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, PROTECTED_ERRORS } from "../http/openapi.js";
import { instrumentStub, requireInstrument } from "../instruments.js";

export const streamRoutes = new OpenAPIHono<AppEnv>().openapi(
  route(requires("viewer", "read"), {
    method: "get",
    path: "/api/v1/stream/{symbol}",
    tags: ["market data"],
    summary: "Live ticks and bar closes over a WebSocket",
    description: "Messages: hello (forming bars), tick (throttled), bar (on close). Send 'ping' to get 'pong'; anything else closes the socket.",
    request: { params: z.object({ symbol: SymbolSchema }) },
    responses: { 101: { description: "Switching to the WebSocket protocol" }, ...errorResponses(...PROTECTED_ERRORS, 404, 426, 503) },
  }),
  async (c) => {
    const { symbol } = c.req.valid("param");
    requireInstrument(c.get("platform"), symbol);
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new UpgradeRequiredError();
    // fetch() is used only for the upgrade itself; every other call to the object is native RPC.
    const url = new URL(c.req.url);
    url.searchParams.set("symbol", symbol);
    return instrumentStub(c.env, symbol).fetch(new Request(url, c.req.raw));
  },
);
