/** The builder's 16 raw indicator columns against TA-Lib 0.4.0's own outputs on the 63,230 demo bars. */
import { describe, expect, it } from "vitest";
import { buildFeatures, type RawIndicatorKey, XAU_M1_CORE_SPEC } from "../../../core/features/index.js";
import { parseLocalTimestampMs } from "../../../core/market/csv.js";
import { DEMO_UTC_OFFSET_MINUTES } from "../../support/node/demo-data.js";
import { loadReference, printsAsTaLib, REFERENCE_COLUMNS, withinTolerance, type ReferenceColumn } from "../indicators/reference-data.js";
import { demoFeatureBars } from "./feature-data.js";

/** Which raw value each column of the reference file holds. */
const RAW_KEY_OF: Record<ReferenceColumn, RawIndicatorKey> = {
  sma20: "sma",
  ema20: "ema",
  rsi14: "rsi",
  macd: "macd",
  macd_signal: "macdSignal",
  macd_hist: "macdHist",
  atr14: "atr",
  bb_upper: "bbUpper",
  bb_middle: "bbMiddle",
  bb_lower: "bbLower",
  stoch_k: "stochK",
  stoch_d: "stochD",
  adx14: "adx",
  cci20: "cci",
  willr14: "willr",
  natr14: "natr",
};

describe("raw indicator columns against TA-Lib 0.4.0 (63,230 XAUUSD M1 bars)", () => {
  const reference = loadReference();
  const rows = buildFeatures(demoFeatureBars());

  it("has one row per reference row, at the same time", () => {
    expect(rows).toHaveLength(reference.times.length);
    const times = reference.times.map((text) => parseLocalTimestampMs(text, DEMO_UTC_OFFSET_MINUTES));
    expect(rows.map((row) => row.tsMs)).toEqual(times);
  });

  it("maps every reference column to one raw column of the spec", () => {
    expect(new Set(Object.values(RAW_KEY_OF)).size).toBe(REFERENCE_COLUMNS.length);
    expect(XAU_M1_CORE_SPEC.rawColumns).toHaveLength(REFERENCE_COLUMNS.length);
  });

  it.each(REFERENCE_COLUMNS)("%s: undefined exactly where TA-Lib is empty, else equal to its precision", (column) => {
    const talib = reference.columns[column];
    const key = RAW_KEY_OF[column];
    const problems: string[] = [];
    rows.forEach((row, index) => {
      const ours = row.raw[key];
      const expected = talib[index];
      if (ours === undefined || expected === undefined) {
        if (ours !== expected) problems.push(`#${index}: ours ${ours}, TA-Lib ${expected}`);
        return;
      }
      if (!withinTolerance(ours, expected) || !printsAsTaLib(ours, expected)) {
        problems.push(`#${index} ${reference.times[index]}: ours ${ours}, TA-Lib ${expected}`);
      }
    });
    expect(problems.slice(0, 5)).toEqual([]);
    expect(problems).toHaveLength(0);
  });
});
