/** The feature spec: canonical JSON pinned to the byte, changed by any parameter, names derived and checked. */
import { describe, expect, it } from "vitest";
import {
  buildFeatures,
  canonicalFeatureSpecJson,
  canonicalJson,
  createFeatureSpec,
  type FeatureParameters,
  type FeatureSpec,
  featureSpecId,
  FeatureBuilder,
  requireConsistentFeatureSpec,
  XAU_M1_CORE_SPEC,
} from "../../../core/features/index.js";
import { featureSpecSha256 } from "../../../training/features-csv.js";
import { syntheticBars } from "../indicators/synthetic-series.js";

const CORE = XAU_M1_CORE_SPEC;
const PARAMETERS = CORE.parameters;

/** xau-m1-core@1 as canonical JSON. Changing it means a new spec version: bump `version` with it. */
const CORE_JSON =
  '{"features":["dist_sma20_atr","dist_ema20_atr","dist_bb_upper_atr","dist_bb_lower_atr","bb_pct_b",' +
  '"bb_width_pct","macd_atr","macd_hist_atr","rsi_scaled","stoch_k_scaled","stoch_d_scaled",' +
  '"willr_scaled","cci_scaled","adx_scaled","di_diff_scaled","natr_pct","ret_log_1","ret_log_5",' +
  '"ret_log_15","ret_log_60","rv_log_15","rv_log_60","spread_points","spread_atr","tod_sin","tod_cos",' +
  '"dow_sin","dow_cos","atr_pctile_240"],"name":"xau-m1-core","parameters":{"adx":{"period":14},' +
  '"atr":{"period":14},"atrPercentileBars":240,"bbands":{"deviations":2,"period":20},' +
  '"cci":{"period":20},"cciDivisor":200,"ema":{"period":20},"macd":{"fastPeriod":12,"signalPeriod":9,' +
  '"slowPeriod":26},"natr":{"period":14},"pointSize":0.01,"returnBars":[1,5,15,60],"rsi":{"period":14},' +
  '"sma":{"period":20},"stoch":{"fastKPeriod":14,"slowDPeriod":3,"slowKPeriod":3},"timeframe":"M1",' +
  '"volatilityBars":[15,60],"willr":{"period":14}},"rawColumns":["sma_20","ema_20","rsi_14",' +
  '"macd_12_26_9","macd_signal_12_26_9","macd_hist_12_26_9","atr_14","natr_14","bb_upper_20_2",' +
  '"bb_middle_20_2","bb_lower_20_2","stoch_k_14_3_3","stoch_d_14_3_3","adx_14","cci_20","willr_14"],' +
  '"version":1}';
const CORE_SHA256 = "05f605399d07cb10f0f7562b94a19ec288ca387bdd3c49e9d538f6daa828390b";

function withParameters(change: Partial<FeatureParameters>): FeatureSpec {
  return createFeatureSpec(CORE.name, CORE.version, { ...PARAMETERS, ...change });
}

describe("xau-m1-core@1", () => {
  it("has the canonical JSON and SHA-256 pinned here", async () => {
    expect(canonicalFeatureSpecJson(CORE)).toBe(CORE_JSON);
    expect(featureSpecSha256(CORE)).toBe(CORE_SHA256);
    const digest = await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(CORE_JSON));
    expect(Buffer.from(digest).toString("hex")).toBe(CORE_SHA256);
  });

  it("names the 16 raw columns as TA-Lib's indicators with their parameters", () => {
    expect(CORE.rawColumns).toEqual([
      "sma_20",
      "ema_20",
      "rsi_14",
      "macd_12_26_9",
      "macd_signal_12_26_9",
      "macd_hist_12_26_9",
      "atr_14",
      "natr_14",
      "bb_upper_20_2",
      "bb_middle_20_2",
      "bb_lower_20_2",
      "stoch_k_14_3_3",
      "stoch_d_14_3_3",
      "adx_14",
      "cci_20",
      "willr_14",
    ]);
  });

  it("has the id name@version", () => {
    expect(featureSpecId(CORE)).toBe("xau-m1-core@1");
  });

  it("is frozen, and a spec does not share its parameters with the object it was built from", () => {
    expect(Object.isFrozen(CORE)).toBe(true);
    expect(Object.isFrozen(CORE.parameters.returnBars)).toBe(true);
    const returnBars = [1, 5];
    const spec = withParameters({ returnBars });
    returnBars.push(30);
    expect(spec.parameters.returnBars).toEqual([1, 5]);
  });
});

describe("canonical JSON of a spec", () => {
  it("does not depend on the key order the parameters were written in", () => {
    const reversed = Object.fromEntries(Object.entries(PARAMETERS).reverse()) as unknown as FeatureParameters;
    expect(canonicalFeatureSpecJson(createFeatureSpec(CORE.name, CORE.version, reversed))).toBe(CORE_JSON);
  });

  it.each<[string, FeatureSpec, string[]]>([
    ["RSI period 21", withParameters({ rsi: { period: 21 } }), ["rsi_21"]],
    ["SMA period 50", withParameters({ sma: { period: 50 } }), ["sma_50", "dist_sma50_atr"]],
    ["band width 2.5", withParameters({ bbands: { period: 20, deviations: 2.5 } }), ["bb_upper_20_2.5"]],
    [
      "MACD 8/21/5",
      withParameters({ macd: { fastPeriod: 8, slowPeriod: 21, signalPeriod: 5 } }),
      ["macd_8_21_5", "macd_hist_8_21_5"],
    ],
    ["a 120-bar return", withParameters({ returnBars: [1, 5, 15, 60, 120] }), ["ret_log_120"]],
    ["a 30-bar volatility", withParameters({ volatilityBars: [15, 30, 60] }), ["rv_log_30"]],
    ["a 480-bar ATR percentile", withParameters({ atrPercentileBars: 480 }), ["atr_pctile_480"]],
    ["the point size", withParameters({ pointSize: 0.1 }), []],
    ["the CCI divisor", withParameters({ cciDivisor: 100 }), []],
    ["the timeframe", withParameters({ timeframe: "M5" }), []],
    ["the version", createFeatureSpec(CORE.name, 2, PARAMETERS), []],
    ["the name", createFeatureSpec("xau-m1-lite", 1, PARAMETERS), []],
  ])("changes with %s (and renames what it names)", (_change, spec, newNames) => {
    const json = canonicalFeatureSpecJson(spec);
    expect(json).not.toBe(CORE_JSON);
    expect(featureSpecSha256(spec)).not.toBe(CORE_SHA256);
    for (const name of newNames) expect([...spec.rawColumns, ...spec.features]).toContain(name);
  });
});

describe("spec checks", () => {
  it("accepts a spec read back from JSON and refuses one whose names do not match its parameters", () => {
    const readBack = JSON.parse(JSON.stringify(CORE)) as FeatureSpec;
    expect(canonicalFeatureSpecJson(requireConsistentFeatureSpec(readBack))).toBe(CORE_JSON);
    const renamed = { ...readBack, features: [...readBack.features].reverse() };
    expect(() => requireConsistentFeatureSpec(renamed)).toThrow(RangeError);
    expect(() => new FeatureBuilder(renamed)).toThrow(RangeError);
    const stale = { ...readBack, parameters: { ...readBack.parameters, rsi: { period: 21 } } };
    expect(() => requireConsistentFeatureSpec(stale)).toThrow(RangeError);
  });

  it.each<[string, () => FeatureSpec]>([
    ["an empty name", () => createFeatureSpec("", 1, PARAMETERS)],
    ["an upper-case name", () => createFeatureSpec("XAU", 1, PARAMETERS)],
    ["a name with '@'", () => createFeatureSpec("xau@m1", 1, PARAMETERS)],
    ["version 0", () => createFeatureSpec("xau", 0, PARAMETERS)],
    ["a fractional version", () => createFeatureSpec("xau", 1.5, PARAMETERS)],
    ["no return horizon", () => withParameters({ returnBars: [] })],
    ["unsorted return horizons", () => withParameters({ returnBars: [5, 1] })],
    ["a 0-bar return", () => withParameters({ returnBars: [0, 5] })],
    ["a 1-bar volatility window", () => withParameters({ volatilityBars: [1, 15] })],
    ["a 1-bar ATR percentile", () => withParameters({ atrPercentileBars: 1 })],
    ["a zero point size", () => withParameters({ pointSize: 0 })],
    ["a NaN CCI divisor", () => withParameters({ cciDivisor: Number.NaN })],
    ["an unknown timeframe", () => withParameters({ timeframe: "D1" as FeatureParameters["timeframe"] })],
    [
      "a MACD fast period above the slow",
      () => withParameters({ macd: { fastPeriod: 30, slowPeriod: 26, signalPeriod: 9 } }),
    ],
    ["an RSI period of 1", () => withParameters({ rsi: { period: 1 } })],
    ["negative band deviations", () => withParameters({ bbands: { period: 20, deviations: -1 } })],
  ])("refuses %s", (_problem, create) => {
    expect(create).toThrow(RangeError);
  });
});

describe("a builder of another spec", () => {
  it("warms up when its own longest window is full, and refuses the core spec's snapshots", () => {
    const spec = withParameters({ bbands: { period: 80, deviations: 2 }, returnBars: [1, 30], atrPercentileBars: 60 });
    const builder = new FeatureBuilder(spec);
    expect(builder.warmUpBars).toBe(79);
    const bars = syntheticBars(500).map((bar, index) => ({ ...bar, tsMs: index * 60_000, spreadAvgPoints: 12 }));
    const rows = buildFeatures(bars, spec);
    expect(rows.findIndex((row) => row.ready)).toBe(79);
    expect(rows.every((row, index) => row.ready === index >= 79)).toBe(true);
    expect(rows.at(-1)?.features?.length).toBe(spec.features.length);
    expect(() => builder.restore(new FeatureBuilder(CORE).snapshot())).toThrow(RangeError);
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every level, keeps array order and drops whitespace", () => {
    expect(canonicalJson({ b: [2, { d: 1, c: null }], a: { y: "x", x: true } })).toBe(
      '{"a":{"x":true,"y":"x"},"b":[2,{"c":null,"d":1}]}',
    );
  });

  it.each<[string, unknown]>([
    ["NaN", Number.NaN],
    ["Infinity", { value: Number.POSITIVE_INFINITY }],
    ["undefined", { value: undefined }],
    ["a function", [() => 1]],
    ["a Date", new Date(0)],
    ["a Map", new Map()],
  ])("refuses %s instead of writing something else", (_name, value) => {
    expect(() => canonicalJson(value)).toThrow(RangeError);
  });
});
