/** Notification delivery attempts (admin): `GET /api/v1/notifications/deliveries`, newest first, filtered and paged. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { NotificationDeliveryPageSchema, NotificationDeliveryQuerySchema } from "../../core/notifications/deliveries.js";
import { db } from "../db/client.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { listDeliveries } from "../notifications/delivery-store.js";

export const notificationRoutes = new OpenAPIHono<AppEnv>().openapi(
  route(requires("admin"), {
    method: "get",
    path: "/api/v1/notifications/deliveries",
    tags: ["system"],
    summary: "Notification delivery attempts (sent, failed, rate limited), newest first",
    description: "Every attempt on every channel, with its HTTP status, latency, error and task. Pass the answer's `next` as `before` for the next page.",
    request: { query: NotificationDeliveryQuerySchema },
    responses: { 200: json(NotificationDeliveryPageSchema, "Delivery attempts, newest first"), ...errorResponses(...PROTECTED_ERRORS) },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const rows = await listDeliveries(db(c.env), {
      channel: q.channel,
      event: q.event,
      outcome: q.outcome,
      taskId: q.taskId,
      sinceMs: q.since,
      beforeId: q.before,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    return c.json({ deliveries: page, next: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null }, 200);
  },
);
