/** The dashboard's value and time formatting (shared by the pages and the browser scripts). */
import { describe, expect, it } from "vitest";
import { formatAge, formatBytes, formatDuration, formatNumber, formatPercent, formatUsd, formatUtc, scriptSafeJson, toneOf } from "../../../core/display/format.js";

const MINUS = "\u2212";

describe("formatUsd", () => {
  it("writes dollars with two decimals, separators and a real minus sign", () => {
    expect(formatUsd(1234.5)).toBe("$1,234.50");
    expect(formatUsd(-1234.5)).toBe(`${MINUS}$1,234.50`);
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(12, { signed: true })).toBe("+$12.00");
    expect(formatUsd(0, { signed: true })).toBe("$0.00");
  });

  it("shows a dash for what is not a number", () => {
    for (const value of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY]) expect(formatUsd(value)).toBe("—");
  });
});

describe("formatNumber and formatPercent", () => {
  it("rounds to the decimals asked for, never showing −0", () => {
    expect(formatNumber(3312.456, 2)).toBe("3,312.46");
    expect(formatNumber(-0.004, 2)).toBe("0.00");
    expect(formatNumber(-2.5, 1)).toBe(`${MINUS}2.5`);
    expect(formatNumber(2.5, 1, { signed: true })).toBe("+2.5");
  });

  it("writes fractions as percentages with the unit", () => {
    expect(formatPercent(0.1234)).toBe("12.34 %");
    expect(formatPercent(-0.05, 1)).toBe(`${MINUS}5.0 %`);
    expect(formatPercent(null)).toBe("—");
  });
});

describe("formatUtc", () => {
  const ms = Date.UTC(2026, 4, 28, 14, 3, 7, 45);

  it("writes the instant in UTC with the offset, whatever the machine's zone", () => {
    expect(formatUtc(ms)).toBe("2026-05-28 14:03:07 +00:00");
    expect(formatUtc(ms, { seconds: false })).toBe("2026-05-28 14:03 +00:00");
    expect(formatUtc(ms, { milliseconds: true })).toBe("2026-05-28 14:03:07.045 +00:00");
    expect(formatUtc(Date.UTC(2026, 0, 1))).toBe("2026-01-01 00:00:00 +00:00");
    expect(formatUtc(null)).toBe("—");
  });
});

describe("formatDuration and formatAge", () => {
  it("uses the largest units that keep the value readable", () => {
    expect(formatDuration(450)).toBe("450 ms");
    expect(formatDuration(1_500)).toBe("1.5 s");
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(93_000)).toBe("1 min 33 s");
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000)).toBe("2 h 5 min");
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe("3 d 4 h");
    expect(formatDuration(-1_500)).toBe(`${MINUS}1.5 s`);
  });

  it("says how long ago, or how long until, relative to now", () => {
    const now = Date.UTC(2026, 10, 22, 12);
    expect(formatAge(now - 93_000, now)).toBe("1 min 33 s ago");
    expect(formatAge(now - 200, now)).toBe("just now");
    expect(formatAge(now + 5_000, now)).toBe("in 5.0 s");
    expect(formatAge(null, now)).toBe("never");
  });
});

describe("formatBytes and toneOf", () => {
  it("writes sizes in binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(81_920)).toBe("80.0 KiB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5.0 MiB");
  });

  it("tones amounts by sign", () => {
    expect([toneOf(3), toneOf(-3), toneOf(0), toneOf(null)]).toEqual(["positive", "negative", "flat", "flat"]);
  });
});

describe("scriptSafeJson", () => {
  it("cannot end its script element early, and parses back to the same value", () => {
    const value = { note: "</script><!-- & <b>", n: [1, 2.5] };
    const text = scriptSafeJson(value);
    expect(text).not.toMatch(/[<>&]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
