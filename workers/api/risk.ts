/**
 * The account's risk controls: the limits (`GET|PUT /api/v1/risk/limits`), the kill switch
 * (`POST /api/v1/risk/emergency-stop`), the way back (`POST /api/v1/risk/reset`) and the one-day VaR
 * (`GET /api/v1/risk/var`). Every change names its actor in the account's risk events and in the audit log.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { DEFAULT_ACCOUNT_ID } from "../../core/schemas/account.js";
import {
  EmergencyStopResultSchema,
  RiskActionBodySchema,
  RiskLimitsBodySchema,
  RiskReportSchema,
  toRiskReport,
} from "../../core/schemas/portfolio-api.js";
import { AccountSnapshotSchema, RiskLimitsSchema } from "../../core/schemas/trading.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { actorName } from "../models/slot-plans.js";
import { onAccount } from "../trading-rpc.js";

const TAGS = ["risk"];
const READ = requires("viewer", "read");
/** Anyone allowed to trade may stop trading. */
const STOP = requires("trader", "trade");
/** Loosening the limits or resuming trading: admins, and only with the trade scope (an admin's read-only key cannot). */
const CONTROL = requires("admin", "trade");
const ACCOUNT_TARGET = `account:${DEFAULT_ACCOUNT_ID}`;

export const riskRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/risk/limits",
      tags: TAGS,
      summary: "The account's risk limits",
      responses: { 200: json(RiskLimitsSchema, "The limits in force"), ...errorResponses(...PROTECTED_ERRORS, 502) },
    }),
    async (c) => c.json(await onAccount(c.env, (account) => account.limits(DEFAULT_ACCOUNT_ID)), 200),
  )
  .openapi(
    route(CONTROL, {
      method: "put",
      path: "/api/v1/risk/limits",
      tags: TAGS,
      summary: "Replace the account's risk limits",
      description:
        "The body is the whole limits document and replaces the current one: an omitted field takes its default, not its " +
        "current value (read the limits first to change one). Unknown fields are refused (400). Applies to the next order; " +
        "the change is a risk event naming the caller.",
      request: { body: { required: true, content: { "application/json": { schema: RiskLimitsBodySchema } } } },
      responses: { 200: json(RiskLimitsSchema, "The limits now in force"), ...errorResponses(...PROTECTED_ERRORS, 502) },
    }),
    async (c) => {
      const limits = c.req.valid("json");
      c.set("audit", { target: ACCOUNT_TARGET, details: { limits } });
      const actor = actorName(c.get("principal"));
      return c.json(await onAccount(c.env, (account) => account.setLimits(DEFAULT_ACCOUNT_ID, limits, actor)), 200);
    },
  )
  .openapi(
    route(STOP, {
      method: "post",
      path: "/api/v1/risk/emergency-stop",
      tags: TAGS,
      summary: "Emergency stop: halt the account and flatten every instrument",
      description:
        "The account is HALTED at once (every later order is denied with TRADING_HALTED); every trading instrument drops its " +
        "pending orders and closes its positions on its next tick. Instruments that could not be told are listed in " +
        "`unreachable`; they flatten once reached. Lifted by an admin's reset.",
      request: { body: { required: true, content: { "application/json": { schema: RiskActionBodySchema } } } },
      responses: { 200: json(EmergencyStopResultSchema, "The halted account and the instruments told"), ...errorResponses(...PROTECTED_ERRORS, 502) },
    }),
    async (c) => {
      const { reason } = c.req.valid("json");
      c.set("audit", { target: ACCOUNT_TARGET, details: { reason } });
      const actor = actorName(c.get("principal"));
      const result = await onAccount(c.env, (account) => account.emergencyStop(DEFAULT_ACCOUNT_ID, actor, reason));
      c.set("audit", { target: ACCOUNT_TARGET, details: { reason, halted: result.halted, unreachable: result.unreachable.map((u) => u.symbol) } });
      return c.json({ account: result.account, halted: result.halted, unreachable: result.unreachable }, 200);
    },
  )
  .openapi(
    route(CONTROL, {
      method: "post",
      path: "/api/v1/risk/reset",
      tags: TAGS,
      summary: "Return the account to ACTIVE (after an emergency stop or a drawdown)",
      request: { body: { required: true, content: { "application/json": { schema: RiskActionBodySchema } } } },
      responses: { 200: json(AccountSnapshotSchema, "The account, ACTIVE"), ...errorResponses(...PROTECTED_ERRORS, 502) },
    }),
    async (c) => {
      const { reason } = c.req.valid("json");
      c.set("audit", { target: ACCOUNT_TARGET, details: { reason } });
      const actor = actorName(c.get("principal"));
      return c.json(await onAccount(c.env, (account) => account.reset(DEFAULT_ACCOUNT_ID, actor, reason)), 200);
    },
  )
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/risk/var",
      tags: TAGS,
      summary: "The account's one-day VaR and correlation-adjusted exposure",
      description:
        "Historical and parametric (variance-covariance) VaR at 95 and 99 % over the open positions, from aligned M1 returns " +
        "scaled to one day by √1440; null while there are fewer than 30 returns.",
      responses: { 200: json(RiskReportSchema, "The risk report"), ...errorResponses(...PROTECTED_ERRORS, 502) },
    }),
    async (c) => c.json(toRiskReport(await onAccount(c.env, (account) => account.riskReport(DEFAULT_ACCOUNT_ID))), 200),
  );
