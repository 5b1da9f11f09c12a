/**
 * A live chart's bars: ticks move the forming bar exactly as the platform's aggregation does, closed bars from the
 * platform replace it, ticks of closed bars are refused, and a resync merges without losing or duplicating a bar.
 */
import { describe, expect, it } from "vitest";
import { formingBarOf, LiveBarSeries, mergeBars } from "../../../core/live/live-bars.js";
import { LivePageConfigSchema, serializeLiveConfig } from "../../../core/live/page-config.js";
import { DEFAULT_INSTRUMENTS } from "../../../core/instruments/catalog.js";
import { InstrumentSchema } from "../../../core/instruments/instrument.js";
import { BarAggregator } from "../../../core/market/bar-aggregator.js";
import type { Tick } from "../../../core/market/tick.js";
import type { Timeframe } from "../../../core/market/timeframe.js";
import { toBarOutput, type BarOutput } from "../../../core/schemas/market-data.js";
import { makeTickWalk, T0_MS } from "../../support/builders.js";

const POINT = 0.01;

/** Ticks over several minutes with a trend and swings, so opens, highs, lows and closes all differ. */
function ticks(count: number, stepMs = 7_000): Tick[] {
  return Array.from({ length: count }, (_, i) => {
    const bid = Math.round((2300 + i * 0.03 + Math.sin(i / 3) * 1.7) * 100) / 100;
    return { tsMs: T0_MS + i * stepMs, bid, ask: Math.round((bid + 0.15 + (i % 4) * 0.05) * 100) / 100, volume: 1 };
  });
}

/** The platform's side: bars as the InstrumentDO's aggregator closes them (grace 0: at the next minute's first tick). */
function platform(timeframe: Timeframe) {
  return new BarAggregator({ timeframes: [timeframe], pointSize: POINT, graceMs: 0 });
}

const bar = (ts: number, overrides: Partial<BarOutput> = {}): BarOutput => ({
  ts, open: 2300, high: 2301, low: 2299, close: 2300.5, tickVolume: 10, spreadAvg: 20, spreadMax: 25, closed: true, ...overrides,
});

describe("LiveBarSeries", () => {
  it.each(["M1", "M5"] as const)("builds %s bars from every tick exactly as the platform does, closed ones replaced by the platform's", (timeframe) => {
    const reference = platform(timeframe);
    const series = new LiveBarSeries(timeframe, POINT);
    const all = ticks(200);
    for (const tick of all) {
      // The platform closes bars with this tick and pushes them before the tick itself (InstrumentDO.publish).
      for (const closed of reference.update(tick)) expect(series.applyClosedBar(toBarOutput(closed))).toBe(true);
      const forming = series.applyTick(tick);
      expect(forming).toEqual(toBarOutput(reference.formingBars().find((b) => b.tsMs === forming?.ts)!));
    }
    const expected = ticks(200);
    const batch = new BarAggregator({ timeframes: [timeframe], pointSize: POINT, graceMs: 0 });
    const closedBars = expected.flatMap((tick) => batch.update(tick));
    expect(series.bars()).toEqual([...closedBars, ...batch.formingBars()].map(toBarOutput));
    expect(series.lastClosedTs()).toBe(closedBars.at(-1)?.tsMs);
  });

  it("follows the platform's price rule on throttled ticks: OHLC of the bid, inside the true range, corrected at the close", () => {
    const reference = platform("M1");
    const series = new LiveBarSeries("M1", POINT);
    const all = makeTickWalk(150, { stepMs: 1_000, stepPrice: 0.4 });
    const closedByPlatform: BarOutput[] = [];
    for (const [i, tick] of all.entries()) {
      for (const closed of reference.update(tick)) {
        closedByPlatform.push(toBarOutput(closed));
        series.applyClosedBar(toBarOutput(closed));
      }
      // Only every fourth tick reaches the page (the stream's throttle), but every closed bar does.
      if (i % 4 !== 0) continue;
      const shown = series.applyTick(tick)!;
      const truth = reference.formingBars()[0]!;
      expect(shown.close).toBe(tick.bid);
      expect(shown.high).toBeLessThanOrEqual(truth.high);
      expect(shown.low).toBeGreaterThanOrEqual(truth.low);
    }
    expect(closedByPlatform.map((b) => b.ts)).toEqual([T0_MS, T0_MS + 60_000]);
    expect(series.bars().slice(0, 2)).toEqual(closedByPlatform);
  });

  it("refuses a tick of a bar the platform closed, and ignores a closed bar it already holds", () => {
    const series = new LiveBarSeries("M1", POINT);
    series.load([bar(T0_MS), bar(T0_MS + 60_000, { closed: false })]);
    expect(series.applyTick({ tsMs: T0_MS + 59_000, bid: 2400, ask: 2400.2 })).toBeNull();
    expect(series.applyClosedBar(bar(T0_MS))).toBe(false);
    expect(series.applyClosedBar(bar(T0_MS + 60_000, { closed: false }))).toBe(false);
    expect(series.applyClosedBar(bar(T0_MS, { close: 2300.7 }))).toBe(true); // a corrected closed bar replaces the held one
    expect(series.bars().map((b) => [b.ts, b.close, b.closed])).toEqual([[T0_MS, 2300.7, true], [T0_MS + 60_000, 2300.5, false]]);
  });

  it("moves a loaded forming bar: the open stays, a late tick does not move the close, a new minute starts a bar", () => {
    const series = new LiveBarSeries("M1", POINT);
    series.load([bar(T0_MS), bar(T0_MS + 60_000, { open: 2300, high: 2301, low: 2299, close: 2300.5, closed: false })], T0_MS + 80_000);
    expect(series.applyTick({ tsMs: T0_MS + 90_000, bid: 2302, ask: 2302.2 })).toMatchObject({ ts: T0_MS + 60_000, open: 2300, high: 2302, low: 2299, close: 2302, closed: false });
    expect(series.applyTick({ tsMs: T0_MS + 85_000, bid: 2298, ask: 2298.2 })).toMatchObject({ open: 2300, low: 2298, close: 2302 });
    expect(series.applyTick({ tsMs: T0_MS + 121_000, bid: 2303, ask: 2303.3 })).toMatchObject({ ts: T0_MS + 120_000, open: 2303, high: 2303, low: 2303, close: 2303, spreadAvg: 30, closed: false });
    // Both forming bars show until the platform closes the earlier one.
    expect(series.bars().map((b) => [b.ts, b.closed])).toEqual([[T0_MS, true], [T0_MS + 60_000, false], [T0_MS + 120_000, false]]);
    series.applyClosedBar(bar(T0_MS + 60_000, { high: 2302.4 }));
    expect(series.bars().map((b) => [b.ts, b.high, b.closed])).toEqual([[T0_MS, 2301, true], [T0_MS + 60_000, 2302.4, true], [T0_MS + 120_000, 2303, false]]);
    expect(series.newestTs()).toBe(T0_MS + 120_000);
  });

  it("merges a resync: the bars missed while away are added once, the platform's forming bar replaces the page's", () => {
    const series = new LiveBarSeries("M1", POINT);
    series.load([bar(T0_MS), bar(T0_MS + 60_000, { closed: false })]);
    series.applyTick({ tsMs: T0_MS + 70_000, bid: 2305, ask: 2305.2 });
    // Reconnected three minutes later: the API's page from the last closed bar held (inclusive).
    const page = [bar(T0_MS), bar(T0_MS + 60_000, { high: 2305 }), bar(T0_MS + 120_000), bar(T0_MS + 180_000, { open: 2310, high: 2310, low: 2310, close: 2310, closed: false })];
    const added = series.merge(page, T0_MS + 185_000);
    expect(added.map((b) => b.ts)).toEqual([T0_MS + 60_000, T0_MS + 120_000]);
    expect(series.bars().map((b) => [b.ts, b.closed])).toEqual([[T0_MS, true], [T0_MS + 60_000, true], [T0_MS + 120_000, true], [T0_MS + 180_000, false]]);
    // A tick older than the newest one known moves the high but not the close (the platform's rule).
    expect(series.applyTick({ tsMs: T0_MS + 181_000, bid: 2311, ask: 2311.2 })).toMatchObject({ open: 2310, high: 2311, close: 2310 });
    expect(series.applyTick({ tsMs: T0_MS + 190_000, bid: 2312, ask: 2312.2 })).toMatchObject({ open: 2310, high: 2312, close: 2312 });
    expect(series.merge(page)).toEqual([]);
  });

  it("takes the stream's hello forming bar, and refuses a closed one there", () => {
    const series = new LiveBarSeries("M5", POINT);
    series.setForming(bar(T0_MS, { closed: false, close: 2301 }));
    expect(series.bars()).toEqual([bar(T0_MS, { closed: false, close: 2301 })]);
    expect(() => series.setForming(bar(T0_MS))).toThrow(RangeError);
  });
});

describe("mergeBars", () => {
  it("keeps one bar per time, oldest first, the newer reading winning except a forming one over a closed one", () => {
    const held = [bar(T0_MS + 60_000, { closed: false }), bar(T0_MS)];
    const incoming = [bar(T0_MS, { closed: false, close: 1 }), bar(T0_MS + 60_000, { close: 2 }), bar(T0_MS + 120_000, { closed: false })];
    expect(mergeBars(held, incoming).map((b) => [b.ts, b.close, b.closed])).toEqual([
      [T0_MS, 2300.5, true],
      [T0_MS + 60_000, 2, true],
      [T0_MS + 120_000, 2300.5, false],
    ]);
  });
});

describe("formingBarOf", () => {
  it("takes the open at the bar's start and the close at the newest tick inside it", () => {
    expect(formingBarOf(bar(T0_MS, { closed: false, tickVolume: 4, spreadAvg: 20 }), "M1", T0_MS + 30_000)).toMatchObject({ openTickMs: T0_MS, closeTickMs: T0_MS + 30_000, tickCount: 4, spreadSumPoints: 80 });
    expect(formingBarOf(bar(T0_MS, { closed: false }), "M1", T0_MS + 90_000).closeTickMs).toBe(T0_MS);
  });
});

describe("live page config", () => {
  it("accepts the platform's parsed instruments and serialises safely inside a script element", () => {
    const instruments = DEFAULT_INSTRUMENTS.map((i) => InstrumentSchema.parse(i)).map(({ symbol, digits, pointSize, tradingHours }) => ({ symbol, digits, pointSize, tradingHours }));
    const config = { instruments, feedMaxAgeMs: 300_000, timeframe: "M5" as const };
    const text = serializeLiveConfig(config);
    expect(LivePageConfigSchema.parse(JSON.parse(text))).toEqual(config);
    expect(serializeLiveConfig({ ...config, instruments: [{ ...instruments[0]!, symbol: "XAUUSD" }] })).not.toMatch(/[<>&]/);
    expect(() => serializeLiveConfig({ ...config, feedMaxAgeMs: 0 })).toThrow();
  });
});
