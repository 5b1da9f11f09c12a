/** Chart markers: champion direction changes on the chart's bars, trade entries and exits at their fills, in chart order. */
import { describe, expect, it } from "vitest";
import { signalMarkers, sortMarkers, tradeMarkers } from "../../../core/live/markers.js";
import type { Signal } from "../../../core/schemas/serving.js";
import type { Trade } from "../../../core/schemas/trading.js";
import { T0_MS } from "../../support/builders.js";

const MIN = 60_000;

function signal(minute: number, action: Signal["action"], overrides: Partial<Signal> = {}): Signal {
  const up = action === "buy" ? 0.62 : 0.38;
  return {
    ts: T0_MS + minute * MIN, symbol: "XAUUSD", timeframe: "M1", role: "champion", modelVersion: "XAUUSD-M1-20260301T000000Z-0123abcd",
    probabilities: { down: 1 - up, up }, action, confidence: Math.max(up, 1 - up), createdAtMs: T0_MS + (minute + 1) * MIN, outcome: null, ...overrides,
  };
}

function trade(overrides: Partial<Trade> = {}): Trade {
  return {
    id: "XAUUSD-1", accountId: "default", symbol: "XAUUSD", side: "buy", lots: 0.5, units: 50, entryTsMs: T0_MS + 61_000, entryPrice: 2301.3,
    exitTsMs: T0_MS + 7 * MIN + 5_000, exitPrice: 2303.7, exitReason: "take-profit", stopPrice: 2295, initialStopPrice: 2295, targetPrice: 2303.7,
    grossPnlUsd: 120, commissionUsd: 0, slippageUsd: 0, netPnlUsd: 120, maeUsd: -15, mfeUsd: 130, rMultiple: 0.38, holdingMs: 6 * MIN, strategy: "manual",
    signalTsMs: null, modelVersion: null, confidence: null, regime: "unknown", ...overrides,
  };
}

const RANGE = { fromTs: T0_MS, toTs: T0_MS + 60 * MIN };

describe("signalMarkers", () => {
  it("marks the first signal and each change of direction, not every signal, and never the shadow's", () => {
    const signals = [signal(3, "sell"), signal(0, "buy"), signal(1, "buy"), signal(2, "sell"), signal(4, "buy"), signal(4, "sell", { role: "shadow" })];
    expect(signalMarkers(signals, "M1", RANGE)).toEqual([
      { kind: "signal", id: `signal:${T0_MS}`, barTs: T0_MS, action: "buy", text: "buy 62 %" },
      { kind: "signal", id: `signal:${T0_MS + 2 * MIN}`, barTs: T0_MS + 2 * MIN, action: "sell", text: "sell 62 %" },
      { kind: "signal", id: `signal:${T0_MS + 4 * MIN}`, barTs: T0_MS + 4 * MIN, action: "buy", text: "buy 62 %" },
    ]);
  });

  it("puts changes on the chart's bars, keeping the newest per bar, and leaves out bars off the chart", () => {
    const signals = [signal(0, "buy"), signal(2, "sell"), signal(3, "buy"), signal(6, "sell"), signal(70, "buy")];
    expect(signalMarkers(signals, "M5", RANGE).map((m) => [m.barTs, m.kind === "signal" && m.action])).toEqual([
      [T0_MS, "buy"],
      [T0_MS + 5 * MIN, "sell"],
    ]);
  });
});

describe("tradeMarkers", () => {
  it("marks the entry and the exit at their fill prices on the bars they fall in", () => {
    expect(tradeMarkers([trade()], "M5", RANGE)).toEqual([
      { kind: "entry", id: "entry:XAUUSD-1", barTs: T0_MS, side: "buy", price: 2301.3, text: "buy 0.50 lots" },
      { kind: "exit", id: "exit:XAUUSD-1", barTs: T0_MS + 5 * MIN, side: "buy", price: 2303.7, text: "exit +$120.00" },
    ]);
  });

  it("leaves out an end that is not on the chart", () => {
    const early = trade({ id: "XAUUSD-2", side: "sell", entryTsMs: T0_MS - 10 * MIN, netPnlUsd: -40.5 });
    expect(tradeMarkers([early], "M1", RANGE)).toEqual([expect.objectContaining({ kind: "exit", text: "exit −$40.50" })]);
  });
});

describe("sortMarkers", () => {
  it("orders by bar time, then signal before entry before exit", () => {
    const markers = [...tradeMarkers([trade({ exitTsMs: T0_MS + 61_500 })], "M1", RANGE), ...signalMarkers([signal(1, "buy"), signal(0, "sell")], "M1", RANGE)];
    expect(sortMarkers(markers).map((m) => `${m.barTs - T0_MS}:${m.kind}`)).toEqual(["0:signal", "60000:signal", "60000:entry", "60000:exit"]);
  });
});
