/** The trading read API's query schemas (core/schemas/trading-api.ts): keyset cursors, filters, limits, severities. */
import { describe, expect, it } from "vitest";
import {
  decodeCursor,
  encodeCursor,
  RiskAlertsQuerySchema,
  severitiesAtLeast,
  TradeAnalyticsQuerySchema,
  TradesQuerySchema,
} from "../../../core/schemas/trading-api.js";

describe("keyset cursors", () => {
  it.each([
    { tsMs: 1_700_000_000_000, id: "pos-1" },
    { tsMs: 0, id: "a:b:c" },
    { tsMs: -86_400_000, id: 'pos,"7"\r\nnext — ünïcode' },
  ])("round-trip %o through an URL-safe opaque string", (position) => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
    expect(TradesQuerySchema.parse({ cursor }).cursor).toEqual(position);
  });

  it("matches its documented example", () => {
    expect(encodeCursor({ tsMs: 1_700_000_000_000, id: "pos-1" })).toBe("MTcwMDAwMDAwMDAwMDpwb3MtMQ");
  });

  it.each(["", "abc", "not-a-cursor", encodeCursor({ tsMs: 1, id: "x" }).slice(0, -2), "_w"])("refuses %j", (cursor) => {
    expect(TradesQuerySchema.safeParse({ cursor }).success).toBe(false);
  });
});

describe("TradesQuerySchema", () => {
  it("defaults to 100 rows and no format, and accepts an empty query", () => {
    expect(TradesQuerySchema.parse({})).toEqual({ limit: 100 });
  });

  it("reads times as epoch ms or ISO with a zone, symbols upper-cased, P&L bounds as decimals", () => {
    expect(TradesQuerySchema.parse({ symbol: "xauusd", from: "1700000000000", to: "2023-11-14T23:13:20+01:00", minNetPnlUsd: "-12.5", maxNetPnlUsd: "40", limit: "1000", format: "csv" }))
      .toEqual({ symbol: "XAUUSD", from: 1_700_000_000_000, to: 1_700_000_000_000, minNetPnlUsd: -12.5, maxNetPnlUsd: 40, limit: 1_000, format: "csv" });
  });

  it.each([{ limit: "0" }, { limit: "1001" }, { limit: "1.5" }, { side: "long" }, { minNetPnlUsd: "" }, { minNetPnlUsd: "1e3" }, { to: "2024-01-01T00:00:00" }, { from: "2", to: "1" }, { minNetPnlUsd: "1", maxNetPnlUsd: "0" }])(
    "refuses %o",
    (query) => {
      expect(TradesQuerySchema.safeParse(query).success).toBe(false);
    },
  );

  it("shares the filters (and their checks) with the analytics query", () => {
    expect(TradeAnalyticsQuerySchema.parse({ regime: "volatile", strategy: "model" })).toEqual({ regime: "volatile", strategy: "model" });
    expect(TradeAnalyticsQuerySchema.safeParse({ from: "2", to: "1" }).success).toBe(false);
  });
});

describe("risk severities", () => {
  it("are ordered info < warning < critical", () => {
    expect(severitiesAtLeast("info")).toEqual(["info", "warning", "critical"]);
    expect(severitiesAtLeast("warning")).toEqual(["warning", "critical"]);
    expect(severitiesAtLeast("critical")).toEqual(["critical"]);
  });

  it("RiskAlertsQuerySchema reads a minimum severity, a kind and a since time", () => {
    expect(RiskAlertsQuerySchema.parse({ severity: "warning", kind: "reset", since: "5", symbol: "eurusd" })).toEqual({ severity: "warning", kind: "reset", since: 5, symbol: "EURUSD", limit: 100 });
    expect(RiskAlertsQuerySchema.safeParse({ severity: "fatal" }).success).toBe(false);
  });
});
