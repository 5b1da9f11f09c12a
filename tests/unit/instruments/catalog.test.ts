/** Instrument catalogue and trading hours. */
import { describe, expect, it } from "vitest";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../../../core/instruments/catalog.js";
import { isTradingTime } from "../../../core/instruments/instrument.js";
import { feedFreshness } from "../../../core/market/freshness.js";
import { demoBars } from "../../support/node/demo-data.js";

const catalog = InstrumentCatalog.parse(DEFAULT_INSTRUMENTS);
const xau = catalog.find("XAUUSD");
if (!xau) throw new Error("XAUUSD missing from the shipped catalogue");

describe("InstrumentCatalog", () => {
  it("ships XAUUSD, XAGUSD, EURUSD and BTCUSD with their point sizes", () => {
    expect(catalog.list().map((i) => [i.symbol, i.pointSize, i.contractSize])).toEqual([
      ["XAUUSD", 0.01, 100],
      ["XAGUSD", 0.001, 5_000],
      ["EURUSD", 0.00001, 100_000],
      ["BTCUSD", 0.01, 1],
    ]);
    expect(catalog.find("GBPJPY")).toBeUndefined();
  });

  it("refuses duplicate symbols and malformed hours", () => {
    expect(() => InstrumentCatalog.parse([DEFAULT_INSTRUMENTS[0], DEFAULT_INSTRUMENTS[0]])).toThrow(/unique/);
    const badHours = { ...DEFAULT_INSTRUMENTS[0], tradingHours: { kind: "weekly", opensUtc: "Sunday 22:00", closesUtc: "Fri 21:00" } };
    expect(() => InstrumentCatalog.parse([badHours])).toThrow(/Sun 22:00/);
  });
});

describe("trading hours", () => {
  it("matches every bar of the real demo file: XAUUSD traded only inside its declared hours", () => {
    const outside = demoBars().filter((bar) => !isTradingTime(xau.tradingHours, bar.tsMs));
    expect(outside).toEqual([]);
  });

  it("is closed on Saturday, in the daily break, and open on a Tuesday afternoon", () => {
    expect(isTradingTime(xau.tradingHours, Date.UTC(2026, 2, 28, 12))).toBe(false); // Saturday
    expect(isTradingTime(xau.tradingHours, Date.UTC(2026, 2, 24, 21, 30))).toBe(false); // daily break
    expect(isTradingTime(xau.tradingHours, Date.UTC(2026, 2, 24, 14))).toBe(true);
    expect(isTradingTime(xau.tradingHours, Date.UTC(2026, 2, 29, 22, 0))).toBe(true); // Sunday open
    expect(isTradingTime({ kind: "always" }, Date.UTC(2026, 2, 28, 12))).toBe(true);
  });

  it("calls a feed stale only when the market is open", () => {
    const tuesday = Date.UTC(2026, 2, 24, 14);
    expect(feedFreshness(xau, tuesday - 60_000, tuesday, 300_000)).toEqual({ status: "fresh", ageMs: 60_000 });
    expect(feedFreshness(xau, tuesday - 600_000, tuesday, 300_000)).toEqual({ status: "stale", ageMs: 600_000 });
    expect(feedFreshness(xau, null, tuesday, 300_000)).toEqual({ status: "no-data", ageMs: null });
    expect(feedFreshness(xau, tuesday, Date.UTC(2026, 2, 28, 12), 300_000).status).toBe("closed");
  });
});
