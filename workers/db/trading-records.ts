/**
 * Trading records in D1: the one writer the Durable Objects' outboxes deliver through ({@link insertOutboxRecords}),
 * the row mappers back to the shared schema types, and the newest-first keyset reads of the API.
 */
import { and, count, desc, eq, getTableColumns, gte, inArray, lt, lte, or, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { TradeAnalyticsInput } from "../../core/analytics/trade-analytics.js";
import { ValidationError } from "../../core/errors/app-error.js";
import { severitiesAtLeast, type KeysetPosition, type RiskSeverity } from "../../core/schemas/trading-api.js";
import {
  OutboxRecordSchema,
  type EntryContext,
  type ExitReason,
  type Fill,
  type OutboxRecord,
  type Regime,
  type RiskEvent,
  type Side,
  type SignalRecord,
  type Trade,
} from "../../core/schemas/trading.js";
import type { Db } from "./client.js";
import * as schema from "./schema.js";
import { fills, riskEvents, signals, trades } from "./schema.js";

export type TradeRow = typeof trades.$inferSelect;
export type FillRow = typeof fills.$inferSelect;
export type SignalRow = typeof signals.$inferSelect;
export type RiskEventRow = typeof riskEvents.$inferSelect;

// ---------------------------------------------------------------------------------------------------------------
// Writing

/** D1 binds at most this many parameters per statement. */
export const D1_MAX_BOUND_PARAMETERS = 100;

/** Rows of `table` one multi-row INSERT can carry within D1's parameter limit (every column is bound). */
function rowsPerStatement(table: SQLiteTable): number {
  return Math.max(1, Math.floor(D1_MAX_BOUND_PARAMETERS / Object.keys(getTableColumns(table)).length));
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/**
 * Writes outbox records to D1 in one atomic `batch`, keeping the first copy of every id (`INSERT … ON CONFLICT(id) DO
 * NOTHING`): a delivery retried after a lost acknowledgement, or a record repeated within one call, adds nothing, so
 * delivery is exactly-once in effect. Multi-row INSERTs are chunked to D1's 100 bound parameters per statement.
 * Every record is checked against OutboxRecordSchema first; one invalid record throws a ValidationError (naming the
 * offending indexes) and nothing is written, since corrupt records are refused, never stored.
 * @example await insertOutboxRecords(env.DB, [{ kind: "trade", trade }, { kind: "fill", fill }]);
 */
export async function insertOutboxRecords(db: D1Database, records: readonly OutboxRecord[]): Promise<void> {
  const invalid: { index: number; id: string | null; issues: string[] }[] = [];
  const parsed: OutboxRecord[] = [];
  records.forEach((record, index) => {
    const result = OutboxRecordSchema.safeParse(record);
    if (result.success) parsed.push(result.data);
    else invalid.push({ index, id: recordId(record), issues: result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
  });
  if (invalid.length > 0) throw new ValidationError(`${invalid.length} of ${records.length} outbox records are invalid`, { details: invalid });

  const tradeRows = parsed.flatMap((r) => (r.kind === "trade" ? [toTradeRow(r.trade)] : []));
  const fillRows = parsed.flatMap((r) => (r.kind === "fill" ? [toFillRow(r.fill)] : []));
  const signalRows = parsed.flatMap((r) => (r.kind === "signal" ? [toSignalRow(r.signal)] : []));
  const riskEventRows = parsed.flatMap((r) => (r.kind === "risk-event" ? [toRiskEventRow(r.event)] : []));

  const d = drizzle(db, { schema });
  const statements: BatchItem<"sqlite">[] = [
    ...chunks(tradeRows, rowsPerStatement(trades)).map((rows) => d.insert(trades).values(rows).onConflictDoNothing({ target: trades.id })),
    ...chunks(fillRows, rowsPerStatement(fills)).map((rows) => d.insert(fills).values(rows).onConflictDoNothing({ target: fills.id })),
    ...chunks(signalRows, rowsPerStatement(signals)).map((rows) => d.insert(signals).values(rows).onConflictDoNothing({ target: signals.id })),
    ...chunks(riskEventRows, rowsPerStatement(riskEvents)).map((rows) => d.insert(riskEvents).values(rows).onConflictDoNothing({ target: riskEvents.id })),
  ];
  const [first, ...rest] = statements;
  if (first === undefined) return;
  await d.batch([first, ...rest]);
}

function recordId(record: unknown): string | null {
  if (typeof record !== "object" || record === null) return null;
  for (const key of ["trade", "fill", "signal", "event"]) {
    const inner = (record as Record<string, unknown>)[key];
    if (typeof inner === "object" && inner !== null && typeof (inner as { id?: unknown }).id === "string") return (inner as { id: string }).id;
  }
  return null;
}

// Every column is written explicitly (null included) so that each row binds exactly one parameter per column.

function toTradeRow(t: Trade): TradeRow {
  return {
    id: t.id,
    accountId: t.accountId,
    symbol: t.symbol,
    side: t.side,
    lots: t.lots,
    units: t.units,
    entryTsMs: t.entryTsMs,
    entryPrice: t.entryPrice,
    exitTsMs: t.exitTsMs,
    exitPrice: t.exitPrice,
    exitReason: t.exitReason,
    stopPrice: t.stopPrice,
    initialStopPrice: t.initialStopPrice,
    targetPrice: t.targetPrice,
    grossPnlUsd: t.grossPnlUsd,
    commissionUsd: t.commissionUsd,
    slippageUsd: t.slippageUsd,
    netPnlUsd: t.netPnlUsd,
    maeUsd: t.maeUsd,
    mfeUsd: t.mfeUsd,
    rMultiple: t.rMultiple,
    holdingMs: t.holdingMs,
    strategy: t.strategy,
    signalTsMs: t.signalTsMs,
    modelVersion: t.modelVersion,
    confidence: t.confidence,
    regime: t.regime,
  };
}

function toFillRow(f: Fill): FillRow {
  return {
    id: f.id,
    positionId: f.positionId,
    accountId: f.accountId,
    symbol: f.symbol,
    side: f.side,
    kind: f.kind,
    lots: f.lots,
    tsMs: f.tsMs,
    quotePrice: f.quotePrice,
    price: f.price,
    slippageUsd: f.slippageUsd,
    commissionUsd: f.commissionUsd,
    reason: f.reason,
  };
}

function toSignalRow(s: SignalRecord): SignalRow {
  return {
    id: s.id,
    symbol: s.symbol,
    timeframe: s.timeframe,
    tsMs: s.tsMs,
    role: s.role,
    modelVersion: s.modelVersion,
    action: s.action,
    confidence: s.confidence,
    probabilities: s.probabilities,
    regime: s.regime,
    createdAtMs: s.createdAtMs,
  };
}

function toRiskEventRow(e: RiskEvent): RiskEventRow {
  return {
    id: e.id,
    accountId: e.accountId,
    tsMs: e.tsMs,
    kind: e.kind,
    severity: e.severity,
    symbol: e.symbol,
    code: e.code,
    message: e.message,
    context: e.context,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Row mappers (the API never returns raw rows)

export function toTrade(row: TradeRow): Trade {
  return {
    id: row.id,
    accountId: row.accountId,
    symbol: row.symbol,
    side: row.side,
    lots: row.lots,
    units: row.units,
    entryTsMs: row.entryTsMs,
    entryPrice: row.entryPrice,
    exitTsMs: row.exitTsMs,
    exitPrice: row.exitPrice,
    exitReason: row.exitReason,
    stopPrice: row.stopPrice,
    initialStopPrice: row.initialStopPrice,
    targetPrice: row.targetPrice,
    grossPnlUsd: row.grossPnlUsd,
    commissionUsd: row.commissionUsd,
    slippageUsd: row.slippageUsd,
    netPnlUsd: row.netPnlUsd,
    maeUsd: row.maeUsd,
    mfeUsd: row.mfeUsd,
    rMultiple: row.rMultiple,
    holdingMs: row.holdingMs,
    strategy: row.strategy,
    signalTsMs: row.signalTsMs,
    modelVersion: row.modelVersion,
    confidence: row.confidence,
    regime: row.regime,
  };
}

export function toFill(row: FillRow): Fill {
  return {
    id: row.id,
    positionId: row.positionId,
    accountId: row.accountId,
    symbol: row.symbol,
    side: row.side,
    kind: row.kind,
    lots: row.lots,
    tsMs: row.tsMs,
    quotePrice: row.quotePrice,
    price: row.price,
    slippageUsd: row.slippageUsd,
    commissionUsd: row.commissionUsd,
    reason: row.reason,
  };
}

export function toSignalRecord(row: SignalRow): SignalRecord {
  return {
    id: row.id,
    symbol: row.symbol,
    timeframe: row.timeframe,
    tsMs: row.tsMs,
    role: row.role,
    modelVersion: row.modelVersion,
    action: row.action,
    confidence: row.confidence,
    probabilities: row.probabilities,
    regime: row.regime,
    createdAtMs: row.createdAtMs,
  };
}

export function toRiskEvent(row: RiskEventRow): RiskEvent {
  return {
    id: row.id,
    accountId: row.accountId,
    tsMs: row.tsMs,
    kind: row.kind,
    severity: row.severity,
    symbol: row.symbol,
    code: row.code,
    message: row.message,
    context: row.context,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

/** Filters of the trade reads; all optional, combined with AND. Times are exit times, epoch ms, inclusive. */
export interface TradeFilter {
  readonly symbol?: string | undefined;
  readonly side?: Side | undefined;
  readonly exitReason?: ExitReason | undefined;
  readonly regime?: Regime | undefined;
  readonly strategy?: EntryContext["strategy"] | undefined;
  readonly modelVersion?: string | undefined;
  readonly fromMs?: number | undefined;
  readonly toMs?: number | undefined;
  readonly minNetPnlUsd?: number | undefined;
  readonly maxNetPnlUsd?: number | undefined;
}

/** One newest-first page: rows strictly below `after` (none: from the newest), at most `limit`. */
export interface KeysetPage {
  readonly after?: KeysetPosition | undefined;
  readonly limit: number;
}

function tradeConditions(filter: TradeFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.symbol !== undefined) conditions.push(eq(trades.symbol, filter.symbol));
  if (filter.side !== undefined) conditions.push(eq(trades.side, filter.side));
  if (filter.exitReason !== undefined) conditions.push(eq(trades.exitReason, filter.exitReason));
  if (filter.regime !== undefined) conditions.push(eq(trades.regime, filter.regime));
  if (filter.strategy !== undefined) conditions.push(eq(trades.strategy, filter.strategy));
  if (filter.modelVersion !== undefined) conditions.push(eq(trades.modelVersion, filter.modelVersion));
  if (filter.fromMs !== undefined) conditions.push(gte(trades.exitTsMs, filter.fromMs));
  if (filter.toMs !== undefined) conditions.push(lte(trades.exitTsMs, filter.toMs));
  if (filter.minNetPnlUsd !== undefined) conditions.push(gte(trades.netPnlUsd, filter.minNetPnlUsd));
  if (filter.maxNetPnlUsd !== undefined) conditions.push(lte(trades.netPnlUsd, filter.maxNetPnlUsd));
  return conditions;
}

/** (ts, id) strictly below `after` in newest-first order. */
function below(tsColumn: typeof trades.exitTsMs | typeof riskEvents.tsMs, idColumn: typeof trades.id | typeof riskEvents.id, after: KeysetPosition): SQL {
  return or(lt(tsColumn, after.tsMs), and(eq(tsColumn, after.tsMs), lt(idColumn, after.id))) as SQL;
}

/**
 * Matching trades, newest exit first (ties: larger id first), one keyset page.
 * @example const page = await listTrades(db(env), { symbol: "XAUUSD" }, { limit: 101 });
 */
export async function listTrades(db: Db, filter: TradeFilter, page: KeysetPage): Promise<Trade[]> {
  const conditions = tradeConditions(filter);
  if (page.after !== undefined) conditions.push(below(trades.exitTsMs, trades.id, page.after));
  const rows = await db.select().from(trades).where(and(...conditions)).orderBy(desc(trades.exitTsMs), desc(trades.id)).limit(page.limit).all();
  return rows.map(toTrade);
}

/** Position of a trade in the newest-first order, for the next page's cursor. */
export const tradePosition = (trade: Trade): KeysetPosition => ({ tsMs: trade.exitTsMs, id: trade.id });

/**
 * Every matching trade, newest exit first, fetched `pageSize` at a time (for exports that must not hold them all).
 * @example for await (const page of tradePages(db(env), {}, 1_000)) write(page);
 */
export async function* tradePages(db: Db, filter: TradeFilter, pageSize: number): AsyncGenerator<Trade[], void, undefined> {
  let after: KeysetPosition | undefined;
  for (;;) {
    const page = await listTrades(db, filter, { after, limit: pageSize });
    if (page.length > 0) yield page;
    const last = page.at(-1);
    if (page.length < pageSize || last === undefined) return;
    after = tradePosition(last);
  }
}

/** Trades matching `filter`. */
export async function countTrades(db: Db, filter: TradeFilter): Promise<number> {
  const row = await db.select({ n: count() }).from(trades).where(and(...tradeConditions(filter))).get();
  return row?.n ?? 0;
}

/** Rows per D1 query when reading trades for the analytics (narrow rows: six columns). */
const ANALYTICS_PAGE_ROWS = 10_000;

/**
 * The analytics columns of the newest `limit` matching trades (newest exit first), read in keyset pages.
 * @example const inputs = await tradeAnalyticsInputs(db(env), { regime: "trending" }, 100_001);
 */
export async function tradeAnalyticsInputs(db: Db, filter: TradeFilter, limit: number): Promise<TradeAnalyticsInput[]> {
  const out: TradeAnalyticsInput[] = [];
  let after: KeysetPosition | undefined;
  while (out.length < limit) {
    const conditions = tradeConditions(filter);
    if (after !== undefined) conditions.push(below(trades.exitTsMs, trades.id, after));
    const pageSize = Math.min(ANALYTICS_PAGE_ROWS, limit - out.length);
    const rows = await db
      .select({
        id: trades.id,
        exitTsMs: trades.exitTsMs,
        exitReason: trades.exitReason,
        regime: trades.regime,
        entryTsMs: trades.entryTsMs,
        confidence: trades.confidence,
        netPnlUsd: trades.netPnlUsd,
        rMultiple: trades.rMultiple,
      })
      .from(trades)
      .where(and(...conditions))
      .orderBy(desc(trades.exitTsMs), desc(trades.id))
      .limit(pageSize)
      .all();
    for (const row of rows) {
      out.push({ exitReason: row.exitReason, regime: row.regime, entryTsMs: row.entryTsMs, confidence: row.confidence, netPnlUsd: row.netPnlUsd, rMultiple: row.rMultiple });
    }
    const last = rows.at(-1);
    if (rows.length < pageSize || last === undefined) break;
    after = { tsMs: last.exitTsMs, id: last.id };
  }
  return out;
}

/** Filters of the risk-event read; all optional, combined with AND. */
export interface RiskEventFilter {
  /** At or above this severity (info < warning < critical). */
  readonly minSeverity?: RiskSeverity | undefined;
  readonly kind?: RiskEvent["kind"] | undefined;
  readonly symbol?: string | undefined;
  /** Events at or after this time, epoch ms. */
  readonly sinceMs?: number | undefined;
}

/**
 * Matching risk events, newest first (ties: larger id first), one keyset page.
 * @example await listRiskEvents(db(env), { minSeverity: "warning" }, { limit: 51 });
 */
export async function listRiskEvents(db: Db, filter: RiskEventFilter, page: KeysetPage): Promise<RiskEvent[]> {
  const conditions: SQL[] = [];
  // "info" is every severity: no condition, so the time index alone serves the order.
  if (filter.minSeverity !== undefined && filter.minSeverity !== "info") conditions.push(inArray(riskEvents.severity, severitiesAtLeast(filter.minSeverity)));
  if (filter.kind !== undefined) conditions.push(eq(riskEvents.kind, filter.kind));
  if (filter.symbol !== undefined) conditions.push(eq(riskEvents.symbol, filter.symbol));
  if (filter.sinceMs !== undefined) conditions.push(gte(riskEvents.tsMs, filter.sinceMs));
  if (page.after !== undefined) conditions.push(below(riskEvents.tsMs, riskEvents.id, page.after));
  const rows = await db.select().from(riskEvents).where(and(...conditions)).orderBy(desc(riskEvents.tsMs), desc(riskEvents.id)).limit(page.limit).all();
  return rows.map(toRiskEvent);
}

/** Position of a risk event in the newest-first order, for the next page's cursor. */
export const riskEventPosition = (event: RiskEvent): KeysetPosition => ({ tsMs: event.tsMs, id: event.id });
