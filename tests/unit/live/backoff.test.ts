/** Reconnect backoff: doubling from 1 s to a 30 s cap, jitter inside the upper part of each step, reset after a healthy connection. */
import { describe, expect, it } from "vitest";
import { attemptAfterClose, DEFAULT_RECONNECT_BACKOFF, reconnectDelayMs } from "../../../core/live/backoff.js";

describe("reconnectDelayMs", () => {
  it("doubles from the first delay and stops at the cap", () => {
    expect(Array.from({ length: 8 }, (_, attempt) => reconnectDelayMs(attempt, 0))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(reconnectDelayMs(10_000, 0)).toBe(30_000);
  });

  it("keeps every jittered delay in the upper half of its step, and spreads them out", () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const ceilingMs = Math.min(30_000, 1_000 * 2 ** attempt);
      const delays = Array.from({ length: 50 }, (_, i) => reconnectDelayMs(attempt, i / 50));
      for (const delayMs of delays) {
        expect(delayMs).toBeGreaterThan(ceilingMs / 2);
        expect(delayMs).toBeLessThanOrEqual(ceilingMs);
      }
      expect(new Set(delays).size).toBeGreaterThan(25);
    }
    expect(reconnectDelayMs(3, 0.5)).toBe(6_000);
  });

  it("takes its schedule from the configuration", () => {
    const config = { ...DEFAULT_RECONNECT_BACKOFF, initialMs: 250, multiplier: 3, maxMs: 5_000, jitter: 0 };
    expect([0, 1, 2, 3].map((attempt) => reconnectDelayMs(attempt, 0.9, config))).toEqual([250, 750, 2_250, 5_000]);
  });

  it("refuses a negative or fractional attempt and a random number outside [0, 1)", () => {
    expect(() => reconnectDelayMs(-1, 0)).toThrow(RangeError);
    expect(() => reconnectDelayMs(1.5, 0)).toThrow(RangeError);
    expect(() => reconnectDelayMs(0, 1)).toThrow(RangeError);
    expect(() => reconnectDelayMs(0, Number.NaN)).toThrow(RangeError);
  });
});

describe("attemptAfterClose", () => {
  it("starts at the first delay, grows while connections fail, and resets after a healthy one", () => {
    expect(attemptAfterClose(null, null)).toBe(0);
    expect(attemptAfterClose(0, null)).toBe(1);
    expect(attemptAfterClose(4, 2_000)).toBe(5); // opened but dropped at once: still failing
    expect(attemptAfterClose(4, DEFAULT_RECONNECT_BACKOFF.stableMs)).toBe(0);
    expect(attemptAfterClose(null, 60_000)).toBe(0);
  });
});
