/**
 * Audit trail: every state-changing call (POST, PUT, PATCH, DELETE) is written to D1 — who, what, when, from where,
 * and how it ended — before the answer leaves. Tick ingest is the exception: it is data, not control, and its volume
 * is counted per instrument instead (see /metrics). Dashboard forms are not audited themselves: each changes state
 * only through the API call it makes, which is.
 */
import type { MiddlewareHandler } from "hono";
import { appendAudit } from "../db/audit-log.js";
import { db } from "../db/client.js";
import { accessKey, DECLARED_ACCESS } from "./access.js";
import { clientIp } from "./request-context.js";
import { describeError } from "../log.js";
import type { AppEnv } from "./app-env.js";

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const NOT_AUDITED = new Set(["/api/v1/data/ingest"]);

export function auditTrail(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (!STATE_CHANGING.has(c.req.method) || NOT_AUDITED.has(c.req.path)) return;
    const principal = c.get("principal");
    const extra = c.get("audit");
    const status = c.res.status;
    const routePath = c.req.routePath === "*" ? c.req.path : c.req.routePath;
    if (DECLARED_ACCESS.get(accessKey(c.req.method, routePath))?.kind === "page") return;
    try {
      await appendAudit(db(c.env), {
        atMs: Date.now(),
        actorKind: principal?.kind ?? "anonymous",
        actorId: principal?.kind === "user" ? principal.userId : principal?.kind === "api-key" ? principal.keyId : null,
        actorName: principal?.kind === "user" ? principal.username : principal?.kind === "api-key" ? principal.prefix : (extra?.actorName ?? null),
        action: `${c.req.method} ${routePath}`,
        target: extra?.target ?? null,
        outcome: status < 400 ? "success" : status === 401 || status === 403 || status === 429 ? "denied" : "failed",
        status,
        ip: clientIp(c),
        requestId: c.get("requestId"),
        details: extra?.details ?? null,
      });
    } catch (error: unknown) {
      // The call itself already happened; losing its audit row is logged loudly rather than hidden.
      c.get("log").error("audit write failed", { path: c.req.path, status, ...describeError(error) });
    }
  };
}
