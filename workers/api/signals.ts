/**
 * Model signals of an instrument: `GET /api/v1/signals/{symbol}/latest`, `GET /api/v1/signals/{symbol}` and the
 * live monitoring of the served models, `GET /api/v1/signals/{symbol}/performance`.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { SymbolSchema } from "../../core/schemas/common.js";
import {
  LatestSignalResponseSchema,
  ModelPerformanceResponseSchema,
  ServingRoleSchema,
  SignalsQuerySchema,
  SignalsResponseSchema,
} from "../../core/schemas/serving.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { instrumentStub, requireInstrument } from "../instruments.js";

const SymbolParamsSchema = z.object({ symbol: SymbolSchema });

export const signalRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    route(requires("viewer", "read"), {
      method: "get",
      path: "/api/v1/signals/{symbol}/latest",
      tags: ["signals"],
      summary: "The newest signal of the champion (or the shadow)",
      description: "A signal is made on every closed M1 bar once the features are warm and a model is deployed.",
      request: {
        params: SymbolParamsSchema,
        query: z.object({ role: ServingRoleSchema.default("champion") }),
      },
      responses: { 200: json(LatestSignalResponseSchema, "The newest signal, or null"), ...errorResponses(...PROTECTED_ERRORS, 404) },
    }),
    async (c) => {
      const { symbol } = c.req.valid("param");
      const { role } = c.req.valid("query");
      requireInstrument(c.get("platform"), symbol);
      const signal = await instrumentStub(c.env, symbol).latestSignal(symbol, role);
      return c.json({ symbol, signal }, 200);
    },
  )
  .openapi(
    route(requires("viewer", "read"), {
      method: "get",
      path: "/api/v1/signals/{symbol}/performance",
      tags: ["signals"],
      summary: "Live scores of the served models beside their held-out scores, with the degradation flag",
      description:
        "Each signal is scored when its label horizon has passed, like the trainer scores held-out rows. Rolling over " +
        "the latest 500 outcomes; a model is degraded once 200 outcomes show a live log-loss more than 0.02 nats above " +
        "its held-out log-loss.",
      request: { params: SymbolParamsSchema },
      responses: { 200: json(ModelPerformanceResponseSchema, "Live and held-out scores per version"), ...errorResponses(...PROTECTED_ERRORS, 404) },
    }),
    async (c) => {
      const { symbol } = c.req.valid("param");
      requireInstrument(c.get("platform"), symbol);
      const stub = instrumentStub(c.env, symbol);
      const [serving, models] = await Promise.all([stub.servingState(), stub.modelPerformance(symbol)]);
      const championDegraded = models.some((model) => model.role === "champion" && model.degraded);
      return c.json({ symbol, serving, championDegraded, models }, 200);
    },
  )
  .openapi(
    route(requires("viewer", "read"), {
      method: "get",
      path: "/api/v1/signals/{symbol}",
      tags: ["signals"],
      summary: "Signals of an instrument, newest first, with their scored outcomes",
      request: { params: SymbolParamsSchema, query: SignalsQuerySchema },
      responses: { 200: json(SignalsResponseSchema, "Signals, newest first"), ...errorResponses(...PROTECTED_ERRORS, 404) },
    }),
    async (c) => {
      const { symbol } = c.req.valid("param");
      const query = c.req.valid("query");
      requireInstrument(c.get("platform"), symbol);
      const signals = await instrumentStub(c.env, symbol).signals({
        symbol,
        role: query.role,
        version: query.version,
        fromMs: query.from,
        toMs: query.to,
        limit: query.limit,
      });
      return c.json({ symbol, signals }, 200);
    },
  );
