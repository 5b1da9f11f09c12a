/** Regime detector: the percentile rank, warm-up, constructed volatile/trending/ranging markets, the real demo file, snapshots. */
import { describe, expect, it } from "vitest";
import { AverageDirectionalIndex, AverageTrueRange, runBatch } from "../../../core/indicators/index.js";
import type { Bar } from "../../../core/market/bar.js";
import { type RegimeConfig, RegimeConfigSchema } from "../../../core/schemas/trading.js";
import {
  percentileRank,
  REGIME_MIN_WINDOW_VALUES,
  RegimeDetector,
  type RegimeReading,
} from "../../../core/strategy/index.js";
import { demoBars } from "../../support/node/demo-data.js";
import { barFromSource, barsFromMoves, makeBar, roundTrip } from "./bar-builders.js";

/** Period 5 warms the ADX up in 10 bars; a 60-bar window lets each phase below fill most of it. */
const SMALL: RegimeConfig = RegimeConfigSchema.parse({ period: 5, windowBars: 60 });

/** A mean-reverting four-bar zig-zag (net move 0) whose highs and lows differ, so +DM and −DM both occur. */
function chop(bars: number, scale = 1): number[] {
  const pattern = [0.4, -0.6, 0.3, -0.1];
  return Array.from({ length: bars }, (_, index) => pattern[index % pattern.length]! * scale);
}

/**
 * A calm range: bars alternately up and down 0.4 around 2300, so +DM and −DM cancel (DX 0), with wicks narrowing
 * from 0.3 by 0.001 a bar so the ATR drifts down and never ties at the top of its window.
 */
function narrowingZigZag(bars: number): Bar[] {
  return Array.from({ length: bars }, (_, index) => {
    const [open, close] = index % 2 === 0 ? [2300, 2300.4] : [2300.4, 2300];
    const wick = 0.3 - index * 0.001;
    return makeBar({ tsMs: makeBar().tsMs + index * 60_000, open, close, high: Math.max(open, close) + wick, low: Math.min(open, close) - wick });
  });
}

/** Feeds `bars` and returns the reading after each. */
function readings(detector: RegimeDetector, bars: readonly Bar[]): RegimeReading[] {
  return bars.map((bar) => {
    detector.update(bar);
    return detector.reading();
  });
}

/** Joins phases of moves into one continuous series, each phase with its own wick. */
function phases(...parts: { moves: number[]; wick: number }[]): Bar[] {
  const bars: Bar[] = [];
  let price = 2300;
  for (const { moves, wick } of parts) {
    const phase = barsFromMoves(moves, { startPrice: price, wick, startMs: makeBar().tsMs + bars.length * 60_000 });
    bars.push(...phase);
    price = phase.at(-1)!.close;
  }
  return bars;
}

describe("percentileRank", () => {
  it("is the fraction of the values that are at or below the value", () => {
    expect(percentileRank([3, 1, 2, 2], 2)).toBe(0.75);
    expect(percentileRank([3, 1, 2, 2], 3)).toBe(1);
    expect(percentileRank([3, 1, 2, 2], 1)).toBe(0.25);
    expect(percentileRank([3, 1, 2, 2], 0.5)).toBe(0);
    expect(percentileRank([7, 7, 7, 7, 7], 7)).toBe(1);
  });

  it("counts only the first `count` entries, whatever their order", () => {
    expect(percentileRank(new Float64Array([5, 9, 0, 0]), 9, 2)).toBe(1);
    expect(percentileRank(new Float64Array([5, 9, 0, 0]), 5, 2)).toBe(0.5);
  });

  it("refuses an empty or oversized count", () => {
    expect(() => percentileRank([1, 2], 1, 0)).toThrow(RangeError);
    expect(() => percentileRank([1, 2], 1, 3)).toThrow(RangeError);
    expect(() => percentileRank([], 1)).toThrow(RangeError);
  });
});

describe("RegimeDetector on constructed markets", () => {
  it("is unknown until the ADX is ready and 20 ATR/ADX pairs are in the window", () => {
    const detector = new RegimeDetector(SMALL);
    const seen = readings(detector, phases({ moves: chop(40), wick: 0.25 }));
    // The ADX(5) is first defined on bar 9 (2 * period - 1), so the 20th pair arrives on bar 28.
    const firstKnown = 2 * SMALL.period - 1 + REGIME_MIN_WINDOW_VALUES - 1;
    expect(seen.findIndex((reading) => reading.regime !== "unknown")).toBe(firstKnown);
    expect(seen[firstKnown - 1]).toEqual({
      regime: "unknown",
      atr: null,
      adx: null,
      atrPercentileRank: null,
      adxPercentileRank: null,
      windowValues: REGIME_MIN_WINDOW_VALUES - 1,
    });
    expect(seen[8]!.windowValues).toBe(0);
    expect(seen[firstKnown]!.windowValues).toBe(REGIME_MIN_WINDOW_VALUES);
    expect(seen.at(-1)!.windowValues).toBe(40 - 9);
    expect(new RegimeDetector(SMALL).current()).toBe("unknown");
  });

  it("turns a calm market volatile on the first bar whose ATR tops the window", () => {
    const detector = new RegimeDetector(SMALL);
    const calm = readings(detector, narrowingZigZag(120));
    expect(calm.at(-1)!.regime).toBe("ranging");
    const storm = readings(detector, barsFromMoves([5, -6, 4], { startPrice: 2300, wick: 1, startMs: makeBar().tsMs + 120 * 60_000 }));
    expect(storm.map((reading) => reading.regime)).toEqual(["volatile", "volatile", "volatile"]);
    expect(storm[0]!.atrPercentileRank).toBe(1);
    expect(detector.current()).toBe("volatile");
  });

  it("calls a strong steady trend after a wider-ranging chop trending", () => {
    const detector = new RegimeDetector(SMALL);
    const seen = readings(detector, phases({ moves: chop(80, 2.5), wick: 0.25 }, { moves: new Array(60).fill(0.5), wick: 0.1 }));
    expect(seen[79]!.regime).toBe("ranging");
    const last = seen.at(-1)!;
    expect(last.regime).toBe("trending");
    expect(last.adx!).toBeGreaterThan(90);
    expect(last.adxPercentileRank!).toBeGreaterThanOrEqual(SMALL.trendingAdxPercentile);
    expect(last.atrPercentileRank!).toBeLessThan(SMALL.volatileAtrPercentile);
    // Trending holds from a few bars into the trend to its end.
    expect(seen.slice(90).every((reading) => reading.regime === "trending")).toBe(true);
  });

  it("calls a choppy range ranging: an even zig-zag has ADX 0, which ranks 1 but stays below minTrendAdx", () => {
    const seen = readings(new RegimeDetector(SMALL), narrowingZigZag(200));
    const known = seen.slice(2 * SMALL.period - 1 + REGIME_MIN_WINDOW_VALUES - 1);
    expect(known.every((reading) => reading.regime === "ranging")).toBe(true);
    expect(known.every((reading) => reading.adx === 0 && reading.adxPercentileRank === 1)).toBe(true);
    expect(known.every((reading) => reading.atrPercentileRank! < SMALL.volatileAtrPercentile)).toBe(true);
    // Only the floor kept it from trending: with minTrendAdx 0 the same bars read as trending.
    const noFloor = readings(new RegimeDetector({ ...SMALL, minTrendAdx: 0 }), narrowingZigZag(200));
    expect(noFloor.at(-1)!.regime).toBe("trending");
  });

  it("calls the range that follows a trend ranging once the ADX has fallen to the bottom of the window", () => {
    const seen = readings(
      new RegimeDetector(SMALL),
      phases({ moves: new Array(80).fill(1.5), wick: 0.25 }, { moves: chop(60), wick: 0.25 }),
    );
    const last = seen.at(-1)!;
    expect(last.regime).toBe("ranging");
    expect(last.adxPercentileRank!).toBeLessThan(SMALL.trendingAdxPercentile);
  });

  it("ranks a window of identical ATRs at 1, so a perfectly even market reads volatile (ties count as at-or-below)", () => {
    const even = readings(new RegimeDetector(SMALL), phases({ moves: Array.from({ length: 60 }, (_, i) => (i % 2 ? -1 : 1)), wick: 0.5 }));
    expect(even.at(-1)).toMatchObject({ regime: "volatile", atr: 2, atrPercentileRank: 1 });
  });

  it("refuses a non-finite bar without changing its state, and a window out of range", () => {
    const detector = new RegimeDetector(SMALL);
    readings(detector, phases({ moves: chop(30), wick: 0.25 }));
    const before = detector.snapshot();
    expect(() => detector.update(makeBar({ low: Number.NaN }))).toThrow(RangeError);
    expect(detector.snapshot()).toEqual(before);
    expect(() => new RegimeDetector({ ...SMALL, windowBars: 19 })).toThrow(RangeError);
    expect(() => new RegimeDetector({ ...SMALL, windowBars: 30.5 })).toThrow(RangeError);
    expect(() => new RegimeDetector({ ...SMALL, period: 1 })).toThrow(RangeError);
  });
});

describe("RegimeDetector snapshots", () => {
  const bars = phases({ moves: chop(100, 2), wick: 0.25 }, { moves: new Array(50).fill(0.4), wick: 0.1 }, { moves: chop(60), wick: 0.5 });

  it("resumes from a JSON snapshot at any point (window empty, filling, full and wrapped) exactly as an uninterrupted run", () => {
    const whole = new RegimeDetector(SMALL);
    const expected = readings(whole, bars);
    for (const cut of [0, 5, 9, 30, 68, 69, 70, 150, bars.length]) {
      const first = new RegimeDetector(SMALL);
      readings(first, bars.slice(0, cut));
      const resumed = new RegimeDetector(SMALL, roundTrip(first.snapshot()));
      expect(resumed.reading()).toEqual(cut === 0 ? new RegimeDetector(SMALL).reading() : expected[cut - 1]);
      expect(readings(resumed, bars.slice(cut))).toEqual(expected.slice(cut));
      expect(resumed.snapshot()).toEqual(whole.snapshot());
    }
  });

  it("stores the window oldest first, no longer than it is filled", () => {
    const detector = new RegimeDetector(SMALL);
    readings(detector, bars.slice(0, 30));
    const state = detector.snapshot();
    expect(state.atrWindow).toHaveLength(30 - 9);
    expect(state.atrWindow.at(-1)).toBe(detector.reading().atr);
    expect(state.adxWindow.at(-1)).toBe(detector.reading().adx);
  });

  it("refuses snapshots that do not fit and keeps its state", () => {
    const detector = new RegimeDetector(SMALL);
    readings(detector, bars.slice(0, 90));
    const good = detector.snapshot();
    const bad: unknown[] = [
      undefined,
      null,
      42,
      { ...good, kind: "ema-cross" },
      { ...good, period: 6 },
      { ...good, windowBars: 61 },
      { ...good, atr: "x" },
      { ...good, adx: { ...good.adx, adx: null } },
      { ...good, atrWindow: good.atrWindow.slice(1) },
      { ...good, atrWindow: [...good.atrWindow.slice(0, -1), good.atrWindow.at(-1)! + 1] },
      { ...good, adxWindow: [...good.adxWindow.slice(0, -1), "1"] },
      { ...good, atrWindow: new Array(61).fill(1), adxWindow: new Array(61).fill(1) },
      new RegimeDetector({ ...SMALL, windowBars: 61 }).snapshot(),
    ];
    for (const state of bad) {
      expect(() => detector.restore(state)).toThrow(RangeError);
      expect(detector.snapshot()).toEqual(good);
    }
  });
});

describe("RegimeDetector on the real XAUUSD M1 demo file", () => {
  const bars = demoBars().map(barFromSource);
  const config = RegimeConfigSchema.parse({});

  it("gives at every sampled bar the regime worked out by brute force from the batch ATR and ADX arrays", () => {
    const atr = runBatch(new AverageTrueRange({ period: config.period }), bars);
    const adx = runBatch(new AverageDirectionalIndex({ period: config.period }), bars).map((value) => value?.adx);
    const pairIndices = bars.map((_, index) => index).filter((index) => adx[index] !== undefined);
    expect(pairIndices[0]).toBe(2 * config.period - 1);

    const expectedAt = (index: number): RegimeReading => {
      const held = pairIndices.filter((pair) => pair <= index).slice(-config.windowBars);
      if (held.length < REGIME_MIN_WINDOW_VALUES) {
        return { regime: "unknown", atr: null, adx: null, atrPercentileRank: null, adxPercentileRank: null, windowValues: held.length };
      }
      const latestAtr = atr[index]!;
      const latestAdx = adx[index]!;
      const atrRank = held.filter((pair) => atr[pair]! <= latestAtr).length / held.length;
      const adxRank = held.filter((pair) => adx[pair]! <= latestAdx).length / held.length;
      const regime =
        atrRank >= config.volatileAtrPercentile
          ? "volatile"
          : adxRank >= config.trendingAdxPercentile && latestAdx >= config.minTrendAdx
            ? "trending"
            : "ranging";
      return { regime, atr: latestAtr, adx: latestAdx, atrPercentileRank: atrRank, adxPercentileRank: adxRank, windowValues: held.length };
    };

    const detector = new RegimeDetector(config);
    const sampled = new Set([0, 26, 27, 45, 46, 47, 1_466, 1_467, 1_468]);
    for (let index = 0; index < bars.length; index += 251) sampled.add(index);
    const counts = { trending: 0, ranging: 0, volatile: 0, unknown: 0 };
    bars.forEach((bar, index) => {
      detector.update(bar);
      if (!sampled.has(index)) return;
      const reading = detector.reading();
      expect(reading).toEqual(expectedAt(index));
      counts[reading.regime] += 1;
    });
    // The file shows every regime; unknown only at the start.
    expect(counts.trending).toBeGreaterThan(10);
    expect(counts.ranging).toBeGreaterThan(10);
    expect(counts.volatile).toBeGreaterThan(10);
    expect(counts.unknown).toBe(4);
  });

  it("resumes mid-file from a JSON snapshot with the regimes of an uninterrupted run", () => {
    const cut = 40_000;
    const whole = new RegimeDetector(config);
    const first = new RegimeDetector(config);
    const expected: string[] = [];
    bars.forEach((bar, index) => {
      whole.update(bar);
      if (index < cut) first.update(bar);
      if (index >= cut && index % 7 === 0) expected.push(whole.current());
    });
    const resumed = new RegimeDetector(config, roundTrip(first.snapshot()));
    const got: string[] = [];
    bars.slice(cut).forEach((bar, offset) => {
      resumed.update(bar);
      if ((cut + offset) % 7 === 0) got.push(resumed.current());
    });
    expect(got).toEqual(expected);
    expect(resumed.snapshot()).toEqual(whole.snapshot());
  });
});
