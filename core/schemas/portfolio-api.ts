/**
 * HTTP request and response schemas of the portfolio and risk API (`/api/v1/portfolio`, `/api/v1/positions`,
 * `/api/v1/risk/*`), and the pure mappings from what the Durable Objects report to those responses. The records
 * themselves (positions, snapshots, limits, decisions) are the shared ones of core/schemas/trading.ts.
 */
import { z } from "zod";
import { SymbolSchema } from "./common.js";
import { PositionIdSchema } from "./trading-orders.js";
import {
  AccountSnapshotSchema,
  EntryContextSchema,
  ExitReasonSchema,
  OrderRequestSchema,
  PositionSchema,
  RiskDecisionSchema,
  RiskLimitsSchema,
  SideSchema,
  type EntryContext,
  type ExitReason,
  type Position,
  type Side,
} from "./trading.js";

// ---------------------------------------------------------------------------------------------------------------
// What the Durable Objects report (structural: core/ cannot import durable-objects/)

/** An instrument's latest quote as its trading desk saw it. */
export const QuoteSchema = z.object({
  tsMs: z.number().int().describe("Tick time of the quote, epoch ms"),
  bid: z.number(),
  ask: z.number(),
});
export type Quote = z.infer<typeof QuoteSchema>;

/** An order of an instrument's desk that has not filled: waiting for the account, or approved and filling on the next tick. */
export interface DeskPendingOrder {
  readonly requestId: string;
  readonly kind: "open" | "close";
  readonly side: Side;
  readonly positionId: string | null;
  readonly exitReason: ExitReason | null;
  readonly status: "awaiting-approval" | "approved";
  readonly lots: number | null;
  readonly stopPrice: number | null;
  readonly targetPrice: number | null;
  readonly fromStrategy: boolean;
  readonly entry: EntryContext;
}

/** `InstrumentDO.positions(symbol)`: open positions (unrealised P&L at the latest quote) and pending orders. */
export interface DeskPositionsReport {
  readonly symbol: string;
  readonly lastQuote: Quote | null;
  readonly positions: readonly (Position & { readonly unrealisedPnlUsd: number })[];
  readonly pending: readonly DeskPendingOrder[];
  readonly flattening: boolean;
}

/** `AccountDO.riskReport(accountId)`: one-day VaR and correlation-adjusted exposure, with the exposures behind them. */
export interface AccountRiskReport {
  readonly historical95Usd: number | null;
  readonly historical99Usd: number | null;
  readonly parametric95Usd: number | null;
  readonly parametric99Usd: number | null;
  readonly correlatedExposureUsd: number;
  readonly horizon: { readonly bars: number; readonly scale: number; readonly returnCount: number };
  readonly symbols: readonly string[];
  readonly signedNotionalsUsd: readonly number[];
}

// ---------------------------------------------------------------------------------------------------------------
// Responses

/** An open position with its unrealised P&L at the instrument's latest quote. */
export const OpenPositionSchema = PositionSchema.extend({
  unrealisedPnlUsd: z.number().describe("At the exit side of the latest quote (bid for a long, ask for a short), USD; 0 before any quote"),
  markPrice: z.number().nullable().describe("The exit-side price the P&L is taken at; null before any quote"),
  quoteTsMs: z.number().int().nullable().describe("Time of that quote, epoch ms; null before any quote"),
});
export type OpenPosition = z.infer<typeof OpenPositionSchema>;

export const PendingOrderSchema = z.object({
  symbol: z.string(),
  requestId: z.string().describe("For an open order, also the id of the position it fills into"),
  kind: z.enum(["open", "close"]),
  side: SideSchema.describe("open: the new position's side; close: the side of the position being closed"),
  positionId: z.string().nullable().describe("close: the position to close"),
  exitReason: ExitReasonSchema.nullable(),
  status: z.enum(["awaiting-approval", "approved"]).describe("approved orders fill on the instrument's next tick"),
  lots: z.number().nullable().describe("Approved lots; null while awaiting approval"),
  stopPrice: z.number().nullable().describe("Manual stop price; null: placed from the ATR at the fill"),
  targetPrice: z.number().nullable().describe("Manual target price; null: placed from the ATR at the fill"),
  fromStrategy: z.boolean(),
  entry: EntryContextSchema,
});
export type PendingOrder = z.infer<typeof PendingOrderSchema>;

/** One trading instrument's desk at a glance. */
export const InstrumentBookSchema = z.object({
  symbol: z.string(),
  openPositions: z.number().int().describe("Open positions"),
  pendingOrders: z.number().int().describe("Orders waiting for approval or for the next tick"),
  unrealisedPnlUsd: z.number().describe("Sum over the open positions at the latest quote, USD"),
  flattening: z.boolean().describe("An emergency stop is waiting for the next tick to close every position"),
  lastQuoteTsMs: z.number().int().nullable().describe("Time of the latest quote the desk traded on, epoch ms; null before any"),
});
export type InstrumentBook = z.infer<typeof InstrumentBookSchema>;

/** The account's one-day risk (core/risk/var.ts). */
export const RiskReportSchema = z.object({
  historical95Usd: z.number().nullable().describe("Historical one-day VaR at 95 %, USD; null with too little return history"),
  historical99Usd: z.number().nullable().describe("Historical one-day VaR at 99 %, USD; null with too little return history"),
  parametric95Usd: z.number().nullable().describe("Variance-covariance one-day VaR at 95 %, USD; null with too little return history"),
  parametric99Usd: z.number().nullable().describe("Variance-covariance one-day VaR at 99 %, USD; null with too little return history"),
  correlatedExposureUsd: z.number().describe("Correlation-adjusted exposure √(eᵀ C e), USD (unknown correlations at their worst case)"),
  horizon: z.object({
    bars: z.number().int().describe("M1 bars in the horizon (1,440: one day)"),
    scale: z.number().describe("√bars, the factor the one-bar figures were multiplied by"),
    returnCount: z.number().int().describe("Aligned M1 returns the estimate rests on"),
  }),
  exposures: z.array(z.object({
    symbol: z.string(),
    signedNotionalUsd: z.number().describe("Net notional of the symbol's open positions at their marks, USD; negative: short"),
  })).describe("The exposures the figures were computed for, one per symbol with open positions"),
});
export type RiskReport = z.infer<typeof RiskReportSchema>;

/** `GET /api/v1/portfolio`: the account snapshot, its risk, and each trading instrument's desk. */
export const PortfolioSchema = AccountSnapshotSchema.extend({
  risk: RiskReportSchema,
  instruments: z.array(InstrumentBookSchema).describe("Every trading instrument, by symbol"),
});
export type Portfolio = z.infer<typeof PortfolioSchema>;

export const PositionsQuerySchema = z.object({
  symbol: SymbolSchema.optional().describe("Only this instrument (404 when it is not declared)"),
});

/** `GET /api/v1/positions`. */
export const PositionsResponseSchema = z.object({
  positions: z.array(OpenPositionSchema).describe("Open positions, by symbol, oldest entry first"),
  pending: z.array(PendingOrderSchema).describe("Orders not filled yet, by symbol"),
  unrealisedPnlUsd: z.number().describe("Sum over the listed positions, USD"),
});
export type PositionsResponse = z.infer<typeof PositionsResponseSchema>;

/** `POST /api/v1/positions` (202): the order was approved and fills on the instrument's next tick. */
export const OrderAcceptedSchema = z.object({
  request: OrderRequestSchema,
  decision: RiskDecisionSchema.describe("Always approved here: a denial answers 422 RISK_DENIED with details.decision"),
  positionId: z.string().describe("The id the position will have once filled (the request's id)"),
  fillsOn: z.literal("next tick"),
});
export type OrderAccepted = z.infer<typeof OrderAcceptedSchema>;

export const PositionIdParamsSchema = z.object({ id: PositionIdSchema.describe("Position id, <SYMBOL>-<number>") });

/** `DELETE /api/v1/positions/{id}` (202). */
export const CloseAcceptedSchema = z.object({
  positionId: z.string(),
  closesOn: z.literal("next tick"),
});

// ---------------------------------------------------------------------------------------------------------------
// Risk controls

/**
 * `PUT /api/v1/risk/limits`: the whole limits document. It replaces the current one: an omitted field takes its
 * default, not its current value. Unknown fields are refused (a misspelt limit must not pass unnoticed).
 */
export const RiskLimitsBodySchema = RiskLimitsSchema.strict();

/** The body of `POST /api/v1/risk/emergency-stop` and `POST /api/v1/risk/reset`. */
export const RiskActionBodySchema = z.object({
  reason: z.string().trim().min(1).max(500).describe("Why, for the risk events and the audit log (1-500 characters)"),
});

/** `POST /api/v1/risk/emergency-stop`. */
export const EmergencyStopResultSchema = z.object({
  account: AccountSnapshotSchema.describe("The account, HALTED"),
  halted: z.array(z.string()).describe("Instruments told to drop their orders and flatten on their next tick"),
  unreachable: z.array(z.object({ symbol: z.string(), error: z.string() }))
    .describe("Instruments that could not be told; their orders are denied anyway (HALTED) and they flatten once reached"),
});
export type EmergencyStopResponse = z.infer<typeof EmergencyStopResultSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Mappings

/** The exit-side price of a position at a quote: the bid closes a long, the ask a short. */
function exitPrice(side: Side, quote: Quote): number {
  return side === "buy" ? quote.bid : quote.ask;
}

/**
 * A desk's open positions with the quote their P&L was taken at.
 * @example
 * openPositionsOf({ symbol: "XAUUSD", lastQuote: { tsMs: 60_000, bid: 2301, ask: 2301.3 }, positions: [long], pending: [], flattening: false })
 * // [{ ...long, unrealisedPnlUsd, markPrice: 2301, quoteTsMs: 60_000 }]
 */
export function openPositionsOf(desk: DeskPositionsReport): OpenPosition[] {
  const quote = desk.lastQuote;
  return desk.positions.map((position) => ({
    ...position,
    markPrice: quote === null ? null : exitPrice(position.side, quote),
    quoteTsMs: quote?.tsMs ?? null,
  }));
}

/** A desk's pending orders, each named with its symbol. */
export function pendingOrdersOf(desk: DeskPositionsReport): PendingOrder[] {
  return desk.pending.map((order) => ({
    symbol: desk.symbol,
    requestId: order.requestId,
    kind: order.kind,
    side: order.side,
    positionId: order.positionId,
    exitReason: order.exitReason,
    status: order.status,
    lots: order.lots,
    stopPrice: order.stopPrice,
    targetPrice: order.targetPrice,
    fromStrategy: order.fromStrategy,
    entry: order.entry,
  }));
}

/**
 * One desk in figures: counts, unrealised P&L, flattening, time of the latest quote.
 * @example
 * summariseDesk({ symbol: "XAUUSD", lastQuote: null, positions: [], pending: [], flattening: false })
 * // { symbol: "XAUUSD", openPositions: 0, pendingOrders: 0, unrealisedPnlUsd: 0, flattening: false, lastQuoteTsMs: null }
 */
export function summariseDesk(desk: DeskPositionsReport): InstrumentBook {
  return {
    symbol: desk.symbol,
    openPositions: desk.positions.length,
    pendingOrders: desk.pending.length,
    unrealisedPnlUsd: desk.positions.reduce((sum, position) => sum + position.unrealisedPnlUsd, 0),
    flattening: desk.flattening,
    lastQuoteTsMs: desk.lastQuote?.tsMs ?? null,
  };
}

/**
 * The positions answer over several desks, ordered by symbol (then entry time) whatever order the desks answered in.
 * @example positionsAcross([]) // { positions: [], pending: [], unrealisedPnlUsd: 0 }
 */
export function positionsAcross(desks: readonly DeskPositionsReport[]): PositionsResponse {
  const sorted = [...desks].sort((a, b) => compareText(a.symbol, b.symbol));
  const positions = sorted.flatMap((desk) => openPositionsOf(desk).sort((a, b) => a.entryTsMs - b.entryTsMs || compareText(a.id, b.id)));
  return {
    positions,
    pending: sorted.flatMap(pendingOrdersOf),
    unrealisedPnlUsd: positions.reduce((sum, position) => sum + position.unrealisedPnlUsd, 0),
  };
}

/**
 * The account's risk report as the API answers it: the exposures zipped into one entry per symbol. Throws a
 * RangeError when the symbols and notionals differ in length (a broken report is refused, not repaired).
 * @example
 * toRiskReport({ ...varReport, symbols: ["XAUUSD"], signedNotionalsUsd: [230_000] }).exposures
 * // [{ symbol: "XAUUSD", signedNotionalUsd: 230_000 }]
 */
export function toRiskReport(report: AccountRiskReport): RiskReport {
  if (report.symbols.length !== report.signedNotionalsUsd.length) {
    throw new RangeError(`risk report: ${report.symbols.length} symbols but ${report.signedNotionalsUsd.length} notionals`);
  }
  return {
    historical95Usd: report.historical95Usd,
    historical99Usd: report.historical99Usd,
    parametric95Usd: report.parametric95Usd,
    parametric99Usd: report.parametric99Usd,
    correlatedExposureUsd: report.correlatedExposureUsd,
    horizon: { bars: report.horizon.bars, scale: report.horizon.scale, returnCount: report.horizon.returnCount },
    exposures: report.symbols.map((symbol, i) => ({ symbol, signedNotionalUsd: report.signedNotionalsUsd[i]! })),
  };
}

/** Code-point order, independent of the runtime's locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
