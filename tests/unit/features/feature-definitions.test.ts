/** Each model feature recomputed from its one-line definition, independently of the builder, on real bars. */
import { describe, expect, it } from "vitest";
import { buildFeatures, featureCatalogue, XAU_M1_CORE_SPEC } from "../../../core/features/index.js";
import { AverageDirectionalIndex, runBatch } from "../../../core/indicators/index.js";
import { demoFeatureBars } from "./feature-data.js";

const BARS = demoFeatureBars().slice(0, 6_000);
const ROWS = buildFeatures(BARS);
const NAMES = XAU_M1_CORE_SPEC.features;
const DIRECTIONAL = runBatch(new AverageDirectionalIndex({ period: 14 }), BARS);

function at<T>(values: readonly T[], index: number): T {
  const value = values[index];
  if (value === undefined) throw new Error(`no value at ${index}`);
  return value;
}

function defined(value: number | undefined): number {
  if (value === undefined) throw new Error("undefined value after warm-up");
  return value;
}

function count(values: readonly number[], predicate: (value: number) => boolean): number {
  return values.filter(predicate).length;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function populationStd(values: readonly number[]): number {
  const centre = mean(values);
  return Math.sqrt(values.reduce((sum, value) => sum + (value - centre) ** 2, 0) / values.length);
}

function sampleStd(values: readonly number[]): number {
  const centre = mean(values);
  return Math.sqrt(values.reduce((sum, value) => sum + (value - centre) ** 2, 0) / (values.length - 1));
}

/** The features of row `index` as their definitions give them, by name. */
function expectedFeatures(index: number): Record<string, number> {
  const row = at(ROWS, index);
  const bar = at(BARS, index);
  const raw = row.raw;
  const close = bar.close;
  const atr = defined(raw.atr);
  const closes = BARS.slice(0, index + 1).map((candidate) => candidate.close);
  const window = closes.slice(-20);
  const middle = mean(window);
  const upper = middle + 2 * populationStd(window);
  const lower = middle - 2 * populationStd(window);
  const recent = closes.slice(-61);
  const logReturns = recent.slice(1).map((value, at) => Math.log(value / (recent[at] ?? value)));
  const atrs = ROWS.slice(index - 239, index + 1).map((candidate) => defined(candidate.raw.atr));
  const directional = defined(at(DIRECTIONAL, index)?.plusDi) - defined(at(DIRECTIONAL, index)?.minusDi);
  const time = new Date(bar.tsMs);
  const dayAngle = (2 * Math.PI * (time.getUTCHours() * 60 + time.getUTCMinutes())) / 1440;
  const weekAngle = (2 * Math.PI * time.getUTCDay()) / 7;
  const closeAgo = (bars: number) => at(closes, closes.length - 1 - bars);
  return {
    dist_sma20_atr: (close - defined(raw.sma)) / atr,
    dist_ema20_atr: (close - defined(raw.ema)) / atr,
    dist_bb_upper_atr: (close - upper) / atr,
    dist_bb_lower_atr: (close - lower) / atr,
    bb_pct_b: (close - lower) / (upper - lower),
    bb_width_pct: ((upper - lower) / middle) * 100,
    macd_atr: defined(raw.macd) / atr,
    macd_hist_atr: defined(raw.macdHist) / atr,
    rsi_scaled: (defined(raw.rsi) - 50) / 50,
    stoch_k_scaled: (defined(raw.stochK) - 50) / 50,
    stoch_d_scaled: (defined(raw.stochD) - 50) / 50,
    willr_scaled: (defined(raw.willr) + 50) / 50,
    cci_scaled: defined(raw.cci) / 200,
    adx_scaled: defined(raw.adx) / 100,
    di_diff_scaled: directional / 100,
    natr_pct: defined(raw.natr),
    ret_log_1: Math.log(close / closeAgo(1)),
    ret_log_5: Math.log(close / closeAgo(5)),
    ret_log_15: Math.log(close / closeAgo(15)),
    ret_log_60: Math.log(close / closeAgo(60)),
    rv_log_15: sampleStd(logReturns.slice(-15)),
    rv_log_60: sampleStd(logReturns.slice(-60)),
    spread_points: bar.spreadAvgPoints,
    spread_atr: (bar.spreadAvgPoints * 0.01) / atr,
    tod_sin: Math.sin(dayAngle),
    tod_cos: Math.cos(dayAngle),
    dow_sin: Math.sin(weekAngle),
    dow_cos: Math.cos(weekAngle),
    atr_pctile_240: (count(atrs, (value) => value < atr) + count(atrs, (value) => value === atr) / 2) / 240,
  };
}

describe("model features against their definitions (first 6,000 demo bars)", () => {
  it("covers every feature of the spec, in the catalogue's order, each with a one-line description", () => {
    const catalogue = featureCatalogue(XAU_M1_CORE_SPEC.parameters);
    expect(catalogue.map((feature) => feature.name)).toEqual(NAMES);
    expect(Object.keys(expectedFeatures(ROWS.length - 1))).toEqual(NAMES);
    const oneLine = catalogue.every((feature) => feature.description.length > 0 && !feature.description.includes("\n"));
    expect(oneLine).toBe(true);
  });

  it("gives every feature its definition's value on every ready row", () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (let index = 0; index < ROWS.length; index += 7) {
      const row = at(ROWS, index);
      if (!row.ready) continue;
      checked += 1;
      const expected = expectedFeatures(index);
      NAMES.forEach((name, position) => {
        const ours = row.features[position] ?? Number.NaN;
        const theirs = expected[name] ?? Number.NaN;
        if (!(Math.abs(ours - theirs) <= 1e-10 * Math.max(1, Math.abs(theirs)))) {
          mismatches.push(`${name} #${index}: ours ${ours}, definition ${theirs}`);
        }
      });
    }
    expect(checked).toBeGreaterThan(800);
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  it("keeps the Bollinger features within 1e-5 ATR of what TA-Lib's own bands give", () => {
    let worst = 0;
    ROWS.forEach((row, index) => {
      if (!row.ready) return;
      const close = at(BARS, index).close;
      const atr = defined(row.raw.atr);
      const upper = row.features[NAMES.indexOf("dist_bb_upper_atr")] ?? Number.NaN;
      const lower = row.features[NAMES.indexOf("dist_bb_lower_atr")] ?? Number.NaN;
      worst = Math.max(
        worst,
        Math.abs(upper - (close - defined(row.raw.bbUpper)) / atr),
        Math.abs(lower - (close - defined(row.raw.bbLower)) / atr),
      );
    });
    expect(worst).toBeLessThan(1e-5);
  });
});
