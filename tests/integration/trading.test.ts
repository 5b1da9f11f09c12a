/**
 * Paper trading through the running platform (real InstrumentDO, AccountDO, D1): manual orders on both sides of the
 * quote, risk denials as 422 envelopes, the emergency stop (orders blocked at once, positions flattened on the next
 * tick, reset by admins only), limit edits, and the outbox's exactly-once delivery across a simulated D1 failure.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { Tick } from "../../core/market/tick.js";
import type { OutboxRecord, Trade } from "../../core/schemas/trading.js";
import type { AccountDO } from "../../durable-objects/account-do.js";
import type { InstrumentDO } from "../../durable-objects/instrument-do.js";
import { insertOutboxRecords } from "../../workers/db/trading-records.js";
import { drainOutbox } from "./drain-outbox.js";
import { createApiKey, freshState } from "./fresh-state.js";
import { call, ingest, postJson, type As } from "./http.js";

const SYMBOL = "XAUUSD";
/** Tuesday 2026-04-07 10:00 UTC: inside XAUUSD's trading hours. */
const T0 = Date.UTC(2026, 3, 7, 10, 0);

let trader: As;
let admin: As;

beforeEach(async () => {
  await freshState();
  trader = { headers: { "x-api-key": (await createApiKey("trader", ["read", "ingest", "trade"])).key } };
  admin = { headers: { "x-api-key": (await createApiKey("admin", ["read", "ingest", "trade", "models"])).key } };
});

const instrument = () => env.INSTRUMENT_DO.get(env.INSTRUMENT_DO.idFromName(SYMBOL));
const account = () => env.ACCOUNT_DO.get(env.ACCOUNT_DO.idFromName("default"));

/** One tick `i` seconds after T0 (a few seconds apart: no bar closes, so the strategy stays out of the way). */
function tick(i: number, bid: number, ask = bid + 0.2): Tick {
  return { tsMs: T0 + i * 1_000, bid, ask: Math.round(ask * 100) / 100, volume: 1 };
}

async function tradesInD1(): Promise<Trade[]> {
  await drainOutbox(instrument(), async () => (await instrument().deliveryBacklog()).outbox);
  const response = await call(`/api/v1/trades?symbol=${SYMBOL}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { trades: Trade[] }).trades;
}

async function placeOrder(body: Record<string, unknown>, as: As = trader): Promise<Response> {
  return postJson("/api/v1/positions", { symbol: SYMBOL, ...body }, as);
}

describe("manual orders", () => {
  it("fills a buy at the next tick's ask and closes it at the following tick's bid", async () => {
    await ingest(SYMBOL, [tick(0, 4_000)]);
    const placed = await placeOrder({ side: "buy", lots: 0.5, stopPrice: 3_990, targetPrice: 4_020 });
    expect(placed.status).toBe(202);
    const { positionId, decision } = (await placed.json()) as { positionId: string; decision: { approved: boolean; lots: number } };
    expect(decision).toMatchObject({ approved: true, lots: 0.5 });

    await ingest(SYMBOL, [tick(1, 4_001, 4_001.3)]);
    const open = (await (await call(`/api/v1/positions?symbol=${SYMBOL}`)).json()) as { positions: { id: string; entryPrice: number; side: string; stopPrice: number; targetPrice: number }[] };
    expect(open.positions).toEqual([expect.objectContaining({ id: positionId, side: "buy", entryPrice: 4_001.3, stopPrice: 3_990, targetPrice: 4_020 })]);

    expect((await call(`/api/v1/positions/${positionId}`, { method: "DELETE" }, trader)).status).toBe(202);
    await ingest(SYMBOL, [tick(2, 4_005, 4_005.25)]);
    const [trade] = await tradesInD1();
    expect(trade).toMatchObject({ id: positionId, side: "buy", lots: 0.5, units: 50, entryPrice: 4_001.3, exitPrice: 4_005, exitReason: "manual", strategy: "manual" });
    expect(trade!.netPnlUsd).toBeCloseTo((4_005 - 4_001.3) * 50, 9);
    expect(await (await call(`/api/v1/positions/${positionId}`, { method: "DELETE" }, trader)).status).toBe(404);
  });

  it("fills a sell at the bid and takes profit at its target on the ask", async () => {
    await ingest(SYMBOL, [tick(0, 4_000)]);
    const placed = await placeOrder({ side: "sell", lots: 1, stopPrice: 4_010, targetPrice: 3_995 });
    expect(placed.status).toBe(202);
    await ingest(SYMBOL, [tick(1, 3_999.9, 4_000.1)]);
    // The bid reaches the target first, but a short buys back on the ask: no exit yet.
    await ingest(SYMBOL, [tick(2, 3_994.9, 3_995.2)]);
    expect(await tradesInD1()).toEqual([]);
    // Within the same minute the ask crosses the target: filled at the target (a limit), not at the tick.
    await ingest(SYMBOL, [tick(3, 3_994.5, 3_994.8)]);
    const [trade] = await tradesInD1();
    expect(trade).toMatchObject({ side: "sell", entryPrice: 3_999.9, exitPrice: 3_995, exitReason: "take-profit" });
    expect(trade!.netPnlUsd).toBeCloseTo((3_999.9 - 3_995) * 100, 9);
  });

  it("refuses an order the risk engine denies with the one error envelope and the decision", async () => {
    await ingest(SYMBOL, [tick(0, 4_000)]);
    const response = await placeOrder({ side: "buy", lots: 0.004 });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { ok: boolean; error: { code: string; details: { decision: { code: string } } } };
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe("RISK_DENIED");
    expect(body.error.details.decision.code).toBe("SIZE_BELOW_MINIMUM");
  });

  it("refuses a stop on the wrong side of the price and an order before the first quote", async () => {
    expect((await placeOrder({ side: "buy", lots: 1 })).status).toBe(422);
    await ingest(SYMBOL, [tick(0, 4_000)]);
    const wrong = await placeOrder({ side: "buy", lots: 1, stopPrice: 4_050 });
    expect(wrong.status).toBe(422);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toMatch(/stop must be below/);
    expect((await placeOrder({ side: "buy", lots: 1 }, "default")).status).toBe(403);
  });
});

describe("emergency stop", () => {
  it("halts at once, flattens every position on the next tick, and only an admin resets", async () => {
    await ingest(SYMBOL, [tick(0, 4_000)]);
    expect((await placeOrder({ side: "buy", lots: 1 })).status).toBe(202);
    await ingest(SYMBOL, [tick(1, 4_000)]);
    expect((await placeOrder({ side: "sell", lots: 2 })).status).toBe(422); // one position per symbol by default

    const stop = await postJson("/api/v1/risk/emergency-stop", { reason: "drill" }, trader);
    expect(stop.status).toBe(200);
    expect(await stop.json()).toMatchObject({ account: { tradingState: "HALTED" }, halted: [SYMBOL], unreachable: [] });

    const denied = await placeOrder({ side: "buy", lots: 1 });
    expect(denied.status).toBe(422);
    expect(((await denied.json()) as { error: { details: { decision: { code: string } } } }).error.details.decision.code).toBe("TRADING_HALTED");

    await ingest(SYMBOL, [tick(2, 3_990, 3_990.2)]);
    const positions = (await (await call(`/api/v1/positions`)).json()) as { positions: unknown[] };
    expect(positions.positions).toEqual([]);
    const [flattened] = await tradesInD1();
    expect(flattened).toMatchObject({ exitReason: "emergency-stop", exitPrice: 3_990, exitTsMs: T0 + 2_000 });

    expect((await postJson("/api/v1/risk/reset", { reason: "drill over" }, trader)).status).toBe(403);
    const reset = await postJson("/api/v1/risk/reset", { reason: "drill over" }, admin);
    expect(reset.status).toBe(200);
    expect(await reset.json()).toMatchObject({ tradingState: "ACTIVE" });
    expect((await placeOrder({ side: "buy", lots: 1 })).status).toBe(202);

    await drainOutbox(account(), () => account().outboxPending());
    const alerts = (await (await call("/api/v1/risk/alerts?severity=critical")).json()) as { alerts: { kind: string }[] };
    expect(alerts.alerts.map((a) => a.kind)).toContain("emergency-stop");
  });
});

describe("risk limits", () => {
  it("are edited by admins only, validated, and recorded as risk events", async () => {
    const before = (await (await call("/api/v1/risk/limits")).json()) as Record<string, unknown>;
    expect(before).toMatchObject({ maxPositionsPerSymbol: 1, sizing: { kind: "fixed-lots", lots: 1 } });
    const put = (body: unknown, as: As) => call("/api/v1/risk/limits", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }, as);
    expect((await put({ ...before, maxPositionsPerSymbol: 2 }, trader)).status).toBe(403);
    expect((await put({ ...before, maxPositionsPerSymbol: -1 }, admin)).status).toBe(400);
    const changed = await put({ ...before, maxPositionsPerSymbol: 2 }, admin);
    expect(changed.status).toBe(200);
    expect(await (await call("/api/v1/risk/limits")).json()).toMatchObject({ maxPositionsPerSymbol: 2 });

    await ingest(SYMBOL, [tick(0, 4_000)]);
    expect((await placeOrder({ side: "buy", lots: 1 })).status).toBe(202);
    expect((await placeOrder({ side: "buy", lots: 1 })).status).toBe(202);
    expect((await placeOrder({ side: "buy", lots: 1 })).status).toBe(422);

    await drainOutbox(account(), () => account().outboxPending());
    const alerts = (await (await call("/api/v1/risk/alerts")).json()) as { alerts: { kind: string; code: string | null }[] };
    expect(alerts.alerts).toEqual(expect.arrayContaining([expect.objectContaining({ kind: "limits-changed" }), expect.objectContaining({ kind: "order-denied", code: "MAX_POSITIONS_PER_SYMBOL" })]));
  });
});

describe("outbox", () => {
  it("delivers every record to D1 exactly once across a failure after D1 committed", async () => {
    // D1 takes the records, then the acknowledgement is lost: the outbox keeps them and delivers them again (the
    // object's own alarm may try several times meanwhile; each attempt writes to D1 and fails).
    let attempts = 0;
    await ingest(SYMBOL, [tick(0, 4_000)]);
    await runInDurableObject(instrument(), (object: InstrumentDO) => {
      object.outboxSink = async (records: OutboxRecord[]) => {
        attempts += 1;
        await insertOutboxRecords(env.DB, records);
        throw new Error("connection reset after commit");
      };
    });
    await placeOrder({ side: "buy", lots: 1 });
    await ingest(SYMBOL, [tick(1, 4_001)]);
    const placed = (await (await call(`/api/v1/positions`)).json()) as { positions: { id: string }[] };
    await call(`/api/v1/positions/${placed.positions[0]!.id}`, { method: "DELETE" }, trader);
    await ingest(SYMBOL, [tick(2, 4_002)]);
    await runDurableObjectAlarm(instrument());
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect((await instrument().deliveryBacklog()).outbox).toBe(3);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM fills").first<{ n: number }>()).toEqual({ n: 2 });

    // D1 is down: nothing is written, nothing is lost.
    await runInDurableObject(instrument(), (object: InstrumentDO) => {
      object.outboxSink = async () => {
        throw new Error("D1 unavailable");
      };
    });
    await runDurableObjectAlarm(instrument());
    expect((await instrument().deliveryBacklog()).outbox).toBe(3);

    await runInDurableObject(instrument(), (object: InstrumentDO) => {
      object.outboxSink = (records: OutboxRecord[]) => insertOutboxRecords(env.DB, records);
    });
    await runDurableObjectAlarm(instrument());
    expect((await instrument().deliveryBacklog()).outbox).toBe(0);
    const counts = await env.DB.prepare("SELECT (SELECT COUNT(*) FROM trades) AS trades, (SELECT COUNT(*) FROM fills) AS fills").first<{ trades: number; fills: number }>();
    expect(counts).toEqual({ trades: 1, fills: 2 });
  });

  it("keeps the account's risk events until D1 has them", async () => {
    await runInDurableObject(account(), (object: AccountDO) => {
      object.outboxSink = async () => {
        throw new Error("D1 unavailable");
      };
    });
    expect((await postJson("/api/v1/risk/emergency-stop", { reason: "drill" }, trader)).status).toBe(200);
    await runDurableObjectAlarm(account());
    expect(await account().outboxPending()).toBe(1);
    await runInDurableObject(account(), (object: AccountDO) => {
      object.outboxSink = (records: OutboxRecord[]) => insertOutboxRecords(env.DB, records);
    });
    await runDurableObjectAlarm(account());
    expect(await account().outboxPending()).toBe(0);
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM risk_events WHERE kind = 'emergency-stop'").first<{ n: number }>();
    expect(row?.n).toBe(1);
  });
});
