/** Golden test: every indicator against TA-Lib 0.4.0's own outputs on 63,230 XAUUSD M1 bars. */
import { describe, expect, it } from "vitest";
import {
  AverageDirectionalIndex,
  AverageTrueRange,
  BollingerBands,
  CommodityChannelIndex,
  ExponentialMovingAverage,
  Macd,
  NormalizedAverageTrueRange,
  RelativeStrengthIndex,
  runBatch,
  SimpleMovingAverage,
  Stochastic,
  WilliamsPercentR,
} from "../../../core/indicators/index.js";
import { loadBars, loadReference, printsAsTaLib, REFERENCE_COLUMNS, withinTolerance, type ReferenceColumn } from "./reference-data.js";

interface ColumnRun {
  /** Our warm-up: the `lookback` the indicator announces. */
  readonly lookback: number;
  readonly values: (number | undefined)[];
}

function field<T>(values: (T | undefined)[], read: (value: T) => number): (number | undefined)[] {
  return values.map((value) => (value === undefined ? undefined : read(value)));
}

function runAll(): Record<ReferenceColumn, ColumnRun> {
  const bars = loadBars();
  const closes = bars.map((bar) => bar.close);
  const sma = new SimpleMovingAverage({ period: 20 });
  const ema = new ExponentialMovingAverage({ period: 20 });
  const rsi = new RelativeStrengthIndex({ period: 14 });
  const macd = new Macd({ fastPeriod: 12, slowPeriod: 26, signalPeriod: 9 });
  const atr = new AverageTrueRange({ period: 14 });
  const bands = new BollingerBands({ period: 20, deviations: 2 });
  const stoch = new Stochastic({ fastKPeriod: 14, slowKPeriod: 3, slowDPeriod: 3 });
  const adx = new AverageDirectionalIndex({ period: 14 });
  const cci = new CommodityChannelIndex({ period: 20 });
  const willr = new WilliamsPercentR({ period: 14 });
  const natr = new NormalizedAverageTrueRange({ period: 14 });
  const macdValues = runBatch(macd, closes);
  const bandValues = runBatch(bands, closes);
  const stochValues = runBatch(stoch, bars);
  return {
    sma20: { lookback: sma.lookback, values: runBatch(sma, closes) },
    ema20: { lookback: ema.lookback, values: runBatch(ema, closes) },
    rsi14: { lookback: rsi.lookback, values: runBatch(rsi, closes) },
    macd: { lookback: macd.lookback, values: field(macdValues, (value) => value.macd) },
    macd_signal: { lookback: macd.lookback, values: field(macdValues, (value) => value.signal) },
    macd_hist: { lookback: macd.lookback, values: field(macdValues, (value) => value.hist) },
    atr14: { lookback: atr.lookback, values: runBatch(atr, bars) },
    bb_upper: { lookback: bands.lookback, values: field(bandValues, (value) => value.upper) },
    bb_middle: { lookback: bands.lookback, values: field(bandValues, (value) => value.middle) },
    bb_lower: { lookback: bands.lookback, values: field(bandValues, (value) => value.lower) },
    stoch_k: { lookback: stoch.lookback, values: field(stochValues, (value) => value.k) },
    stoch_d: { lookback: stoch.lookback, values: field(stochValues, (value) => value.d) },
    adx14: { lookback: adx.lookback, values: field(runBatch(adx, bars), (value) => value.adx) },
    cci20: { lookback: cci.lookback, values: runBatch(cci, bars) },
    willr14: { lookback: willr.lookback, values: runBatch(willr, bars) },
    natr14: { lookback: natr.lookback, values: runBatch(natr, bars) },
  };
}

/** TA-Lib's first defined index of each column, read off the reference file and checked against its lookbacks. */
const TALIB_FIRST_INDEX: Record<ReferenceColumn, number> = {
  sma20: 19,
  ema20: 19,
  rsi14: 14,
  macd: 33,
  macd_signal: 33,
  macd_hist: 33,
  atr14: 14,
  bb_upper: 19,
  bb_middle: 19,
  bb_lower: 19,
  stoch_k: 17,
  stoch_d: 17,
  adx14: 27,
  cci20: 19,
  willr14: 13,
  natr14: 14,
};

describe("TA-Lib 0.4.0 golden values on XAUUSD M1 (2026-03-24 to 2026-05-28)", () => {
  const bars = loadBars();
  const reference = loadReference();
  const ours = runAll();

  it("reads the bars and the reference row for row", () => {
    expect(bars).toHaveLength(63_230);
    expect(reference.times).toEqual(bars.map((bar) => bar.time));
  });

  it.each(REFERENCE_COLUMNS)("%s: warm-up ends on TA-Lib's first defined bar", (column) => {
    const talib = reference.columns[column];
    const { lookback, values } = ours[column];
    const talibFirst = talib.findIndex((value) => value !== undefined);
    expect(talibFirst).toBe(TALIB_FIRST_INDEX[column]);
    expect(values.findIndex((value) => value !== undefined)).toBe(talibFirst);
    expect(lookback).toBe(talibFirst);
    const definedOnlyAfterWarmUp = values.every((value, index) => (value !== undefined) === (index >= talibFirst));
    const talibDefinedOnlyAfterWarmUp = talib.every((value, index) => (value !== undefined) === (index >= talibFirst));
    expect(definedOnlyAfterWarmUp).toBe(true);
    expect(talibDefinedOnlyAfterWarmUp).toBe(true);
  });

  it.each(REFERENCE_COLUMNS)("%s: every value agrees with TA-Lib to its printed precision", (column) => {
    const talib = reference.columns[column];
    const { values } = ours[column];
    const outOfTolerance: string[] = [];
    const reprintedDifferently: string[] = [];
    let compared = 0;
    values.forEach((value, index) => {
      const expected = talib[index];
      if (value === undefined || expected === undefined) return;
      compared += 1;
      const where = `${reference.times[index]} (#${index}): ours ${value}, TA-Lib ${expected}`;
      if (!withinTolerance(value, expected)) outOfTolerance.push(where);
      if (!printsAsTaLib(value, expected)) reprintedDifferently.push(where);
    });
    expect(compared).toBe(bars.length - TALIB_FIRST_INDEX[column]);
    expect({ count: outOfTolerance.length, first: outOfTolerance.slice(0, 5) }).toEqual({ count: 0, first: [] });
    expect({ count: reprintedDifferently.length, first: reprintedDifferently.slice(0, 5) }).toEqual({
      count: 0,
      first: [],
    });
  });
});
