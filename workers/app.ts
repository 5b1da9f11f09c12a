/** The Hono application: request plumbing, security, one router per resource, OpenAPI, one error envelope. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { swaggerUI } from "@hono/swagger-ui";
import { ValidationError } from "../core/errors/app-error.js";
import { apiKeyRoutes } from "./api/api-keys.js";
import { auditRoutes } from "./api/audit.js";
import { backupRoutes } from "./api/backups.js";
import { authRoutes } from "./api/auth.js";
import { dataRoutes } from "./api/data.js";
import { healthRoutes } from "./api/health.js";
import { marketRoutes } from "./api/market.js";
import { isModelUpload, modelRoutes } from "./api/models.js";
import { portfolioRoutes } from "./api/portfolio.js";
import { riskAlertRoutes } from "./api/risk-alerts.js";
import { riskRoutes } from "./api/risk.js";
import { signalRoutes } from "./api/signals.js";
import { streamRoutes } from "./api/stream.js";
import { notificationRoutes } from "./api/notifications.js";
import { systemRoutes } from "./api/system.js";
import { taskRoutes } from "./api/tasks.js";
import { trainingRoutes } from "./api/training.js";
import { tradeRoutes } from "./api/trades.js";
import { userRoutes } from "./api/users.js";
import { dashboardRoutes } from "./dashboard/routes.js";
import { DECLARED_ACCESS, PUBLIC } from "./http/access.js";
import type { AppEnv } from "./http/app-env.js";
import { auditTrail } from "./http/audit-trail.js";
import { issuesOf, onError, onNotFound } from "./http/error-envelope.js";
import { requestContext } from "./http/request-context.js";
import { addressRateLimit, bodySizeLimit, corsAllowList, securityHeaders } from "./http/security.js";

export { DOCS_PATH, OPENAPI_PATH };
import { requestMetrics } from "./observability/request-metrics.js";

import { DOCS_PATH, OPENAPI_PATH } from "./http/security.js";

export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw new ValidationError("invalid request", { details: issuesOf(result.error), cause: result.error });
    },
  });
  app.use("*", requestContext());
  app.use("*", requestMetrics());
  app.use("*", securityHeaders());
  app.use("*", corsAllowList());
  app.use("*", addressRateLimit());
  // The model upload sets its own, larger limit (32 MiB).
  const globalBodyLimit = bodySizeLimit();
  app.use("*", (c, next) => (isModelUpload(c.req.method, c.req.path) ? next() : globalBodyLimit(c, next)));
  app.use("*", auditTrail());

  for (const routes of [healthRoutes, authRoutes, dataRoutes, marketRoutes, signalRoutes, streamRoutes, apiKeyRoutes, userRoutes, auditRoutes, systemRoutes, modelRoutes, tradeRoutes, riskAlertRoutes, portfolioRoutes, riskRoutes, taskRoutes, trainingRoutes, notificationRoutes, backupRoutes]) {
    app.route("/", routes);
  }

  // The dashboard calls the API through this same app, in-process (see dashboard/api-client.ts).
  app.route("/", dashboardRoutes((request, env, ctx) => app.fetch(request, env, ctx)));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT or API key (ak_…)" });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", { type: "apiKey", in: "header", name: "X-API-Key" });
  app.openAPIRegistry.registerComponent("securitySchemes", "session", { type: "apiKey", in: "cookie", name: "aurum_session" });
  app.openAPIRegistry.registerComponent("securitySchemes", "metricsToken", { type: "http", scheme: "bearer", description: "METRICS_TOKEN" });
  // Served by our own route (not doc31) so that a generation failure is an enveloped 500, not a raw error object.
  let document: unknown;
  app.get(OPENAPI_PATH, (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "Aurum Edge API",
        version: "0.1.0",
        description: "Edge-native trading platform API. Every failure answers { ok: false, error: { code, message, details?, requestId } }.",
      },
    });
    return c.json(document);
  });
  DECLARED_ACCESS.set(`GET ${OPENAPI_PATH}`, PUBLIC);
  app.get(DOCS_PATH, swaggerUI({ url: OPENAPI_PATH, baseUrl: "/vendor", title: "Aurum Edge API" }));
  DECLARED_ACCESS.set(`GET ${DOCS_PATH}`, PUBLIC);

  app.onError(onError);
  app.notFound(onNotFound);
  return app;
}
