import { describe, expect, it } from "vitest";
import { advanceStop, initialExitLevels, type StopHolder } from "../../../core/risk/exit-levels.js";
import { ExitConfigSchema, type ExitConfig } from "../../../core/schemas/trading.js";

function exits(overrides: Partial<ExitConfig> = {}): ExitConfig {
  return { ...ExitConfigSchema.parse({}), ...overrides };
}

describe("initialExitLevels", () => {
  it("puts a buy's stop below and its target above the entry, in ATR multiples", () => {
    expect(initialExitLevels("buy", 2300, 1.5, exits({ stopAtr: 2, targetAtr: 3 }), 2)).toEqual({ stopPrice: 2297, targetPrice: 2304.5 });
  });

  it("mirrors a sell", () => {
    expect(initialExitLevels("sell", 2300, 1.5, exits({ stopAtr: 2, targetAtr: 3 }), 2)).toEqual({ stopPrice: 2303, targetPrice: 2295.5 });
  });

  it("rounds to the instrument's digits", () => {
    const levels = initialExitLevels("buy", 1.08123, 0.000333, exits({ stopAtr: 2, targetAtr: 3 }), 5);
    expect(levels).toEqual({ stopPrice: 1.08056, targetPrice: 1.08223 });
    expect(initialExitLevels("sell", 2300.1, 0.1, exits({ stopAtr: 3, targetAtr: 1 }), 2)).toEqual({ stopPrice: 2300.4, targetPrice: 2300 });
  });

  it("has no target when targetAtr is null", () => {
    expect(initialExitLevels("buy", 2300, 1, exits({ stopAtr: 2, targetAtr: null }), 2)).toEqual({ stopPrice: 2298, targetPrice: null });
  });

  it("sets nothing without a usable ATR", () => {
    for (const atr of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(initialExitLevels("buy", 2300, atr, exits(), 2)).toEqual({ stopPrice: null, targetPrice: null });
    }
  });
});

describe("advanceStop", () => {
  const long: StopHolder = { side: "buy", entryPrice: 2300, stopPrice: 2297, stopReason: "initial" };
  const short: StopHolder = { side: "sell", entryPrice: 2300, stopPrice: 2303, stopReason: "initial" };

  it("returns the same object when nothing applies", () => {
    expect(advanceStop(long, 2310, 1.5, exits(), 2)).toBe(long);
    expect(advanceStop(long, 2299, 1.5, exits({ trailingAtr: 1, breakEvenAtr: 1 }), 2)).toBe(long);
    expect(advanceStop(long, 2310, Number.NaN, exits({ trailingAtr: 1 }), 2)).toBe(long);
  });

  it("moves a long's stop to the entry once the gain reaches breakEvenAtr", () => {
    const config = exits({ breakEvenAtr: 1 });
    expect(advanceStop(long, 2301.49, 1.5, config, 2)).toBe(long);
    expect(advanceStop(long, 2301.5, 1.5, config, 2)).toEqual({ stopPrice: 2300, stopReason: "break-even" });
  });

  it("moves a short's stop to the entry once the gain reaches breakEvenAtr", () => {
    expect(advanceStop(short, 2298.5, 1.5, exits({ breakEvenAtr: 1 }), 2)).toEqual({ stopPrice: 2300, stopReason: "break-even" });
  });

  it("rounds a break-even stop towards the trade's favour, never past the entry", () => {
    const oddEntry: StopHolder = { side: "buy", entryPrice: 2300.123, stopPrice: 2297, stopReason: "initial" };
    expect(advanceStop(oddEntry, 2305, 1, exits({ breakEvenAtr: 1 }), 2)).toEqual({ stopPrice: 2300.13, stopReason: "break-even" });
    const oddShort: StopHolder = { side: "sell", entryPrice: 2300.127, stopPrice: 2303, stopReason: "initial" };
    expect(advanceStop(oddShort, 2295, 1, exits({ breakEvenAtr: 1 }), 2)).toEqual({ stopPrice: 2300.12, stopReason: "break-even" });
  });

  it("trails a long's stop behind the best bid once in profit", () => {
    expect(advanceStop(long, 2302, 1.5, exits({ trailingAtr: 1 }), 2)).toEqual({ stopPrice: 2300.5, stopReason: "trailing" });
  });

  it("trails a short's stop above the best ask", () => {
    expect(advanceStop(short, 2298, 1.5, exits({ trailingAtr: 1 }), 2)).toEqual({ stopPrice: 2299.5, stopReason: "trailing" });
  });

  it("only ever tightens the stop", () => {
    const config = exits({ trailingAtr: 2 });
    let stop: StopHolder = long;
    const path = [2301, 2305, 2303, 2310, 2304, 2309.99, 2312];
    const stops: (number | null)[] = [];
    for (const best of path) {
      const next = advanceStop(stop, best, 1, config, 2);
      stop = { ...stop, ...next };
      stops.push(stop.stopPrice);
    }
    for (let i = 1; i < stops.length; i++) expect(stops[i]!).toBeGreaterThanOrEqual(stops[i - 1]!);
    expect(stops).toEqual([2299, 2303, 2303, 2308, 2308, 2308, 2310]);

    let shortStop: StopHolder = short;
    for (const best of [2299, 2295, 2297, 2290]) shortStop = { ...shortStop, ...advanceStop(shortStop, best, 1, config, 2) };
    expect(shortStop.stopPrice).toBe(2292);
  });

  it("a trailing candidate looser than the current stop changes nothing", () => {
    const tight: StopHolder = { side: "buy", entryPrice: 2300, stopPrice: 2301, stopReason: "break-even" };
    expect(advanceStop(tight, 2302, 1, exits({ trailingAtr: 1.5 }), 2)).toBe(tight);
  });

  it("takes the tighter of break-even and trailing", () => {
    const both = exits({ trailingAtr: 3, breakEvenAtr: 1 });
    // Gain 2 ATR: break-even (2300) is tighter than trailing (2302 − 3 = 2299).
    expect(advanceStop(long, 2302, 1, both, 2)).toEqual({ stopPrice: 2300, stopReason: "break-even" });
    // Gain 5 ATR: trailing (2305 − 3 = 2302) is tighter.
    expect(advanceStop(long, 2305, 1, both, 2)).toEqual({ stopPrice: 2302, stopReason: "trailing" });
    // A tie keeps break-even.
    expect(advanceStop(long, 2303, 1, both, 2)).toEqual({ stopPrice: 2300, stopReason: "break-even" });
  });

  it("sets a stop on a position that had none", () => {
    const none: StopHolder = { side: "buy", entryPrice: 2300, stopPrice: null, stopReason: "initial" };
    expect(advanceStop(none, 2304, 1, exits({ trailingAtr: 2 }), 2)).toEqual({ stopPrice: 2302, stopReason: "trailing" });
  });
});
