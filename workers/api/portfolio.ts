/**
 * The portfolio and its positions: `GET /api/v1/portfolio` (account, risk, each trading instrument's desk),
 * `GET /api/v1/positions` (open positions and pending orders across instruments), manual orders
 * (`POST /api/v1/positions`) and closes (`DELETE /api/v1/positions/{id}`), which act on the instrument's next tick.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { NotFoundError, RiskDeniedError, UnprocessableError } from "../../core/errors/app-error.js";
import { DEFAULT_ACCOUNT_ID } from "../../core/schemas/account.js";
import {
  CloseAcceptedSchema,
  OrderAcceptedSchema,
  PortfolioSchema,
  PositionIdParamsSchema,
  PositionsQuerySchema,
  PositionsResponseSchema,
  positionsAcross,
  summariseDesk,
  toRiskReport,
  type DeskPositionsReport,
} from "../../core/schemas/portfolio-api.js";
import { ManualOrderArgsSchema, symbolOfPositionId } from "../../core/schemas/trading-orders.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { requireInstrument } from "../instruments.js";
import { onAccount, onInstrument } from "../trading-rpc.js";

const TAGS = ["portfolio"];
const READ = requires("viewer", "read");
const TRADE = requires("trader", "trade");

/** What the trading instruments' desks report, asked in parallel, by symbol; instruments that do not trade are left out. */
async function desksOf(c: Context<AppEnv>, symbols: readonly string[]): Promise<DeskPositionsReport[]> {
  const desks = await Promise.all(symbols.map((symbol) => onInstrument(c.env, symbol, (instrument) => instrument.positions(symbol))));
  return desks.filter((desk): desk is NonNullable<typeof desk> => desk !== null);
}

function tradingSymbols(c: Context<AppEnv>): string[] {
  return [...c.get("platform").trading.keys()].sort();
}

/**
 * 404 for an undeclared instrument, 422 for one that does not trade. The InstrumentDO refuses the latter too (rebuilt
 * by onInstrument); checking here first spares waking an object that can only say no.
 */
function requireTradingInstrument(c: Context<AppEnv>, symbol: string): void {
  requireInstrument(c.get("platform"), symbol);
  if (!c.get("platform").trading.has(symbol)) {
    throw new UnprocessableError(`${symbol} does not trade: the TRADING configuration has no entry for it`, { details: { trading: tradingSymbols(c) } });
  }
}

export const portfolioRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/portfolio",
      tags: TAGS,
      summary: "The account (balance, equity, P&L, exposure, state), its one-day VaR, and each trading instrument's desk",
      description:
        "The account snapshot of the AccountDO with `risk` (historical and parametric VaR at 95 and 99 %, correlation-adjusted " +
        "exposure) and `instruments`: per trading instrument its open positions, pending orders, unrealised P&L, whether an " +
        "emergency stop is flattening it, and the time of its latest quote.",
      responses: { 200: json(PortfolioSchema, "Account, risk and desks"), ...errorResponses(...PROTECTED_ERRORS, 502) },
    }),
    async (c) => {
      const [snapshot, report, desks] = await Promise.all([
        onAccount(c.env, (account) => account.snapshot(DEFAULT_ACCOUNT_ID)),
        onAccount(c.env, (account) => account.riskReport(DEFAULT_ACCOUNT_ID)),
        desksOf(c, tradingSymbols(c)),
      ]);
      return c.json({ ...snapshot, risk: toRiskReport(report), instruments: desks.map(summariseDesk) }, 200);
    },
  )
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/positions",
      tags: TAGS,
      summary: "Open positions and pending orders across the trading instruments",
      description:
        "Each position carries its unrealised P&L at the exit side of its instrument's latest quote and that quote's time. " +
        "An instrument that is declared but does not trade has none.",
      request: { query: PositionsQuerySchema },
      responses: { 200: json(PositionsResponseSchema, "Positions and pending orders, by symbol"), ...errorResponses(...PROTECTED_ERRORS, 404, 502) },
    }),
    async (c) => {
      const { symbol } = c.req.valid("query");
      let symbols = tradingSymbols(c);
      if (symbol !== undefined) {
        requireInstrument(c.get("platform"), symbol);
        symbols = symbols.filter((s) => s === symbol);
      }
      return c.json(positionsAcross(await desksOf(c, symbols)), 200);
    },
  )
  .openapi(
    route(TRADE, {
      method: "post",
      path: "/api/v1/positions",
      tags: TAGS,
      summary: "Place a manual market order through the account's risk checks",
      description:
        "The account sizes and checks the order like a strategy's (rounding the lots down to the lot step); an approved order " +
        "fills on the instrument's next tick (202) into the position `positionId`. A denial answers 422 RISK_DENIED with " +
        "`details.decision` (its code, message and the values that decided). 422 UNPROCESSABLE when the instrument does not " +
        "trade or has no quote yet; 503 when the account cannot be reached (the order is not placed).",
      request: { body: { required: true, content: { "application/json": { schema: ManualOrderArgsSchema } } } },
      responses: {
        202: json(OrderAcceptedSchema, "Approved; fills on the next tick"),
        ...errorResponses(...PROTECTED_ERRORS, 404, 422, 502, 503),
      },
    }),
    async (c) => {
      const order = c.req.valid("json");
      c.set("audit", { target: `instrument:${order.symbol}`, details: { side: order.side, lots: order.lots } });
      requireTradingInstrument(c, order.symbol);
      const { request, decision } = await onInstrument(c.env, order.symbol, (instrument) => instrument.placeOrder(order));
      c.set("audit", { target: `position:${request.requestId}`, details: { side: order.side, lots: order.lots, decision } });
      if (!decision.approved) throw new RiskDeniedError(decision);
      return c.json({ request, decision, positionId: request.requestId, fillsOn: "next tick" as const }, 202);
    },
  )
  .openapi(
    route(TRADE, {
      method: "delete",
      path: "/api/v1/positions/{id}",
      tags: TAGS,
      summary: "Close a position at market on the instrument's next tick",
      description: "404 when no such position is open (already closed, or never filled); 422 when its instrument does not trade.",
      request: { params: PositionIdParamsSchema },
      responses: {
        202: json(CloseAcceptedSchema, "The close is queued for the next tick"),
        ...errorResponses(...PROTECTED_ERRORS, 404, 422, 502),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const symbol = symbolOfPositionId(id);
      c.set("audit", { target: `position:${id}` });
      requireTradingInstrument(c, symbol);
      const accepted = await onInstrument(c.env, symbol, (instrument) => instrument.closePosition(symbol, id));
      if (!accepted) throw new NotFoundError(`position ${id} is not open`);
      return c.json({ positionId: id, closesOn: "next tick" as const }, 202);
    },
  );
