import { describe, expect, it } from "vitest";
import { LatencyWindow } from "../../../core/stats/latency-window.js";

describe("LatencyWindow", () => {
  it("summarises nothing as nulls", () => {
    expect(new LatencyWindow(10).summary()).toEqual({ samples: 0, p50Ms: null, p99Ms: null, maxMs: null });
  });

  it("gives nearest-rank percentiles of the window", () => {
    const window = new LatencyWindow(1_000);
    for (let i = 1_000; i >= 1; i--) window.record(i / 100);
    expect(window.summary()).toEqual({ samples: 1_000, p50Ms: 5, p99Ms: 9.9, maxMs: 10 });
  });

  it("forgets the oldest durations once full", () => {
    const window = new LatencyWindow(3);
    for (const ms of [100, 1, 2, 3]) window.record(ms);
    expect(window.summary()).toEqual({ samples: 3, p50Ms: 2, p99Ms: 3, maxMs: 3 });
  });

  it("refuses bad capacities and durations", () => {
    expect(() => new LatencyWindow(0)).toThrow(RangeError);
    expect(() => new LatencyWindow(5).record(-1)).toThrow(RangeError);
    expect(() => new LatencyWindow(5).record(Number.NaN)).toThrow(RangeError);
  });
});
