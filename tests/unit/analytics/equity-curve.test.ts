/** The closed-trade equity curve of the analytics page, against hand-computed values. */
import { describe, expect, it } from "vitest";
import { chartDataOf, equityCurveOf } from "../../../core/analytics/equity-curve.js";

const trade = (id: string, exitTsMs: number, netPnlUsd: number) => ({ id, exitTsMs, netPnlUsd });

describe("equityCurveOf", () => {
  it("adds net P&L in exit order (ties by id, whatever the input order) and measures the drawdown below the running peak", () => {
    const curve = equityCurveOf([trade("c", 3_000, -300), trade("b", 2_000, 200), trade("a", 2_000, -100), trade("d", 4_000, 50)], 1_000);
    expect(curve.points.map((p) => p.equityUsd)).toEqual([900, 1_100, 800, 850]);
    expect(curve.points.map((p) => p.drawdownUsd)).toEqual([-100, 0, -300, -250]);
    expect(curve.points[2]?.drawdownPct).toBeCloseTo((-300 / 1_100) * 100, 12);
    expect(curve.points[0]?.drawdownPct).toBeCloseTo(-10, 12);
    expect(curve.endEquityUsd).toBe(850);
    expect(curve.maxDrawdown).toEqual(curve.points[2]);
  });

  it("is flat without trades", () => {
    expect(equityCurveOf([], 5_000)).toEqual({ startEquityUsd: 5_000, points: [], endEquityUsd: 5_000, maxDrawdown: null });
  });
});

describe("chartDataOf", () => {
  it("keeps one point per second of exit time: the equity after the last trade of that second", () => {
    const data = chartDataOf(equityCurveOf([trade("a", 1_500, 1), trade("b", 1_900, 2), trade("c", 3_000, -4)], 10));
    expect(data).toEqual({ startEquityUsd: 10, points: [{ timeS: 1, equityUsd: 13, drawdownPct: 0 }, { timeS: 3, equityUsd: 9, drawdownPct: (-4 / 13) * 100 }] });
  });
});
