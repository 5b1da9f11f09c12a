/** The UTC dates and times the dashboard's filter forms take. */
import { describe, expect, it } from "vitest";
import { parseUtcInput } from "../../../core/display/utc-input.js";

describe("parseUtcInput", () => {
  it("covers the whole day, minute or second entered", () => {
    const day = Date.UTC(2024, 2, 1);
    expect(parseUtcInput("2024-03-01")).toEqual({ startMs: day, endMs: day + 86_399_999, display: "2024-03-01T00:00" });
    expect(parseUtcInput("2024-03-01T08:30")).toEqual({ startMs: Date.UTC(2024, 2, 1, 8, 30), endMs: Date.UTC(2024, 2, 1, 8, 30) + 59_999, display: "2024-03-01T08:30" });
    expect(parseUtcInput("2024-03-01T08:30:15")).toEqual({ startMs: Date.UTC(2024, 2, 1, 8, 30, 15), endMs: Date.UTC(2024, 2, 1, 8, 30, 15) + 999, display: "2024-03-01T08:30:15" });
  });

  it("refuses impossible dates and times and anything else", () => {
    for (const text of ["2024-02-30", "2023-02-29", "2024-03-01T24:00", "2024-03-01T08:60", "2024-03-01T08:30:60", "2024-3-1", "yesterday", "2024-03-01T08:30Z", ""]) {
      expect(parseUtcInput(text), text).toBeNull();
    }
    expect(parseUtcInput("2024-02-29")?.startMs).toBe(Date.UTC(2024, 1, 29));
  });
});
