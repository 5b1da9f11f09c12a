/** EMA-cross strategy: hand-built crosses, touches and warm-up, TA-Lib indicator values, and every cross of the real demo file. */
import { describe, expect, it } from "vitest";
import {
  AverageTrueRange,
  ExponentialMovingAverage,
  runBatch,
} from "../../../core/indicators/index.js";
import type { Bar } from "../../../core/market/bar.js";
import { EmaCrossConfigSchema } from "../../../core/schemas/trading.js";
import { type EmaCrossConfig, EmaCrossStrategy } from "../../../core/strategy/index.js";
import { demoBars } from "../../support/node/demo-data.js";
import { barFromSource, barsFromCloses, barsFromMoves, makeBar, roundTrip } from "./bar-builders.js";

/** Periods 3 and 7 weigh the newest close by 1/2 and 1/4: every EMA below is exact in binary floating point. */
const DYADIC: EmaCrossConfig = { kind: "ema-cross", fastPeriod: 3, slowPeriod: 7, atrPeriod: 3 };
const EIGHTS = [8, 8, 8, 8, 8, 8, 8];

/** The strategy's cross after each bar. */
function crosses(strategy: EmaCrossStrategy, bars: readonly Bar[]): (string | null)[] {
  return bars.map((bar) => {
    strategy.update(bar);
    return strategy.cross();
  });
}

describe("EmaCrossStrategy on hand-built closes", () => {
  it("buys on the bar the fast EMA rises above the slow one, and sells on the bar it falls below", () => {
    const strategy = new EmaCrossStrategy(DYADIC);
    const signals = crosses(strategy, barsFromCloses([...EIGHTS, 16, 4]));
    // After 16: fast 12, slow 10 (up from 8 = 8); after 4: fast 8 < slow 8.5 (down from 12 > 10).
    expect(signals).toEqual([null, null, null, null, null, null, null, "buy", "sell"]);
    expect([strategy.fastEma(), strategy.slowEma()]).toEqual([8, 8.5]);
  });

  it("never reports a cross that happened during the warm-up", () => {
    // Rising closes: the fast EMA is above the slow one from the first bar both exist, so nothing ever crosses.
    const rising = Array.from({ length: 40 }, (_, index) => 100 + index);
    expect(crosses(new EmaCrossStrategy(DYADIC), barsFromCloses(rising)).every((signal) => signal === null)).toBe(true);
    // Bar 6 is the first with a slow EMA, so bar 7 (slowPeriod) is the first that can signal, as above.
    const strategy = new EmaCrossStrategy(DYADIC);
    crosses(strategy, barsFromCloses(EIGHTS.slice(0, 6)));
    expect(strategy.slowEma()).toBeUndefined();
    expect(strategy.fastEma()).toBe(8);
  });

  it("counts equal EMAs as at-or-below for a buy and at-or-above for a sell, so a touch never signals itself", () => {
    // Up to fast 12 / slow 10, then a close of 6 brings both to exactly 9 (a touch from above): no sell.
    const touch = [...EIGHTS, 16, 6];
    const touched = new EmaCrossStrategy(DYADIC);
    expect(crosses(touched, barsFromCloses(touch)).slice(7)).toEqual(["buy", null]);
    expect([touched.fastEma(), touched.slowEma()]).toEqual([9, 9]);
    // Leaving the touch upwards is a buy (the touch was at-or-below), downwards a sell (it was at-or-above).
    expect(crosses(new EmaCrossStrategy(DYADIC), barsFromCloses([...touch, 10])).slice(7)).toEqual(["buy", null, "buy"]);
    expect(crosses(new EmaCrossStrategy(DYADIC), barsFromCloses([...touch, 8])).slice(7)).toEqual(["buy", null, "sell"]);
    // Below → equal → above: one sell, silence on the touch, one buy when it leaves upwards.
    expect(crosses(new EmaCrossStrategy(DYADIC), barsFromCloses([...EIGHTS, 0, 10, 12])).slice(7)).toEqual(["sell", null, "buy"]);
    // EMAs that stay equal never signal.
    expect(crosses(new EmaCrossStrategy(DYADIC), barsFromCloses(new Array(30).fill(8))).every((s) => s === null)).toBe(true);
  });

  it("gives the EMAs and the ATR of core/indicators fed the same bars", () => {
    const bars = barsFromMoves([1, -2, 0.5, 3, -1, -1, 2, 0.25, -0.75, 4, -3, 1, 1, -2], { wick: 0.3 });
    const strategy = new EmaCrossStrategy(DYADIC);
    const seen = bars.map((bar) => {
      strategy.update(bar);
      return [strategy.fastEma(), strategy.slowEma(), strategy.atr()];
    });
    const closes = bars.map((bar) => bar.close);
    const fast = runBatch(new ExponentialMovingAverage({ period: 3 }), closes);
    const slow = runBatch(new ExponentialMovingAverage({ period: 7 }), closes);
    const atr = runBatch(new AverageTrueRange({ period: 3 }), bars);
    expect(seen).toEqual(bars.map((_, index) => [fast[index], slow[index], atr[index]]));
    expect(atr[2]).toBeUndefined();
    expect(atr[3]).toBeDefined();
  });

  it("refuses a non-finite bar without changing its state", () => {
    const strategy = new EmaCrossStrategy(DYADIC);
    crosses(strategy, barsFromCloses([...EIGHTS, 16]));
    const before = strategy.snapshot();
    expect(() => strategy.update(makeBar({ close: Number.NaN }))).toThrow(RangeError);
    expect(() => strategy.update(makeBar({ high: Number.POSITIVE_INFINITY }))).toThrow(RangeError);
    expect(strategy.snapshot()).toEqual(before);
    expect(strategy.cross()).toBe("buy");
  });

  it("refuses a fast period that is not below the slow one", () => {
    expect(() => new EmaCrossStrategy({ ...DYADIC, fastPeriod: 7 })).toThrow(RangeError);
  });
});

describe("EmaCrossStrategy snapshots", () => {
  const bars = barsFromMoves(Array.from({ length: 80 }, (_, index) => Math.sin(index / 4) * 2), { wick: 0.2 });

  it("resumes from a JSON snapshot taken at any bar with exactly the signals and values of an uninterrupted run", () => {
    const whole = new EmaCrossStrategy(DYADIC);
    const expected = crosses(whole, bars);
    expect(expected.filter((signal) => signal !== null).length).toBeGreaterThan(4);
    for (const cut of [0, 6, 7, 8, 40, 79]) {
      const first = new EmaCrossStrategy(DYADIC);
      const head = crosses(first, bars.slice(0, cut));
      const resumed = new EmaCrossStrategy(DYADIC, roundTrip(first.snapshot()));
      expect([...head, ...crosses(resumed, bars.slice(cut))]).toEqual(expected);
      expect(resumed.snapshot()).toEqual(whole.snapshot());
    }
  });

  it("refuses snapshots of another kind, other periods or a malformed shape, and keeps its state", () => {
    const strategy = new EmaCrossStrategy(DYADIC);
    crosses(strategy, bars.slice(0, 20));
    const good = strategy.snapshot();
    const fresh = new EmaCrossStrategy(DYADIC).snapshot();
    const bad: unknown[] = [
      null,
      [],
      "ema-cross",
      { ...good, kind: "model" },
      { ...good, slowPeriod: 8 },
      { ...good, atr: null },
      { ...good, fast: { ...good.fast, current: "9" } },
      { ...good, previousFast: Number.NaN },
      { ...fresh, previousFast: 8 },
      new EmaCrossStrategy({ ...DYADIC, fastPeriod: 2 }).snapshot(),
    ];
    for (const state of bad) {
      expect(() => strategy.restore(state)).toThrow(RangeError);
      expect(strategy.snapshot()).toEqual(good);
    }
  });
});

describe("EmaCrossStrategy on the real XAUUSD M1 demo file", () => {
  const bars = demoBars().map(barFromSource);
  const config = EmaCrossConfigSchema.parse({ kind: "ema-cross" });

  /** Crosses found independently from the batch EMA arrays of core/indicators, as "index:side". */
  function batchCrosses(fastPeriod: number, slowPeriod: number): string[] {
    const closes = bars.map((bar) => bar.close);
    const fast = runBatch(new ExponentialMovingAverage({ period: fastPeriod }), closes);
    const slow = runBatch(new ExponentialMovingAverage({ period: slowPeriod }), closes);
    const found: string[] = [];
    for (let index = 1; index < closes.length; index += 1) {
      const [f, s, pf, ps] = [fast[index], slow[index], fast[index - 1], slow[index - 1]];
      if (f === undefined || s === undefined || pf === undefined || ps === undefined) continue;
      if (f > s && pf <= ps) found.push(`${index}:buy`);
      if (f < s && pf >= ps) found.push(`${index}:sell`);
    }
    return found;
  }

  function streamedCrosses(strategy: EmaCrossStrategy, from: number, to: number): string[] {
    const found: string[] = [];
    for (let index = from; index < to; index += 1) {
      strategy.update(bars[index]!);
      const side = strategy.cross();
      if (side !== null) found.push(`${index}:${side}`);
    }
    return found;
  }

  it("finds exactly the crosses of the batch EMA arrays over the whole file (12/26)", () => {
    expect(bars.length).toBe(63_230);
    const expected = batchCrosses(config.fastPeriod, config.slowPeriod);
    expect(expected.length).toBeGreaterThan(1_000);
    expect(streamedCrosses(new EmaCrossStrategy(config), 0, bars.length)).toEqual(expected);
  });

  it("finds exactly the batch crosses for other periods too (5/20)", () => {
    const other = { ...config, fastPeriod: 5, slowPeriod: 20 };
    expect(streamedCrosses(new EmaCrossStrategy(other), 0, bars.length)).toEqual(batchCrosses(5, 20));
  });

  it("keeps the EMAs and the ATR equal to core/indicators' over the whole file", () => {
    const strategy = new EmaCrossStrategy(config);
    const atr = runBatch(new AverageTrueRange({ period: config.atrPeriod }), bars);
    const slow = runBatch(new ExponentialMovingAverage({ period: config.slowPeriod }), bars.map((bar) => bar.close));
    const mismatches = bars.filter((bar, index) => {
      strategy.update(bar);
      return strategy.atr() !== atr[index] || strategy.slowEma() !== slow[index];
    });
    expect(mismatches).toEqual([]);
  });

  it("gives the same signals after a mid-stream JSON snapshot and restore as without one", () => {
    const cut = 31_615;
    const whole = streamedCrosses(new EmaCrossStrategy(config), 0, bars.length);
    const first = new EmaCrossStrategy(config);
    const head = streamedCrosses(first, 0, cut);
    const resumed = new EmaCrossStrategy(config);
    resumed.restore(roundTrip(first.snapshot()));
    expect([...head, ...streamedCrosses(resumed, cut, bars.length)]).toEqual(whole);
  });
});
