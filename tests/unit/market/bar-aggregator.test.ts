/** Bar aggregation: streaming equals batch and an independent reference, UTC alignment, watermark and clock closes. */
import { describe, expect, it } from "vitest";
import { aggregateBars, BarAggregator } from "../../../core/market/bar-aggregator.js";
import type { Bar } from "../../../core/market/bar.js";
import { barsToTicks } from "../../../core/market/tick-path.js";
import type { Tick } from "../../../core/market/tick.js";
import { TIMEFRAME_MS, TIMEFRAMES, type Timeframe } from "../../../core/market/timeframe.js";
import { makeTick, T0_MS } from "../../support/builders.js";
import { demoBars } from "../../support/node/demo-data.js";

const XAU = { pointSize: 0.01, digits: 2 };
const CONFIG = { pointSize: 0.01, graceMs: 2_000 };

/** Deterministic pseudo-random numbers (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Ticks mostly in order, some up to 1.5 s late (inside the 2 s grace), at random 0-20 s steps. */
function jitteredTicks(count: number, seed: number): Tick[] {
  const next = random(seed);
  let tsMs = T0_MS;
  let bid = 2300;
  const ticks: Tick[] = [];
  for (let i = 0; i < count; i++) {
    tsMs += Math.floor(next() * 20_000);
    bid = Math.round((bid + (next() - 0.5) * 2) * 100) / 100;
    const lateMs = next() < 0.1 ? Math.floor(next() * 1_500) : 0;
    ticks.push({ tsMs: tsMs - lateMs, bid, ask: Math.round((bid + 0.2 + next() * 0.3) * 100) / 100, volume: 1 + Math.floor(next() * 3) });
  }
  return ticks;
}

/** An independent definition: group by bucket; open/close are the earliest/latest tick by time (first/last arrival on ties). */
function referenceBars(ticks: readonly Tick[]): Omit<Bar, "closed" | "spreadAvgPoints">[] {
  const bars: Omit<Bar, "closed" | "spreadAvgPoints">[] = [];
  for (const timeframe of TIMEFRAMES) {
    const groups = new Map<number, Tick[]>();
    for (const t of ticks) {
      const key = Math.floor(t.tsMs / TIMEFRAME_MS[timeframe]) * TIMEFRAME_MS[timeframe];
      groups.set(key, [...(groups.get(key) ?? []), t]);
    }
    for (const [tsMs, group] of [...groups.entries()].sort((a, b) => a[0] - b[0])) {
      const earliest = group.reduce((a, b) => (b.tsMs < a.tsMs ? b : a));
      const latest = group.reduce((a, b) => (b.tsMs >= a.tsMs ? b : a));
      bars.push({
        timeframe, tsMs, open: earliest.bid, close: latest.bid,
        high: Math.max(...group.map((t) => t.bid)), low: Math.min(...group.map((t) => t.bid)),
        tickVolume: group.reduce((s, t) => s + t.volume, 0), tickCount: group.length,
        spreadMaxPoints: Math.max(...group.map((t) => Math.round((t.ask - t.bid) * 100 * 1000) / 1000)),
      });
    }
  }
  return bars;
}

const withoutAvg = ({ closed: _closed, spreadAvgPoints: _avg, ...rest }: Bar) => rest;

describe("BarAggregator", () => {
  it.each([1, 2, 3, 4, 5])("agrees with an independent reference when streamed in random batches with late ticks (seed %i)", (seed) => {
    const ticks = jitteredTicks(3_000, seed);
    const next = random(seed + 100);
    let aggregator = new BarAggregator(CONFIG);
    const streamed: Bar[] = [];
    let i = 0;
    while (i < ticks.length) {
      const batchEnd = Math.min(ticks.length, i + 1 + Math.floor(next() * 50));
      for (; i < batchEnd; i++) streamed.push(...aggregator.update(ticks[i] as Tick));
      // Restart from a JSON snapshot between batches, as the Durable Object does.
      aggregator = new BarAggregator(CONFIG, JSON.parse(JSON.stringify(aggregator.snapshot())));
    }
    streamed.push(...aggregator.formingBars());
    const ordered = streamed.sort((a, b) => TIMEFRAME_MS[a.timeframe] - TIMEFRAME_MS[b.timeframe] || a.tsMs - b.tsMs);
    expect(ordered).toEqual(aggregateBars(ticks, CONFIG));
    expect(ordered.map(withoutAvg)).toEqual(referenceBars(ticks));
  });

  it("stamps bars with their open time aligned to UTC boundaries for every timeframe", () => {
    const tsMs = Date.UTC(2026, 2, 24, 14, 37, 42, 123);
    const aggregator = new BarAggregator(CONFIG);
    aggregator.update(makeTick({ tsMs }));
    const opens = Object.fromEntries(aggregator.formingBars().map((b) => [b.timeframe, new Date(b.tsMs).toISOString()]));
    expect(opens).toEqual({
      M1: "2026-03-24T14:37:00.000Z",
      M5: "2026-03-24T14:35:00.000Z",
      M15: "2026-03-24T14:30:00.000Z",
      H1: "2026-03-24T14:00:00.000Z",
    });
  });

  it("builds OHLC on bid, sums tick volume, and averages spreads in points", () => {
    const aggregator = new BarAggregator({ ...CONFIG, timeframes: ["M1"] });
    aggregator.update(makeTick({ tsMs: T0_MS, bid: 2300, ask: 2300.2, volume: 3 }));
    aggregator.update(makeTick({ tsMs: T0_MS + 10_000, bid: 2301.5, ask: 2301.8, volume: 1 }));
    aggregator.update(makeTick({ tsMs: T0_MS + 20_000, bid: 2299.25, ask: 2299.35, volume: 2 }));
    aggregator.update(makeTick({ tsMs: T0_MS + 30_000, bid: 2300.75, ask: 2301.15, volume: 1 }));
    expect(aggregator.update(makeTick({ tsMs: T0_MS + 61_999 }))).toEqual([]); // inside the grace: still open
    const [closed] = aggregator.update(makeTick({ tsMs: T0_MS + 62_000 }));
    expect(closed).toEqual({
      timeframe: "M1", tsMs: T0_MS, open: 2300, high: 2301.5, low: 2299.25, close: 2300.75,
      tickVolume: 7, tickCount: 4,
      spreadAvgPoints: 25, // (20 + 30 + 10 + 40) / 4
      spreadMaxPoints: 40, closed: true,
    });
  });

  it("puts a tick that is late but within the grace into its own, still open, bar", () => {
    const aggregator = new BarAggregator({ ...CONFIG, timeframes: ["M1"] });
    aggregator.update(makeTick({ tsMs: T0_MS + 5_000, bid: 2300 }));
    aggregator.update(makeTick({ tsMs: T0_MS + 60_100, bid: 2302 })); // next minute
    expect(aggregator.accepts(T0_MS + 59_950)).toBe(true);
    aggregator.update(makeTick({ tsMs: T0_MS + 59_950, bid: 2299 })); // 150 ms late
    const [first, second] = aggregator.formingBars();
    expect(first).toMatchObject({ tsMs: T0_MS, open: 2300, close: 2299, tickCount: 2 });
    expect(second).toMatchObject({ tsMs: T0_MS + 60_000, open: 2302, tickCount: 1 });
    aggregator.update(makeTick({ tsMs: T0_MS + 62_000 }));
    expect(aggregator.accepts(T0_MS + 59_999)).toBe(false);
    expect(() => aggregator.update(makeTick({ tsMs: T0_MS + 59_999 }))).toThrow(RangeError);
  });

  it("lets a late tick move the open but not the close", () => {
    const aggregator = new BarAggregator({ ...CONFIG, timeframes: ["M1"] });
    aggregator.update(makeTick({ tsMs: T0_MS + 5_000, bid: 2300 }));
    aggregator.update(makeTick({ tsMs: T0_MS + 9_000, bid: 2302 }));
    aggregator.update(makeTick({ tsMs: T0_MS + 8_000, bid: 2299 }));
    aggregator.update(makeTick({ tsMs: T0_MS + 4_000, bid: 2298 }));
    expect(aggregator.formingBars()[0]).toMatchObject({ open: 2298, close: 2302, low: 2298, high: 2302, tickCount: 4 });
  });

  it("closes bars on the clock after their period plus grace, every timeframe, and never reopens them", () => {
    const aggregator = new BarAggregator(CONFIG);
    aggregator.update(makeTick({ tsMs: T0_MS + 30_000 }));
    expect(aggregator.nextCloseMs()).toBe(T0_MS + 60_000);
    expect(aggregator.closeDue(T0_MS + 64_999, 5_000)).toEqual([]);
    expect(aggregator.closeDue(T0_MS + 65_000, 5_000).map((b) => b.timeframe)).toEqual(["M1"]);
    expect(aggregator.accepts(T0_MS + 59_000)).toBe(false);
    expect(aggregator.nextCloseMs()).toBe(T0_MS + 300_000); // M5 is next, not forgotten
    const hourEnd = aggregator.closeDue(T0_MS + 3_600_000 + 5_000, 5_000);
    expect(hourEnd.map((b) => b.timeframe)).toEqual(["M5", "M15", "H1"]);
    expect(aggregator.formingBars()).toEqual([]);
    expect(aggregator.nextCloseMs()).toBeNull();
  });

  it("refuses a tick for an empty period that the clock has already passed", () => {
    const aggregator = new BarAggregator(CONFIG);
    aggregator.update(makeTick({ tsMs: T0_MS + 30_000 }));
    aggregator.closeDue(T0_MS + 5 * 60_000, 5_000);
    expect(aggregator.accepts(T0_MS + 3 * 60_000)).toBe(false);
    expect(aggregator.accepts(T0_MS + 4 * 60_000 + 56_000)).toBe(true);
  });
});

describe("higher timeframes from the real demo data", () => {
  const bars = demoBars();
  const aggregated = aggregateBars(barsToTicks(bars, XAU), CONFIG);
  const byTimeframe = (tf: Timeframe) => aggregated.filter((b) => b.timeframe === tf);

  it("rebuilds every M1 bar of the file exactly from the standard tick path", () => {
    const m1 = byTimeframe("M1");
    expect(m1).toHaveLength(bars.length);
    const mismatches = m1.filter((bar, i) => {
      const s = bars[i];
      return !s || bar.tsMs !== s.tsMs || bar.open !== s.open || bar.high !== s.high || bar.low !== s.low || bar.close !== s.close ||
        bar.tickVolume !== s.tickVolume || bar.spreadAvgPoints !== s.spreadPoints;
    });
    expect(mismatches).toEqual([]);
  });

  it.each(["M5", "M15", "H1"] as const)("makes %s bars equal to the aggregation of the M1 bars", (timeframe) => {
    const groups = new Map<number, Bar[]>();
    for (const bar of byTimeframe("M1")) {
      const key = Math.floor(bar.tsMs / TIMEFRAME_MS[timeframe]) * TIMEFRAME_MS[timeframe];
      groups.set(key, [...(groups.get(key) ?? []), bar]);
    }
    const expected = [...groups.entries()].map(([tsMs, group]) => ({
      tsMs,
      open: group[0]?.open,
      high: Math.max(...group.map((b) => b.high)),
      low: Math.min(...group.map((b) => b.low)),
      close: group.at(-1)?.close,
      tickVolume: group.reduce((sum, b) => sum + b.tickVolume, 0),
      tickCount: group.reduce((sum, b) => sum + b.tickCount, 0),
      spreadMaxPoints: Math.max(...group.map((b) => b.spreadMaxPoints)),
    }));
    const actual = byTimeframe(timeframe).map(({ tsMs, open, high, low, close, tickVolume, tickCount, spreadMaxPoints }) => ({
      tsMs, open, high, low, close, tickVolume, tickCount, spreadMaxPoints,
    }));
    expect(actual).toEqual(expected);
  });
});
