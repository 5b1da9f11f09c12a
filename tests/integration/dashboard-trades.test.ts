/**
 * The trades and analytics pages: filters (on a full page load and through the htmx fragment, which pushes the
 * page's own URL), keyset paging both ways, every post-mortem column, totals and analytics equal to the API's, the CSV
 * download of exactly the filtered trades through the cookie session, the equity curve built from the trades, empty
 * states, refused filters, and trades made by the running platform (ticks and manual orders) showing up.
 */
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { formatPercent, formatUsd } from "../../core/display/format.js";
import type { TradeAnalyticsResponse, TradesPage } from "../../core/schemas/trading-api.js";
import { EXIT_REASONS, REGIMES, type OutboxRecord, type Trade } from "../../core/schemas/trading.js";
import { insertOutboxRecords } from "../../workers/db/trading-records.js";
import { getPage, logIn, logInAs, textOf, type Browser } from "./dashboard-support.js";
import { drainOutbox } from "./drain-outbox.js";
import { createApiKey, freshState } from "./fresh-state.js";
import { call, ingest, postJson, type As } from "./http.js";

beforeEach(freshState);

// --- a dataset of closed trades ---------------------------------------------------------------------------------

const T0 = Date.UTC(2024, 2, 1, 8, 0);
const MINUTE = 60_000;
const INITIAL_BALANCE_USD = 100_000;
const STRATEGIES = ["ema-cross", "model", "manual"] as const;
const pad = (n: number): string => String(n).padStart(4, "0");

/**
 * Sixty trades that differ in every filtered field. Exits come in threes a minute apart: two at the whole minute
 * (a tie, broken by id) and one 30 s later; net P&L from −50 to +49 USD.
 */
function datasetTrade(i: number): Trade {
  const exitTsMs = T0 + Math.floor(i / 3) * MINUTE + (i % 3 === 2 ? 30_000 : 0);
  const holdingMs = (i + 1) * 7 * MINUTE;
  const gold = i % 2 === 0;
  const netPnlUsd = ((i * 37) % 100) - 50;
  return {
    id: `t-${pad(i)}`,
    accountId: "default",
    symbol: gold ? "XAUUSD" : "EURUSD",
    side: i % 3 === 0 ? "sell" : "buy",
    lots: gold ? 1 : 0.5,
    units: gold ? 100 : 50_000,
    entryTsMs: exitTsMs - holdingMs,
    entryPrice: gold ? 2_300.5 : 1.08512,
    exitTsMs,
    exitPrice: gold ? 2_302.25 : 1.08634,
    exitReason: EXIT_REASONS[i % EXIT_REASONS.length]!,
    stopPrice: gold ? 2_298 : 1.0841,
    initialStopPrice: gold ? 2_297.5 : 1.084,
    targetPrice: i % 4 === 0 ? null : gold ? 2_305 : 1.087,
    grossPnlUsd: netPnlUsd + 7,
    commissionUsd: 7,
    slippageUsd: 1.25,
    netPnlUsd,
    maeUsd: -40 - i,
    mfeUsd: 60 + i,
    rMultiple: i % 4 === 0 ? null : netPnlUsd / 25,
    holdingMs,
    strategy: STRATEGIES[i % 3]!,
    signalTsMs: i % 3 === 2 ? null : exitTsMs - holdingMs - MINUTE,
    modelVersion: i % 3 === 1 ? "m-1" : i % 3 === 2 ? "m-2" : null,
    confidence: i % 5 === 0 ? null : 0.45 + (i % 11) * 0.05,
    regime: REGIMES[i % REGIMES.length]!,
  };
}

const DATASET: Trade[] = Array.from({ length: 60 }, (_, i) => datasetTrade(i));

/** Delivers trades to D1 the way the Durable Objects' outboxes do. */
const seed = (trades: readonly Trade[]): Promise<void> => insertOutboxRecords(env.DB, trades.map((trade): OutboxRecord => ({ kind: "trade", trade })));

/** Newest exit first, ties by larger id first: the API's order. */
const newestFirst = (a: Trade, b: Trade): number => b.exitTsMs - a.exitTsMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
const expectedIds = (keep: (t: Trade) => boolean): string[] => DATASET.filter(keep).sort(newestFirst).map((t) => t.id);

// --- reading pages ----------------------------------------------------------------------------------------------

const unescapeHtml = (text: string): string => text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'");

/** The trade ids of the table's rows, top to bottom. */
const rowIds = (html: string): string[] => [...html.matchAll(/<th scope="row"><code>([^<]+)<\/code><\/th>/g)].map((m) => m[1]!);

/** What a person reads in the row of trade `id`. */
function rowText(html: string, id: string): string {
  const row = new RegExp(`<tr><th scope="row"><code>${id}</code></th>[\\s\\S]*?</tr>`).exec(html);
  expect(row, `row ${id}`).not.toBeNull();
  return textOf(row![0]);
}

/** The pager link with `rel`, or null: its href (full page) and hx-get (fragment). */
function pagerLink(html: string, rel: "next" | "prev" | "first"): { href: string; hxGet: string } | null {
  const tag = new RegExp(`<a [^>]*rel="${rel}"[^>]*>`).exec(html)?.[0];
  if (tag === undefined) return null;
  const attribute = (name: string): string => unescapeHtml(new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1] ?? "");
  return { href: attribute("href"), hxGet: attribute("hx-get") };
}

const sortedParams = (query: string): [string, string][] => [...new URLSearchParams(query)].sort(([a], [b]) => (a < b ? -1 : 1));

/** The query of the page's "Download CSV" link, sorted by name. */
function csvLinkQuery(html: string): [string, string][] {
  const href = /<a class="button" href="(\/trades\/export[^"]*)" download[^>]*>Download CSV<\/a>/.exec(html)?.[1];
  expect(href, "the Download CSV link").toBeDefined();
  return sortedParams(unescapeHtml(href!).replace(/^[^?]*\??/, ""));
}

/** The rows of a breakdown table: data-key and the text of the row. */
function groupRows(html: string, tableId: string): { key: string; text: string }[] {
  const table = new RegExp(`<table id="${tableId}">[\\s\\S]*?</table>`).exec(html)?.[0] ?? "";
  return [...table.matchAll(/<tr data-key="([^"]*)">([\s\S]*?)<\/tr>/g)].map((m) => ({ key: unescapeHtml(m[1]!), text: textOf(m[2]!) }));
}

async function apiJson<T>(path: string): Promise<T> {
  const response = await call(path);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as T;
}

async function page(browser: Browser, path: string, status = 200, options: { htmx?: boolean } = {}): Promise<string> {
  const answer = await getPage(browser, path, options);
  expect(answer.status, answer.html.slice(0, 2_000)).toBe(status);
  return answer.html;
}

// --- the trades page --------------------------------------------------------------------------------------------

describe("the trades page", () => {
  beforeEach(() => seed(DATASET));

  it("shows a viewer the newest trades with every post-mortem column, the API's totals and no controls it would be refused", async () => {
    const viewer = await logInAs("viewer");
    const html = await page(viewer, "/trades");
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(rowIds(html)).toEqual(expectedIds(() => true).slice(0, 50));
    const head = /<table id="trade-table">[\s\S]*?(<thead>[\s\S]*?<\/thead>)/.exec(html)?.[1] ?? "";
    expect(textOf(head)).toBe(
      "Trade Symbol Side Lots Entry time (UTC) Entry price Exit time (UTC) Exit price Exit reason Initial stop Stop at exit Target Gross P&L (USD) " +
        "Commission (USD) Slippage (USD) Net P&L (USD) MAE (USD) MFE (USD) R multiple Holding time Strategy Model version Confidence Regime at entry",
    );
    expect(rowText(html, "t-0037")).toBe(
      "t-0037 EURUSD Long (buy) 0.50 2024-03-01 03:46:00 +00:00 1.08512 2024-03-01 08:12:00 +00:00 1.08634 Take profit 1.08400 1.08410 1.08700 " +
        "+$26.00 $7.00 $1.25 +$19.00 −$77.00 +$97.00 +0.76 R 4 h 26 min Model m-1 65.0 % Ranging",
    );
    expect(rowText(html, "t-0036")).toContain("XAUUSD Short (sell) 1.00");
    expect(rowText(html, "t-0036")).toMatch(/2,297\.50 2,298\.00 — /);
    expect(rowText(html, "t-0036")).toContain("EMA cross — 60.0 % Trending");

    const api = await apiJson<TradeAnalyticsResponse>("/api/v1/analytics/trades");
    const text = textOf(html);
    expect(text).toContain(`Matching trades ${api.matchingTrades}`);
    expect(api.matchingTrades).toBe(60);
    expect(text).toContain(`Net P&L ${formatUsd(api.totals.netPnlUsd, { signed: true })}`);
    expect(text).toContain(`Win rate ${formatPercent(api.totals.winRatePct / 100, 1)} ${api.totals.wins} of 60`);
    // A viewer reads; the only action in the page is logging out.
    expect([...html.matchAll(/hx-(post|put|patch|delete)="([^"]*)"/g)].map((m) => m[2])).toEqual(["/logout"]);
    expect(html).toContain('aria-current="page">Trades</a>');
  });

  it("applies every filter on a full page load, shows the chosen values in the form, and links the CSV of the same filters", async () => {
    const browser = await logIn();
    const cases: [string, (t: Trade) => boolean][] = [
      ["symbol=XAUUSD", (t) => t.symbol === "XAUUSD"],
      ["side=sell", (t) => t.side === "sell"],
      ["exitReason=stop-loss", (t) => t.exitReason === "stop-loss"],
      ["regime=volatile", (t) => t.regime === "volatile"],
      ["strategy=manual", (t) => t.strategy === "manual"],
      ["modelVersion=m-2", (t) => t.modelVersion === "m-2"],
      // Minutes are UTC and "until" takes in the whole minute: 08:06:30 is included.
      ["from=2024-03-01T08:03&to=2024-03-01T08:06", (t) => t.exitTsMs >= T0 + 3 * MINUTE && t.exitTsMs < T0 + 7 * MINUTE],
      ["to=2024-03-01T08:06:00", (t) => t.exitTsMs <= T0 + 6 * MINUTE],
      ["minNetPnlUsd=0", (t) => t.netPnlUsd >= 0],
      ["minNetPnlUsd=-20&maxNetPnlUsd=20.5&symbol=EURUSD&side=buy", (t) => t.netPnlUsd >= -20 && t.netPnlUsd <= 20.5 && t.symbol === "EURUSD" && t.side === "buy"],
    ];
    for (const [query, keep] of cases) {
      const expected = expectedIds(keep);
      expect(expected.length, `${query} keeps some trades, not all`).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(DATASET.length);
      const html = await page(browser, `/trades?${query}&limit=100`);
      expect(rowIds(html), query).toEqual(expected);
      expect(textOf(html)).toContain(`Matching trades ${expected.length}`);
      expect(csvLinkQuery(html)).toEqual(sortedParams(query));
    }
    const html = await page(browser, "/trades?symbol=EURUSD&exitReason=take-profit&from=2024-03-01&modelVersion=m-1");
    expect(html).toContain('<option value="EURUSD" selected="">EURUSD</option>');
    expect(html).toContain('<option value="take-profit" selected="">Take profit</option>');
    expect(html).toContain('name="from" type="datetime-local" value="2024-03-01T00:00"');
    expect(html).toContain('name="modelVersion" type="text" maxlength="64" value="m-1"');
  });

  it("answers the htmx filter form with the results fragment only, and pushes a shareable URL that opens the same results", async () => {
    const browser = await logIn();
    const html = await page(browser, "/trades");
    expect(html).toMatch(/<form id="trade-filters" class="filters" method="get" action="\/trades"[^>]* hx-get="\/trades\/rows" hx-target="#trade-results" hx-swap="outerHTML" hx-trigger="submit, change"/);

    const fragment = await getPage(browser, "/trades/rows?side=sell&regime=volatile&symbol=&exitReason=", { htmx: true });
    expect(fragment.status).toBe(200);
    expect(fragment.html).toMatch(/^<section class="panel panel-wide" id="trade-results"/);
    expect(fragment.html).not.toContain("<html");
    const expected = expectedIds((t) => t.side === "sell" && t.regime === "volatile");
    expect(rowIds(fragment.html)).toEqual(expected);
    const pushed = fragment.headers.get("hx-push-url");
    expect(pushed).toBe("/trades?side=sell&regime=volatile");
    const shared = await page(browser, pushed!);
    expect(rowIds(shared)).toEqual(expected);
    expect(shared).toContain('<option value="volatile" selected="">Volatile</option>');
  });

  it("pages through every matching trade exactly once with Older, and back with Newer, on pages and fragments alike", async () => {
    const browser = await logIn();
    const expected = expectedIds((t) => t.netPnlUsd > -45);
    expect(expected.length).toBeGreaterThan(50);
    const pages: string[][] = [];
    let html = await page(browser, "/trades?minNetPnlUsd=-44.99&limit=25");
    expect(pagerLink(html, "prev")).toBeNull();
    for (;;) {
      pages.push(rowIds(html));
      expect(textOf(html)).toContain(`Page ${pages.length} · ${pages.at(-1)!.length} trades shown, 25 per page`);
      const older = pagerLink(html, "next");
      if (older === null) break;
      expect(older.hxGet).toBe(older.href.replace(/^\/trades\?/, "/trades/rows?"));
      const fragment = await getPage(browser, older.hxGet, { htmx: true });
      expect(fragment.headers.get("hx-push-url")).toBe(older.href);
      html = fragment.html;
      // The pushed URL opens the same page of results.
      expect(rowIds(await page(browser, older.href))).toEqual(rowIds(html));
      expect(pages.length).toBeLessThan(10);
    }
    expect(pages.map((p) => p.length)).toEqual([25, 25, expected.length - 50]);
    expect(pages.flat()).toEqual(expected);

    for (let index = pages.length - 1; index > 0; index--) {
      const newer = pagerLink(html, "prev");
      expect(newer, `page ${index + 1} links the newer page`).not.toBeNull();
      html = (await getPage(browser, newer!.hxGet, { htmx: true })).html;
      expect(rowIds(html)).toEqual(pages[index - 1]);
    }
    expect(pagerLink(html, "prev")).toBeNull();
    expect(pagerLink(html, "next")).not.toBeNull();
  });

  it.each([
    ["symbol=XAUUSD&side=buy", (t: Trade) => t.symbol === "XAUUSD" && t.side === "buy"],
    ["from=2024-03-01T08:10&to=2024-03-01T08:12&side=buy", (t: Trade) => t.exitTsMs >= T0 + 10 * MINUTE && t.exitTsMs < T0 + 13 * MINUTE && t.side === "buy"],
  ])("downloads exactly the filtered trades as the API's CSV through the cookie session (%s)", async (query, keep) => {
    const viewer = await logInAs("viewer");
    const download = await getPage(viewer, `/trades/export?${query}`);
    expect(download.status, download.html.slice(0, 500)).toBe(200);
    expect(download.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(download.headers.get("content-disposition")).toMatch(/^attachment; filename="trades-[^"]*\.csv"$/);
    const lines = download.html.split("\r\n");
    expect(lines.at(-1)).toBe("");
    const [header, ...rows] = lines.slice(0, -1);
    expect(header!.split(",").slice(0, 4)).toEqual(["id", "accountId", "symbol", "side"]);
    expect(header!.split(",")).toContain("netPnlUsd");
    expect(rows.map((row) => row.split(",")[0])).toEqual(expectedIds(keep));

    // The same bytes as the API's own export of the same filters (UTC times as the page turned them into).
    const from = /from=([^&]+)/.exec(query)?.[1];
    const to = /to=([^&]+)/.exec(query)?.[1];
    const apiQuery = query
      .replace(/from=[^&]+/, `from=${from ? new Date(`${from}Z`).toISOString() : ""}`)
      .replace(/to=[^&]+/, `to=${to ? new Date(Date.parse(`${to}Z`) + MINUTE - 1).toISOString() : ""}`);
    const api = await call(`/api/v1/trades?${apiQuery}&format=csv`);
    expect(download.html).toBe(await api.text());
  });

  it("explains empty results: nothing matches, no older trades, and refused filters by their labels", async () => {
    const browser = await logIn();
    const none = textOf(await page(browser, "/trades?symbol=GBPUSD&side=buy"));
    expect(none).toContain("No trades match these filters.");
    expect(none).toContain("Matching trades 0");
    expect(none).toContain("Profit factor —");
    expect(textOf(await page(browser, "/trades?from=2024-03-02", 200))).toContain("No trades match these filters.");

    const badDate = textOf(await page(browser, "/trades?from=2024-02-30T10:00&to=yesterday", 400));
    expect(badDate).toContain("Check the filters: Closed from (UTC): a UTC date and time such as 2024-03-01T08:30 Closed until (UTC): a UTC date and time");
    const badNumber = await getPage(browser, "/trades/rows?minNetPnlUsd=abc", { htmx: true });
    expect(badNumber.status).toBe(400);
    expect(textOf(badNumber.html)).toContain("Min net P&L (USD): a decimal number, e.g. -12.5");
    expect(textOf(await page(browser, "/trades?minNetPnlUsd=10&maxNetPnlUsd=-10", 400))).toContain("Min net P&L (USD): 'minNetPnlUsd' must not exceed 'maxNetPnlUsd'");
    expect(textOf(await page(browser, "/trades?limit=7", 400))).toContain("Trades per page: one of 25, 50, 100, 200");
    expect(textOf(await page(browser, "/trades/export?side=long", 400))).toContain("Side:");
  });
});

describe("with no trades at all", () => {
  it("says so on both pages and downloads a CSV with the header row only", async () => {
    const viewer = await logInAs("viewer");
    expect(textOf(await page(viewer, "/trades"))).toContain("No closed trades yet: a trade is listed here once its position closes.");
    const analytics = await page(viewer, "/analytics");
    expect(textOf(analytics)).toContain("No closed trades yet: the analytics appear once positions have closed.");
    expect(analytics).not.toContain('id="equity-data"');
    const download = await getPage(viewer, "/trades/export");
    expect(download.status).toBe(200);
    expect(download.html.split("\r\n")).toEqual([expect.stringMatching(/^id,accountId,symbol,/), ""]);
  });

  it("sends a visitor without a session to log in, also from the download and the fragment", async () => {
    for (const path of ["/trades", "/analytics", "/trades/export?side=buy"]) {
      const answer = await getPage(null, path);
      expect(answer.status, path).toBe(303);
      expect(answer.headers.get("location")).toBe(`/auth/resume?next=${encodeURIComponent(path)}`);
    }
    expect((await getPage(null, "/trades/rows", { htmx: true })).status).toBe(401);
  });
});

// --- the analytics page -----------------------------------------------------------------------------------------

describe("the analytics page", () => {
  beforeEach(() => seed(DATASET));

  it.each(["", "symbol=XAUUSD&from=2024-03-01T08:05"])("shows the API's figures for the filters (%s) in every breakdown, with bars", async (query) => {
    const viewer = await logInAs("viewer");
    const html = await page(viewer, `/analytics${query ? `?${query}` : ""}`);
    expect(html).toContain('<script src="/app/analytics.js" type="module"></script>');
    const apiQuery = query.replace("2024-03-01T08:05", new Date(T0 + 5 * MINUTE).toISOString());
    const api = await apiJson<TradeAnalyticsResponse>(`/api/v1/analytics/trades${apiQuery ? `?${apiQuery}` : ""}`);
    const text = textOf(html);
    expect(text).toContain(`Matching trades ${api.matchingTrades}`);
    expect(text).toContain(`Net P&L ${formatUsd(api.totals.netPnlUsd, { signed: true })}`);
    expect(text).toContain(`Win rate ${formatPercent(api.totals.winRatePct / 100, 1)}`);
    expect(text).toContain(`Expectancy ${formatUsd(api.totals.averageNetPnlUsd, { signed: true })} mean net P&L per trade`);
    expect(text).toContain(`Profit factor ${api.totals.profitFactor!.toFixed(2)}`);

    const tables: [string, keyof TradeAnalyticsResponse][] = [
      ["by-hour-table", "byEntryHourUtc"],
      ["by-regime-table", "byRegime"],
      ["by-exit-reason-table", "byExitReason"],
      ["by-confidence-table", "byConfidence"],
    ];
    for (const [tableId, field] of tables) {
      const groups = api[field] as TradeAnalyticsResponse["byRegime"];
      expect(groups.length, field).toBeGreaterThan(1);
      const rows = groupRows(html, tableId);
      expect(rows.map((r) => r.key)).toEqual(groups.map((g) => g.key));
      for (const [i, group] of groups.entries()) {
        expect(rows[i]!.text, `${field} ${group.key}`).toContain(
          `${group.trades} ${group.wins} ${formatPercent(group.winRatePct / 100, 1)} ${formatUsd(group.netPnlUsd, { signed: true })} ${formatUsd(group.averageNetPnlUsd, { signed: true })}`,
        );
      }
    }
    expect(groupRows(html, "by-confidence-table").map((r) => r.text.split(" ")[0])).toContain("No");
    expect(text).toContain("50–55 %");
    expect(text).toMatch(/(\d\d):00–\1:59/);
    // The largest |net P&L| of a breakdown fills half of its track (from the middle).
    expect(html).toMatch(/class="bar-fill (positive|negative)" style="left:(50\.00|0\.00)%;width:50\.00%"/);
  });

  it("builds the equity curve and drawdown from the matching trades over the initial balance, and says so", async () => {
    const browser = await logIn();
    const html = await page(browser, "/analytics?side=buy");
    const text = textOf(html);
    expect(text).toContain("The API keeps no equity history, so this curve is built from closed trades: the account's initial balance of $100,000.00");
    expect(text).toContain("With filters it is the equity those trades alone would have produced");

    const trades = DATASET.filter((t) => t.side === "buy").sort((a, b) => a.exitTsMs - b.exitTsMs || (a.id < b.id ? -1 : 1));
    let equity = INITIAL_BALANCE_USD;
    let peak = INITIAL_BALANCE_USD;
    let deepestUsd = 0;
    const bySecond = new Map<number, { timeS: number; equityUsd: number; drawdownPct: number }>();
    for (const trade of trades) {
      equity += trade.netPnlUsd;
      peak = Math.max(peak, equity);
      deepestUsd = Math.min(deepestUsd, equity - peak);
      const timeS = Math.floor(trade.exitTsMs / 1_000);
      bySecond.set(timeS, { timeS, equityUsd: equity, drawdownPct: ((equity - peak) / peak) * 100 });
    }
    const json = /<script type="application\/json" id="equity-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
    const data = JSON.parse(json!) as { startEquityUsd: number; points: { timeS: number; equityUsd: number; drawdownPct: number }[] };
    expect(data.startEquityUsd).toBe(INITIAL_BALANCE_USD);
    expect(data.points).toEqual([...bySecond.values()]);
    expect(deepestUsd).toBeLessThan(0);
    expect(text).toContain(`End equity ${formatUsd(equity)} after ${trades.length} trades`);
    expect(text).toContain(`Max drawdown ${formatUsd(deepestUsd, { signed: true })} below the running peak`);
    expect(html).toContain('<div id="equity-chart" class="chart" role="img" aria-labelledby="equity-chart-title"');
  });

  it("refuses bad filters with the form and what was wrong, and explains a filter that matches nothing", async () => {
    const browser = await logIn();
    const bad = await page(browser, "/analytics?regime=sideways", 400);
    expect(textOf(bad)).toContain("Regime at entry:");
    expect(bad).toContain('<form id="trade-filters"');
    const none = textOf(await page(browser, "/analytics?symbol=BTCUSD"));
    expect(none).toContain("No closed trades match these filters, so there is nothing to analyse.");
  });
});

// --- trades made by the running platform ------------------------------------------------------------------------

describe("trades from the running platform", () => {
  const SYMBOL = "XAUUSD";
  /** Tuesday 2026-04-07 10:00 UTC: inside XAUUSD's trading hours. */
  const START = Date.UTC(2026, 3, 7, 10, 0);
  const tick = (i: number, bid: number, ask = bid + 0.2) => ({ tsMs: START + i * 1_000, bid, ask: Math.round(ask * 100) / 100, volume: 1 });
  const instrument = () => env.INSTRUMENT_DO.get(env.INSTRUMENT_DO.idFromName(SYMBOL));

  it("lists the positions closed by manual orders, and the curve ends at the account's balance", async () => {
    const trader: As = { headers: { "x-api-key": (await createApiKey("trader", ["read", "ingest", "trade"])).key } };
    await ingest(SYMBOL, [tick(0, 4_000)]);
    expect((await postJson("/api/v1/positions", { symbol: SYMBOL, side: "buy", lots: 0.5, stopPrice: 3_990, targetPrice: 4_020 }, trader)).status).toBe(202);
    await ingest(SYMBOL, [tick(1, 4_001, 4_001.3)]);
    const open = (await (await call(`/api/v1/positions?symbol=${SYMBOL}`)).json()) as { positions: { id: string }[] };
    expect((await call(`/api/v1/positions/${open.positions[0]!.id}`, { method: "DELETE" }, trader)).status).toBe(202);
    await ingest(SYMBOL, [tick(2, 4_005, 4_005.25)]);
    expect((await postJson("/api/v1/positions", { symbol: SYMBOL, side: "sell", lots: 1, stopPrice: 4_010, targetPrice: 3_995 }, trader)).status).toBe(202);
    await ingest(SYMBOL, [tick(3, 3_999.9, 4_000.1), tick(4, 3_994.5, 3_994.8)]);
    await drainOutbox(instrument(), async () => (await instrument().deliveryBacklog()).outbox);

    const api = await apiJson<TradesPage>("/api/v1/trades");
    expect(api.trades.map((t) => t.exitReason)).toEqual(["take-profit", "manual"]);
    const viewer = await logInAs("viewer");
    const html = await page(viewer, "/trades");
    expect(rowIds(html)).toEqual(api.trades.map((t) => t.id));
    const [takeProfit, manual] = api.trades;
    expect(rowText(html, manual!.id)).toContain(`XAUUSD Long (buy) 0.50 2026-04-07 10:00:01 +00:00 4,001.30 2026-04-07 10:00:02 +00:00 4,005.00 Manual close`);
    expect(rowText(html, manual!.id)).toContain(formatUsd(manual!.netPnlUsd, { signed: true }));
    expect(rowText(html, takeProfit!.id)).toContain("Short (sell) 1.00");
    expect(rowText(html, takeProfit!.id)).toContain("Take profit 4,010.00 4,010.00 3,995.00");

    const analytics = textOf(await page(viewer, "/analytics"));
    const portfolio = await apiJson<{ balanceUsd: number }>("/api/v1/portfolio");
    expect(portfolio.balanceUsd).toBeCloseTo(INITIAL_BALANCE_USD + manual!.netPnlUsd + takeProfit!.netPnlUsd, 6);
    expect(analytics).toContain(`End equity ${formatUsd(portfolio.balanceUsd)} after 2 trades`);
    expect(analytics).toContain("Matching trades 2");
  });
});
