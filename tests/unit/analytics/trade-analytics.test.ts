/** Trade analytics grouping (core/analytics/trade-analytics.ts) against hand-computed figures. */
import { describe, expect, it } from "vitest";
import { analyseTrades, confidenceBucket, CONFIDENCE_BUCKET_KEYS, entryHourUtc, type TradeAnalyticsInput } from "../../../core/analytics/trade-analytics.js";
import type { TradeGroupStats } from "../../../core/schemas/trading-api.js";

function makeTrade(overrides: Partial<TradeAnalyticsInput> = {}): TradeAnalyticsInput {
  return { exitReason: "take-profit", regime: "trending", entryTsMs: Date.UTC(2024, 0, 1, 7, 30), confidence: 0.6, netPnlUsd: 10, rMultiple: 1, ...overrides };
}

/** Five trades whose groups are worked out by hand below. */
const TRADES: TradeAnalyticsInput[] = [
  // A: a +30 winner, 1.5 R, 07:30 UTC, confidence 0.62
  makeTrade({ exitReason: "take-profit", regime: "trending", entryTsMs: Date.UTC(2024, 0, 1, 7, 30), confidence: 0.62, netPnlUsd: 30, rMultiple: 1.5 }),
  // B: a −20 loser, −1 R, 07:59:59.999 UTC, confidence exactly 0.55
  makeTrade({ exitReason: "stop-loss", regime: "trending", entryTsMs: Date.UTC(2024, 0, 1, 7, 59, 59, 999), confidence: 0.55, netPnlUsd: -20, rMultiple: -1 }),
  // C: a −10 loser without a stop (no R) or confidence, 13:00 UTC
  makeTrade({ exitReason: "stop-loss", regime: "ranging", entryTsMs: Date.UTC(2024, 0, 1, 13), confidence: null, netPnlUsd: -10, rMultiple: null }),
  // D: a +50 winner, 2.5 R, 23:10 UTC, confidence 0.95
  makeTrade({ exitReason: "take-profit", regime: "volatile", entryTsMs: Date.UTC(2024, 0, 2, 23, 10), confidence: 0.95, netPnlUsd: 50, rMultiple: 2.5 }),
  // E: a scratch (0, neither win nor loss), 0 R, midnight UTC, confidence 0.49
  makeTrade({ exitReason: "manual", regime: "ranging", entryTsMs: Date.UTC(2024, 0, 3), confidence: 0.49, netPnlUsd: 0, rMultiple: 0 }),
];

const group = (key: string, trades: number, wins: number, winRatePct: number, netPnlUsd: number, averageNetPnlUsd: number, averageRMultiple: number | null, profitFactor: number | null): TradeGroupStats =>
  ({ key, trades, wins, winRatePct, netPnlUsd, averageNetPnlUsd, averageRMultiple, profitFactor });

/** Compares numbers to 1e-9 (sums of floats), everything else exactly. */
function expectGroups(actual: TradeGroupStats[], expected: TradeGroupStats[]): void {
  expect(actual.map((g) => g.key)).toEqual(expected.map((g) => g.key));
  actual.forEach((g, i) => {
    const e = expected[i] as TradeGroupStats;
    for (const field of Object.keys(e) as (keyof TradeGroupStats)[]) {
      const [a, b] = [g[field], e[field]];
      if (typeof a === "number" && typeof b === "number") expect(a, `${g.key}.${field}`).toBeCloseTo(b, 9);
      else expect(a, `${g.key}.${field}`).toEqual(b);
    }
  });
}

describe("analyseTrades", () => {
  const result = analyseTrades(TRADES);

  it("totals: 2 wins of 5, net +50, mean R over the four trades with one, profit factor 80 / 30", () => {
    expectGroups([result.totals], [group("all", 5, 2, 40, 50, 10, 0.75, 80 / 30)]);
  });

  it("groups by exit reason in the order the reasons are defined", () => {
    expectGroups(result.byExitReason, [
      group("stop-loss", 2, 0, 0, -30, -15, -1, 0),
      group("take-profit", 2, 2, 100, 80, 40, 2, null),
      group("manual", 1, 0, 0, 0, 0, 0, null),
    ]);
  });

  it("groups by regime", () => {
    expectGroups(result.byRegime, [
      group("trending", 2, 1, 50, 10, 5, 0.25, 1.5),
      group("ranging", 2, 0, 0, -10, -5, 0, 0),
      group("volatile", 1, 1, 100, 50, 50, 2.5, null),
    ]);
  });

  it("groups by UTC hour of entry, ascending, two-digit keys", () => {
    expectGroups(result.byEntryHourUtc, [
      group("00", 1, 0, 0, 0, 0, 0, null),
      group("07", 2, 1, 50, 10, 5, 0.25, 1.5),
      group("13", 1, 0, 0, -10, -10, null, 0),
      group("23", 1, 1, 100, 50, 50, 2.5, null),
    ]);
  });

  it("groups by confidence bucket: below 0.50, 0.05 wide buckets (0.55 opens its own), none last", () => {
    expectGroups(result.byConfidence, [
      group("<0.50", 1, 0, 0, 0, 0, 0, null),
      group("0.55-0.60", 1, 0, 0, -20, -20, -1, 0),
      group("0.60-0.65", 1, 1, 100, 30, 30, 1.5, null),
      group("0.95-1.00", 1, 1, 100, 50, 50, 2.5, null),
      group("none", 1, 0, 0, -10, -10, null, 0),
    ]);
  });

  it("every group's trades add up to the total", () => {
    for (const groups of [result.byExitReason, result.byRegime, result.byEntryHourUtc, result.byConfidence]) {
      expect(groups.reduce((sum, g) => sum + g.trades, 0)).toBe(5);
      expect(groups.reduce((sum, g) => sum + g.netPnlUsd, 0)).toBeCloseTo(50, 9);
    }
  });

  it("answers zeros and nulls for no trades, with no groups", () => {
    expect(analyseTrades([])).toEqual({
      totals: group("all", 0, 0, 0, 0, 0, null, null),
      byExitReason: [],
      byRegime: [],
      byEntryHourUtc: [],
      byConfidence: [],
    });
  });

  it("a group of only losers has profit factor 0; a group of only scratches has none", () => {
    expect(analyseTrades([makeTrade({ netPnlUsd: -5 }), makeTrade({ netPnlUsd: -15 })]).totals).toMatchObject({ wins: 0, profitFactor: 0, averageNetPnlUsd: -10 });
    expect(analyseTrades([makeTrade({ netPnlUsd: 0 })]).totals).toMatchObject({ wins: 0, winRatePct: 0, profitFactor: null });
  });

  it("reads any iterable once (a generator)", () => {
    function* generate(): Generator<TradeAnalyticsInput> {
      yield* TRADES;
    }
    expect(analyseTrades(generate())).toEqual(result);
  });
});

describe("confidenceBucket", () => {
  it("puts null in none, below 0.5 in <0.50, 1 in the last (closed) bucket", () => {
    expect(confidenceBucket(null)).toBe("none");
    expect(confidenceBucket(0)).toBe("<0.50");
    expect(confidenceBucket(0.4999999)).toBe("<0.50");
    expect(confidenceBucket(0.5)).toBe("0.50-0.55");
    expect(confidenceBucket(1)).toBe("0.95-1.00");
    expect(confidenceBucket(1.0000001)).toBe(">1.00");
  });

  it.each([
    [0.5, "0.50-0.55"], [0.55, "0.55-0.60"], [0.6, "0.60-0.65"], [0.65, "0.65-0.70"], [0.7, "0.70-0.75"], [0.75, "0.75-0.80"],
    [0.8, "0.80-0.85"], [0.85, "0.85-0.90"], [0.9, "0.90-0.95"], [0.95, "0.95-1.00"],
  ])("opens a bucket exactly at its lower edge %s (no floating-point slip)", (edge, key) => {
    expect(confidenceBucket(edge)).toBe(key);
    expect(confidenceBucket(edge - 1e-12)).not.toBe(key);
  });

  it.each([[0.57, "0.55-0.60"], [0.58, "0.55-0.60"], [0.6499999, "0.60-0.65"], [0.71, "0.70-0.75"], [0.999, "0.95-1.00"]])("%s → %s", (value, key) => {
    expect(confidenceBucket(value)).toBe(key);
  });

  it("lists the keys in display order", () => {
    expect(CONFIDENCE_BUCKET_KEYS).toEqual([
      "<0.50", "0.50-0.55", "0.55-0.60", "0.60-0.65", "0.65-0.70", "0.70-0.75", "0.75-0.80", "0.80-0.85", "0.85-0.90", "0.90-0.95", "0.95-1.00", ">1.00", "none",
    ]);
  });
});

describe("entryHourUtc", () => {
  it("takes the UTC hour, also before 1970", () => {
    expect(entryHourUtc(Date.UTC(2024, 0, 1, 0, 0))).toBe("00");
    expect(entryHourUtc(Date.UTC(2024, 0, 1, 7, 59, 59, 999))).toBe("07");
    expect(entryHourUtc(Date.UTC(2024, 6, 1, 23, 0))).toBe("23");
    expect(entryHourUtc(Date.UTC(1969, 11, 31, 22, 30))).toBe("22");
  });
});
