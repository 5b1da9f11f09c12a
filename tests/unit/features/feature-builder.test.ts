/** FeatureBuilder contract: streaming equals batch bit for bit, snapshots resume exactly, warm-up and guards hold. */
import { describe, expect, it } from "vitest";
import {
  buildFeatures,
  type FeatureBar,
  FeatureBuilder,
  type FeatureBuilderState,
  type FeatureRow,
  RAW_INDICATOR_KEYS,
  XAU_M1_CORE_SPEC,
} from "../../../core/features/index.js";
import type { Bar } from "../../../core/market/bar.js";
import { demoFeatureBars, rowDifferences } from "./feature-data.js";

const BARS = demoFeatureBars();
const BATCH = buildFeatures(BARS);
const FIRST_TS = Date.UTC(2026, 2, 24, 14, 0);

function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function feed(builder: FeatureBuilder, bars: readonly FeatureBar[]): FeatureRow[] {
  return bars.map((bar) => builder.update(bar));
}

describe("FeatureBuilder on the 63,230 demo bars", () => {
  it("streams, bar by bar, exactly the batch rows", () => {
    expect(BATCH).toHaveLength(63_230);
    expect(rowDifferences(feed(new FeatureBuilder(), BARS), BATCH)).toEqual([]);
  });

  it("resumes from JSON snapshots taken in warm-up, at its end and mid-stream with exactly the batch rows", () => {
    const cuts = new Set([1, 100, 252, 253, 254, 31_615, 63_229]);
    let builder = new FeatureBuilder();
    const rows: FeatureRow[] = [];
    BARS.forEach((bar, index) => {
      if (cuts.has(index)) builder = new FeatureBuilder(XAU_M1_CORE_SPEC, roundTrip(builder.snapshot()));
      rows.push(builder.update(bar));
    });
    expect(rowDifferences(rows, BATCH)).toEqual([]);
    expect(builder.latestTsMs()).toBe(BARS.at(-1)?.tsMs);
  });

  it("restores a snapshot into a builder that has already seen other bars", () => {
    const source = new FeatureBuilder();
    feed(source, BARS.slice(0, 5_000));
    const target = new FeatureBuilder();
    feed(target, BARS.slice(10_000, 10_500));
    target.restore(roundTrip(source.snapshot()));
    expect(rowDifferences(feed(target, BARS.slice(5_000, 6_000)), BATCH.slice(5_000, 6_000))).toEqual([]);
  });

  it("is ready from bar warmUpBars (253) on and never before, with every feature finite", () => {
    const builder = new FeatureBuilder();
    expect(builder.warmUpBars).toBe(253);
    expect(BATCH.findIndex((row) => row.ready)).toBe(builder.warmUpBars);
    expect(BATCH.every((row, index) => row.ready === index >= builder.warmUpBars)).toBe(true);
    const notFinite = BATCH.filter((row) => row.ready && !row.features.every((value) => Number.isFinite(value)));
    expect(notFinite).toHaveLength(0);
    const ready = BATCH[builder.warmUpBars];
    expect(ready?.features).toBeInstanceOf(Float64Array);
    expect(ready?.features?.length).toBe(XAU_M1_CORE_SPEC.features.length);
  });

  it("defines each raw value from the end of its indicator's own warm-up", () => {
    const firstDefined = Object.fromEntries(
      RAW_INDICATOR_KEYS.map((key) => [key, BATCH.findIndex((row) => row.raw[key] !== undefined)]),
    );
    expect(firstDefined).toEqual({
      sma: 19,
      ema: 19,
      rsi: 14,
      macd: 33,
      macdSignal: 33,
      macdHist: 33,
      atr: 14,
      natr: 14,
      bbUpper: 19,
      bbMiddle: 19,
      bbLower: 19,
      stochK: 17,
      stochD: 17,
      adx: 27,
      cci: 19,
      willr: 13,
    });
  });

  it("reports the bar's open time on every row", () => {
    expect(BATCH[0]?.tsMs).toBe(FIRST_TS);
    expect(BATCH.every((row, index) => row.tsMs === BARS[index]?.tsMs)).toBe(true);
  });
});

describe("FeatureBuilder guards", () => {
  const bars = BARS.slice(0, 400);
  const reference = buildFeatures(bars);

  function refusedThenContinues(bad: FeatureBar, at: number): void {
    const builder = new FeatureBuilder();
    const before = feed(builder, bars.slice(0, at));
    const snapshot = JSON.stringify(builder.snapshot());
    expect(() => builder.update(bad)).toThrow(RangeError);
    expect(JSON.stringify(builder.snapshot())).toBe(snapshot);
    const after = feed(builder, bars.slice(at));
    expect(rowDifferences([...before, ...after], reference)).toEqual([]);
  }

  /** Spoils the bar at `at`; `undefined` where the spoiling needs a previous bar and there is none. */
  type Spoiler = (bar: FeatureBar, previous: FeatureBar | undefined) => FeatureBar | undefined;
  const spoilers: [string, Spoiler][] = [
    ["the same time as the previous bar", (bar, previous) => previous && { ...bar, tsMs: previous.tsMs }],
    ["an earlier time", (bar, previous) => previous && { ...bar, tsMs: previous.tsMs - 60_000 }],
    ["a fractional time", (bar) => ({ ...bar, tsMs: bar.tsMs + 0.5 })],
    ["a NaN high", (bar) => ({ ...bar, high: Number.NaN })],
    ["an infinite low", (bar) => ({ ...bar, low: Number.NEGATIVE_INFINITY })],
    ["a zero close", (bar) => ({ ...bar, close: 0 })],
    ["a negative spread", (bar) => ({ ...bar, spreadAvgPoints: -1 })],
    ["a NaN spread", (bar) => ({ ...bar, spreadAvgPoints: Number.NaN })],
    ["a forming bar", (bar) => ({ ...bar, closed: false })],
    ["an M5 bar", (bar) => ({ ...bar, timeframe: "M5" })],
  ];

  it.each(spoilers)("refuses a bar with %s and changes nothing", (_name, spoil) => {
    let checked = 0;
    for (const at of [0, 1, 300]) {
      const bar = bars[at];
      if (bar === undefined) throw new Error("no bar");
      const bad = spoil(bar, bars[at - 1]);
      if (bad === undefined) continue;
      refusedThenContinues(bad, at);
      checked += 1;
    }
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it("accepts a core/market Bar as it is", () => {
    const bar: Bar = {
      timeframe: "M1",
      tsMs: FIRST_TS,
      open: 4381.49,
      high: 4387.04,
      low: 4380.75,
      close: 4386.67,
      tickVolume: 611,
      tickCount: 4,
      spreadAvgPoints: 12,
      spreadMaxPoints: 12,
      closed: true,
    };
    expect(rowDifferences([new FeatureBuilder().update(bar)], reference.slice(0, 1))).toEqual([]);
  });

  it("refuses snapshots of another spec or malformed ones, keeping its state", () => {
    const builder = new FeatureBuilder();
    feed(builder, bars.slice(0, 300));
    const good = roundTrip(builder.snapshot());
    const before = JSON.stringify(builder.snapshot());
    const spoiled: FeatureBuilderState[] = [
      { ...good, specId: "xau-m1-core@2" },
      { ...good, kind: "other" as "features" },
      { ...good, lastTsMs: null },
      { ...good, lastTsMs: 1.5 },
      { ...good, closes: { ...good.closes, slots: good.closes.slots.slice(1) } },
      { ...good, atrHistory: { ...good.atrHistory, filled: 9_999 } },
      { ...good, sma: { ...good.sma, period: 21 } },
      { ...good, macd: { ...good.macd, macd: null } },
    ];
    for (const state of spoiled) {
      expect(() => builder.restore(state)).toThrow(RangeError);
      expect(() => new FeatureBuilder(XAU_M1_CORE_SPEC, state)).toThrow(RangeError);
    }
    expect(JSON.stringify(builder.snapshot())).toBe(before);
    expect(rowDifferences(feed(builder, bars.slice(300)), reference.slice(300))).toEqual([]);
  });

  it("reset goes back to a fresh builder", () => {
    const builder = new FeatureBuilder();
    feed(builder, bars.slice(0, 300));
    builder.reset();
    expect(builder.isReady()).toBe(false);
    expect(builder.latestTsMs()).toBeUndefined();
    expect(JSON.stringify(builder.snapshot())).toBe(JSON.stringify(new FeatureBuilder().snapshot()));
    expect(rowDifferences(feed(builder, bars), reference)).toEqual([]);
  });
});

describe("FeatureBuilder on degenerate bars", () => {
  it("keeps every feature finite on a long flat stretch (ATR and band width exactly 0)", () => {
    const flat: FeatureBar[] = Array.from({ length: 400 }, (_, index) => ({
      tsMs: FIRST_TS + index * 60_000,
      high: 4400,
      low: 4400,
      close: 4400,
      spreadAvgPoints: 12,
    }));
    const rows = buildFeatures(flat);
    const last = rows.at(-1);
    if (!last?.ready) throw new Error("not ready");
    expect(last.raw.atr).toBe(0);
    expect(last.features.every((value) => Number.isFinite(value))).toBe(true);
    const feature = (name: string) => last.features[XAU_M1_CORE_SPEC.features.indexOf(name)];
    expect(feature("bb_pct_b")).toBe(0.5);
    expect(feature("bb_width_pct")).toBe(0);
    expect(feature("dist_sma20_atr")).toBe(0);
    expect(feature("spread_atr")).toBe(0);
    expect(feature("ret_log_60")).toBe(0);
    expect(feature("rv_log_60")).toBe(0);
    expect(feature("atr_pctile_240")).toBe(0.5);
  });

  it("carries the time features of the bar's UTC open time", () => {
    const rows = buildFeatures(BARS.slice(0, 400));
    const names = XAU_M1_CORE_SPEC.features;
    for (const row of rows.filter((candidate) => candidate.ready)) {
      if (!row.ready) continue;
      const minutes = new Date(row.tsMs).getUTCHours() * 60 + new Date(row.tsMs).getUTCMinutes();
      const weekday = new Date(row.tsMs).getUTCDay();
      expect(row.features[names.indexOf("tod_sin")]).toBeCloseTo(Math.sin((2 * Math.PI * minutes) / 1440), 12);
      expect(row.features[names.indexOf("tod_cos")]).toBeCloseTo(Math.cos((2 * Math.PI * minutes) / 1440), 12);
      expect(row.features[names.indexOf("dow_sin")]).toBeCloseTo(Math.sin((2 * Math.PI * weekday) / 7), 12);
      expect(row.features[names.indexOf("dow_cos")]).toBeCloseTo(Math.cos((2 * Math.PI * weekday) / 7), 12);
    }
  });
});
