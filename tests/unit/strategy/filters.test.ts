/** Entry filters: each code, their order, sessions read at the bar's close (wrapping past midnight, all day, weekdays). */
import { describe, expect, it } from "vitest";
import { type FilterConfigInput, FilterConfigSchema } from "../../../core/schemas/trading.js";
import {
  decisionTsMs,
  entryFilter,
  isHourInWindow,
  utcHourOf,
  utcWeekdayOf,
} from "../../../core/strategy/index.js";
import { makeBar } from "./bar-builders.js";

const filters = (input: FilterConfigInput = {}) => FilterConfigSchema.parse(input);

/** A bar that opens at the given UTC time on 2026-03-24 (a Tuesday) or `dayOffset` days later. */
function barOpeningAt(hour: number, minute: number, dayOffset = 0, spreadAvgPoints = 20) {
  return makeBar({ tsMs: Date.UTC(2026, 2, 24 + dayOffset, hour, minute), spreadAvgPoints });
}

describe("entryFilter", () => {
  it("lets everything through with the default (empty) filters", () => {
    expect(entryFilter(barOpeningAt(3, 0, 0, 10_000), "unknown", filters())).toBeNull();
  });

  it("gives SPREAD_TOO_WIDE for a mean spread above the limit; at the limit passes, NaN fails", () => {
    const config = filters({ maxSpreadPoints: 40 });
    expect(entryFilter(barOpeningAt(14, 0, 0, 40.5), "trending", config)).toBe("SPREAD_TOO_WIDE");
    expect(entryFilter(barOpeningAt(14, 0, 0, 40), "trending", config)).toBeNull();
    expect(entryFilter(barOpeningAt(14, 0, 0, Number.NaN), "trending", config)).toBe("SPREAD_TOO_WIDE");
  });

  it("gives OUTSIDE_SESSION by the bar's close (its decision time), hours from inclusive to exclusive", () => {
    const config = filters({ sessionHoursUtc: [{ fromHour: 8, toHour: 17 }] });
    expect(entryFilter(barOpeningAt(7, 58), "trending", config)).toBe("OUTSIDE_SESSION"); // closes 07:59
    expect(entryFilter(barOpeningAt(7, 59), "trending", config)).toBeNull(); // closes 08:00
    expect(entryFilter(barOpeningAt(16, 58), "trending", config)).toBeNull(); // closes 16:59
    expect(entryFilter(barOpeningAt(16, 59), "trending", config)).toBe("OUTSIDE_SESSION"); // closes 17:00
  });

  it("wraps a session whose from-hour is after its to-hour past midnight", () => {
    const config = filters({ sessionHoursUtc: [{ fromHour: 22, toHour: 2 }] });
    const verdict = (hour: number, minute: number, dayOffset = 0) => entryFilter(barOpeningAt(hour, minute, dayOffset), "trending", config);
    expect(verdict(21, 58)).toBe("OUTSIDE_SESSION"); // 21:59
    expect(verdict(21, 59)).toBeNull(); // 22:00
    expect(verdict(23, 59)).toBeNull(); // 00:00 the next day
    expect(verdict(1, 58, 1)).toBeNull(); // 01:59
    expect(verdict(1, 59, 1)).toBe("OUTSIDE_SESSION"); // 02:00
    expect(verdict(12, 0)).toBe("OUTSIDE_SESSION");
  });

  it("accepts any of several sessions, and treats from = to as the whole day", () => {
    const two = filters({ sessionHoursUtc: [{ fromHour: 1, toHour: 3 }, { fromHour: 12, toHour: 14 }] });
    const allowedHours = Array.from({ length: 24 }, (_, hour) => hour).filter(
      (hour) => entryFilter(barOpeningAt(hour, 0), "trending", two) === null,
    );
    expect(allowedHours).toEqual([1, 2, 12, 13]); // a bar opening at hh:00 decides at hh:01
    const allDay = filters({ sessionHoursUtc: [{ fromHour: 5, toHour: 5 }] });
    for (let minute = 0; minute < 24 * 60; minute += 7) {
      expect(entryFilter(barOpeningAt(0, minute), "trending", allDay)).toBeNull();
    }
  });

  it("checks the UTC weekday of the decision time: Friday 23:59's bar decides on Saturday", () => {
    const weekdays = filters({ sessionDaysUtc: [1, 2, 3, 4, 5] });
    // 2026-03-27 is a Friday, 2026-03-28 a Saturday, 2026-03-29 a Sunday.
    expect(entryFilter(barOpeningAt(23, 58, 3), "trending", weekdays)).toBeNull(); // Fri 23:59
    expect(entryFilter(barOpeningAt(23, 59, 3), "trending", weekdays)).toBe("OUTSIDE_SESSION"); // Sat 00:00
    expect(entryFilter(barOpeningAt(12, 0, 4), "trending", weekdays)).toBe("OUTSIDE_SESSION"); // Sat
    expect(entryFilter(barOpeningAt(23, 58, 5), "trending", weekdays)).toBe("OUTSIDE_SESSION"); // Sun 23:59
    expect(entryFilter(barOpeningAt(23, 59, 5), "trending", weekdays)).toBeNull(); // Mon 00:00
    // Days and hours are both the decision time's: a Friday 22 → 2 session ends at Friday midnight.
    const fridayNight = filters({ sessionDaysUtc: [5], sessionHoursUtc: [{ fromHour: 22, toHour: 2 }] });
    expect(entryFilter(barOpeningAt(22, 30, 3), "trending", fridayNight)).toBeNull();
    expect(entryFilter(barOpeningAt(0, 30, 4), "trending", fridayNight)).toBe("OUTSIDE_SESSION");
  });

  it("gives REGIME_EXCLUDED for a regime not listed; unknown is excluded unless listed", () => {
    const trendOnly = filters({ regimes: ["trending"] });
    expect(entryFilter(barOpeningAt(14, 0), "trending", trendOnly)).toBeNull();
    expect(entryFilter(barOpeningAt(14, 0), "ranging", trendOnly)).toBe("REGIME_EXCLUDED");
    expect(entryFilter(barOpeningAt(14, 0), "unknown", trendOnly)).toBe("REGIME_EXCLUDED");
    expect(entryFilter(barOpeningAt(14, 0), "unknown", filters({ regimes: ["trending", "unknown"] }))).toBeNull();
  });

  it("checks spread, then session, then regime", () => {
    const all = filters({ maxSpreadPoints: 30, sessionHoursUtc: [{ fromHour: 8, toHour: 17 }], regimes: ["trending"] });
    expect(entryFilter(barOpeningAt(3, 0, 0, 50), "volatile", all)).toBe("SPREAD_TOO_WIDE");
    expect(entryFilter(barOpeningAt(3, 0, 0, 20), "volatile", all)).toBe("OUTSIDE_SESSION");
    expect(entryFilter(barOpeningAt(10, 0, 0, 20), "volatile", all)).toBe("REGIME_EXCLUDED");
    expect(entryFilter(barOpeningAt(10, 0, 0, 20), "trending", all)).toBeNull();
  });
});

describe("time arithmetic of the session filter", () => {
  it("gives the decision time as the bar's open plus one minute", () => {
    expect(decisionTsMs(barOpeningAt(21, 59))).toBe(Date.UTC(2026, 2, 24, 22, 0));
  });

  it("agrees with Date's UTC weekday and hour, before and after 1970", () => {
    const strideMs = 97 * (3_600_000 * 7 + 60_000 * 13 + 17); // about 29 days and a few odd hours
    for (let tsMs = Date.UTC(1969, 0, 1); tsMs < Date.UTC(2031, 0, 1); tsMs += strideMs) {
      const date = new Date(tsMs);
      expect([utcWeekdayOf(tsMs), utcHourOf(tsMs)]).toEqual([date.getUTCDay(), date.getUTCHours()]);
    }
    expect(utcWeekdayOf(0)).toBe(4);
    expect(utcWeekdayOf(-1)).toBe(3);
    expect(utcHourOf(-1)).toBe(23);
  });

  it("puts hours in windows from inclusive to exclusive, wrapping when from > to", () => {
    const inside = (window: { fromHour: number; toHour: number }) =>
      Array.from({ length: 24 }, (_, hour) => hour).filter((hour) => isHourInWindow(hour, window));
    expect(inside({ fromHour: 9, toHour: 12 })).toEqual([9, 10, 11]);
    expect(inside({ fromHour: 22, toHour: 2 })).toEqual([0, 1, 22, 23]);
    expect(inside({ fromHour: 7, toHour: 7 })).toHaveLength(24);
  });
});
