/**
 * Retry delays: whole seconds within [d/2, d] of the exponential step d, never shrinking from one retry to the next
 * below the cap whatever the random draws (property test over many mulberry32 seeds), the cap, baseS 0, bad attempts.
 */
import { describe, expect, it } from "vitest";
import { retryDelaySeconds, type RetryPolicy } from "../../../core/tasks/retry-policy.js";
import { mulberry32 } from "../../../training/models/random.js";

/** The largest value mulberry32 (or any [0, 1) source on 32 bits) can draw. */
const MAX_DRAW = (2 ** 32 - 1) / 2 ** 32;

/** The exponential step before jitter, as documented: min(maxS, baseS · 2^(attempt−1)). */
function stepOf(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxS, policy.baseS * 2 ** Math.min(attempt - 1, 30));
}

/** Whether the step after `attempt` is still the doubled one (the cap has not cut it). */
function nextStepUncapped(attempt: number, policy: RetryPolicy): boolean {
  return policy.baseS * 2 ** attempt <= policy.maxS;
}

const POLICIES: readonly RetryPolicy[] = [
  { baseS: 5, maxS: 900 }, // the configured defaults
  { baseS: 1, maxS: 43_200 },
  { baseS: 3, maxS: 3_600 },
  { baseS: 7, maxS: 100 },
  { baseS: 5, maxS: 30 },
  { baseS: 1, maxS: 1 },
  { baseS: 10, maxS: 4 }, // cap below the base
  { baseS: 3_600, maxS: 43_200 },
];

describe("retryDelaySeconds", () => {
  it("halves the step and adds half of it times the draw, rounded up (the documented example)", () => {
    expect(retryDelaySeconds(3, { baseS: 5, maxS: 900 }, () => 0.5)).toBe(15);
    expect(retryDelaySeconds(1, { baseS: 5, maxS: 900 }, () => 0)).toBe(3); // ceil(2.5)
    expect(retryDelaySeconds(1, { baseS: 5, maxS: 900 }, () => MAX_DRAW)).toBe(5);
    expect(retryDelaySeconds(2, { baseS: 5, maxS: 900 }, () => 0)).toBe(5);
    expect(retryDelaySeconds(2, { baseS: 5, maxS: 900 }, () => MAX_DRAW)).toBe(10);
  });

  it("uses Math.random when no source is given, staying within [d/2, d]", () => {
    for (let i = 0; i < 200; i += 1) {
      const delayS = retryDelaySeconds(4, { baseS: 5, maxS: 900 });
      expect(delayS).toBeGreaterThanOrEqual(20);
      expect(delayS).toBeLessThanOrEqual(40);
    }
  });

  it("gives whole seconds within [d/2, d] for every attempt, policy and seed", () => {
    const outside: string[] = [];
    let checked = 0;
    for (const policy of POLICIES) {
      for (let seed = 1; seed <= 1_000; seed += 1) {
        const random = mulberry32(seed);
        for (let attempt = 1; attempt <= 40; attempt += 1) {
          const step = stepOf(attempt, policy);
          const delayS = retryDelaySeconds(attempt, policy, random);
          checked += 1;
          if (!Number.isInteger(delayS) || delayS < step / 2 || delayS > step) {
            outside.push(`${JSON.stringify(policy)} attempt ${attempt} seed ${seed}: ${delayS} s, step ${step} s`);
          }
        }
      }
    }
    expect(outside).toEqual([]);
    expect(checked).toBe(POLICIES.length * 1_000 * 40);
  });

  it("never shrinks from one retry to the next below the cap, for any seed", () => {
    const shrunk: string[] = [];
    let compared = 0;
    for (const policy of POLICIES) {
      for (let seed = 1; seed <= 1_000; seed += 1) {
        const random = mulberry32(seed);
        let previousS = retryDelaySeconds(1, policy, random);
        for (let attempt = 2; attempt <= 30; attempt += 1) {
          const delayS = retryDelaySeconds(attempt, policy, random);
          if (nextStepUncapped(attempt - 1, policy)) {
            compared += 1;
            if (delayS < previousS) shrunk.push(`${JSON.stringify(policy)} seed ${seed}: attempt ${attempt - 1} ${previousS} s, attempt ${attempt} ${delayS} s`);
          }
          previousS = delayS;
        }
      }
    }
    expect(shrunk).toEqual([]);
    expect(compared).toBeGreaterThan(10_000);
  });

  it("never shrinks below the cap even for the worst pair of draws (highest, then lowest)", () => {
    for (const policy of POLICIES) {
      for (let attempt = 1; attempt <= 30 && nextStepUncapped(attempt, policy); attempt += 1) {
        const highestS = retryDelaySeconds(attempt, policy, () => MAX_DRAW);
        const lowestNextS = retryDelaySeconds(attempt + 1, policy, () => 0);
        expect(lowestNextS, `${JSON.stringify(policy)} attempt ${attempt}`).toBeGreaterThanOrEqual(highestS);
      }
    }
  });

  it("spreads concurrent retries of the same attempt (the jitter is not constant)", () => {
    const delays = new Set<number>();
    for (let seed = 1; seed <= 100; seed += 1) delays.add(retryDelaySeconds(5, { baseS: 5, maxS: 900 }, mulberry32(seed)));
    expect(delays.size).toBeGreaterThan(10);
  });

  it("never exceeds the cap, however many attempts", () => {
    const policy = { baseS: 5, maxS: 900 };
    for (const attempt of [9, 10, 11, 30, 31, 32, 100, 1_000_000]) {
      expect(retryDelaySeconds(attempt, policy, () => MAX_DRAW)).toBe(900);
      expect(retryDelaySeconds(attempt, policy, () => 0)).toBe(450);
    }
    expect(retryDelaySeconds(1, { baseS: 10, maxS: 4 }, () => MAX_DRAW)).toBe(4);
    expect(retryDelaySeconds(1, { baseS: 10, maxS: 4 }, () => 0)).toBe(2);
  });

  it("keeps the jitter at the cap, so a capped retry may be shorter than the one before (documented: 'until the cap')", () => {
    // Steps 5, 10, 20, then 30 (capped): the third retry may wait 20 s and the fourth only 15 s.
    const policy = { baseS: 5, maxS: 30 };
    expect(retryDelaySeconds(3, policy, () => MAX_DRAW)).toBe(20);
    expect(retryDelaySeconds(4, policy, () => 0)).toBe(15);
  });

  it("retries at once when baseS is 0", () => {
    const policy = { baseS: 0, maxS: 900 };
    for (let attempt = 1; attempt <= 40; attempt += 1) {
      expect(retryDelaySeconds(attempt, policy, () => 0)).toBe(0);
      expect(retryDelaySeconds(attempt, policy, () => MAX_DRAW)).toBe(0);
    }
  });

  it("retries at once when maxS is 0", () => {
    expect(retryDelaySeconds(3, { baseS: 5, maxS: 0 }, () => MAX_DRAW)).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])("refuses attempt %s", (attempt) => {
    expect(() => retryDelaySeconds(attempt, { baseS: 5, maxS: 900 }, () => 0)).toThrow(RangeError);
    expect(() => retryDelaySeconds(attempt, { baseS: 5, maxS: 900 }, () => 0)).toThrow(/attempt must be a positive integer/);
  });
});
