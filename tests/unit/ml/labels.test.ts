/** Direction labels: hand-checked classes, band and gap semantics, and no bar after t + h ever read. */
import { describe, expect, it } from "vitest";
import {
  classCount,
  classLabels,
  DEFAULT_LABEL_DEFINITION,
  type DirectionLabel,
  labelAt,
  type LabelBar,
  labelBars,
  type LabelContext,
  type LabelDefinition,
  LabelDefinitionSchema,
  summarizeLabels,
} from "../../../core/ml/index.js";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 2, 24, 14, 0);
const XAU: LabelContext = { pointSize: 0.01, timeframe: "M1" };

function label(change: Partial<LabelDefinition>): LabelDefinition {
  return { ...DEFAULT_LABEL_DEFINITION, ...change };
}

/** Contiguous M1 bars from T0 with these closes and one spread. */
function bars(closes: readonly number[], spreadAvgPoints = 5): LabelBar[] {
  return closes.map((close, index) => ({ tsMs: T0 + index * MINUTE, close, spreadAvgPoints }));
}

function classes(rows: readonly DirectionLabel[]): (number | string)[] {
  return rows.map((row) => row.label ?? row.exclusion ?? "none");
}

/** A seeded 32-bit LCG in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A random walk on the 0.01 grid with random spreads, one-minute steps and an occasional gap. */
function randomWalk(count: number, seed: number): LabelBar[] {
  const next = random(seed);
  let tsMs = T0;
  let cents = 230_000;
  return Array.from({ length: count }, () => {
    tsMs += next() < 0.03 ? Math.floor(2 + next() * 60) * MINUTE : MINUTE;
    cents += Math.round((next() - 0.5) * 40);
    return { tsMs, close: cents / 100, spreadAvgPoints: Math.round(next() * 4_000) / 1_000 };
  });
}

describe("LabelDefinitionSchema", () => {
  it("accepts the default (binary, 15 bars, no band) and a three-class banded label", () => {
    expect(LabelDefinitionSchema.parse(DEFAULT_LABEL_DEFINITION)).toEqual({
      kind: "direction",
      horizonBars: 15,
      classes: "binary",
      noTradeBandSpreads: 0,
    });
    expect(LabelDefinitionSchema.safeParse(label({ classes: "three-class", noTradeBandSpreads: 1.5 })).success).toBe(true);
  });

  it.each([
    ["an unknown key", { ...DEFAULT_LABEL_DEFINITION, threshold: 1 }],
    ["horizon 0", label({ horizonBars: 0 })],
    ["a fractional horizon", label({ horizonBars: 1.5 })],
    ["a negative band", label({ noTradeBandSpreads: -0.5 })],
    ["a NaN band", label({ noTradeBandSpreads: Number.NaN })],
    ["another class set", { ...DEFAULT_LABEL_DEFINITION, classes: "five-class" }],
    ["another kind", { ...DEFAULT_LABEL_DEFINITION, kind: "volatility" }],
    ["a missing field", { kind: "direction", horizonBars: 15, classes: "binary" }],
  ])("refuses %s", (_name, value) => {
    expect(LabelDefinitionSchema.safeParse(value).success).toBe(false);
  });

  it("names the classes by index", () => {
    expect(classLabels(label({ classes: "binary" }))).toEqual(["down", "up"]);
    expect(classLabels(label({ classes: "three-class" }))).toEqual(["sell", "hold", "buy"]);
    expect([classCount(label({ classes: "binary" })), classCount(label({ classes: "three-class" }))]).toEqual([2, 3]);
  });
});

describe("labelBars, binary", () => {
  it("labels by the sign of close[t+h] − close[t] with no band; a flat move is 0; the last h bars have none", () => {
    const rows = labelBars(bars([2300.0, 2300.1, 2300.0, 2300.3, 2299.5, 2299.6]), label({ horizonBars: 2 }), XAU);
    expect(classes(rows)).toEqual([0, 1, 0, 0, "NO_FORWARD_BAR", "NO_FORWARD_BAR"]);
    expect(rows[1]).toEqual({
      tsMs: T0 + MINUTE,
      label: 1,
      exclusion: undefined,
      forwardReturn: 2300.3 / 2300.1 - 1,
      movePoints: 20,
      bandPoints: 0,
    });
    expect(rows[0]?.movePoints).toBe(0);
    expect(rows[4]).toEqual({
      tsMs: T0 + 4 * MINUTE,
      label: undefined,
      exclusion: "NO_FORWARD_BAR",
      forwardReturn: undefined,
      movePoints: undefined,
      bandPoints: 0,
    });
  });

  it("excludes moves inside the band of noTradeBandSpreads × spread, its edges included, even with float noise", () => {
    expect((2300.15 - 2300.1) / 0.01).not.toBe(5);
    const closes = [2300.1, 2300.15, 2300.1, 2300.16, 2300.1, 2300.05, 2300.1, 2300.04, 2300.1, 2300.1];
    const rows = labelBars(bars(closes, 5), label({ horizonBars: 1, noTradeBandSpreads: 1 }), XAU);
    expect(classes(rows.filter((_, index) => index % 2 === 0))).toEqual([
      "IN_NO_TRADE_BAND",
      1,
      "IN_NO_TRADE_BAND",
      0,
      "IN_NO_TRADE_BAND",
    ]);
    expect(rows.map((row) => row.bandPoints)).toEqual(new Array(10).fill(5));
    expect(rows[0]?.movePoints).toBe(5);
  });

  it("scales the band by the spread of bar t alone, in points (price units = points × pointSize)", () => {
    const series: LabelBar[] = [
      { tsMs: T0, close: 2300.0, spreadAvgPoints: 10 },
      { tsMs: T0 + MINUTE, close: 2300.3, spreadAvgPoints: 40 },
      { tsMs: T0 + 2 * MINUTE, close: 2300.0, spreadAvgPoints: 100 },
    ];
    const rows = labelBars(series, label({ horizonBars: 1, noTradeBandSpreads: 1.5 }), XAU);
    expect(classes(rows)).toEqual([1, "IN_NO_TRADE_BAND", "NO_FORWARD_BAR"]);
    expect(rows.map((row) => row.bandPoints)).toEqual([15, 60, 150]);
    const silver = labelBars(series, label({ horizonBars: 1, noTradeBandSpreads: 1.5 }), { ...XAU, pointSize: 0.001 });
    expect(silver.map((row) => row.movePoints)).toEqual([300, -300, undefined]);
    expect(classes(silver)).toEqual([1, 0, "NO_FORWARD_BAR"]);
  });

  it("labels every move, a flat one as 0, when the band is zero because the spread is", () => {
    const rows = labelBars(bars([2300.0, 2300.0, 2300.01, 2300.0], 0), label({ horizonBars: 1, noTradeBandSpreads: 3 }), XAU);
    expect(classes(rows)).toEqual([0, 1, 0, "NO_FORWARD_BAR"]);
  });
});

describe("labelBars, three-class", () => {
  it("gives sell(0) below −band, buy(2) above band and hold(1) in between, edges and flat moves included", () => {
    const closes = [2300.1, 2300.15, 2300.1, 2300.16, 2300.1, 2300.05, 2300.1, 2300.04, 2300.1, 2300.1];
    const rows = labelBars(bars(closes, 5), label({ horizonBars: 1, classes: "three-class", noTradeBandSpreads: 1 }), XAU);
    expect(classes(rows.filter((_, index) => index % 2 === 0))).toEqual([1, 2, 1, 0, 1]);
    const flat = labelBars(bars([2300, 2300, 2301, 2299]), label({ horizonBars: 1, classes: "three-class" }), XAU);
    expect(classes(flat)).toEqual([1, 2, 0, "NO_FORWARD_BAR"]);
  });
});

describe("labelBars, gaps", () => {
  const friday = Date.UTC(2026, 2, 27, 20, 55);
  const sunday = Date.UTC(2026, 2, 29, 22, 0);
  const series: LabelBar[] = [
    { tsMs: friday, close: 2300.0, spreadAvgPoints: 5 },
    { tsMs: friday + MINUTE, close: 2300.5, spreadAvgPoints: 5 },
    { tsMs: friday + 2 * MINUTE, close: 2301.0, spreadAvgPoints: 5 },
    { tsMs: sunday, close: 2290.0, spreadAvgPoints: 40 },
    { tsMs: sunday + MINUTE, close: 2291.0, spreadAvgPoints: 30 },
    { tsMs: sunday + 3 * MINUTE, close: 2292.0, spreadAvgPoints: 20 },
    { tsMs: sunday + 4 * MINUTE, close: 2293.0, spreadAvgPoints: 20 },
    { tsMs: sunday + 5 * MINUTE, close: 2292.0, spreadAvgPoints: 20 },
  ];

  it("leaves undefined a label whose bar t + h is more than h minutes after t: weekend and a missing minute alike", () => {
    const rows = labelBars(series, label({ horizonBars: 2 }), XAU);
    expect(classes(rows)).toEqual([1, "GAP", "GAP", "GAP", "GAP", 0, "NO_FORWARD_BAR", "NO_FORWARD_BAR"]);
    expect(rows[1]).toMatchObject({ label: undefined, forwardReturn: undefined, movePoints: undefined });
  });

  it("measures the gap in bar lengths of the context's timeframe", () => {
    const m5 = bars([2300, 2301, 2302]).map((bar, index) => ({ ...bar, tsMs: T0 + index * 5 * MINUTE }));
    expect(classes(labelBars(m5, label({ horizonBars: 1 }), { ...XAU, timeframe: "M5" }))).toEqual([1, 1, "NO_FORWARD_BAR"]);
    expect(classes(labelBars(m5, label({ horizonBars: 1 }), XAU))).toEqual(["GAP", "GAP", "NO_FORWARD_BAR"]);
  });
});

describe("labelBars reads no bar after t + h", () => {
  const walk = randomWalk(700, 7);
  const definitions: LabelDefinition[] = [
    label({ horizonBars: 15 }),
    label({ horizonBars: 15, noTradeBandSpreads: 0.5 }),
    label({ horizonBars: 7, classes: "three-class", noTradeBandSpreads: 1 }),
  ];

  it.each(definitions)("gives at every t, from the bars up to t + h only, the label of the whole series (%o)", (definition) => {
    const full = labelBars(walk, definition, XAU);
    const seen = new Set(full.map((row) => row.label ?? row.exclusion));
    expect(seen.has("GAP")).toBe(true);
    expect([...seen].filter((value) => typeof value === "number").length).toBeGreaterThanOrEqual(2);
    walk.forEach((_, t) => {
      const prefix = walk.slice(0, t + definition.horizonBars + 1);
      expect(labelBars(prefix, definition, XAU)[t]).toEqual(full[t]);
      expect(labelAt(prefix, t, definition, XAU)).toEqual(full[t]);
    });
  });

  it("keeps every label up to t when each bar after t + h is rewritten, and does see a change of bar t + h", () => {
    const definition = label({ horizonBars: 15, noTradeBandSpreads: 0.5 });
    const full = labelBars(walk, definition, XAU);
    const next = random(11);
    for (const t of [0, 100, 333, 600]) {
      const future = walk.slice(t + 16).map((bar) => ({
        tsMs: bar.tsMs + 3 * MINUTE,
        close: Math.round(bar.close * (0.5 + next()) * 100) / 100,
        spreadAvgPoints: next() * 500,
      }));
      const rewritten = [...walk.slice(0, t + 16), ...future];
      expect(labelBars(rewritten, definition, XAU).slice(0, t + 1)).toEqual(full.slice(0, t + 1));
    }
    const t = full.findIndex((row, index) => row.label === 1 && index > 50);
    const moved = walk.map((bar, index) => (index === t + 15 ? { ...bar, close: 100 } : bar));
    expect(labelBars(moved, definition, XAU)[t]?.label).toBe(0);
  });
});

describe("labelBars input checks", () => {
  it.each([
    ["bars out of order", [{ tsMs: T0 + MINUTE, close: 1, spreadAvgPoints: 1 }, { tsMs: T0, close: 1, spreadAvgPoints: 1 }]],
    ["a repeated time", [{ tsMs: T0, close: 1, spreadAvgPoints: 1 }, { tsMs: T0, close: 2, spreadAvgPoints: 1 }]],
    ["a zero close", [{ tsMs: T0, close: 0, spreadAvgPoints: 1 }]],
    ["a NaN close", [{ tsMs: T0, close: Number.NaN, spreadAvgPoints: 1 }]],
    ["a negative spread", [{ tsMs: T0, close: 1, spreadAvgPoints: -1 }]],
    ["an infinite spread", [{ tsMs: T0, close: 1, spreadAvgPoints: Number.POSITIVE_INFINITY }]],
  ])("throws a RangeError on %s", (_name, series) => {
    expect(() => labelBars(series, DEFAULT_LABEL_DEFINITION, XAU)).toThrow(RangeError);
  });

  it("throws a RangeError on a bad definition, point size, timeframe or index", () => {
    const series = bars([2300, 2301]);
    expect(() => labelBars(series, label({ horizonBars: 0 }), XAU)).toThrow(RangeError);
    expect(() => labelBars(series, DEFAULT_LABEL_DEFINITION, { ...XAU, pointSize: 0 })).toThrow(RangeError);
    expect(() => labelBars(series, DEFAULT_LABEL_DEFINITION, { ...XAU, timeframe: "D1" as "M1" })).toThrow(RangeError);
    expect(() => labelAt(series, 2, DEFAULT_LABEL_DEFINITION, XAU)).toThrow(RangeError);
    expect(() => labelAt(series, -1, DEFAULT_LABEL_DEFINITION, XAU)).toThrow(RangeError);
    expect(labelBars([], DEFAULT_LABEL_DEFINITION, XAU)).toEqual([]);
  });

  it("checks with labelAt only the bars it reads", () => {
    const series = [...bars([2300, 2301, 2302]), { tsMs: T0, close: -1, spreadAvgPoints: 1 }];
    expect(labelAt(series, 0, label({ horizonBars: 2 }), XAU).label).toBe(1);
    expect(() => labelAt(series, 1, label({ horizonBars: 2 }), XAU)).toThrow(RangeError);
  });
});

describe("summarizeLabels", () => {
  it("counts labels by class and exclusions by reason", () => {
    const closes = [2300.1, 2300.15, 2300.1, 2300.16, 2300.1, 2300.05, 2300.1, 2300.04, 2300.1, 2300.1];
    const definition = label({ horizonBars: 1, noTradeBandSpreads: 1 });
    expect(summarizeLabels(labelBars(bars(closes, 5), definition, XAU), definition)).toEqual({
      byClass: [2, 2],
      excluded: { NO_FORWARD_BAR: 1, GAP: 0, IN_NO_TRADE_BAND: 5 },
    });
  });
});
