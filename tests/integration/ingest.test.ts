/** POST /api/v1/data/ingest and GET /api/v1/market/data through the real Worker, InstrumentDO and SQLite. */

import { freshState } from "./fresh-state.js";
import { beforeEach, describe, expect, it } from "vitest";
import type { ErrorEnvelope } from "../../core/schemas/common.js";
import type { BarsResponse } from "../../core/schemas/market-data.js";
import { makeTick, makeTickWalk, T0_MS } from "../support/builders.js";
import { call, ingest, postJson, toWire } from "./http.js";

beforeEach(freshState);

async function bars(query: string): Promise<BarsResponse> {
  const response = await call(`/api/v1/market/data?${query}`);
  expect(response.status).toBe(200);
  return response.json();
}

async function envelope(response: Response, status: number): Promise<ErrorEnvelope> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as ErrorEnvelope;
  expect(body.ok).toBe(false);
  expect(body.error.requestId).toBe(response.headers.get("x-request-id"));
  return body;
}

describe("ingest", () => {
  it("accepts a batch and serves the bars it built, forming bar included", async () => {
    const ticks = makeTickWalk(180, { stepMs: 1_000 }); // three minutes
    const result = await ingest("XAUUSD", ticks);
    expect(result).toEqual({ symbol: "XAUUSD", accepted: 180, duplicates: 0, held: 0, rejected: [], resolved: [] });
    const page = await bars("symbol=XAUUSD&timeframe=M1");
    expect(page.bars.map((b) => [b.ts, b.closed])).toEqual([
      [T0_MS, true],
      [T0_MS + 60_000, true],
      [T0_MS + 120_000, false],
    ]);
    expect(page.bars[0]).toMatchObject({ tickVolume: 60, spreadAvg: 20, spreadMax: 20 });
  });

  it("is idempotent: re-sending a batch after a timeout changes nothing", async () => {
    const ticks = makeTickWalk(150, { stepMs: 1_000 });
    await ingest("XAUUSD", ticks);
    const before = await bars("symbol=XAUUSD&timeframe=M1");
    const again = await ingest("XAUUSD", ticks);
    expect(again).toEqual({ symbol: "XAUUSD", accepted: 0, duplicates: 150, held: 0, rejected: [], resolved: [] });
    expect(await bars("symbol=XAUUSD&timeframe=M1")).toEqual(before);
  });

  it("rejects bad ticks with their index and code and applies the good ones", async () => {
    const good = makeTick({ tsMs: T0_MS + 1_000 });
    // Written by hand: JSON.stringify cannot express 1e400, which JSON.parse reads as Infinity.
    const body = `{"symbol":"xauusd","ticks":[
      {"ts":${T0_MS},"bid":2300.5,"ask":2300.1},
      {"ts":${good.tsMs},"bid":${good.bid},"ask":${good.ask}},
      {"ts":${T0_MS + 2_000},"bid":0,"ask":1},
      {"ts":"2026-03-24T14:00:03.000Z","bid":1e400,"ask":2300}]}`;
    const response = await call("/api/v1/data/ingest", { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(response.status).toBe(200);
    const result = await response.json();
    expect(result).toMatchObject({
      symbol: "XAUUSD",
      accepted: 1,
      rejected: [
        { index: 0, code: "CROSSED_QUOTE" },
        { index: 2, code: "NON_POSITIVE_PRICE" },
        { index: 3, code: "NON_FINITE_PRICE" },
      ],
    });
    const page = await bars("symbol=XAUUSD");
    expect(page.bars).toHaveLength(1);
    expect(page.bars[0]).toMatchObject({ open: good.bid, high: good.bid, low: good.bid, tickVolume: 1 });
  });

  it("answers 413 in the envelope above 5,000 ticks, and stores nothing", async () => {
    const ticks = toWire(makeTickWalk(5_001));
    const body = await envelope(await postJson("/api/v1/data/ingest", { symbol: "XAUUSD", ticks }), 413);
    expect(body.error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", details: { maxTicks: 5_000 } });
    expect((await bars("symbol=XAUUSD")).bars).toEqual([]);
  });

  it("answers 413 for a body over 1 MiB", async () => {
    const response = await call("/api/v1/data/ingest", { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(1_048_577) });
    expect((await envelope(response, 413)).error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("answers 400 with field details for malformed JSON and schema failures", async () => {
    const malformed = await call("/api/v1/data/ingest", { method: "POST", body: "{not json" });
    expect((await envelope(malformed, 400)).error.code).toBe("VALIDATION_FAILED");
    const badShape = await postJson("/api/v1/data/ingest", { symbol: "XAUUSD", ticks: [{ ts: "yesterday", bid: "1", ask: 2 }] });
    const body = await envelope(badShape, 400);
    expect(body.error.code).toBe("VALIDATION_FAILED");
    expect(body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: "ticks.0.ts" }), expect.objectContaining({ path: "ticks.0.bid" })]),
    );
    const empty = await postJson("/api/v1/data/ingest", { symbol: "XAUUSD", ticks: [] });
    expect((await envelope(empty, 400)).error.details).toEqual([expect.objectContaining({ path: "ticks" })]);
  });

  it("answers 404 for an undeclared symbol, naming the declared ones", async () => {
    const body = await envelope(await postJson("/api/v1/data/ingest", { symbol: "GBPJPY", ticks: toWire([makeTick()]) }), 404);
    expect(body.error).toMatchObject({ code: "NOT_FOUND", details: { declared: ["XAUUSD", "XAGUSD", "EURUSD", "BTCUSD"] } });
    expect((await envelope(await call("/api/v1/market/data?symbol=GBPJPY"), 404)).error.code).toBe("NOT_FOUND");
  });

  it("answers unknown routes with the envelope and echoes a sane X-Request-Id", async () => {
    const response = await call("/api/v1/nothing-here", { headers: { "x-request-id": "client-req-0001" } });
    const body = await envelope(response, 404);
    expect(body.error.requestId).toBe("client-req-0001");
  });
});

describe("bar queries", () => {
  it("pages through bars with from/limit/next and filters by to", async () => {
    await ingest("XAUUSD", makeTickWalk(600, { stepMs: 1_000 })); // ten minutes
    const first = await bars(`symbol=XAUUSD&timeframe=M1&from=${T0_MS}&limit=4`);
    expect(first.bars.map((b) => b.ts)).toEqual([0, 1, 2, 3].map((m) => T0_MS + m * 60_000));
    expect(first.next).toBe(T0_MS + 4 * 60_000);
    const rest = await bars(`symbol=XAUUSD&timeframe=M1&from=${first.next}&limit=100`);
    expect(rest.bars).toHaveLength(6);
    expect(rest.next).toBeNull();
    const window = await bars(`symbol=XAUUSD&from=2026-03-24T14:02:00Z&to=2026-03-24T17:03:00%2B03:00`);
    expect(window.bars.map((b) => b.ts)).toEqual([T0_MS + 120_000, T0_MS + 180_000]);
    const latest = await bars("symbol=XAUUSD&limit=2");
    expect(latest.bars.map((b) => b.ts)).toEqual([T0_MS + 480_000, T0_MS + 540_000]);
    const m5 = await bars("symbol=XAUUSD&timeframe=M5");
    expect(m5.bars.map((b) => [b.ts, b.tickVolume, b.closed])).toEqual([[T0_MS, 300, true], [T0_MS + 300_000, 300, false]]);
  });

  it("answers 400 for a bad timeframe or limit and for from after to", async () => {
    expect((await call("/api/v1/market/data?symbol=XAUUSD&timeframe=M2")).status).toBe(400);
    expect((await call("/api/v1/market/data?symbol=XAUUSD&limit=0")).status).toBe(400);
    expect((await call("/api/v1/market/data?symbol=XAUUSD&limit=5001")).status).toBe(400);
    expect((await call("/api/v1/market/data?symbol=XAUUSD&from=9999999999999999")).status).toBe(400);
    expect((await call("/api/v1/market/data?symbol=XAU%C5%BFD")).status).toBe(400); // "XAUſD": no Unicode case folding
    const reversed = await call(`/api/v1/market/data?symbol=XAUUSD&from=${T0_MS + 1}&to=${T0_MS}`);
    expect((await envelope(reversed, 400)).error.details).toEqual([expect.objectContaining({ path: "from" })]);
  });
});
