/**
 * Closed trades: `GET /api/v1/trades` (filtered, keyset-paged, or every match as a CSV download) and
 * `GET /api/v1/analytics/trades` (the same filters, grouped by exit reason, regime, entry hour and confidence).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { analyseTrades } from "../../core/analytics/trade-analytics.js";
import {
  encodeCursor,
  MAX_ANALYTICS_TRADES,
  TradeAnalyticsQuerySchema,
  TradeAnalyticsResponseSchema,
  TradesPageSchema,
  TradesQuerySchema,
  type TradeAnalyticsQuery,
} from "../../core/schemas/trading-api.js";
import type { Trade } from "../../core/schemas/trading.js";
import { db } from "../db/client.js";
import { countTrades, listTrades, tradeAnalyticsInputs, tradePages, tradePosition, type TradeFilter } from "../db/trading-records.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";
import { createLogger, describeError, type Logger } from "../log.js";

const READ = requires("viewer", "read");

/** Trades per D1 query while streaming a CSV export. */
const CSV_PAGE_ROWS = 1_000;

function tradeFilter(query: TradeAnalyticsQuery): TradeFilter {
  return {
    symbol: query.symbol,
    side: query.side,
    exitReason: query.exitReason,
    regime: query.regime,
    strategy: query.strategy,
    modelVersion: query.modelVersion,
    fromMs: query.from,
    toMs: query.to,
    minNetPnlUsd: query.minNetPnlUsd,
    maxNetPnlUsd: query.maxNetPnlUsd,
  };
}

// --- CSV --------------------------------------------------------------------------------------------------------

const isoUtc = (tsMs: number | null): string | null => (tsMs === null ? null : new Date(tsMs).toISOString());

/** The export's columns, in order: every post-mortem field, with ISO-8601 UTC beside each epoch-ms time. */
export const TRADE_CSV_COLUMNS: readonly { readonly header: string; readonly value: (t: Trade) => string | number | null }[] = [
  { header: "id", value: (t) => t.id },
  { header: "accountId", value: (t) => t.accountId },
  { header: "symbol", value: (t) => t.symbol },
  { header: "side", value: (t) => t.side },
  { header: "lots", value: (t) => t.lots },
  { header: "units", value: (t) => t.units },
  { header: "entryTimeUtc", value: (t) => isoUtc(t.entryTsMs) },
  { header: "entryTsMs", value: (t) => t.entryTsMs },
  { header: "entryPrice", value: (t) => t.entryPrice },
  { header: "exitTimeUtc", value: (t) => isoUtc(t.exitTsMs) },
  { header: "exitTsMs", value: (t) => t.exitTsMs },
  { header: "exitPrice", value: (t) => t.exitPrice },
  { header: "exitReason", value: (t) => t.exitReason },
  { header: "stopPrice", value: (t) => t.stopPrice },
  { header: "initialStopPrice", value: (t) => t.initialStopPrice },
  { header: "targetPrice", value: (t) => t.targetPrice },
  { header: "grossPnlUsd", value: (t) => t.grossPnlUsd },
  { header: "commissionUsd", value: (t) => t.commissionUsd },
  { header: "slippageUsd", value: (t) => t.slippageUsd },
  { header: "netPnlUsd", value: (t) => t.netPnlUsd },
  { header: "maeUsd", value: (t) => t.maeUsd },
  { header: "mfeUsd", value: (t) => t.mfeUsd },
  { header: "rMultiple", value: (t) => t.rMultiple },
  { header: "holdingMs", value: (t) => t.holdingMs },
  { header: "strategy", value: (t) => t.strategy },
  { header: "signalTimeUtc", value: (t) => isoUtc(t.signalTsMs) },
  { header: "signalTsMs", value: (t) => t.signalTsMs },
  { header: "modelVersion", value: (t) => t.modelVersion },
  { header: "confidence", value: (t) => t.confidence },
  { header: "regime", value: (t) => t.regime },
];

/**
 * One CSV field (RFC 4180): null is empty; text with a comma, quote, CR or LF is quoted with quotes doubled. Text that a
 * spreadsheet would run as a formula (leading =, +, -, @, tab, CR) is prefixed with an apostrophe (OWASP CSV injection);
 * numbers are written as they are.
 */
function csvField(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const CSV_HEADER = `${TRADE_CSV_COLUMNS.map((c) => c.header).join(",")}\r\n`;
const csvRow = (trade: Trade): string => `${TRADE_CSV_COLUMNS.map((c) => csvField(c.value(trade))).join(",")}\r\n`;

/** The header, then each page of trades as it comes from D1; a D1 failure mid-way aborts the body (logged). */
function csvStream(pages: AsyncGenerator<Trade[], void, undefined>, log: Logger): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(CSV_HEADER));
        return;
      }
      try {
        const next = await pages.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value.map(csvRow).join("")));
      } catch (error: unknown) {
        log.error("trade CSV export failed mid-stream", describeError(error));
        controller.error(error);
      }
    },
    async cancel() {
      await pages.return();
    },
  });
}

/** "20240102T030405Z" */
const compactUtc = (tsMs: number): string => new Date(tsMs).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");

const wantsCsv = (format: "json" | "csv" | undefined, accept: string | undefined): boolean =>
  format === "csv" || (format === undefined && /\btext\/csv\b/i.test(accept ?? ""));

// --- routes -----------------------------------------------------------------------------------------------------

export const tradeRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/trades",
      tags: ["trades"],
      summary: "Closed trades with their post-mortem, newest exit first; or every match as CSV",
      description:
        "Keyset-paged: pass the answer's nextCursor as `cursor` for the next page. With `format=csv` (or `Accept: text/csv`) " +
        "the answer is every matching trade as a CSV download (header row, CRLF lines, RFC 4180 quoting, ISO-8601 UTC " +
        "times beside epoch ms; empty field for null), streamed from D1 in pages.",
      request: { query: TradesQuerySchema },
      responses: {
        200: {
          description: "A page of trades (JSON), or all matching trades (CSV)",
          content: {
            "application/json": { schema: TradesPageSchema },
            "text/csv": { schema: { type: "string", description: "Header row, then one trade per line (CRLF)" } },
          },
        },
        ...errorResponses(...PROTECTED_ERRORS),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const filter = tradeFilter(query);
      const database = db(c.env);
      if (wantsCsv(query.format, c.req.header("accept"))) {
        const log = c.get("log") ?? createLogger("info", { requestId: c.get("requestId") });
        const name = ["trades", query.symbol, compactUtc(Date.now())].filter(Boolean).join("-");
        return c.body(csvStream(tradePages(database, filter, CSV_PAGE_ROWS), log), 200, {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": `attachment; filename="${name}.csv"`,
          "cache-control": "no-store",
        });
      }
      const rows = await listTrades(database, filter, { after: query.cursor, limit: query.limit + 1 });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      const nextCursor = rows.length > query.limit && last !== undefined ? encodeCursor(tradePosition(last)) : null;
      return c.json({ trades: page, nextCursor }, 200);
    },
  )
  .openapi(
    route(READ, {
      method: "get",
      path: "/api/v1/analytics/trades",
      tags: ["trades"],
      summary: "Closed-trade performance by exit reason, regime, UTC entry hour and entry confidence",
      description:
        `Takes the trade filters of GET /api/v1/trades. Reads at most the newest ${MAX_ANALYTICS_TRADES} matching trades ` +
        "(by exit time); `capped` says when more matched. A win is a net P&L above zero.",
      request: { query: TradeAnalyticsQuerySchema },
      responses: { 200: json(TradeAnalyticsResponseSchema, "Totals and groups (only groups with trades)"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => {
      const filter = tradeFilter(c.req.valid("query"));
      const database = db(c.env);
      const inputs = await tradeAnalyticsInputs(database, filter, MAX_ANALYTICS_TRADES + 1);
      const capped = inputs.length > MAX_ANALYTICS_TRADES;
      const analysed = capped ? inputs.slice(0, MAX_ANALYTICS_TRADES) : inputs;
      const matchingTrades = capped ? await countTrades(database, filter) : analysed.length;
      return c.json({ ...analyseTrades(analysed), capped, tradeCap: MAX_ANALYTICS_TRADES, matchingTrades }, 200);
    },
  );
