/** InstrumentDO durability: state survives a restart of the object, a failed batch leaves nothing behind. */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { freshState } from "./fresh-state.js";
import { beforeEach, describe, expect, it } from "vitest";
import type { BarsResponse } from "../../core/schemas/market-data.js";
import type { InstrumentDO } from "../../durable-objects/instrument-do.js";
import { makeTickWalk, T0_MS } from "../support/builders.js";
import { call, ingest } from "./http.js";

beforeEach(freshState);

const stub = () => env.INSTRUMENT_DO.get(env.INSTRUMENT_DO.idFromName("XAUUSD"));

async function allBars(timeframe: string): Promise<BarsResponse["bars"]> {
  const response = await call(`/api/v1/market/data?symbol=XAUUSD&timeframe=${timeframe}&limit=5000`);
  return ((await response.json()) as BarsResponse).bars;
}

describe("InstrumentDO", () => {
  it("keeps bars, the forming bar and the stream position across a restart of the object", async () => {
    const ticks = makeTickWalk(400, { stepMs: 1_000 });
    await ingest("XAUUSD", ticks.slice(0, 250));
    const before = await allBars("M1");
    await abortAllDurableObjects();
    expect(await allBars("M1")).toEqual(before);
    // The restarted object continues the same stream: the rest arrives as if nothing happened.
    expect(await ingest("XAUUSD", ticks.slice(250))).toMatchObject({ accepted: 150, duplicates: 0 });
    await abortAllDurableObjects();
    expect(await ingest("XAUUSD", ticks)).toMatchObject({ accepted: 0, duplicates: 400 });
    const m1 = await allBars("M1");
    expect(m1.map((b) => b.ts)).toEqual([0, 1, 2, 3, 4, 5, 6].map((m) => T0_MS + m * 60_000));
    expect(m1.reduce((sum, b) => sum + b.tickVolume, 0)).toBe(400);
  });

  it("rolls back memory and storage when a batch fails mid-write", async () => {
    const ticks = makeTickWalk(200, { stepMs: 1_000 });
    await ingest("XAUUSD", ticks.slice(0, 100));
    const before = await allBars("M1");
    await runInDurableObject(stub(), (instance: InstrumentDO) => {
      const store = (instance as unknown as { store: { upsertBars: (bars: unknown) => void } }).store;
      store.upsertBars = () => {
        throw new Error("disk on fire");
      };
    });
    const failed = await call("/api/v1/data/ingest", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ symbol: "XAUUSD", ticks: ticks.slice(100).map((t) => ({ ts: t.tsMs, bid: t.bid, ask: t.ask })) }),
    });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ ok: false, error: { code: "INTERNAL", message: "internal error" } });
    await abortAllDurableObjects(); // a fresh object, with the real store again
    expect(await allBars("M1")).toEqual(before);
    const status = await stub().status();
    expect(status.storedTicks).toBe(100);
    expect(status.counters.accepted).toBe(100);
    // Nothing of the failed batch was half-applied: it is accepted in full, not as duplicates.
    expect(await ingest("XAUUSD", ticks.slice(100))).toMatchObject({ accepted: 100, duplicates: 0 });
  });

  it("rolls back in memory too when the object stays alive after a failed batch", async () => {
    const ticks = makeTickWalk(120, { stepMs: 1_000 });
    await ingest("XAUUSD", ticks.slice(0, 60));
    let restore = () => {};
    await runInDurableObject(stub(), (instance: InstrumentDO) => {
      const store = (instance as unknown as { store: { insertTicks: (ticks: unknown) => void } }).store;
      const original = store.insertTicks.bind(store);
      store.insertTicks = () => {
        throw new Error("disk on fire");
      };
      restore = () => {
        store.insertTicks = original;
      };
    });
    expect((await call("/api/v1/data/ingest", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ symbol: "XAUUSD", ticks: ticks.slice(60).map((t) => ({ ts: t.tsMs, bid: t.bid, ask: t.ask })) }),
    })).status).toBe(500);
    await runInDurableObject(stub(), () => restore());
    expect(await ingest("XAUUSD", ticks.slice(60))).toMatchObject({ accepted: 60, duplicates: 0 });
    expect((await stub().status()).counters.accepted).toBe(120);
  });

  it("prunes raw ticks older than the retention behind the newest tick, even when the object restarts between batches", async () => {
    // 48 h retention; 12,000 ticks over 60 h; pruning runs when the stream has moved an hour since the last prune.
    const ticks = makeTickWalk(12_000, { stepMs: 18_000 });
    for (let i = 0; i < ticks.length; i += 4_000) {
      await ingest("XAUUSD", ticks.slice(i, i + 4_000));
      await abortAllDurableObjects();
    }
    const status = await stub().status();
    const newestMs = ticks.at(-1)?.tsMs ?? 0;
    expect(status.storedTicks).toBe(ticks.filter((t) => t.tsMs >= newestMs - 48 * 3_600_000).length);
    expect(status.storedTicks).toBe(9_601);
  });

  // Called on the instance: workerd reports an error thrown across RPC as uncaught in the object, which the
  // test pool would count as a failure even though the caller handled it.
  it("refuses an RPC for another symbol than the one it holds", async () => {
    await ingest("XAUUSD", makeTickWalk(3));
    await runInDurableObject(stub(), async (instance: InstrumentDO) => {
      await expect(instance.ingest("EURUSD", makeTickWalk(1))).rejects.toThrow(/holds XAUUSD/);
    });
  });

  it("validates RPC arguments itself: a stub is a trust boundary", async () => {
    await runInDurableObject(stub(), async (instance: InstrumentDO) => {
      await expect(instance.ingest("XAUUSD", [{ tsMs: 1, bid: 2 } as never])).rejects.toThrow(/expected a number/);
      await expect(instance.bars({ symbol: "XAUUSD", timeframe: "M7" as never, limit: 10 })).rejects.toThrow(/M1/);
    });
  });
});
