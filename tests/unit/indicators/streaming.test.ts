/** Streaming contract of every indicator: batch is the fold, snapshots resume exactly, reset and guards hold. */
import { describe, expect, it } from "vitest";
import {
  AverageDirectionalIndex,
  AverageTrueRange,
  BollingerBands,
  CommodityChannelIndex,
  ExponentialMovingAverage,
  type HlcBar,
  type Indicator,
  Macd,
  NormalizedAverageTrueRange,
  RelativeStrengthIndex,
  runBatch,
  SimpleMovingAverage,
  Stochastic,
  WilliamsPercentR,
} from "../../../core/indicators/index.js";
import { FLAT_STRETCH, syntheticBars } from "./synthetic-series.js";

const BARS = syntheticBars(600);
const CLOSES = BARS.map((bar) => bar.close);

/** What the shared tests need to know about one indicator. */
interface IndicatorCase<In, Out, State extends object> {
  /** A new instance, resumed from `state` when given (the Durable Object restart path). */
  readonly create: (state?: State) => Indicator<In, Out, State>;
  /** An instance of the same kind with other parameters, whose snapshots must be refused. */
  readonly createOther: () => Indicator<In, Out, State>;
  readonly inputs: readonly In[];
  /** An input with a non-finite number in it. */
  readonly invalidInput: In;
}

function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function feed<In, Out>(indicator: Indicator<In, Out, unknown>, inputs: readonly In[]): (Out | undefined)[] {
  const values: (Out | undefined)[] = [];
  for (const input of inputs) {
    indicator.update(input);
    values.push(indicator.value());
  }
  return values;
}

function describeIndicator<In, Out, State extends object>(name: string, testCase: IndicatorCase<In, Out, State>): void {
  const { create, createOther, inputs, invalidInput } = testCase;
  const whole = runBatch(create(), inputs);

  describe(`${name} streaming contract`, () => {
    it("gives from update/value, one input at a time, exactly the batch values, also when batched in chunks", () => {
      expect(feed(create(), inputs)).toEqual(whole);
      const chunked = create();
      const chunks = [inputs.slice(0, 7), inputs.slice(7, 250), inputs.slice(250)];
      expect(chunks.flatMap((chunk) => runBatch(chunked, chunk))).toEqual(whole);
    });

    it("is undefined and not ready for exactly `lookback` inputs, then ready for good", () => {
      const indicator = create();
      expect(indicator.isReady()).toBe(false);
      expect(indicator.value()).toBeUndefined();
      inputs.forEach((input, index) => {
        indicator.update(input);
        expect(indicator.isReady(), `after input ${index}`).toBe(index >= indicator.lookback);
        expect(indicator.value() !== undefined, `after input ${index}`).toBe(index >= indicator.lookback);
      });
    });

    const lookback = create().lookback;
    it("keeps its state as plain JSON at every stage", () => {
      for (const count of [0, 3, lookback, FLAT_STRETCH.from + 10, inputs.length]) {
        const indicator = create();
        feed(indicator, inputs.slice(0, count));
        const state = indicator.snapshot();
        expect(roundTrip(state)).toEqual(state);
      }
    });

    const splits = [0, 1, lookback - 1, lookback, lookback + 1, FLAT_STRETCH.from + 10, FLAT_STRETCH.to, inputs.length];
    it.each(splits)("resumes from a JSON snapshot taken after %i inputs exactly like an uninterrupted run", (split) => {
      const before = create();
      feed(before, inputs.slice(0, split));
      const state = roundTrip(before.snapshot());

      const restarted = create(state);
      const reused = create();
      feed(reused, inputs.slice(0, 123));
      reused.restore(state);
      for (const resumed of [restarted, reused]) {
        expect(resumed.value()).toEqual(before.value());
        expect(resumed.isReady()).toBe(before.isReady());
      }

      const rest = inputs.slice(split);
      expect(feed(restarted, rest)).toEqual(whole.slice(split));
      expect(feed(reused, rest)).toEqual(whole.slice(split));
      const uninterrupted = create();
      feed(uninterrupted, inputs);
      expect(restarted.snapshot()).toEqual(uninterrupted.snapshot());
    });

    it("goes back to a fresh instance's state on reset()", () => {
      const indicator = create();
      feed(indicator, inputs);
      indicator.reset();
      expect(indicator.isReady()).toBe(false);
      expect(indicator.value()).toBeUndefined();
      expect(indicator.snapshot()).toEqual(create().snapshot());
      expect(feed(indicator, inputs)).toEqual(whole);
    });

    it("refuses a snapshot of other parameters or another kind, and keeps its own state", () => {
      const indicator = create();
      feed(indicator, inputs.slice(0, 300));
      const own = indicator.snapshot();
      const other = createOther();
      feed(other, inputs.slice(0, 300));
      expect(() => indicator.restore(other.snapshot())).toThrow(RangeError);
      expect(() => indicator.restore({ ...own, kind: "something-else" })).toThrow(RangeError);
      expect(() => create({ ...own, kind: "something-else" })).toThrow(RangeError);
      expect(indicator.snapshot()).toEqual(own);
    });

    it("throws a RangeError on a non-finite input and keeps its state", () => {
      const indicator = create();
      feed(indicator, inputs.slice(0, 50));
      const own = indicator.snapshot();
      expect(() => indicator.update(invalidInput)).toThrow(RangeError);
      expect(indicator.snapshot()).toEqual(own);
    });
  });
}

const NAN_BAR: HlcBar = { high: 2301, low: Number.NaN, close: 2300 };

describeIndicator("SimpleMovingAverage", {
  create: (state) => new SimpleMovingAverage({ period: 20 }, state),
  createOther: () => new SimpleMovingAverage({ period: 21 }),
  inputs: CLOSES,
  invalidInput: Number.NaN,
});
describeIndicator("ExponentialMovingAverage", {
  create: (state) => new ExponentialMovingAverage({ period: 20 }, state),
  createOther: () => new ExponentialMovingAverage({ period: 10 }),
  inputs: CLOSES,
  invalidInput: Number.POSITIVE_INFINITY,
});
describeIndicator("RelativeStrengthIndex", {
  create: (state) => new RelativeStrengthIndex({ period: 14 }, state),
  createOther: () => new RelativeStrengthIndex({ period: 7 }),
  inputs: CLOSES,
  invalidInput: Number.NaN,
});
describeIndicator("Macd", {
  create: (state) => new Macd({ fastPeriod: 12, slowPeriod: 26, signalPeriod: 9 }, state),
  createOther: () => new Macd({ fastPeriod: 12, slowPeriod: 26, signalPeriod: 5 }),
  inputs: CLOSES,
  invalidInput: Number.NEGATIVE_INFINITY,
});
describeIndicator("AverageTrueRange", {
  create: (state) => new AverageTrueRange({ period: 14 }, state),
  createOther: () => new AverageTrueRange({ period: 5 }),
  inputs: BARS,
  invalidInput: NAN_BAR,
});
describeIndicator("NormalizedAverageTrueRange", {
  create: (state) => new NormalizedAverageTrueRange({ period: 14 }, state),
  createOther: () => new NormalizedAverageTrueRange({ period: 5 }),
  inputs: BARS,
  invalidInput: NAN_BAR,
});
describeIndicator("BollingerBands", {
  create: (state) => new BollingerBands({ period: 20, deviations: 2 }, state),
  createOther: () => new BollingerBands({ period: 20, deviations: 2.5 }),
  inputs: CLOSES,
  invalidInput: Number.NaN,
});
describeIndicator("Stochastic", {
  create: (state) => new Stochastic({ fastKPeriod: 14, slowKPeriod: 3, slowDPeriod: 3 }, state),
  createOther: () => new Stochastic({ fastKPeriod: 14, slowKPeriod: 3, slowDPeriod: 4 }),
  inputs: BARS,
  invalidInput: NAN_BAR,
});
describeIndicator("AverageDirectionalIndex", {
  create: (state) => new AverageDirectionalIndex({ period: 14 }, state),
  createOther: () => new AverageDirectionalIndex({ period: 10 }),
  inputs: BARS,
  invalidInput: NAN_BAR,
});
describeIndicator("CommodityChannelIndex", {
  create: (state) => new CommodityChannelIndex({ period: 20 }, state),
  createOther: () => new CommodityChannelIndex({ period: 14 }),
  inputs: BARS,
  invalidInput: NAN_BAR,
});
describeIndicator("WilliamsPercentR", {
  create: (state) => new WilliamsPercentR({ period: 14 }, state),
  createOther: () => new WilliamsPercentR({ period: 10 }),
  inputs: BARS,
  invalidInput: NAN_BAR,
});

describe("parameter and snapshot checks", () => {
  it("refuses periods outside TA-Lib's ranges and non-integer periods", () => {
    expect(() => new SimpleMovingAverage({ period: 0 })).toThrow(RangeError);
    expect(() => new ExponentialMovingAverage({ period: 2.5 })).toThrow(RangeError);
    expect(() => new RelativeStrengthIndex({ period: 1 })).toThrow(RangeError);
    expect(() => new AverageDirectionalIndex({ period: 100_001 })).toThrow(RangeError);
    expect(() => new NormalizedAverageTrueRange({ period: 1 })).toThrow(RangeError);
    expect(() => new Macd({ fastPeriod: 26, slowPeriod: 12 })).toThrow(RangeError);
    expect(() => new BollingerBands({ deviations: -1 })).toThrow(RangeError);
    expect(() => new Stochastic({ slowDPeriod: 0 })).toThrow(RangeError);
  });

  it("uses the conventional defaults", () => {
    expect(new SimpleMovingAverage().period).toBe(20);
    expect(new ExponentialMovingAverage().period).toBe(20);
    expect(new RelativeStrengthIndex().period).toBe(14);
    const macd = new Macd();
    expect([macd.fastPeriod, macd.slowPeriod, macd.signalPeriod]).toEqual([12, 26, 9]);
    expect(new AverageTrueRange().period).toBe(14);
    expect(new NormalizedAverageTrueRange().period).toBe(14);
    const bands = new BollingerBands();
    expect([bands.period, bands.deviations]).toEqual([20, 2]);
    const stoch = new Stochastic();
    expect([stoch.fastKPeriod, stoch.slowKPeriod, stoch.slowDPeriod]).toEqual([14, 3, 3]);
    expect(new AverageDirectionalIndex().period).toBe(14);
    expect(new CommodityChannelIndex().period).toBe(20);
    expect(new WilliamsPercentR().period).toBe(14);
  });

  it("refuses malformed snapshots without touching the state", () => {
    const sma = new SimpleMovingAverage({ period: 3 });
    runBatch(sma, [1, 2, 3, 4]);
    const own = sma.snapshot();
    const malformed = [
      { ...own, window: { ...own.window, slots: [1, 2] } },
      { ...own, window: { ...own.window, head: 7 } },
      { ...own, window: { ...own.window, filled: 2 } },
      { ...own, runningSum: Number.NaN },
      { ...own, current: null },
    ];
    for (const state of malformed) expect(() => sma.restore(state)).toThrow(RangeError);
    expect(sma.snapshot()).toEqual(own);

    const macd = new Macd({ fastPeriod: 2, slowPeriod: 3, signalPeriod: 2 });
    runBatch(macd, [1, 2, 3, 4]);
    const macdState = macd.snapshot();
    expect(() => macd.restore({ ...macdState, fast: new ExponentialMovingAverage({ period: 2 }).snapshot() })).toThrow(
      RangeError,
    );
    expect(macd.snapshot()).toEqual(macdState);
  });
});
