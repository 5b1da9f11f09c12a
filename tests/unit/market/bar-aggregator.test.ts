/** Bar aggregation: streaming equals batch, UTC alignment, order robustness, clock closes, higher timeframes. */
import { describe, expect, it } from "vitest";
import { aggregateBars, BarAggregator } from "../../../core/market/bar-aggregator.js";
import type { Bar } from "../../../core/market/bar.js";
import { barsToTicks } from "../../../core/market/tick-path.js";
import { TIMEFRAME_MS, type Timeframe } from "../../../core/market/timeframe.js";
import { makeTick, makeTickWalk, T0_MS } from "../../support/builders.js";
import { demoBars } from "../../support/node/demo-data.js";

const XAU = { pointSize: 0.01, digits: 2 };

function streamBars(ticks: ReturnType<typeof makeTickWalk>): Bar[] {
  const aggregator = new BarAggregator({ pointSize: 0.01 });
  const bars: Bar[] = [];
  for (const tick of ticks) if (aggregator.accepts(tick.tsMs)) bars.push(...aggregator.update(tick));
  bars.push(...aggregator.formingBars());
  return bars.sort((a, b) => TIMEFRAME_MS[a.timeframe] - TIMEFRAME_MS[b.timeframe] || a.tsMs - b.tsMs);
}

describe("BarAggregator", () => {
  it("gives exactly the batch bars when streamed tick by tick (random-ish walk over 3 hours)", () => {
    const ticks = makeTickWalk(10_800, { stepMs: 1_000, stepPrice: 0.07 });
    expect(streamBars(ticks)).toEqual(aggregateBars(ticks, { pointSize: 0.01 }));
  });

  it("gives the same bars when restarted from a snapshot mid-stream", () => {
    const ticks = makeTickWalk(2_000, { stepMs: 7_000 });
    const whole = new BarAggregator({ pointSize: 0.01 });
    const first = new BarAggregator({ pointSize: 0.01 });
    const closedWhole: Bar[] = [];
    const closedSplit: Bar[] = [];
    ticks.forEach((tick) => closedWhole.push(...whole.update(tick)));
    ticks.slice(0, 777).forEach((tick) => closedSplit.push(...first.update(tick)));
    const resumed = new BarAggregator({ pointSize: 0.01 }, JSON.parse(JSON.stringify(first.snapshot())));
    ticks.slice(777).forEach((tick) => closedSplit.push(...resumed.update(tick)));
    expect(closedSplit).toEqual(closedWhole);
    expect(resumed.formingBars()).toEqual(whole.formingBars());
  });

  it("stamps bars with their open time aligned to UTC boundaries for every timeframe", () => {
    const tsMs = Date.UTC(2026, 2, 24, 14, 37, 42, 123);
    const aggregator = new BarAggregator({ pointSize: 0.01 });
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
    const aggregator = new BarAggregator({ pointSize: 0.01, timeframes: ["M1"] });
    aggregator.update(makeTick({ tsMs: T0_MS, bid: 2300, ask: 2300.2, volume: 3 }));
    aggregator.update(makeTick({ tsMs: T0_MS + 10_000, bid: 2301.5, ask: 2301.8, volume: 1 }));
    aggregator.update(makeTick({ tsMs: T0_MS + 20_000, bid: 2299.25, ask: 2299.35, volume: 2 }));
    aggregator.update(makeTick({ tsMs: T0_MS + 30_000, bid: 2300.75, ask: 2301.15, volume: 1 }));
    const [closed] = aggregator.update(makeTick({ tsMs: T0_MS + 60_000 }));
    expect(closed).toEqual({
      timeframe: "M1",
      tsMs: T0_MS,
      open: 2300,
      high: 2301.5,
      low: 2299.25,
      close: 2300.75,
      tickVolume: 7,
      tickCount: 4,
      spreadAvgPoints: 25, // (20 + 30 + 10 + 40) / 4
      spreadMaxPoints: 40,
      closed: true,
    });
  });

  it("lets a late tick inside the forming bar move the open but not the close", () => {
    const aggregator = new BarAggregator({ pointSize: 0.01, timeframes: ["M1"] });
    aggregator.update(makeTick({ tsMs: T0_MS + 5_000, bid: 2300 }));
    aggregator.update(makeTick({ tsMs: T0_MS + 9_000, bid: 2302 }));
    aggregator.update(makeTick({ tsMs: T0_MS + 2_000, bid: 2299 })); // arrives late, happened first
    const [bar] = aggregator.formingBars();
    expect(bar).toMatchObject({ open: 2299, close: 2302, low: 2299, high: 2302, tickCount: 3 });
  });

  it("refuses ticks for a bar that is already closed", () => {
    const aggregator = new BarAggregator({ pointSize: 0.01 });
    aggregator.update(makeTick({ tsMs: T0_MS + 59_000 }));
    aggregator.update(makeTick({ tsMs: T0_MS + 60_500 }));
    expect(aggregator.accepts(T0_MS + 59_900)).toBe(false);
    expect(aggregator.accepts(T0_MS + 60_100)).toBe(true);
  });

  it("closes bars on the clock after their period plus grace, and never reopens them", () => {
    const aggregator = new BarAggregator({ pointSize: 0.01 });
    aggregator.update(makeTick({ tsMs: T0_MS + 30_000 }));
    expect(aggregator.nextCloseMs()).toBe(T0_MS + 60_000);
    expect(aggregator.closeDue(T0_MS + 61_999, 2_000)).toEqual([]);
    const closed = aggregator.closeDue(T0_MS + 62_000, 2_000);
    expect(closed.map((b) => b.timeframe)).toEqual(["M1"]);
    expect(aggregator.accepts(T0_MS + 59_000)).toBe(false);
    const hourEnd = aggregator.closeDue(T0_MS + 3_600_000 + 2_000, 2_000);
    expect(hourEnd.map((b) => b.timeframe)).toEqual(["M5", "M15", "H1"]);
    expect(aggregator.formingBars()).toEqual([]);
  });
});

describe("higher timeframes from the real demo data", () => {
  const bars = demoBars();
  const aggregated = aggregateBars(barsToTicks(bars, XAU), { pointSize: 0.01 });
  const byTimeframe = (tf: Timeframe) => aggregated.filter((b) => b.timeframe === tf);

  it("rebuilds every M1 bar of the file exactly from the standard tick path", () => {
    const m1 = byTimeframe("M1");
    expect(m1).toHaveLength(bars.length);
    m1.forEach((bar, i) => {
      const source = bars[i];
      expect({ ts: bar.tsMs, o: bar.open, h: bar.high, l: bar.low, c: bar.close, v: bar.tickVolume, s: bar.spreadAvgPoints }).toEqual({
        ts: source?.tsMs, o: source?.open, h: source?.high, l: source?.low, c: source?.close, v: source?.tickVolume, s: source?.spreadPoints,
      });
    });
  });

  it.each(["M5", "M15", "H1"] as const)("makes %s bars equal to the aggregation of the M1 bars", (timeframe) => {
    const m1 = byTimeframe("M1");
    const groups = new Map<number, Bar[]>();
    for (const bar of m1) {
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
