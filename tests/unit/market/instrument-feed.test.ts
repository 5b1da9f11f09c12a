/** The tick pipeline: every rejection code, idempotent re-delivery, spike hold-back, and the real data passing clean. */
import { describe, expect, it } from "vitest";
import { InstrumentFeed, type FeedBatchContext, type TickOutcome } from "../../../core/market/instrument-feed.js";
import { barsToTicks } from "../../../core/market/tick-path.js";
import { TICK_REJECTION_CODES } from "../../../core/market/tick-quality.js";
import type { Tick } from "../../../core/market/tick.js";
import { DEFAULT_QUALITY, makeTick, makeTickWalk, T0_MS } from "../../support/builders.js";
import { demoBars } from "../../support/node/demo-data.js";

const NOW_MS = T0_MS + 3_600_000;

/** A feed plus an in-memory "storage" of applied ticks, like the Durable Object's. */
function harness(nowMs = NOW_MS) {
  let feed = new InstrumentFeed({ pointSize: 0.01, quality: DEFAULT_QUALITY });
  const stored: Tick[] = [];
  const context: FeedBatchContext = { nowMs, isStored: (t) => stored.some((s) => s.tsMs === t.tsMs && s.bid === t.bid && s.ask === t.ask && s.volume === t.volume) };
  return {
    get feed() {
      return feed;
    },
    stored,
    ingest(ticks: Tick[]) {
      const result = feed.ingest(ticks, context);
      stored.push(...result.applied);
      return result;
    },
    /** Like the object after an eviction: the feed comes back from its JSON snapshot. */
    restart() {
      feed = new InstrumentFeed({ pointSize: 0.01, quality: DEFAULT_QUALITY }, JSON.parse(JSON.stringify(feed.snapshot())));
    },
  };
}

/** Ordinary moves of a few cents, 500 ms apart, enough to warm the spike detector. */
function warmTicks(count = 100, startMs = T0_MS): Tick[] {
  return makeTickWalk(count, { startMs, stepMs: 500, stepPrice: 0.05 });
}

const after = (tick: Tick | undefined, ms: number, bid: number): Tick => makeTick({ tsMs: (tick?.tsMs ?? T0_MS) + ms, bid, ask: Math.round((bid + 0.2) * 100) / 100 });

/** Codes seen in outcomes and resolutions, to prove the closed set is exercised by real behaviour. */
const seenCodes = new Set<string>();
function record(outcomes: readonly TickOutcome[]): readonly TickOutcome[] {
  for (const o of outcomes) if ("code" in o) seenCodes.add(o.code);
  return outcomes;
}

describe("rejection codes", () => {
  const cases: [string, Tick][] = [
    ["INVALID_TIMESTAMP", makeTick({ tsMs: 1.5 })],
    ["INVALID_TIMESTAMP", makeTick({ tsMs: -1 })],
    ["NON_FINITE_PRICE", makeTick({ bid: Number.NaN })],
    ["NON_FINITE_PRICE", makeTick({ ask: Number.POSITIVE_INFINITY })],
    ["PRICE_OUT_OF_RANGE", makeTick({ bid: 1e300, ask: 1.7e308 })],
    ["NON_POSITIVE_PRICE", makeTick({ bid: 0, ask: 0.1 })],
    ["NON_POSITIVE_PRICE", makeTick({ bid: -5, ask: -4 })],
    ["CROSSED_QUOTE", makeTick({ bid: 2300.5, ask: 2300.2 })],
    ["INVALID_VOLUME", makeTick({ volume: -1 })],
    ["INVALID_VOLUME", makeTick({ volume: 1e308 })],
    ["FUTURE_TIMESTAMP", makeTick({ tsMs: NOW_MS + 10_001 })],
  ];

  it.each(cases)("rejects %s (%o)", (code, tick) => {
    const h = harness();
    const result = h.ingest([tick]);
    expect(record(result.outcomes)).toEqual([expect.objectContaining({ index: 0, status: "rejected", code })]);
    expect(result.applied).toEqual([]);
  });

  it("accepts a tick exactly at the future tolerance and historical ticks of any age", () => {
    const h = harness();
    expect(h.ingest([makeTick({ tsMs: Date.UTC(2001, 0, 2) })]).outcomes[0]?.status).toBe("accepted");
    expect(h.ingest([makeTick({ tsMs: NOW_MS + 10_000 })]).outcomes[0]?.status).toBe("accepted");
  });

  it("rejects OUT_OF_ORDER beyond the tolerance but accepts a late tick within it", () => {
    const h = harness();
    h.ingest([makeTick({ tsMs: T0_MS + 10_000 })]);
    const result = h.ingest([makeTick({ tsMs: T0_MS + 7_999, bid: 2300.1 }), makeTick({ tsMs: T0_MS + 8_000, bid: 2300.1 })]);
    expect(record(result.outcomes).map((o) => o.status)).toEqual(["rejected", "accepted"]);
    expect(result.outcomes[0]).toMatchObject({ code: "OUT_OF_ORDER" });
  });

  it("accepts a tick 150 ms late across a minute boundary into its own minute", () => {
    const h = harness();
    h.ingest([makeTick({ tsMs: T0_MS + 59_000 }), makeTick({ tsMs: T0_MS + 60_100, bid: 2300.05 })]);
    const result = h.ingest([makeTick({ tsMs: T0_MS + 59_950, bid: 2300.1 })]);
    expect(result.outcomes).toEqual([{ index: 0, status: "accepted" }]);
    expect(h.feed.formingBars().find((b) => b.timeframe === "M1" && b.tsMs === T0_MS)).toMatchObject({ tickCount: 2, close: 2300.1 });
  });

  it("rejects OUT_OF_ORDER a tick whose bar the clock has closed", () => {
    const h = harness();
    h.ingest([makeTick({ tsMs: T0_MS + 50_000 })]);
    h.feed.closeDue(T0_MS + 65_000, 5_000);
    const result = h.ingest([makeTick({ tsMs: T0_MS + 59_500, bid: 2300.05 })]);
    expect(record(result.outcomes)[0]).toMatchObject({ status: "rejected", code: "OUT_OF_ORDER", message: "tick belongs to a bar that is already closed" });
  });

  it("counts DUPLICATE re-deliveries instead of applying them twice", () => {
    const h = harness();
    const batch = warmTicks(50);
    h.ingest(batch);
    const again = h.ingest(batch);
    expect(record(again.outcomes).every((o) => o.status === "duplicate" && o.code === "DUPLICATE")).toBe(true);
    expect(again.applied).toEqual([]);
    expect(h.stored).toHaveLength(50);
  });

  it("detects a duplicate inside the same batch and a partly re-sent batch", () => {
    const h = harness();
    const ticks = warmTicks(10);
    const first = h.ingest([...ticks.slice(0, 6), ticks[5] as Tick]);
    expect(first.outcomes.map((o) => o.status)).toEqual([...Array(6).fill("accepted"), "duplicate"]);
    const second = h.ingest(ticks);
    expect(second.outcomes.map((o) => o.status)).toEqual([...Array(6).fill("duplicate"), ...Array(4).fill("accepted")]);
  });

  it("keeps thousands of different prints in one millisecond, and spots their re-delivery", () => {
    const h = harness();
    const flood = Array.from({ length: 3_000 }, (_, i) => makeTick({ bid: 2300 + (i % 50) * 0.01, ask: 2300.5 + Math.floor(i / 50) * 0.01 }));
    expect(h.ingest(flood).applied).toHaveLength(3_000);
    expect(h.ingest(flood).outcomes.every((o) => o.status === "duplicate")).toBe(true);
  });
});

describe("spikes", () => {
  it("holds an isolated print and rejects it as SPIKE when the next tick comes back, reporting it to that batch", () => {
    const h = harness();
    const warm = warmTicks();
    h.ingest(warm);
    const spike = after(warm.at(-1), 500, 2200); // 100 USD (4.3 %) below a market moving by cents
    const held = h.ingest([spike]);
    expect(held.outcomes).toEqual([{ index: 0, status: "held" }]);
    const decided = h.ingest([after(spike, 500, 2300.05)]);
    expect(decided.resolvedHeld).toEqual([expect.objectContaining({ status: "rejected", code: "SPIKE", tick: spike })]);
    seenCodes.add("SPIKE");
    expect(decided.outcomes).toEqual([{ index: 0, status: "accepted" }]);
    expect(h.stored).not.toContainEqual(spike);
  });

  it("decides a spike inside one batch and reports it at its own index", () => {
    const h = harness();
    const warm = warmTicks();
    const spike = after(warm.at(-1), 500, 2410);
    const result = h.ingest([...warm, spike, after(spike, 500, 2300)]);
    expect(record(result.outcomes)[warm.length]).toMatchObject({ index: warm.length, status: "rejected", code: "SPIKE" });
    expect(result.outcomes[warm.length + 1]).toMatchObject({ status: "accepted" });
  });

  it("accepts a sustained move: the jump is confirmed by the next tick", () => {
    const h = harness();
    const warm = warmTicks();
    h.ingest(warm);
    const jump = after(warm.at(-1), 500, 2350);
    h.ingest([jump]);
    const confirm = after(jump, 500, 2350.3);
    expect(h.ingest([confirm]).resolvedHeld).toEqual([{ tick: jump, status: "accepted" }]);
    expect(h.stored.slice(-2)).toEqual([jump, confirm]);
  });

  it("keeps a held tick across a restart and decides it afterwards", () => {
    const h = harness();
    const warm = warmTicks();
    h.ingest(warm);
    const spike = after(warm.at(-1), 500, 2200);
    h.ingest([spike]);
    h.restart();
    expect(h.ingest([after(spike, 500, 2300)]).resolvedHeld).toEqual([expect.objectContaining({ code: "SPIKE" })]);
  });

  it("treats re-sending a batch that contained a rejected spike as duplicates, changing nothing", () => {
    const h = harness();
    const warm = warmTicks();
    const spike = after(warm.at(-1), 500, 2410);
    const batch = [...warm, spike, after(spike, 500, 2300)];
    h.ingest(batch);
    const before = h.feed.snapshot();
    const again = h.ingest(batch);
    expect(again.outcomes.every((o) => o.status === "duplicate")).toBe(true);
    expect(h.feed.snapshot()).toEqual(before);
  });

  it("rejects a late suspicious print at once: the tick after it in time did not follow it", () => {
    const h = harness();
    const warm = warmTicks();
    h.ingest(warm);
    const late = after(warm.at(-1), -300, 2200);
    expect(h.ingest([late]).outcomes[0]).toMatchObject({ status: "rejected", code: "SPIKE" });
  });

  it("rejects a confirmed held tick whose bar the clock closed meanwhile, and never rewrites that bar", () => {
    const h = harness();
    const warm = warmTicks(100, T0_MS + 5_000); // 5.0 s .. 54.5 s
    h.ingest(warm);
    const jump = makeTick({ tsMs: T0_MS + 59_600, bid: 2350, ask: 2350.2 });
    h.ingest([jump]);
    const closed = h.feed.closeDue(T0_MS + 65_000, 5_000);
    expect(closed.find((b) => b.timeframe === "M1")).toMatchObject({ tsMs: T0_MS, tickCount: 100 });
    const confirm = makeTick({ tsMs: T0_MS + 66_000, bid: 2350.3, ask: 2350.5 });
    const result = h.ingest([confirm]);
    expect(result.resolvedHeld).toEqual([expect.objectContaining({ status: "rejected", code: "OUT_OF_ORDER", tick: jump })]);
    expect(result.closedBars).toEqual([]);
    // The confirming tick is itself a jump from the last applied bid, so it is held in turn.
    expect(result.outcomes).toEqual([{ index: 0, status: "held" }]);
    expect(h.feed.formingBars().filter((b) => b.timeframe === "M1")).toEqual([]);
  });

  it("settles a held tick before placing a late tick, which lands in its own minute", () => {
    const h = harness();
    const warm = warmTicks(100, T0_MS + 9_000); // 9.0 s .. 58.5 s
    h.ingest(warm);
    const held = makeTick({ tsMs: T0_MS + 60_200, bid: 2350, ask: 2350.2 });
    const lateConfirm = makeTick({ tsMs: T0_MS + 59_800, bid: 2350.1, ask: 2350.3 });
    const result = h.ingest([held, lateConfirm]);
    expect(result.outcomes.map((o) => o.status)).toEqual(["accepted", "accepted"]);
    const m1 = h.feed.formingBars().filter((b) => b.timeframe === "M1");
    expect(m1.map((b) => [b.tsMs, b.tickCount, b.open])).toEqual([
      [T0_MS, 101, warm[0]?.bid],
      [T0_MS + 60_000, 1, 2350],
    ]);
  });

  it("does not flag moves during warm-up", () => {
    const h = harness();
    expect(h.ingest([makeTick({ bid: 2300 }), makeTick({ tsMs: T0_MS + 1, bid: 2250, ask: 2250.2 })]).outcomes.map((o) => o.status)).toEqual(["accepted", "accepted"]);
  });
});

describe("the closed set of codes", () => {
  it("is exactly what the tests above saw the feed produce", () => {
    expect([...seenCodes].sort()).toEqual([...TICK_REJECTION_CODES].sort());
  });
});

describe("the real XAUUSD demo data", () => {
  it("passes every quality rule: replaying 63,230 M1 bars rejects and holds nothing", () => {
    const ticks = barsToTicks(demoBars(), { pointSize: 0.01, digits: 2 });
    const feed = new InstrumentFeed({ pointSize: 0.01, quality: DEFAULT_QUALITY });
    const result = feed.ingest(ticks, { nowMs: Date.UTC(2026, 10, 21), isStored: () => false });
    expect(result.outcomes.filter((o) => o.status !== "accepted")).toEqual([]);
    expect(result.applied).toHaveLength(ticks.length);
  });
});

describe("rollback", () => {
  it("restores the exact state from a snapshot", () => {
    const h = harness();
    h.ingest(warmTicks(40));
    const snapshot = h.feed.snapshot();
    h.ingest(makeTickWalk(30, { startMs: T0_MS + 100_000 }));
    const restored = new InstrumentFeed({ pointSize: 0.01, quality: DEFAULT_QUALITY }, snapshot);
    expect(restored.snapshot()).toEqual(snapshot);
  });
});
