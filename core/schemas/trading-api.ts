/**
 * HTTP query and response schemas of the trading read API: `GET /api/v1/trades`, `GET /api/v1/analytics/trades` and
 * `GET /api/v1/risk/alerts`. The records themselves are the shared ones of core/schemas/trading.ts.
 */
import { z } from "zod";
import { QueryTimestampSchema, SymbolSchema } from "./common.js";
import {
  EntryContextSchema,
  ExitReasonSchema,
  RegimeSchema,
  RISK_EVENT_KINDS,
  RiskEventSchema,
  SideSchema,
  TradeSchema,
} from "./trading.js";

// ---------------------------------------------------------------------------------------------------------------
// Keyset cursors

/** Where a newest-first page ended: the last row's time (epoch ms) and id. The next page starts strictly below it. */
export interface KeysetPosition {
  readonly tsMs: number;
  readonly id: string;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

/**
 * The opaque cursor of a position (base64url of `tsMs:id`).
 * @example encodeCursor({ tsMs: 1_700_000_000_000, id: "pos-1" }) // "MTcwMDAwMDAwMDAwMDpwb3MtMQ"
 */
export function encodeCursor(position: KeysetPosition): string {
  return toBase64Url(new TextEncoder().encode(`${position.tsMs}:${position.id}`));
}

/** The position of a cursor made by {@link encodeCursor}; throws on anything else. */
export function decodeCursor(cursor: string): KeysetPosition {
  const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(fromBase64Url(cursor));
  const match = /^(-?\d{1,16}):(.+)$/s.exec(text);
  const tsMs = Number(match?.[1]);
  if (!match?.[2] || !Number.isSafeInteger(tsMs)) throw new Error("not a cursor");
  return { tsMs, id: match[2] };
}

/** A cursor in a query string, decoded to its position (400 when it was not made by this API). */
export const CursorQuerySchema = z
  .string()
  .max(1_024)
  .regex(/^[A-Za-z0-9_-]+$/, "not a cursor from this API")
  .transform((cursor, ctx) => {
    try {
      return decodeCursor(cursor);
    } catch {
      ctx.addIssue({ code: "custom", message: "not a cursor from this API" });
      return z.NEVER;
    }
  })
  .describe("The nextCursor of the previous page (opaque)");

/** Largest page of the paged trading lists. */
export const MAX_PAGE_LIMIT = 1_000;

const LimitQuerySchema = z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(100)
  .describe(`Rows per page, newest first, 1-${MAX_PAGE_LIMIT}`);

/** A signed decimal in a query string ("-12.5"); stricter than z.coerce, which reads "" as 0. */
const QueryDecimalSchema = z.string().regex(/^-?\d{1,15}(\.\d{1,10})?$/, "a decimal number, e.g. -12.5").transform(Number);

// ---------------------------------------------------------------------------------------------------------------
// Trades

/** The filters shared by the trade list, its CSV export and the trade analytics. All optional; they combine with AND. */
const tradeFilterShape = {
  symbol: SymbolSchema.optional(),
  side: SideSchema.optional().describe("Side of the position: buy = long, sell = short"),
  exitReason: ExitReasonSchema.optional().describe("Why the position was closed"),
  regime: RegimeSchema.optional().describe("Regime of the entry's signal bar"),
  strategy: EntryContextSchema.shape.strategy.optional().describe("What opened the position"),
  modelVersion: z.string().min(1).max(64).optional().describe("Model version behind the entry signal"),
  from: QueryTimestampSchema.optional().describe("Oldest exit time (inclusive)"),
  to: QueryTimestampSchema.optional().describe("Newest exit time (inclusive)"),
  minNetPnlUsd: QueryDecimalSchema.optional().describe("Smallest net P&L (inclusive), USD"),
  maxNetPnlUsd: QueryDecimalSchema.optional().describe("Largest net P&L (inclusive), USD"),
};

interface TradeFilterBounds {
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  readonly minNetPnlUsd?: number | undefined;
  readonly maxNetPnlUsd?: number | undefined;
}

function checkTradeFilterBounds(query: TradeFilterBounds, ctx: z.RefinementCtx): void {
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    ctx.addIssue({ code: "custom", message: "'from' must not be after 'to'", path: ["from"] });
  }
  if (query.minNetPnlUsd !== undefined && query.maxNetPnlUsd !== undefined && query.minNetPnlUsd > query.maxNetPnlUsd) {
    ctx.addIssue({ code: "custom", message: "'minNetPnlUsd' must not exceed 'maxNetPnlUsd'", path: ["minNetPnlUsd"] });
  }
}

/** The query of `GET /api/v1/trades`. */
export const TradesQuerySchema = z
  .object({
    ...tradeFilterShape,
    cursor: CursorQuerySchema.optional(),
    limit: LimitQuerySchema,
    format: z.enum(["json", "csv"]).optional()
      .describe("csv: every matching trade as a CSV download (cursor and limit do not apply); also chosen by Accept: text/csv"),
  })
  .superRefine(checkTradeFilterBounds);
export type TradesQuery = z.infer<typeof TradesQuerySchema>;

/** The query of `GET /api/v1/analytics/trades`: the trade filters. */
export const TradeAnalyticsQuerySchema = z.object(tradeFilterShape).superRefine(checkTradeFilterBounds);
export type TradeAnalyticsQuery = z.infer<typeof TradeAnalyticsQuerySchema>;

export const TradesPageSchema = z.object({
  trades: z.array(TradeSchema).describe("Newest exit first (ties: larger id first)"),
  nextCursor: z.string().nullable().describe("Pass as 'cursor' for the next page; null on the last page"),
});
export type TradesPage = z.infer<typeof TradesPageSchema>;

/** Performance of one group of closed trades. */
export const TradeGroupStatsSchema = z.object({
  key: z.string().describe("The group's value: exit reason, regime, entry hour (\"00\"-\"23\" UTC), confidence bucket, or \"all\""),
  trades: z.number().int(),
  wins: z.number().int().describe("Trades with a net P&L above zero"),
  winRatePct: z.number().describe("wins ÷ trades × 100; 0 without trades"),
  netPnlUsd: z.number().describe("Sum of net P&L, USD"),
  averageNetPnlUsd: z.number().describe("netPnlUsd ÷ trades; 0 without trades"),
  averageRMultiple: z.number().nullable().describe("Mean R multiple of the trades that have one; null when none has"),
  profitFactor: z.number().nullable()
    .describe("Sum of winning net P&L ÷ |sum of losing net P&L|; null without losing trades (unbounded or undefined)"),
});
export type TradeGroupStats = z.infer<typeof TradeGroupStatsSchema>;

/** Closed trades grouped four ways (core/analytics/trade-analytics.ts). Only groups with trades are listed. */
export const TradeAnalyticsSchema = z.object({
  totals: TradeGroupStatsSchema.describe("All analysed trades (key \"all\")"),
  byExitReason: z.array(TradeGroupStatsSchema).describe("In the order of the exit reasons' definition"),
  byRegime: z.array(TradeGroupStatsSchema).describe("trending, ranging, volatile, unknown"),
  byEntryHourUtc: z.array(TradeGroupStatsSchema).describe("UTC hour of the entry, \"00\" to \"23\""),
  byConfidence: z.array(TradeGroupStatsSchema)
    .describe("Entry confidence: \"<0.50\", then [0.50, 0.55) as \"0.50-0.55\" … [0.95, 1.00] as \"0.95-1.00\", then \"none\" (no confidence)"),
});
export type TradeAnalytics = z.infer<typeof TradeAnalyticsSchema>;

/** Most trades one analytics request reads (the newest by exit time). */
export const MAX_ANALYTICS_TRADES = 100_000;

export const TradeAnalyticsResponseSchema = TradeAnalyticsSchema.extend({
  capped: z.boolean().describe(`True when more than ${MAX_ANALYTICS_TRADES} trades matched: only the newest (by exit time) were analysed`),
  tradeCap: z.number().int().describe("Most trades analysed per request"),
  matchingTrades: z.number().int().describe("Trades matching the filters (more than totals.trades when capped)"),
});
export type TradeAnalyticsResponse = z.infer<typeof TradeAnalyticsResponseSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Risk alerts

export const RiskSeveritySchema = RiskEventSchema.shape.severity;
export type RiskSeverity = z.infer<typeof RiskSeveritySchema>;

/** Severities, least severe first. */
export const RISK_SEVERITIES = RiskSeveritySchema.options;

/**
 * The severities at or above `min`.
 * @example severitiesAtLeast("warning") // ["warning", "critical"]
 */
export function severitiesAtLeast(min: RiskSeverity): RiskSeverity[] {
  return RISK_SEVERITIES.slice(RISK_SEVERITIES.indexOf(min));
}

/** The query of `GET /api/v1/risk/alerts`. */
export const RiskAlertsQuerySchema = z.object({
  severity: RiskSeveritySchema.optional().describe("Minimum severity: info < warning < critical"),
  kind: z.enum(RISK_EVENT_KINDS).optional(),
  symbol: SymbolSchema.optional(),
  since: QueryTimestampSchema.optional().describe("Oldest event time (inclusive)"),
  cursor: CursorQuerySchema.optional(),
  limit: LimitQuerySchema,
});
export type RiskAlertsQuery = z.infer<typeof RiskAlertsQuerySchema>;

export const RiskAlertsPageSchema = z.object({
  alerts: z.array(RiskEventSchema).describe("Newest first (ties: larger id first)"),
  nextCursor: z.string().nullable().describe("Pass as 'cursor' for the next page; null on the last page"),
});
export type RiskAlertsPage = z.infer<typeof RiskAlertsPageSchema>;
