import { describe, expect, it } from "vitest";
import { ReturnHistory } from "../../../core/risk/return-history.js";
import { MINUTE_MS, T0_MS } from "./risk-builders.js";

const at = (minute: number) => T0_MS + minute * MINUTE_MS;

describe("ReturnHistory", () => {
  it("keeps the latest `capacity` closes per symbol", () => {
    const history = new ReturnHistory(3);
    for (let minute = 0; minute < 5; minute++) history.push("XAUUSD", at(minute), 2300 + minute);
    expect(history.size("XAUUSD")).toBe(3);
    expect(history.series("XAUUSD")).toEqual({ barTsMs: [at(2), at(3), at(4)], closes: [2302, 2303, 2304] });
    expect(history.latestTsMs("XAUUSD")).toBe(at(4));
    expect(history.size("XAGUSD")).toBe(0);
    expect(history.latestTsMs("XAGUSD")).toBeNull();
  });

  it("defaults to one day of M1 bars", () => {
    expect(new ReturnHistory().capacity).toBe(1_440);
  });

  it("replaces a re-delivered bar and ignores an older one", () => {
    const history = new ReturnHistory(10);
    history.push("XAUUSD", at(0), 2300);
    history.push("XAUUSD", at(1), 2301);
    expect(history.push("XAUUSD", at(1), 2301.5)).toBe(true);
    expect(history.push("XAUUSD", at(0), 2299)).toBe(false);
    expect(history.series("XAUUSD")).toEqual({ barTsMs: [at(0), at(1)], closes: [2300, 2301.5] });
  });

  it("refuses non-positive or non-finite closes", () => {
    const history = new ReturnHistory(10);
    for (const close of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => history.push("XAUUSD", at(0), close)).toThrow(RangeError);
    expect(() => new ReturnHistory(1)).toThrow(RangeError);
  });

  it("aligns returns on the bar times every symbol has", () => {
    const history = new ReturnHistory(100);
    const gold = [100, 101, 102, 103, 104, 105];
    const silver = [10, 11, null, 13, 14, 15];
    gold.forEach((close, minute) => history.push("XAUUSD", at(minute), close));
    silver.forEach((close, minute) => {
      if (close !== null) history.push("XAGUSD", at(minute), close);
    });
    history.push("XAGUSD", at(6), 16); // gold has no bar 6
    const aligned = history.alignedReturns(["XAUUSD", "XAGUSD"]);
    expect(aligned.barTsMs).toEqual([at(1), at(3), at(4), at(5)]);
    expect(aligned.returns[0]).toEqual([Math.log(101) - Math.log(100), Math.log(103) - Math.log(101), Math.log(104) - Math.log(103), Math.log(105) - Math.log(104)]);
    expect(aligned.returns[1]).toEqual([Math.log(11) - Math.log(10), Math.log(13) - Math.log(11), Math.log(14) - Math.log(13), Math.log(15) - Math.log(14)]);
    expect(history.alignedReturns(["XAUUSD"]).returns[0]).toHaveLength(5);
    expect(history.alignedReturns(["XAUUSD", "EURUSD"])).toEqual({ barTsMs: [], returns: [[], []] });
  });

  it("aligns correctly after the rings wrap", () => {
    const history = new ReturnHistory(5);
    for (let minute = 0; minute < 12; minute++) {
      history.push("XAUUSD", at(minute), 100 + minute);
      if (minute % 2 === 0) history.push("XAGUSD", at(minute), 10 + minute);
    }
    // Gold keeps minutes 7–11, silver 2–10 (even): common 8, 10.
    const aligned = history.alignedReturns(["XAGUSD", "XAUUSD"]);
    expect(aligned.barTsMs).toEqual([at(10)]);
    expect(aligned.returns).toEqual([[Math.log(20) - Math.log(18)], [Math.log(110) - Math.log(108)]]);
  });

  it("round-trips through a JSON snapshot", () => {
    const history = new ReturnHistory(4);
    for (let minute = 0; minute < 7; minute++) {
      history.push("XAUUSD", at(minute), 2300 + minute);
      history.push("EURUSD", at(minute), 1.08 + minute / 10_000);
    }
    const snapshot = JSON.parse(JSON.stringify(history.snapshot()));
    const restored = new ReturnHistory(1_440, snapshot);
    expect(restored.capacity).toBe(4);
    expect(restored.snapshot()).toEqual(history.snapshot());
    restored.push("XAUUSD", at(7), 2400);
    history.push("XAUUSD", at(7), 2400);
    expect(restored.alignedReturns(["XAUUSD", "EURUSD"])).toEqual(history.alignedReturns(["XAUUSD", "EURUSD"]));
  });

  it("refuses a corrupt snapshot", () => {
    const bad = { capacity: 4, series: { XAUUSD: { barTsMs: [2, 1], closes: [1, 2] } } };
    expect(() => new ReturnHistory(4, bad)).toThrow();
    const tooLong = { capacity: 2, series: { XAUUSD: { barTsMs: [1, 2, 3], closes: [1, 2, 3] } } };
    expect(() => new ReturnHistory(2, tooLong)).toThrow();
  });
});
