/**
 * The trading records in real D1 and their read API: insertOutboxRecords keeps one copy per id however often a
 * delivery is retried; GET /api/v1/trades filters, pages (every row exactly once) and exports CSV; GET
 * /api/v1/analytics/trades groups; GET /api/v1/risk/alerts filters and pages; bad queries answer the 400 envelope.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { analyseTrades } from "../../core/analytics/trade-analytics.js";
import { ValidationError } from "../../core/errors/app-error.js";
import type { ErrorEnvelope } from "../../core/schemas/common.js";
import type { RiskAlertsPage, TradeAnalyticsResponse, TradesPage } from "../../core/schemas/trading-api.js";
import { EXIT_REASONS, REGIMES, RISK_EVENT_KINDS, type Fill, type OutboxRecord, type RiskEvent, type SignalRecord, type Trade } from "../../core/schemas/trading.js";
import { db } from "../../workers/db/client.js";
import { fills, riskEvents, signals, trades } from "../../workers/db/schema.js";
import { insertOutboxRecords, toFill, toRiskEvent, toSignalRecord, toTrade, tradeAnalyticsInputs } from "../../workers/db/trading-records.js";
import { createApiKey, freshState } from "./fresh-state.js";
import { call, type As } from "./http.js";

beforeEach(freshState);

// --- builders ---------------------------------------------------------------------------------------------------

const T0 = Date.UTC(2024, 2, 1, 8, 0);
const MINUTE = 60_000;
const pad = (n: number): string => String(n).padStart(4, "0");

function makeTrade(overrides: Partial<Trade> = {}): Trade {
  const entryTsMs = overrides.entryTsMs ?? T0;
  const exitTsMs = overrides.exitTsMs ?? entryTsMs + 30 * MINUTE;
  return {
    id: "pos-1",
    accountId: "main",
    symbol: "XAUUSD",
    side: "buy",
    lots: 1,
    units: 100,
    entryTsMs,
    entryPrice: 2300.5,
    exitTsMs,
    exitPrice: 2302.25,
    exitReason: "take-profit",
    stopPrice: 2298,
    initialStopPrice: 2297.5,
    targetPrice: 2302.25,
    grossPnlUsd: 175,
    commissionUsd: 7,
    slippageUsd: 2.5,
    netPnlUsd: 168,
    maeUsd: -40,
    mfeUsd: 180,
    rMultiple: 0.56,
    holdingMs: exitTsMs - entryTsMs,
    strategy: "model",
    signalTsMs: entryTsMs - MINUTE,
    modelVersion: "2024-03-01.1",
    confidence: 0.62,
    regime: "trending",
    ...overrides,
  };
}

function makeFill(overrides: Partial<Fill> = {}): Fill {
  return {
    id: "pos-1:open",
    positionId: "pos-1",
    accountId: "main",
    symbol: "XAUUSD",
    side: "buy",
    kind: "open",
    lots: 1,
    tsMs: T0,
    quotePrice: 2300.25,
    price: 2300.5,
    slippageUsd: 2.5,
    commissionUsd: 3.5,
    reason: "entry",
    ...overrides,
  };
}

function makeSignal(overrides: Partial<SignalRecord> = {}): SignalRecord {
  const tsMs = overrides.tsMs ?? T0;
  return {
    id: `XAUUSD:M1:${tsMs}:champion:2024-03-01.1`,
    symbol: "XAUUSD",
    timeframe: "M1",
    tsMs,
    role: "champion",
    modelVersion: "2024-03-01.1",
    action: "buy",
    confidence: 0.62,
    probabilities: { buy: 0.62, sell: 0.18, hold: 0.2 },
    regime: "trending",
    createdAtMs: tsMs + MINUTE + 15,
    ...overrides,
  };
}

function makeRiskEvent(overrides: Partial<RiskEvent> = {}): RiskEvent {
  return {
    id: "risk-1",
    accountId: "main",
    tsMs: T0,
    kind: "order-denied",
    severity: "warning",
    symbol: "XAUUSD",
    code: "MAX_DAILY_LOSS",
    message: "daily loss limit reached",
    context: { dailyPnlUsd: -5_100, limitUsd: -5_000, nested: { ok: true } },
    ...overrides,
  };
}

const asTrades = (items: Trade[]): OutboxRecord[] => items.map((trade) => ({ kind: "trade", trade }));

/**
 * Thirty trades that differ in every filtered field; exit times come in threes (ties broken by id), net P&L from
 * −50 to +49.
 */
const STRATEGIES = ["ema-cross", "model", "manual"] as const;
const DATASET: Trade[] = Array.from({ length: 30 }, (_, i) => {
  const exitTsMs = T0 + Math.floor(i / 3) * MINUTE;
  return makeTrade({
    id: `t-${pad(i)}`,
    symbol: i % 2 === 0 ? "XAUUSD" : "EURUSD",
    side: i % 3 === 0 ? "sell" : "buy",
    exitReason: EXIT_REASONS[i % EXIT_REASONS.length],
    regime: REGIMES[i % REGIMES.length],
    strategy: STRATEGIES[i % 3],
    modelVersion: i % 3 === 1 ? "m-1" : i % 3 === 2 ? "m-2" : null,
    confidence: i % 5 === 0 ? null : 0.45 + (i % 11) * 0.05,
    entryTsMs: exitTsMs - (i + 1) * 7 * MINUTE,
    exitTsMs,
    holdingMs: (i + 1) * 7 * MINUTE,
    netPnlUsd: ((i * 37) % 100) - 50,
    rMultiple: i % 4 === 0 ? null : (((i * 37) % 100) - 50) / 25,
  });
});

/** Newest exit first, ties by larger id first: the API's order. */
const newestFirst = (a: { exitTsMs: number; id: string }, b: { exitTsMs: number; id: string }): number =>
  b.exitTsMs - a.exitTsMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
const expectedIds = (keep: (t: Trade) => boolean): string[] => DATASET.filter(keep).sort(newestFirst).map((t) => t.id);

// --- calls ------------------------------------------------------------------------------------------------------

async function json<T>(response: Response, status = 200): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function tradesPage(query: string, as: As = "default"): Promise<TradesPage> {
  return json<TradesPage>(await call(`/api/v1/trades${query}`, {}, as));
}

async function refusal(response: Response, status: number, code: string): Promise<ErrorEnvelope["error"]> {
  const body = await json<ErrorEnvelope>(response, status);
  expect(body).toMatchObject({ ok: false, error: { code, message: expect.any(String), requestId: response.headers.get("x-request-id") } });
  return body.error;
}

/** Follows nextCursor from the first page to the last; returns every id in order and the number of pages. */
async function walk(path: string, query: string, key: "trades" | "alerts", startCursor: string | null = null): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = startCursor;
  let pages = 0;
  do {
    const separator = query === "" ? "?" : "&";
    const suffix: string = cursor === null ? "" : `${separator}cursor=${encodeURIComponent(cursor)}`;
    const page: { trades?: Trade[]; alerts?: RiskEvent[]; nextCursor: string | null } = await json(await call(`${path}${query === "" ? "" : `?${query}`}${suffix}`));
    ids.push(...(page[key] ?? []).map((row) => row.id));
    cursor = page.nextCursor;
    pages += 1;
    expect(pages, "pagination does not end").toBeLessThan(100);
  } while (cursor !== null);
  return { ids, pages };
}

/** RFC 4180 parsing: quoted fields may hold commas, doubled quotes and line breaks; records end in CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  expect(field === "" && row.length === 0, "CSV ends with a CRLF").toBe(true);
  return rows;
}

const tableRows = async () => {
  const d = db(env);
  return {
    trades: (await d.select().from(trades).all()).map(toTrade),
    fills: (await d.select().from(fills).all()).map(toFill),
    signals: (await d.select().from(signals).all()).map(toSignalRecord),
    riskEvents: (await d.select().from(riskEvents).all()).map(toRiskEvent),
  };
};

const byId = <T extends { id: string }>(rows: T[]): T[] => [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));

// --- insertOutboxRecords ----------------------------------------------------------------------------------------

describe("insertOutboxRecords", () => {
  /** More of each kind than one statement carries (100 bound parameters: 3 trades, 7 fills, 9 signals, 11 events). */
  const RECORDS: OutboxRecord[] = [
    ...Array.from({ length: 10 }, (_, i): OutboxRecord => ({ kind: "trade", trade: makeTrade({ id: `pos-${pad(i)}`, rMultiple: i % 2 ? null : 1.25, confidence: i % 3 ? 0.7 : null }) })),
    ...Array.from({ length: 20 }, (_, i): OutboxRecord => ({
      kind: "fill",
      fill: makeFill({ id: `pos-${pad(i >> 1)}:${i % 2 ? "close" : "open"}`, positionId: `pos-${pad(i >> 1)}`, kind: i % 2 ? "close" : "open", side: i % 2 ? "sell" : "buy", reason: i % 2 ? "stop-loss" : "entry" }),
    })),
    ...Array.from({ length: 20 }, (_, i): OutboxRecord => ({ kind: "signal", signal: makeSignal({ tsMs: T0 + i * MINUTE }) })),
    ...Array.from({ length: 15 }, (_, i): OutboxRecord => ({ kind: "risk-event", event: makeRiskEvent({ id: `risk-${pad(i)}`, symbol: i % 2 ? null : "XAUUSD", code: i % 3 ? null : "MAX_DRAWDOWN" }) })),
  ];

  it("stores every record once, field for field, and a retried delivery (also shuffled and partial) adds nothing", async () => {
    await insertOutboxRecords(env.DB, RECORDS);
    const first = await tableRows();
    expect(byId(first.trades)).toEqual(byId(RECORDS.flatMap((r) => (r.kind === "trade" ? [r.trade] : []))));
    expect(byId(first.fills)).toEqual(byId(RECORDS.flatMap((r) => (r.kind === "fill" ? [r.fill] : []))));
    expect(byId(first.signals)).toEqual(byId(RECORDS.flatMap((r) => (r.kind === "signal" ? [r.signal] : []))));
    expect(byId(first.riskEvents)).toEqual(byId(RECORDS.flatMap((r) => (r.kind === "risk-event" ? [r.event] : []))));

    await insertOutboxRecords(env.DB, RECORDS);
    await insertOutboxRecords(env.DB, [...RECORDS].reverse().slice(0, 31));
    const again = await tableRows();
    expect([again.trades.length, again.fills.length, again.signals.length, again.riskEvents.length]).toEqual([10, 20, 20, 15]);
    expect(again).toEqual(first);
  });

  it("keeps the first copy of an id, within one call and across calls", async () => {
    const original = makeTrade({ id: "dup", netPnlUsd: 10 });
    await insertOutboxRecords(env.DB, asTrades([original, makeTrade({ id: "dup", netPnlUsd: 999 })]));
    await insertOutboxRecords(env.DB, asTrades([makeTrade({ id: "dup", netPnlUsd: -1 })]));
    expect((await tableRows()).trades).toEqual([original]);
  });

  it("writes hundreds of records in one call (many chunked statements in one batch)", async () => {
    await insertOutboxRecords(env.DB, asTrades(Array.from({ length: 400 }, (_, i) => makeTrade({ id: `bulk-${pad(i)}` }))));
    const row = await env.DB.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids FROM trades").first<{ n: number; ids: number }>();
    expect(row).toEqual({ n: 400, ids: 400 });
  });

  it("refuses a call with an invalid record before writing anything, naming it", async () => {
    const bad = { kind: "trade", trade: { ...makeTrade({ id: "bad" }), lots: -1 } } as OutboxRecord;
    const error = await insertOutboxRecords(env.DB, [...asTrades([makeTrade({ id: "good" })]), bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toEqual([{ index: 1, id: "bad", issues: [expect.stringContaining("trade.lots")] }]);
    expect((await tableRows()).trades).toEqual([]);
  });

  it("does nothing for no records", async () => {
    await insertOutboxRecords(env.DB, []);
    expect((await tableRows()).trades).toEqual([]);
  });
});

// --- GET /api/v1/trades -----------------------------------------------------------------------------------------

describe("GET /api/v1/trades", () => {
  beforeEach(async () => {
    await insertOutboxRecords(env.DB, asTrades(DATASET));
  });

  it("lists trades newest exit first (ties: larger id first) as the shared Trade shape, 100 by default", async () => {
    const page = await tradesPage("");
    expect(page.trades.map((t) => t.id)).toEqual(expectedIds(() => true));
    expect(page.nextCursor).toBeNull();
    expect(page.trades.find((t) => t.id === "t-0007")).toEqual(DATASET[7]);
  });

  it.each([
    ["symbol=xauusd", (t: Trade) => t.symbol === "XAUUSD"],
    ["side=sell", (t: Trade) => t.side === "sell"],
    ["exitReason=stop-loss", (t: Trade) => t.exitReason === "stop-loss"],
    ["regime=volatile", (t: Trade) => t.regime === "volatile"],
    ["strategy=manual", (t: Trade) => t.strategy === "manual"],
    ["modelVersion=m-2", (t: Trade) => t.modelVersion === "m-2"],
    [`from=${T0 + 3 * MINUTE}`, (t: Trade) => t.exitTsMs >= T0 + 3 * MINUTE],
    [`to=${new Date(T0 + 2 * MINUTE).toISOString()}`, (t: Trade) => t.exitTsMs <= T0 + 2 * MINUTE],
    [`from=${encodeURIComponent("2024-03-01T10:04:00+02:00")}&to=${T0 + 6 * MINUTE}`, (t: Trade) => t.exitTsMs >= T0 + 4 * MINUTE && t.exitTsMs <= T0 + 6 * MINUTE],
    ["minNetPnlUsd=0", (t: Trade) => t.netPnlUsd >= 0],
    ["maxNetPnlUsd=-12.5", (t: Trade) => t.netPnlUsd <= -12.5],
    ["minNetPnlUsd=-20&maxNetPnlUsd=20&symbol=EURUSD&side=buy", (t: Trade) => t.netPnlUsd >= -20 && t.netPnlUsd <= 20 && t.symbol === "EURUSD" && t.side === "buy"],
  ])("filters by %s", async (query, keep) => {
    const expected = expectedIds(keep);
    expect(expected.length, "the filter keeps some trades, not all").toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(DATASET.length);
    expect((await tradesPage(`?${query}`)).trades.map((t) => t.id)).toEqual(expected);
  });

  it("answers an empty page when nothing matches", async () => {
    expect(await tradesPage("?symbol=GBPUSD")).toEqual({ trades: [], nextCursor: null });
  });

  it.each([
    ["", () => true],
    ["symbol=XAUUSD", (t: Trade) => t.symbol === "XAUUSD"],
    ["side=buy&minNetPnlUsd=-30", (t: Trade) => t.side === "buy" && t.netPnlUsd >= -30],
  ])("pages through every matching trade exactly once, in order, across tied exit times (%s)", async (query, keep) => {
    const expected = expectedIds(keep);
    for (const limit of [1, 4, 7]) {
      const { ids, pages } = await walk("/api/v1/trades", [query, `limit=${limit}`].filter(Boolean).join("&"), "trades");
      expect(ids).toEqual(expected);
      expect(new Set(ids).size).toBe(ids.length);
      expect(pages).toBe(Math.max(1, Math.ceil(expected.length / limit)));
    }
  });

  it("sees trades inserted after the cursor was issued only where they belong (keyset, not offset)", async () => {
    const first = await tradesPage("?limit=5");
    await insertOutboxRecords(env.DB, asTrades([makeTrade({ id: "late-newest", exitTsMs: T0 + 60 * MINUTE }), makeTrade({ id: "late-oldest", exitTsMs: T0 - 60 * MINUTE })]));
    expect(first.nextCursor).not.toBeNull();
    const rest = await walk("/api/v1/trades", "limit=5", "trades", first.nextCursor);
    expect([...first.trades.map((t) => t.id), ...rest.ids]).toEqual([...expectedIds(() => true), "late-oldest"]);
  });
});

// --- CSV --------------------------------------------------------------------------------------------------------

const CSV_HEADER = [
  "id", "accountId", "symbol", "side", "lots", "units", "entryTimeUtc", "entryTsMs", "entryPrice", "exitTimeUtc", "exitTsMs", "exitPrice",
  "exitReason", "stopPrice", "initialStopPrice", "targetPrice", "grossPnlUsd", "commissionUsd", "slippageUsd", "netPnlUsd", "maeUsd",
  "mfeUsd", "rMultiple", "holdingMs", "strategy", "signalTimeUtc", "signalTsMs", "modelVersion", "confidence", "regime",
];

describe("GET /api/v1/trades as CSV", () => {
  it("streams every matching trade (past the internal page size) with a header row, as an attachment", async () => {
    const many = Array.from({ length: 2_345 }, (_, i) => makeTrade({ id: `csv-${pad(i)}`, exitTsMs: T0 + Math.floor(i / 2) * MINUTE, entryTsMs: T0 - MINUTE }));
    await insertOutboxRecords(env.DB, asTrades(many));
    const response = await call("/api/v1/trades?format=csv&limit=5");
    const text = await response.text();
    expect(response.status, text.slice(0, 300)).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="trades-\d{8}T\d{6}Z\.csv"$/);
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual(CSV_HEADER);
    expect(rows.map((r) => r[0])).toEqual([...many].sort(newestFirst).map((t) => t.id));
    expect(rows.every((r) => r.length === CSV_HEADER.length)).toBe(true);
  });

  it("writes each field: ISO UTC beside epoch ms, empty for null, RFC 4180 quoting, formula-looking text defused", async () => {
    const tricky = makeTrade({ id: 'pos,"7"\r\nnext', modelVersion: "=HYPERLINK(1)", exitTsMs: Date.UTC(2024, 2, 1, 9, 5, 7, 123), entryTsMs: Date.UTC(2024, 2, 1, 8, 0) });
    const bare = makeTrade({
      id: "bare", strategy: "manual", signalTsMs: null, modelVersion: null, confidence: null, rMultiple: null,
      stopPrice: null, initialStopPrice: null, targetPrice: null, netPnlUsd: -12.75, exitTsMs: Date.UTC(2024, 2, 1, 9), entryTsMs: Date.UTC(2024, 2, 1, 8),
    });
    await insertOutboxRecords(env.DB, asTrades([tricky, bare]));
    const response = await call("/api/v1/trades", { headers: { accept: "text/csv" } });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(text).toContain('\r\n"pos,""7""\r\nnext",main,XAUUSD,buy,');
    const [, first, second] = parseCsv(text);
    const record = (row: string[] | undefined) => Object.fromEntries(CSV_HEADER.map((name, i) => [name, row?.[i]]));
    expect(record(first)).toMatchObject({
      id: 'pos,"7"\r\nnext',
      entryTimeUtc: "2024-03-01T08:00:00.000Z",
      entryTsMs: String(Date.UTC(2024, 2, 1, 8)),
      exitTimeUtc: "2024-03-01T09:05:07.123Z",
      exitTsMs: String(Date.UTC(2024, 2, 1, 9, 5, 7, 123)),
      signalTimeUtc: "2024-03-01T07:59:00.000Z",
      entryPrice: "2300.5",
      modelVersion: "'=HYPERLINK(1)",
      confidence: "0.62",
      regime: "trending",
    });
    expect(record(second)).toMatchObject({
      id: "bare", strategy: "manual", signalTimeUtc: "", signalTsMs: "", modelVersion: "", confidence: "", rMultiple: "",
      stopPrice: "", initialStopPrice: "", targetPrice: "", netPnlUsd: "-12.75", maeUsd: "-40",
    });
  });

  it("applies the filters, names the symbol in the file name, and sends only the header when nothing matches", async () => {
    await insertOutboxRecords(env.DB, asTrades(DATASET));
    const response = await call("/api/v1/trades?format=csv&symbol=EURUSD&side=buy");
    expect(response.headers.get("content-disposition")).toMatch(/filename="trades-EURUSD-\d{8}T\d{6}Z\.csv"/);
    expect(parseCsv(await response.text()).slice(1).map((r) => r[0])).toEqual(expectedIds((t) => t.symbol === "EURUSD" && t.side === "buy"));
    const empty = await call("/api/v1/trades?format=csv&symbol=GBPUSD");
    expect(await empty.text()).toBe(`${CSV_HEADER.join(",")}\r\n`);
  });

  it("answers JSON when format=json even if the client accepts CSV", async () => {
    const response = await call("/api/v1/trades?format=json", { headers: { accept: "text/csv" } });
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await json<TradesPage>(response)).toEqual({ trades: [], nextCursor: null });
  });
});

// --- GET /api/v1/analytics/trades -------------------------------------------------------------------------------

describe("GET /api/v1/analytics/trades", () => {
  it("groups the matching trades by exit reason, regime, entry hour and confidence", async () => {
    const a = makeTrade({ id: "a", exitReason: "take-profit", regime: "trending", entryTsMs: Date.UTC(2024, 2, 1, 7, 30), confidence: 0.62, netPnlUsd: 30, rMultiple: 1.5 });
    const b = makeTrade({ id: "b", exitReason: "stop-loss", regime: "trending", entryTsMs: Date.UTC(2024, 2, 1, 7, 45), confidence: 0.55, netPnlUsd: -20, rMultiple: -1 });
    const c = makeTrade({ id: "c", exitReason: "stop-loss", regime: "ranging", entryTsMs: Date.UTC(2024, 2, 1, 13), confidence: null, netPnlUsd: -10, rMultiple: null });
    const other = makeTrade({ id: "other", symbol: "EURUSD", netPnlUsd: 1_000 });
    await insertOutboxRecords(env.DB, asTrades([a, b, c, other]));
    const body = await json<TradeAnalyticsResponse>(await call("/api/v1/analytics/trades?symbol=XAUUSD"));
    expect(body).toMatchObject({ capped: false, tradeCap: 100_000, matchingTrades: 3 });
    expect(body.totals).toEqual({ key: "all", trades: 3, wins: 1, winRatePct: 100 / 3, netPnlUsd: 0, averageNetPnlUsd: 0, averageRMultiple: 0.25, profitFactor: 1 });
    expect(body.byExitReason).toEqual([
      { key: "stop-loss", trades: 2, wins: 0, winRatePct: 0, netPnlUsd: -30, averageNetPnlUsd: -15, averageRMultiple: -1, profitFactor: 0 },
      { key: "take-profit", trades: 1, wins: 1, winRatePct: 100, netPnlUsd: 30, averageNetPnlUsd: 30, averageRMultiple: 1.5, profitFactor: null },
    ]);
    expect(body.byRegime.map((g) => [g.key, g.trades, g.netPnlUsd])).toEqual([["trending", 2, 10], ["ranging", 1, -10]]);
    expect(body.byEntryHourUtc.map((g) => [g.key, g.trades])).toEqual([["07", 2], ["13", 1]]);
    expect(body.byConfidence.map((g) => [g.key, g.trades])).toEqual([["0.55-0.60", 1], ["0.60-0.65", 1], ["none", 1]]);
  });

  it("takes the trade list's filters and agrees with the pure grouping of the same trades", async () => {
    await insertOutboxRecords(env.DB, asTrades(DATASET));
    const keep = (t: Trade) => t.side === "buy" && t.exitTsMs >= T0 + 2 * MINUTE;
    const body = await json<TradeAnalyticsResponse>(await call(`/api/v1/analytics/trades?side=buy&from=${T0 + 2 * MINUTE}`));
    const expected = analyseTrades(DATASET.filter(keep).sort(newestFirst));
    expect(body).toEqual({ ...expected, capped: false, tradeCap: 100_000, matchingTrades: DATASET.filter(keep).length });
  });

  it("answers zero totals and no groups when nothing matches", async () => {
    const body = await json<TradeAnalyticsResponse>(await call("/api/v1/analytics/trades?regime=volatile"));
    expect(body).toEqual({
      totals: { key: "all", trades: 0, wins: 0, winRatePct: 0, netPnlUsd: 0, averageNetPnlUsd: 0, averageRMultiple: null, profitFactor: null },
      byExitReason: [], byRegime: [], byEntryHourUtc: [], byConfidence: [],
      capped: false, tradeCap: 100_000, matchingTrades: 0,
    });
  });

  it("reads at most the newest trades it is allowed (the cap), in keyset pages", async () => {
    await insertOutboxRecords(env.DB, asTrades(DATASET));
    const newest = DATASET.filter((t) => t.symbol === "XAUUSD").sort(newestFirst).slice(0, 7);
    const inputs = await tradeAnalyticsInputs(db(env), { symbol: "XAUUSD" }, 7);
    expect(inputs).toEqual(newest.map((t) => ({ exitReason: t.exitReason, regime: t.regime, entryTsMs: t.entryTsMs, confidence: t.confidence, netPnlUsd: t.netPnlUsd, rMultiple: t.rMultiple })));
  });
});

// --- GET /api/v1/risk/alerts ------------------------------------------------------------------------------------

describe("GET /api/v1/risk/alerts", () => {
  const SEVERITIES = ["info", "warning", "critical"] as const;
  /** Eighteen events; times come in pairs (ties broken by id). */
  const EVENTS: RiskEvent[] = Array.from({ length: 18 }, (_, i) =>
    makeRiskEvent({
      id: `ev-${pad(i)}`,
      tsMs: T0 + Math.floor(i / 2) * MINUTE,
      severity: SEVERITIES[i % 3],
      kind: RISK_EVENT_KINDS[i % RISK_EVENT_KINDS.length],
      symbol: i % 4 === 0 ? null : i % 4 === 1 ? "XAUUSD" : "EURUSD",
      context: { i, reason: `event ${i}` },
    }),
  );
  const newestEventsFirst = (a: RiskEvent, b: RiskEvent): number => b.tsMs - a.tsMs || (a.id < b.id ? 1 : -1);
  const expectedEvents = (keep: (e: RiskEvent) => boolean): string[] => EVENTS.filter(keep).sort(newestEventsFirst).map((e) => e.id);

  beforeEach(async () => {
    await insertOutboxRecords(env.DB, EVENTS.map((event): OutboxRecord => ({ kind: "risk-event", event })));
  });

  it("lists risk events newest first as the shared RiskEvent shape", async () => {
    const page = await json<RiskAlertsPage>(await call("/api/v1/risk/alerts"));
    expect(page.alerts.map((e) => e.id)).toEqual(expectedEvents(() => true));
    expect(page.alerts.find((e) => e.id === "ev-0005")).toEqual(EVENTS[5]);
    expect(page.nextCursor).toBeNull();
  });

  it.each([
    ["severity=info", () => true],
    ["severity=warning", (e: RiskEvent) => e.severity !== "info"],
    ["severity=critical", (e: RiskEvent) => e.severity === "critical"],
    ["kind=limit-breached", (e: RiskEvent) => e.kind === "limit-breached"],
    ["symbol=eurusd", (e: RiskEvent) => e.symbol === "EURUSD"],
    [`since=${new Date(T0 + 5 * MINUTE).toISOString()}`, (e: RiskEvent) => e.tsMs >= T0 + 5 * MINUTE],
    [`severity=warning&symbol=XAUUSD&since=${T0 + MINUTE}`, (e: RiskEvent) => e.severity !== "info" && e.symbol === "XAUUSD" && e.tsMs >= T0 + MINUTE],
  ])("filters by %s", async (query, keep) => {
    expect((await json<RiskAlertsPage>(await call(`/api/v1/risk/alerts?${query}`))).alerts.map((e) => e.id)).toEqual(expectedEvents(keep));
  });

  it("pages through every matching event exactly once", async () => {
    for (const [query, keep] of [["limit=4", () => true], ["limit=3&severity=warning", (e: RiskEvent) => e.severity !== "info"]] as const) {
      const { ids } = await walk("/api/v1/risk/alerts", query, "alerts");
      expect(ids).toEqual(expectedEvents(keep));
    }
  });
});

// --- refusals and access ----------------------------------------------------------------------------------------

describe("bad queries and credentials", () => {
  it.each([
    ["/api/v1/trades?limit=0", "limit"],
    ["/api/v1/trades?limit=1001", "limit"],
    ["/api/v1/trades?limit=ten", "limit"],
    ["/api/v1/trades?side=long", "side"],
    ["/api/v1/trades?exitReason=panic", "exitReason"],
    ["/api/v1/trades?format=xml", "format"],
    ["/api/v1/trades?cursor=not-a-cursor", "cursor"],
    ["/api/v1/trades?cursor=%2F%2F", "cursor"],
    ["/api/v1/trades?minNetPnlUsd=", "minNetPnlUsd"],
    ["/api/v1/trades?maxNetPnlUsd=1e3", "maxNetPnlUsd"],
    ["/api/v1/trades?from=yesterday", "from"],
    [`/api/v1/trades?from=${T0 + 1}&to=${T0}`, "from"],
    ["/api/v1/trades?minNetPnlUsd=10&maxNetPnlUsd=-10", "minNetPnlUsd"],
    ["/api/v1/trades?symbol=x", "symbol"],
    ["/api/v1/analytics/trades?regime=sideways", "regime"],
    ["/api/v1/analytics/trades?strategy=martingale", "strategy"],
    ["/api/v1/risk/alerts?severity=fatal", "severity"],
    ["/api/v1/risk/alerts?kind=oops", "kind"],
    ["/api/v1/risk/alerts?limit=0", "limit"],
    ["/api/v1/risk/alerts?since=soon", "since"],
  ])("%s → 400 VALIDATION_FAILED naming %s", async (path, field) => {
    const error = await refusal(await call(path), 400, "VALIDATION_FAILED");
    expect((error.details as { path: string }[]).map((d) => d.path)).toContain(field);
  });

  it.each(["/api/v1/trades", "/api/v1/trades?format=csv", "/api/v1/analytics/trades", "/api/v1/risk/alerts"])("%s → 401 without credentials", async (path) => {
    await refusal(await call(path, {}, "anonymous"), 401, "UNAUTHORIZED");
  });

  it.each(["/api/v1/trades", "/api/v1/trades?format=csv", "/api/v1/analytics/trades", "/api/v1/risk/alerts"])("%s admits a viewer with the read scope", async (path) => {
    const viewer: As = { headers: { "x-api-key": (await createApiKey("viewer", ["read"], "dashboard")).key } };
    const response = await call(path, {}, viewer);
    expect(response.status, await response.text()).toBe(200);
  });

  it("refuses an API key without the read scope (403)", async () => {
    const ingestOnly: As = { headers: { "x-api-key": (await createApiKey("trader", ["ingest"], "bridge")).key } };
    await refusal(await call("/api/v1/trades", {}, ingestOnly), 403, "FORBIDDEN");
  });
});
