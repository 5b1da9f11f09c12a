/** The standard tick path and the CSV readers used by replay and backtests. */
import { describe, expect, it } from "vitest";
import { CsvFormatError, parseLocalTimestampMs, parseMt5BarsCsv, parseTicksCsv, parseUtcOffsetMinutes } from "../../../core/market/csv.js";
import { barToTicks } from "../../../core/market/tick-path.js";
import { demoBars } from "../../support/node/demo-data.js";

const XAU = { pointSize: 0.01, digits: 2 };

describe("barToTicks", () => {
  it("visits open, low, high, close on an up bar at +0/15/30/45 s with ask = bid + spread", () => {
    const ticks = barToTicks({ tsMs: 60_000, open: 10, high: 12, low: 9, close: 11, tickVolume: 6, spreadPoints: 20 }, XAU);
    expect(ticks).toEqual([
      { tsMs: 60_000, bid: 10, ask: 10.2, volume: 2 },
      { tsMs: 75_000, bid: 9, ask: 9.2, volume: 2 },
      { tsMs: 90_000, bid: 12, ask: 12.2, volume: 1 },
      { tsMs: 105_000, bid: 11, ask: 11.2, volume: 1 },
    ]);
  });

  it("visits the high before the low on a down bar", () => {
    const ticks = barToTicks({ tsMs: 0, open: 11, high: 12, low: 9, close: 10, tickVolume: 4, spreadPoints: 0 }, XAU);
    expect(ticks.map((t) => t.bid)).toEqual([11, 12, 9, 10]);
  });

  it("rounds asks to the instrument's digits so float noise never enters the stream", () => {
    const [tick] = barToTicks({ tsMs: 0, open: 4381.49, high: 4381.49, low: 4381.49, close: 4381.49, tickVolume: 4, spreadPoints: 12 }, XAU);
    expect(tick?.ask).toBe(4381.61);
  });
});

describe("CSV readers", () => {
  it("reads the shipped MT5 export in server time (UTC+3) as UTC", () => {
    const bars = demoBars();
    expect(bars).toHaveLength(63_230);
    expect(bars[0]).toEqual({
      tsMs: Date.UTC(2026, 2, 24, 14, 0), // 2026-03-24 17:00:00 at UTC+3
      open: 4381.49, high: 4387.04, low: 4380.75, close: 4386.67, tickVolume: 611, spreadPoints: 12,
    });
  });

  it("parses offsets and local timestamps", () => {
    expect(parseUtcOffsetMinutes("+03:00")).toBe(180);
    expect(parseUtcOffsetMinutes("-0530")).toBe(-330);
    expect(parseUtcOffsetMinutes("Z")).toBe(0);
    expect(() => parseUtcOffsetMinutes("3")).toThrow(RangeError);
    expect(parseLocalTimestampMs("2026.03.24 17:00", 180)).toBe(Date.UTC(2026, 2, 24, 14, 0));
    expect(parseLocalTimestampMs("2026-03-24T17:00:00.250Z", 180)).toBe(Date.UTC(2026, 2, 24, 17, 0, 0, 250));
    expect(parseLocalTimestampMs("yesterday", 0)).toBeNaN();
  });

  it("reads tick CSVs with epoch-ms or zoned timestamps and a default volume of 1", () => {
    const ticks = parseTicksCsv("ts,bid,ask\n1774360800000,2300.1,2300.3\n2026-03-24 17:00:01,2300.2,2300.4\n", 180);
    expect(ticks).toEqual([
      { tsMs: 1774360800000, bid: 2300.1, ask: 2300.3, volume: 1 },
      { tsMs: Date.UTC(2026, 2, 24, 14, 0, 1), bid: 2300.2, ask: 2300.4, volume: 1 },
    ]);
  });

  it("refuses epoch seconds where milliseconds are expected", () => {
    expect(() => parseTicksCsv("ts,bid,ask\n1774360800,2300.1,2300.3\n", 0)).toThrow(/epoch seconds/);
  });

  it("names the line and column of a bad value", () => {
    expect(() => parseMt5BarsCsv("time,open,high,low,close,tick_volume,spread\n2026-03-24 17:00:00,1,2,x,1,5,3\n", 0)).toThrow(
      new CsvFormatError(2, "column 'low' is not a number: 'x'"),
    );
    expect(() => parseMt5BarsCsv("time,open,high,low,close\n2026-03-24 17:00:00,1,2,0.5,1\n", 0)).toThrow(/spread/);
    expect(parseMt5BarsCsv("time,open,high,low,close\n2026-03-24 17:00:00,1,2,0.5,1\n", 0, 25)[0]?.spreadPoints).toBe(25);
  });
});
