/** Hand-derived values: tiny series worked out from each definition on paper, independent of the TA-Lib file. */
import { describe, expect, it } from "vitest";
import {
  AverageDirectionalIndex,
  AverageTrueRange,
  BollingerBands,
  CommodityChannelIndex,
  ExponentialMovingAverage,
  type HlcBar,
  Macd,
  NormalizedAverageTrueRange,
  RelativeStrengthIndex,
  runBatch,
  SimpleMovingAverage,
  Stochastic,
  trueRange,
  WilliamsPercentR,
} from "../../../core/indicators/index.js";

/** Digits after the point that must agree: the fractions below are exact, only float rounding is allowed. */
const DIGITS = 10;

function bar(high: number, low: number, close: number): HlcBar {
  return { high, low, close };
}

/** Asserts `undefined` exactly where expected and every number to DIGITS decimals, also inside objects. */
function expectSeries<T>(actual: (T | undefined)[], expected: (T | undefined)[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, index) => {
    const wanted = expected[index];
    if (wanted === undefined || value === undefined) {
      expect(value, `index ${index}`).toBe(wanted);
      return;
    }
    if (typeof wanted === "number") {
      expect(value, `index ${index}`).toBeCloseTo(wanted, DIGITS);
      return;
    }
    for (const [key, number] of Object.entries(wanted as Record<string, number>)) {
      expect((value as Record<string, number>)[key], `index ${index}.${key}`).toBeCloseTo(number, DIGITS);
    }
  });
}

describe("SimpleMovingAverage (hand-derived)", () => {
  it("averages the latest `period` values from index period-1", () => {
    // period 3 on 1, 2, 3, 4, 5: (1+2+3)/3 = 2, (2+3+4)/3 = 3, (3+4+5)/3 = 4
    expectSeries(runBatch(new SimpleMovingAverage({ period: 3 }), [1, 2, 3, 4, 5]), [undefined, undefined, 2, 3, 4]);
  });
});

describe("ExponentialMovingAverage (hand-derived)", () => {
  it("seeds with the SMA of the first `period` values, then uses k = 2/(period+1)", () => {
    // period 3, k = 2/4 = 0.5
    // #2 seed: (2+4+6)/3 = 4
    // #3: (8 - 4) * 0.5 + 4 = 6
    // #4: (4 - 6) * 0.5 + 6 = 5
    const values = runBatch(new ExponentialMovingAverage({ period: 3 }), [2, 4, 6, 8, 4]);
    expectSeries(values, [undefined, undefined, 4, 6, 5]);
  });
});

describe("RelativeStrengthIndex (hand-derived)", () => {
  it("seeds with the simple means of the first `period` gains and losses, then smooths Wilder's way", () => {
    // period 3 on 10, 11, 10.5, 12, 11, 11.5; changes +1, -0.5, +1.5, -1, +0.5
    // #3 seed: gain = (1 + 1.5)/3 = 2.5/3, loss = 0.5/3; RSI = 100 * 2.5 / (2.5 + 0.5) = 83.333...
    // #4 change -1: gain = (2.5/3 * 2 + 0)/3 = 5/9, loss = (0.5/3 * 2 + 1)/3 = 4/9; RSI = 100 * 5/9 = 55.555...
    // #5 change +0.5: gain = (5/9 * 2 + 0.5)/3 = 14.5/27, loss = (4/9 * 2)/3 = 8/27; RSI = 100 * 14.5/22.5 = 64.444...
    expectSeries(runBatch(new RelativeStrengthIndex({ period: 3 }), [10, 11, 10.5, 12, 11, 11.5]), [
      undefined,
      undefined,
      undefined,
      250 / 3,
      500 / 9,
      (100 * 14.5) / 22.5,
    ]);
  });

  it("is 0 on a flat series (gain + loss is 0: TA-Lib's zero rule, not 50)", () => {
    expectSeries(runBatch(new RelativeStrengthIndex({ period: 2 }), [5, 5, 5, 5]), [undefined, undefined, 0, 0]);
  });
});

describe("Macd (hand-derived)", () => {
  it("seeds the fast EMA on the slow EMA's first bar, from the last `fast` inputs, then the signal from MACD", () => {
    // fast 2 (k = 2/3), slow 3 (k = 1/2), signal 2 (k = 2/3) on 0, 6, 9, 3, 6, 12; warm-up (3-1) + (2-1) = 3
    // #2 slow seed: (0+6+9)/3 = 5; fast seed, TA-Lib style, from inputs #1..#2: (6+9)/2 = 7.5; macd = 2.5
    //    (a fast EMA seeded from inputs #0..#1 would be 3, then 3 + (9-3)*2/3 = 7 here, and macd 2)
    // #3 (3): slow = (3-5)/2 + 5 = 4; fast = (3-7.5)*2/3 + 7.5 = 4.5; macd = 0.5
    //    signal seed = (2.5 + 0.5)/2 = 1.5 (would be (2 + 1/3)/2 = 7/6 with the other fast seed); hist = -1
    // #4 (6): slow = (6-4)/2 + 4 = 5; fast = (6-4.5)*2/3 + 4.5 = 5.5; macd = 0.5
    //    signal = (0.5-1.5)*2/3 + 1.5 = 5/6; hist = 0.5 - 5/6 = -1/3
    // #5 (12): slow = (12-5)/2 + 5 = 8.5; fast = (12-5.5)*2/3 + 5.5 = 59/6; macd = 59/6 - 51/6 = 4/3
    //    signal = (4/3 - 5/6)*2/3 + 5/6 = 1/3 + 5/6 = 7/6; hist = 4/3 - 7/6 = 1/6
    const macd = new Macd({ fastPeriod: 2, slowPeriod: 3, signalPeriod: 2 });
    expect(macd.lookback).toBe(3);
    expectSeries(runBatch(macd, [0, 6, 9, 3, 6, 12]), [
      undefined,
      undefined,
      undefined,
      { macd: 0.5, signal: 1.5, hist: -1 },
      { macd: 0.5, signal: 5 / 6, hist: -1 / 3 },
      { macd: 4 / 3, signal: 7 / 6, hist: 1 / 6 },
    ]);
  });

  it("has TA-Lib's 12/26/9 warm-up of 33 bars", () => {
    expect(new Macd().lookback).toBe(33);
  });
});

/** Bars with a gap up (#2) and a gap down (#3), so every true-range leg wins once. */
const GAPPY_BARS = [bar(10, 8, 9), bar(11, 9, 10.5), bar(14, 12, 13), bar(13, 9, 10), bar(10, 8, 8.5), bar(8, 7, 7.5)];

describe("trueRange (hand-derived)", () => {
  it("takes the largest of the bar's range and the two distances to the previous close", () => {
    // #1: max(11-9, |9-11|, |9-9|) = 2; #2: max(2, |10.5-14|, |10.5-12|) = 3.5; #3: max(4, |13-13|, |13-9|) = 4
    // #4: max(2, |10-10|, |10-8|) = 2; #5: max(1, |8.5-8|, |8.5-7|) = 1.5
    const ranges = GAPPY_BARS.slice(1).map((current, index) => {
      const previous = GAPPY_BARS[index];
      if (previous === undefined) throw new Error("no previous bar");
      return trueRange(current.high, current.low, previous.close);
    });
    expect(ranges).toEqual([2, 3.5, 4, 2, 1.5]);
  });
});

describe("AverageTrueRange (hand-derived)", () => {
  it("seeds with the SMA of the true ranges of bars 1..period, then smooths Wilder's way", () => {
    // period 3, true ranges from bar 1: 2, 3.5, 4, 2, 1.5 (see trueRange above)
    // #3 seed: (2 + 3.5 + 4)/3 = 9.5/3
    // #4: (9.5/3 * 2 + 2)/3 = 25/9
    // #5: (25/9 * 2 + 1.5)/3 = 63.5/27
    expectSeries(runBatch(new AverageTrueRange({ period: 3 }), GAPPY_BARS), [
      undefined,
      undefined,
      undefined,
      9.5 / 3,
      25 / 9,
      63.5 / 27,
    ]);
  });
});

describe("NormalizedAverageTrueRange (hand-derived)", () => {
  it("is the ATR in percent of the same bar's close", () => {
    // #3: (9.5/3) / 10 * 100; #4: (25/9) / 8.5 * 100; #5: (63.5/27) / 7.5 * 100
    expectSeries(runBatch(new NormalizedAverageTrueRange({ period: 3 }), GAPPY_BARS), [
      undefined,
      undefined,
      undefined,
      (9.5 / 3 / 10) * 100,
      (25 / 9 / 8.5) * 100,
      (63.5 / 27 / 7.5) * 100,
    ]);
  });
});

describe("BollingerBands (hand-derived)", () => {
  it("puts the bands `deviations` population standard deviations around the SMA", () => {
    // period 3, 2 deviations on 1, 2, 3, 5, 5
    // #2 [1,2,3]: mean 2; variance (1+0+1)/3 = 2/3 (divide by n, not n-1); std = sqrt(2/3)
    // #3 [2,3,5]: mean 10/3; variance (4+9+25)/3 - (10/3)^2 = 114/9 - 100/9 = 14/9; std = sqrt(14)/3
    // #4 [3,5,5]: mean 13/3; variance (9+25+25)/3 - (13/3)^2 = 177/9 - 169/9 = 8/9; std = sqrt(8)/3
    const band = (mean: number, std: number) => ({ upper: mean + 2 * std, middle: mean, lower: mean - 2 * std });
    expectSeries(runBatch(new BollingerBands({ period: 3, deviations: 2 }), [1, 2, 3, 5, 5]), [
      undefined,
      undefined,
      band(2, Math.sqrt(2 / 3)),
      band(10 / 3, Math.sqrt(14) / 3),
      band(13 / 3, Math.sqrt(8) / 3),
    ]);
  });

  it("collapses onto the middle on a flat window", () => {
    expectSeries(runBatch(new BollingerBands({ period: 3 }), [7, 7, 7]), [
      undefined,
      undefined,
      { upper: 7, middle: 7, lower: 7 },
    ]);
  });
});

/** Six bars for the range indicators: highs 10 11 12 12 13 13, lows 8 9 9 10 11 12, closes 9 10 11 10 13 12. */
const RANGE_BARS = [bar(10, 8, 9), bar(11, 9, 10), bar(12, 9, 11), bar(12, 10, 10), bar(13, 11, 13), bar(13, 12, 12)];

describe("Stochastic (hand-derived)", () => {
  it("smooths the fast %K into the slow %K and the slow %K into the slow %D", () => {
    // fast %K 3, slow %K 2, slow %D 2; warm-up (3-1) + (2-1) + (2-1) = 4
    // fast %K = (close - lowest low) / (highest high - lowest low) * 100 over 3 bars:
    //   #2: (11-8)/(12-8) = 75; #3: (10-9)/(12-9) = 33.33; #4: (13-9)/(13-9) = 100; #5: (12-10)/(13-10) = 66.67
    // slow %K = SMA2: #3 (75 + 100/3)/2 = 325/6; #4 (100/3 + 100)/2 = 200/3; #5 (100 + 200/3)/2 = 250/3
    // slow %D = SMA2 of slow %K: #4 (325/6 + 200/3)/2 = 725/12; #5 (200/3 + 250/3)/2 = 75
    const stoch = new Stochastic({ fastKPeriod: 3, slowKPeriod: 2, slowDPeriod: 2 });
    expect(stoch.lookback).toBe(4);
    expectSeries(runBatch(stoch, RANGE_BARS), [
      undefined,
      undefined,
      undefined,
      undefined,
      { k: 200 / 3, d: 725 / 12 },
      { k: 250 / 3, d: 75 },
    ]);
  });

  it("reads 0 when the high/low range is empty (TA-Lib's rule)", () => {
    const flat = [bar(5, 5, 5), bar(5, 5, 5), bar(5, 5, 5)];
    expectSeries(runBatch(new Stochastic({ fastKPeriod: 2, slowKPeriod: 1, slowDPeriod: 1 }), flat), [
      undefined,
      { k: 0, d: 0 },
      { k: 0, d: 0 },
    ]);
  });
});

describe("WilliamsPercentR (hand-derived)", () => {
  it("places the close in the high/low range from 0 (at the high) to -100 (at the low)", () => {
    // period 3: %R = (highest high - close) / (highest high - lowest low) * -100
    //   #2: (12-11)/(12-8) = -25; #3: (12-10)/(12-9) = -66.67; #4: (13-13)/(13-9) = -0; #5: (13-12)/(13-10) = -33.33
    const values = runBatch(new WilliamsPercentR({ period: 3 }), RANGE_BARS);
    expectSeries(values, [undefined, undefined, -25, -200 / 3, 0, -100 / 3]);
    expect(Object.is(values[4], -0)).toBe(true);
  });

  it("reads 0 when the high/low range is empty", () => {
    expectSeries(runBatch(new WilliamsPercentR({ period: 2 }), [bar(5, 5, 5), bar(5, 5, 5)]), [undefined, 0]);
  });
});

describe("CommodityChannelIndex (hand-derived)", () => {
  it("divides the typical price's distance from its mean by 0.015 mean deviations", () => {
    // period 3; typical prices (h+l+c)/3: 10, 12, 14, 12, 16
    // #2 [10,12,14]: mean 12; mean deviation (2+0+2)/3 = 4/3; CCI = (14-12) / (0.015 * 4/3) = 2/0.02 = 100
    // #3 [12,14,12]: mean 38/3; deviations 2/3, 4/3, 2/3 -> 8/9; CCI = (12 - 38/3) / (0.015 * 8/9) = -50
    // #4 [14,12,16]: mean 14; mean deviation (0+2+2)/3 = 4/3; CCI = (16-14) / 0.02 = 100
    const bars = [bar(11, 9, 10), bar(13, 11, 12), bar(15, 13, 14), bar(13, 11, 12), bar(18, 14, 16)];
    expectSeries(runBatch(new CommodityChannelIndex({ period: 3 }), bars), [undefined, undefined, 100, -50, 100]);
  });

  it("reads 0 on a flat window", () => {
    const flat = [bar(5, 5, 5), bar(5, 5, 5), bar(5, 5, 5)];
    expectSeries(runBatch(new CommodityChannelIndex({ period: 3 }), flat), [undefined, undefined, 0]);
  });
});

describe("AverageDirectionalIndex (hand-derived)", () => {
  it("averages the first `period` DX into the first ADX, then smooths Wilder's way", () => {
    // period 3; warm-up 2*3 - 1 = 5. Per bar from #1: up = high - previous high, down = previous low - low;
    // only the larger positive move counts (+DM1 or -DM1); TR1 is the true range.
    //   #1 (11,9,10):  up 1, down -1 -> +DM 1; TR max(2, |9-11|, |9-9|) = 2
    //   #2 (12,10,11): up 1, down -1 -> +DM 1; TR 2
    // Bars 1..period-1 are summed: +DM 2, -DM 0, TR 4.
    // From #3 on: sum = sum - sum/3 + today; DI = 100 * DM / TR; DX = 100 * |+DI - -DI| / (+DI + -DI)
    //   #3 (11,8,9):   up -1, down 2 -> -DM 2; TR max(3, |11-11|, |11-8|) = 3
    //       +DM 2 - 2/3 = 4/3; -DM 0 + 2 = 2; TR 4 - 4/3 + 3 = 17/3
    //       +DI 400/17, -DI 600/17; DX = 100 * 200/1000 = 20
    //   #4 (12,9,11):  up 1, down -1 -> +DM 1; TR max(3, |9-12|, |9-9|) = 3
    //       +DM 4/3 - 4/9 + 1 = 17/9; -DM 2 - 2/3 = 12/9; TR 17/3 - 17/9 + 3 = 61/9
    //       +DI 1700/61, -DI 1200/61; DX = 100 * 500/2900 = 500/29
    //   #5 (14,11,13): up 2, down -2 -> +DM 2; TR max(3, |11-14|, |11-11|) = 3
    //       +DM 17/9 - 17/27 + 2 = 88/27; -DM 12/9 - 4/9 = 24/27; TR 61/9 - 61/27 + 3 = 203/27
    //       +DI 8800/203, -DI 2400/203; DX = 100 * 64/112 = 400/7
    //       first ADX = (20 + 500/29 + 400/7)/3 = (4060 + 3500 + 11600)/203/3 = 19160/609
    //   #6 (13,10,10.5): up -1, down 1 -> -DM 1; TR max(3, |13-13|, |13-10|) = 3
    //       +DM 88/27 - 88/81 = 176/81; -DM 24/27 - 8/27 + 1 = 129/81; TR 203/27 - 203/81 + 3 = 649/81
    //       +DI 17600/649, -DI 12900/649; DX = 100 * 47/305 = 940/61
    //       ADX = (19160/609 * 2 + 940/61)/3 = (2337520 + 572460)/37149/3 = 2909980/111447
    const adxBars = [
      bar(10, 8, 9),
      bar(11, 9, 10),
      bar(12, 10, 11),
      bar(11, 8, 9),
      bar(12, 9, 11),
      bar(14, 11, 13),
      bar(13, 10, 10.5),
    ];
    const adx = new AverageDirectionalIndex({ period: 3 });
    expect(adx.lookback).toBe(5);
    expectSeries(runBatch(adx, adxBars), [
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      { adx: 19160 / 609, plusDi: 8800 / 203, minusDi: 2400 / 203 },
      { adx: 2909980 / 111447, plusDi: 17600 / 649, minusDi: 12900 / 649 },
    ]);
  });

  it("counts a DX it cannot compute (true range 0) as 0 in the first ADX, with both DI at 0", () => {
    // identical bars: every TR1 and DM1 is 0, so the smoothed TR stays 0 and TA-Lib skips each DX
    const flat = Array.from({ length: 4 }, () => bar(5, 5, 5));
    expectSeries(runBatch(new AverageDirectionalIndex({ period: 2 }), flat), [
      undefined,
      undefined,
      undefined,
      { adx: 0, plusDi: 0, minusDi: 0 },
    ]);
  });

  it("has TA-Lib's 14-bar warm-up of 27 bars", () => {
    expect(new AverageDirectionalIndex().lookback).toBe(27);
  });
});
