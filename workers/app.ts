/** The Hono application: request plumbing, one router per resource, one error envelope. */
import { Hono } from "hono";
import { dataRoutes } from "./api/data.js";
import { healthRoutes } from "./api/health.js";
import { marketRoutes } from "./api/market.js";
import { streamRoutes } from "./api/stream.js";
import type { AppEnv } from "./http/app-env.js";
import { onError, onNotFound } from "./http/error-envelope.js";
import { requestContext } from "./http/request-context.js";

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", requestContext());
  app.route("/health", healthRoutes);
  app.route("/api/v1/data", dataRoutes);
  app.route("/api/v1/market", marketRoutes);
  app.route("/api/v1/stream", streamRoutes);
  app.onError(onError);
  app.notFound(onNotFound);
  return app;
}
