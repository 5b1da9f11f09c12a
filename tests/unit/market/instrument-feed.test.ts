/** The tick pipeline: every rejection code, idempotent re-delivery, spike hold-back, and the real data passing clean. */
import { describe, expect, it } from "vitest";
import { InstrumentFeed, type FeedBatchContext } from "../../../core/market/instrument-feed.js";
import { barsToTicks } from "../../../core/market/tick-path.js";
import { TICK_REJECTION_CODES } from "../../../core/market/tick-quality.js";
import type { Tick } from "../../../core/market/tick.js";
import { DEFAULT_QUALITY, makeTick, makeTickWalk, T0_MS } from "../../support/builders.js";
import { demoBars } from "../../support/node/demo-data.js";

const NOW_MS = T0_MS + 3_600_000;

/** A feed plus an in-memory "storage" of applied ticks, like the Durable Object's. */
function harness(nowMs = NOW_MS) {
  const feed = new InstrumentFeed({ pointSize: 0.01, quality: DEFAULT_QUALITY });
  const stored: Tick[] = [];
  const context: FeedBatchContext = { nowMs, isStored: (t) => stored.some((s) => s.tsMs === t.tsMs && s.bid === t.bid && s.ask === t.ask && s.volume === t.volume) };
  const ingest = (ticks: Tick[]) => {
    const result = feed.ingest(ticks, context);
    stored.push(...result.applied);
    return result;
  };
  return { feed, stored, ingest };
}

/** Warm the spike detector with ordinary moves of a few cents. */
function warmTicks(count = 100): Tick[] {
  return makeTickWalk(count, { stepMs: 500, stepPrice: 0.05 });
}

describe("rejection codes", () => {
  const cases: [string, Tick, string][] = [
    ["INVALID_TIMESTAMP", makeTick({ tsMs: 1.5 }), "non-integer ms"],
    ["INVALID_TIMESTAMP", makeTick({ tsMs: -1 }), "negative"],
    ["NON_FINITE_PRICE", makeTick({ bid: Number.NaN }), "NaN bid"],
    ["NON_FINITE_PRICE", makeTick({ ask: Number.POSITIVE_INFINITY }), "infinite ask"],
    ["NON_POSITIVE_PRICE", makeTick({ bid: 0, ask: 0.1 }), "zero bid"],
    ["NON_POSITIVE_PRICE", makeTick({ bid: -5, ask: -4 }), "negative prices"],
    ["CROSSED_QUOTE", makeTick({ bid: 2300.5, ask: 2300.2 }), "bid above ask"],
    ["INVALID_VOLUME", makeTick({ volume: -1 }), "negative volume"],
    ["FUTURE_TIMESTAMP", makeTick({ tsMs: NOW_MS + 10_001 }), "beyond the future tolerance"],
  ];

  it.each(cases)("rejects %s (%s)", (code, tick) => {
    const { ingest } = harness();
    const result = ingest([tick]);
    expect(result.outcomes).toEqual([expect.objectContaining({ index: 0, status: "rejected", code })]);
    expect(result.applied).toEqual([]);
  });

  it("accepts a tick exactly at the future tolerance and historical ticks of any age", () => {
    const { ingest } = harness();
    expect(ingest([makeTick({ tsMs: Date.UTC(2001, 0, 2) })]).outcomes[0]?.status).toBe("accepted");
    expect(ingest([makeTick({ tsMs: NOW_MS + 10_000 })]).outcomes[0]?.status).toBe("accepted");
  });

  it("rejects OUT_OF_ORDER beyond the tolerance but accepts a late tick within it", () => {
    const { ingest } = harness();
    ingest([makeTick({ tsMs: T0_MS + 10_000 })]);
    const result = ingest([makeTick({ tsMs: T0_MS + 7_999, bid: 2300.1 }), makeTick({ tsMs: T0_MS + 8_000, bid: 2300.1 })]);
    expect(result.outcomes.map((o) => o.status)).toEqual(["rejected", "accepted"]);
    expect(result.outcomes[0]).toMatchObject({ code: "OUT_OF_ORDER" });
  });

  it("rejects OUT_OF_ORDER a late tick whose bar has already closed, even within the tolerance", () => {
    const { ingest } = harness();
    ingest([makeTick({ tsMs: T0_MS + 60_500 })]);
    const result = ingest([makeTick({ tsMs: T0_MS + 59_500, bid: 2300.05 })]);
    expect(result.outcomes[0]).toMatchObject({ status: "rejected", code: "OUT_OF_ORDER" });
  });

  it("counts DUPLICATE re-deliveries instead of applying them twice", () => {
    const { ingest, stored } = harness();
    const batch = warmTicks(50);
    ingest(batch);
    const again = ingest(batch);
    expect(again.outcomes.every((o) => o.status === "duplicate")).toBe(true);
    expect(again.applied).toEqual([]);
    expect(stored).toHaveLength(50);
  });

  it("detects a duplicate inside the same batch and a partly re-sent batch", () => {
    const { ingest } = harness();
    const ticks = warmTicks(10);
    const first = ingest([...ticks.slice(0, 6), ticks[5] as Tick]);
    expect(first.outcomes.map((o) => o.status)).toEqual([...Array(6).fill("accepted"), "duplicate"]);
    const second = ingest(ticks);
    expect(second.outcomes.map((o) => o.status)).toEqual([...Array(6).fill("duplicate"), ...Array(4).fill("accepted")]);
  });

  it("keeps two different prints at the same millisecond", () => {
    const { ingest } = harness();
    const result = ingest([makeTick({ bid: 2300 }), makeTick({ bid: 2300.01 })]);
    expect(result.outcomes.map((o) => o.status)).toEqual(["accepted", "accepted"]);
  });

  it("has a test above for every code in the closed set", () => {
    const tested = new Set([...cases.map(([code]) => code), "OUT_OF_ORDER", "DUPLICATE", "SPIKE"]);
    expect([...tested].sort()).toEqual([...TICK_REJECTION_CODES].sort());
  });
});

describe("spikes", () => {
  const spikeAt = (warm: Tick[], bid: number) => makeTick({ tsMs: (warm.at(-1)?.tsMs ?? T0_MS) + 500, bid, ask: bid + 0.2 });

  it("holds an isolated print that jumps away and rejects it as SPIKE when the next tick comes back", () => {
    const { ingest, stored } = harness();
    const warm = warmTicks();
    ingest(warm);
    const spike = spikeAt(warm, 2200); // 100 USD (4.3 %) below a market moving by cents
    const held = ingest([spike]);
    expect(held.outcomes).toEqual([{ index: 0, status: "held" }]);
    expect(held.applied).toEqual([]);
    const back = makeTick({ tsMs: spike.tsMs + 500, bid: 2300.05, ask: 2300.25 });
    const decided = ingest([back]);
    expect(decided.resolvedHeld).toEqual([expect.objectContaining({ status: "rejected", code: "SPIKE", tick: spike })]);
    expect(decided.outcomes).toEqual([{ index: 0, status: "accepted" }]);
    expect(stored).not.toContainEqual(spike);
  });

  it("decides a spike inside one batch and reports it at its own index", () => {
    const { ingest } = harness();
    const warm = warmTicks();
    const spike = spikeAt(warm, 2410);
    const back = makeTick({ tsMs: spike.tsMs + 500, bid: 2300, ask: 2300.2 });
    const result = ingest([...warm, spike, back]);
    expect(result.outcomes[warm.length]).toMatchObject({ index: warm.length, status: "rejected", code: "SPIKE" });
    expect(result.outcomes[warm.length + 1]).toMatchObject({ status: "accepted" });
  });

  it("accepts a sustained move: the jump is confirmed by the next tick", () => {
    const { ingest, stored } = harness();
    const warm = warmTicks();
    ingest(warm);
    const jump = spikeAt(warm, 2350);
    ingest([jump]);
    const confirm = makeTick({ tsMs: jump.tsMs + 500, bid: 2350.3, ask: 2350.5 });
    const result = ingest([confirm]);
    expect(result.resolvedHeld).toEqual([{ tick: jump, status: "accepted" }]);
    expect(stored.slice(-2)).toEqual([jump, confirm]);
  });

  it("does not flag moves during warm-up or moves below the minimum jump", () => {
    const { ingest } = harness();
    expect(ingest([makeTick({ bid: 2300 }), makeTick({ tsMs: T0_MS + 1, bid: 2250, ask: 2250.2 })]).outcomes.map((o) => o.status)).toEqual(["accepted", "accepted"]);
  });
});

describe("the real XAUUSD demo data", () => {
  it("passes every quality rule: replaying 63,230 M1 bars rejects and holds nothing", () => {
    const ticks = barsToTicks(demoBars(), { pointSize: 0.01, digits: 2 });
    const feed = new InstrumentFeed({ pointSize: 0.01, quality: DEFAULT_QUALITY });
    const result = feed.ingest(ticks, { nowMs: Date.UTC(2026, 10, 21), isStored: () => false });
    const notAccepted = result.outcomes.filter((o) => o.status !== "accepted");
    expect(notAccepted).toEqual([]);
    expect(result.applied).toHaveLength(ticks.length);
  });
});

describe("rollback", () => {
  it("restores the exact state from a snapshot", () => {
    const { feed, ingest } = harness();
    ingest(warmTicks(40));
    const snapshot = feed.snapshot();
    ingest(makeTickWalk(30, { startMs: T0_MS + 100_000 }));
    const restored = new InstrumentFeed({ pointSize: 0.01, quality: DEFAULT_QUALITY }, snapshot);
    expect(restored.snapshot()).toEqual(snapshot);
  });
});
