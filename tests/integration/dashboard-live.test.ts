/**
 * The live pages and the feed status behind them: `GET /api/v1/market/status` (fresh, stale, closed and no-data
 * feeds, regimes), the overview `/` (health, account, positions, freshness, signals, and its htmx fragments) and
 * the instrument view `/instruments/{symbol}` (the chart element's live contract, timeframe links, quote, model
 * panel, 404s), for admins and viewers. The APIs the pages' scripts call are checked with a session cookie too.
 */
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { formatNumber, formatUsd } from "../../core/display/format.js";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../../core/instruments/catalog.js";
import { isTradingTime } from "../../core/instruments/instrument.js";
import { LivePageConfigSchema } from "../../core/live/page-config.js";
import type { Tick } from "../../core/market/tick.js";
import { MarketStatusResponseSchema, type MarketStatusResponse, type StreamMessage } from "../../core/schemas/market-data.js";
import { PortfolioSchema } from "../../core/schemas/portfolio-api.js";
import { LatestSignalResponseSchema } from "../../core/schemas/serving.js";
import { runHealthCheck, FEED_MAX_AGE_MS } from "../../workers/tasks/health-check.js";
import { instrumentStub } from "../../workers/instruments.js";
import { cookieHeader, getPage, logIn, logInAs, textOf, type Browser } from "./dashboard-support.js";
import { drainOutbox } from "./drain-outbox.js";
import { createApiKey, freshState } from "./fresh-state.js";
import { call, ingest, postJson, type As } from "./http.js";
import { replaySignalBars, serveFixtureModel } from "./signal-fixture-model.js";

beforeEach(freshState);

const CATALOG = InstrumentCatalog.parse(DEFAULT_INSTRUMENTS);
const SYMBOLS = CATALOG.list().map((i) => i.symbol);
/** Tuesday 2026-04-07 10:00 UTC: inside XAUUSD's hours (historical, like the demo replay). */
const T0 = Date.UTC(2026, 3, 7, 10, 0);

const tick = (tsMs: number, bid: number, ask = bid + 0.2): Tick => ({ tsMs, bid, ask: Math.round(ask * 100) / 100, volume: 1 });

/** What the feed of an instrument without ticks is now: no-data while its market is open, closed otherwise. */
const emptyFeedStatus = (symbol: string, nowMs: number) => (isTradingTime(CATALOG.find(symbol)!.tradingHours, nowMs) ? "no-data" : "closed");
/** What a feed whose newest tick is far older than the limit is now. */
const oldFeedStatus = (symbol: string, nowMs: number) => (isTradingTime(CATALOG.find(symbol)!.tradingHours, nowMs) ? "stale" : "closed");

async function marketStatus(as: As = "default"): Promise<MarketStatusResponse> {
  const response = await call("/api/v1/market/status", {}, as);
  expect(response.status, await response.clone().text()).toBe(200);
  return MarketStatusResponseSchema.parse(await response.json());
}

async function trader(): Promise<As> {
  return { headers: { "x-api-key": (await createApiKey("trader", ["read", "ingest", "trade"])).key } };
}

/** The value of one attribute of the element with `id` in a page. */
function attributeOf(html: string, id: string, name: string): string | undefined {
  const element = new RegExp(`<[a-z]+[^>]*\\bid="${id}"[^>]*>`).exec(html)?.[0];
  return element === undefined ? undefined : new RegExp(`\\b${name}="([^"]*)"`).exec(element)?.[1];
}

/** The live config a page hands its script. */
function liveConfigOf(html: string) {
  const json = /<script type="application\/json" id="live-config">([\s\S]*?)<\/script>/.exec(html)?.[1];
  expect(json, "the page has no live config").toBeDefined();
  return LivePageConfigSchema.parse(JSON.parse(json!));
}

/** The text of the table row of `symbol` in the overview's freshness table. */
const rowText = (html: string, symbol: string): string => textOf(new RegExp(`<tr data-live-row="${symbol}"[\\s\\S]*?</tr>`).exec(html)?.[0] ?? "");

describe("GET /api/v1/market/status", () => {
  it("reports every instrument's newest tick, spread, forming bars and freshness, in catalogue order", async () => {
    const nowMs = Date.now();
    await ingest("BTCUSD", [tick(nowMs - 3_000, 90_000, 90_012.5), tick(nowMs - 1_000, 90_001.25, 90_013.75)]);
    const status = await marketStatus();
    const after = Date.now();
    expect(status.nowMs).toBeGreaterThanOrEqual(nowMs);
    expect(status.nowMs).toBeLessThanOrEqual(after);
    expect(status.feedMaxAgeMs).toBe(FEED_MAX_AGE_MS);
    expect(status.instruments.map((i) => i.symbol)).toEqual(SYMBOLS);
    const btc = status.instruments.find((i) => i.symbol === "BTCUSD")!;
    expect(btc).toMatchObject({ lastTick: { ts: nowMs - 1_000, bid: 90_001.25, ask: 90_013.75 }, spreadPoints: 1_250, freshness: { status: "fresh" }, regime: null });
    expect(btc.freshness.ageMs).toBeGreaterThanOrEqual(1_000);
    expect(btc.freshness.ageMs).toBeLessThan(FEED_MAX_AGE_MS);
    expect(btc.forming.map((bar) => [bar.timeframe, bar.closed, bar.close])).toEqual([["M1", false, 90_001.25], ["M5", false, 90_001.25], ["M15", false, 90_001.25], ["H1", false, 90_001.25]]);
    for (const symbol of ["XAUUSD", "XAGUSD", "EURUSD"]) {
      expect(status.instruments.find((i) => i.symbol === symbol)).toMatchObject({ lastTick: null, spreadPoints: null, forming: [], freshness: { status: emptyFeedStatus(symbol, status.nowMs), ageMs: null } });
    }
  });

  it("calls a feed stale once its newest tick is older than the health check's limit while its market is open", async () => {
    const nowMs = Date.now();
    await ingest("BTCUSD", [tick(nowMs - FEED_MAX_AGE_MS - 60_000, 90_000)]);
    await ingest("XAUUSD", [tick(T0, 4_000), tick(T0 + 1_000, 4_000.5)]);
    const status = await marketStatus();
    const btc = status.instruments.find((i) => i.symbol === "BTCUSD")!;
    expect(btc.freshness.status).toBe("stale");
    expect(btc.freshness.ageMs).toBeGreaterThan(FEED_MAX_AGE_MS);
    const xau = status.instruments.find((i) => i.symbol === "XAUUSD")!;
    expect(xau).toMatchObject({ lastTick: { ts: T0 + 1_000, bid: 4_000.5, ask: 4_000.7 }, spreadPoints: 20, freshness: { status: oldFeedStatus("XAUUSD", status.nowMs), ageMs: status.nowMs - (T0 + 1_000) } });
  });

  it("is read by viewers, refused without a credential, and documented", async () => {
    const viewer = { headers: { "x-api-key": (await createApiKey("viewer", ["read"])).key } };
    expect((await marketStatus(viewer)).instruments).toHaveLength(SYMBOLS.length);
    expect((await call("/api/v1/market/status", {}, "anonymous")).status).toBe(401);
    const doc = (await (await call("/openapi.json", {}, "anonymous")).json()) as { paths: Record<string, { get?: { description?: string } }> };
    expect(doc.paths["/api/v1/market/status"]?.get?.description).toMatch(/as the health check judges it/);
  });

  it("names the regime of the newest signal bar, which the overview and the instrument view show with the signal", { timeout: 180_000 }, async () => {
    await serveFixtureModel("XAUUSD", "xau-live-v1");
    await replaySignalBars(320);
    const stub = instrumentStub(env, "XAUUSD");
    await drainOutbox(stub, async () => (await stub.deliveryBacklog()).outbox);
    const latest = LatestSignalResponseSchema.parse(await (await call("/api/v1/signals/XAUUSD/latest")).json()).signal;
    expect(latest).not.toBeNull();
    const status = await marketStatus();
    const regime = status.instruments.find((i) => i.symbol === "XAUUSD")!.regime;
    expect(regime?.barTs).toBe(latest!.ts);
    expect(["trending", "ranging", "volatile", "unknown"]).toContain(regime?.regime);

    const admin = await logIn();
    const signals = textOf((await getPage(admin, "/overview/signals", { htmx: true })).html);
    expect(signals).toContain(`XAUUSD ${latest!.action} ${formatNumber(latest!.confidence * 100, 1)} %`);
    expect(signals).toContain("xau-live-v1");
    expect(signals).toContain("BTCUSD No signal yet");
    expect(rowText((await getPage(admin, "/")).html, "XAUUSD")).toContain(regime!.regime);

    const model = await getPage(admin, "/instruments/XAUUSD/model", { htmx: true });
    expect(model.status).toBe(200);
    const text = textOf(model.html);
    expect(text).toContain(`Regime ${regime!.regime}`);
    expect(text).toContain(`Action ${latest!.action}`);
    for (const [label, p] of Object.entries(latest!.probabilities)) expect(text).toContain(`${label} ${formatNumber(p * 100, 1)} %`);
  });
});

describe("overview", () => {
  it("shows the latest health check, the account, an open position and each feed's freshness from the API", async () => {
    const tradingKey = await trader();
    await ingest("XAUUSD", [tick(T0, 4_000)]);
    expect((await postJson("/api/v1/positions", { symbol: "XAUUSD", side: "buy", lots: 0.5, stopPrice: 3_990, targetPrice: 4_020 }, tradingKey)).status).toBe(202);
    await ingest("XAUUSD", [tick(T0 + 1_000, 4_001, 4_001.3)]);
    const nowMs = Date.now();
    await ingest("BTCUSD", [tick(nowMs - 1_000, 90_000, 90_012.5)]);
    const report = await runHealthCheck(env, Date.now());
    const portfolio = PortfolioSchema.parse(await (await call("/api/v1/portfolio")).json());

    const page = await getPage(await logIn(), "/");
    expect(page.status).toBe(200);
    const text = textOf(page.html);
    expect(text).toMatch(new RegExp(`System health (Health history )?${report.status} checked`));
    for (const failing of report.results.filter((r) => r.status !== "ok")) expect(text).toContain(`${failing.status} ${failing.name}`);
    expect(text).toContain(`Trading state ACTIVE Equity ${formatUsd(portfolio.equityUsd)} Balance ${formatUsd(portfolio.balanceUsd)}`);
    expect(text).toContain(`Daily P&L ${formatUsd(portfolio.dailyPnlUsd, { signed: true })}`);
    expect(text).toMatch(/Open positions .*XAUUSD long 0\.50 4,001\.30 2026-04-07 10:00:01 \+00:00 4,001\.00 −\$15\.00 3,990\.00 4,020\.00 manual/);
    expect(rowText(page.html, "XAUUSD")).toMatch(new RegExp(`^XAUUSD 4,001\\.00 4,001\\.30 30\\.0 points 2026-04-07 10:00:01 \\+00:00 .* ago ${oldFeedStatus("XAUUSD", nowMs) === "stale" ? "STALE" : "closed"} connecting… not judged yet$`));
    expect(rowText(page.html, "BTCUSD")).toMatch(/^BTCUSD 90,000\.00 90,012\.50 1,250\.0 points .* fresh connecting…/);
    expect(rowText(page.html, "EURUSD")).toContain(emptyFeedStatus("EURUSD", nowMs) === "no-data" ? "— — — — never no data" : "— — — — never closed");
    expect(page.html).toContain('<tr data-live-row="BTCUSD" data-last-tick-ts="' + String(nowMs - 1_000) + '" data-bid="90000" data-ask="90012.5">');
    expect(page.html).toContain('<script src="/app/overview.js" type="module"></script>');
    const config = liveConfigOf(page.html);
    expect(config.feedMaxAgeMs).toBe(FEED_MAX_AGE_MS);
    expect(config.instruments.map((i) => [i.symbol, i.digits, i.pointSize])).toEqual(CATALOG.list().map((i) => [i.symbol, i.digits, i.pointSize]));
    expect(config.instruments.find((i) => i.symbol === "BTCUSD")?.tradingHours).toEqual({ kind: "always" });
  });

  it("explains what is empty on a fresh platform instead of inventing data", async () => {
    const text = textOf((await getPage(await logIn(), "/")).html);
    expect(text).toContain("No health check has run yet.");
    expect(text).toContain("No open positions.");
    expect(text).toContain("Trading state ACTIVE Equity $100,000.00 Balance $100,000.00");
    for (const symbol of SYMBOLS) expect(text).toContain(`${symbol} No signal yet`);
    expect(text).not.toContain("Pending orders");
  });

  it("refreshes its sections with htmx fragments that carry only the section", async () => {
    const admin = await logIn();
    const page = await getPage(admin, "/");
    expect(page.html).toContain('hx-get="/overview/markets" hx-trigger="every 5s" hx-swap="innerHTML"');
    expect(page.html).toContain('hx-get="/overview/account" hx-trigger="every 5s"');
    expect(page.html).toContain('hx-get="/overview/health" hx-trigger="every 10s"');
    expect(page.html).toContain('hx-get="/overview/signals" hx-trigger="every 10s, aurum-signal from:body"');
    await ingest("XAUUSD", [tick(T0, 4_000)]);
    const markets = await getPage(admin, "/overview/markets", { htmx: true });
    expect(markets.status).toBe(200);
    expect(markets.html).not.toContain("<html");
    expect(markets.html).not.toContain('id="overview-markets"');
    expect(rowText(markets.html, "XAUUSD")).toMatch(/^XAUUSD 4,000\.00 4,000\.20 20\.0 points/);
    const account = textOf((await getPage(admin, "/overview/account", { htmx: true })).html);
    expect(account).toMatch(/^Trading state ACTIVE Equity \$100,000\.00/);
    expect(textOf((await getPage(admin, "/overview/health", { htmx: true })).html)).toBe("No health check has run yet. It runs every 5 minutes; the first report appears here when it has.");
    await runHealthCheck(env, Date.now());
    expect(textOf((await getPage(admin, "/overview/health", { htmx: true })).html)).toMatch(/^(ok|degraded|critical) checked 20\d\d-/);
  });

  it("shows a viewer the same data with no controls, and sends a visitor without a session to the login", async () => {
    const viewer = await logInAs("viewer");
    const page = await getPage(viewer, "/");
    expect(page.status).toBe(200);
    expect(textOf(page.html)).toContain("Trading state ACTIVE");
    expect(page.html.match(/hx-(post|put|delete|patch)="[^"]*"/g)).toEqual(['hx-post="/logout"']);
    expect(page.html).not.toMatch(/<form\b/);
    expect(page.html.match(/<button\b[^>]*>\s*([^<]*?)\s*</g)?.map((b) => b.replace(/<button\b[^>]*>\s*/, "").replace(/\s*<$/, ""))).toEqual(["Menu", "Log out"]);
    const anonymous = await getPage(null, "/overview/markets", { htmx: true });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("hx-redirect")).toMatch(/^\/auth\/resume\?next=/);
  });
});

describe("instrument view", () => {
  it("draws the chart element with its live contract, the timeframe links and the newest quote", async () => {
    const nowMs = Date.now();
    await ingest("BTCUSD", [tick(nowMs - 2_000, 90_000, 90_020), tick(nowMs - 1_000, 90_005.5, 90_025.5)]);
    const page = await getPage(await logIn(), "/instruments/BTCUSD?timeframe=M5");
    expect(page.status).toBe(200);
    expect(page.html).toContain('<script src="/app/instrument.js" type="module"></script>');
    const attributes = Object.fromEntries(
      ["data-symbol", "data-timeframe", "data-digits", "data-point-size", "data-live-socket", "data-live-last-tick-ts", "data-live-last-bar-ts", "data-live-ready", "class"].map((name) => [name, attributeOf(page.html, "live-chart", name)]),
    );
    expect(attributes).toEqual({
      "data-symbol": "BTCUSD",
      "data-timeframe": "M5",
      "data-digits": "2",
      "data-point-size": "0.01",
      "data-live-socket": "connecting",
      "data-live-last-tick-ts": String(nowMs - 1_000),
      "data-live-last-bar-ts": "",
      "data-live-ready": "false",
      class: "chart",
    });
    for (const timeframe of ["M1", "M15", "H1"]) expect(page.html).toContain(`<a class="button" href="/instruments/BTCUSD?timeframe=${timeframe}">${timeframe}</a>`);
    expect(page.html).toContain('<a class="button button-primary" href="/instruments/BTCUSD?timeframe=M5" aria-current="page">M5</a>');
    const text = textOf(page.html);
    expect(text).toContain("Bid 90,005.50 Ask 90,025.50 Spread 2,000.0 points Last tick");
    expect(text).toMatch(/Feed fresh Live stream connecting…/);
    expect(text).toContain("Regime not judged yet");
    expect(text).toContain("No signal yet");
    expect(liveConfigOf(page.html)).toEqual({ instruments: [{ symbol: "BTCUSD", digits: 2, pointSize: 0.01, tradingHours: { kind: "always" } }], feedMaxAgeMs: FEED_MAX_AGE_MS, timeframe: "M5" });
    expect(page.html).toContain('hx-get="/instruments/BTCUSD/model" hx-trigger="every 10s, aurum-signal from:body"');
  });

  it("says STALE or closed honestly for historical data, and shows a feed without ticks as such", async () => {
    await ingest("XAUUSD", [tick(T0, 4_000)]);
    const admin = await logIn();
    const xau = textOf((await getPage(admin, "/instruments/XAUUSD")).html);
    expect(xau).toContain(`Feed ${oldFeedStatus("XAUUSD", Date.now()) === "stale" ? "STALE" : "closed"} Live stream`);
    const eur = await getPage(admin, "/instruments/EURUSD");
    expect(attributeOf(eur.html, "live-chart", "data-live-last-tick-ts")).toBe("");
    expect(textOf(eur.html)).toContain(`Bid — Ask — Spread — Last tick — Tick age never Feed ${emptyFeedStatus("EURUSD", Date.now()) === "no-data" ? "no data" : "closed"}`);
  });

  it("answers 404 for an undeclared symbol, sends a lower-case one to its page, and refuses an unknown timeframe", async () => {
    const admin = await logIn();
    const unknown = await getPage(admin, "/instruments/NOPE42");
    expect(unknown.status).toBe(404);
    expect(textOf(unknown.html)).toContain("No instrument 'NOPE42' is declared. Declared instruments:");
    for (const symbol of SYMBOLS) expect(unknown.html).toContain(`<a href="/instruments/${symbol}">${symbol}</a>`);
    expect((await getPage(admin, "/instruments/NOPE42/model", { htmx: true })).status).toBe(404);
    const lower = await getPage(admin, "/instruments/xauusd?timeframe=H1");
    expect([lower.status, lower.headers.get("location")]).toEqual([301, "/instruments/XAUUSD?timeframe=H1"]);
    const badTimeframe = await getPage(admin, "/instruments/XAUUSD?timeframe=M2");
    expect(badTimeframe.status).toBe(400);
    expect(textOf(badTimeframe.html)).toContain("'M2' is not a timeframe. Choose one of M1, M5, M15, H1.");
  });

  it("shows a viewer the chart and the quote with no controls", async () => {
    const viewer = await logInAs("viewer");
    const page = await getPage(viewer, "/instruments/XAUUSD");
    expect(page.status).toBe(200);
    expect(attributeOf(page.html, "live-chart", "data-symbol")).toBe("XAUUSD");
    expect(page.html.match(/hx-(post|put|delete|patch)="[^"]*"/g)).toEqual(['hx-post="/logout"']);
    expect(page.html).not.toMatch(/<form\b/);
  });

  it("lets the page's scripts read bars, signals and trades and open the stream with the session cookie alone", async () => {
    const viewer: Browser = await logInAs("viewer");
    await ingest("XAUUSD", [tick(T0, 4_000), tick(T0 + 61_000, 4_001)]);
    const headers = { cookie: cookieHeader(viewer) };
    const read = (path: string) => exports.default.fetch(new Request(`http://platform.test${path}`, { headers }));
    const bars = await read("/api/v1/market/data?symbol=XAUUSD&timeframe=M1&limit=1000");
    expect(bars.status).toBe(200);
    expect(((await bars.json()) as { bars: { ts: number; closed: boolean }[] }).bars.map((b) => [b.ts, b.closed])).toEqual([[T0, true], [T0 + 60_000, false]]);
    expect((await read(`/api/v1/signals/XAUUSD?role=champion&from=${T0}&limit=5000`)).status).toBe(200);
    expect((await read(`/api/v1/trades?symbol=XAUUSD&from=${T0}&limit=1000`)).status).toBe(200);
    const upgrade = await exports.default.fetch(new Request("http://platform.test/api/v1/stream/XAUUSD", { headers: { ...headers, upgrade: "websocket" } }));
    expect(upgrade.status).toBe(101);
    const socket = upgrade.webSocket!;
    const messages: StreamMessage[] = [];
    socket.addEventListener("message", (event) => messages.push(JSON.parse(String(event.data)) as StreamMessage));
    socket.accept();
    for (let i = 0; i < 200 && messages.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(messages[0]).toMatchObject({ type: "hello", symbol: "XAUUSD", forming: expect.arrayContaining([expect.objectContaining({ timeframe: "M1", ts: T0 + 60_000, close: 4_001 })]) });
    socket.close(1000, "done");
  });
});
