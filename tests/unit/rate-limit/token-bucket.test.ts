/** Token bucket: burst, refill, capacity cap, backwards clock, retryAfterS, oversized costs, immutability and bad input. */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../core/errors/app-error.js";
import { fullBucket, take, type TokenBucketConfig, type TokenBucketState } from "../../../core/rate-limit/token-bucket.js";

const T0_MS = 1_750_000_000_000;
const CONFIG: TokenBucketConfig = { capacity: 5, refillPerS: 2 };

/** Takes `count` times at the same instant and returns the results. */
function burst(state: TokenBucketState, config: TokenBucketConfig, nowMs: number, count: number) {
  const results = [];
  let current = state;
  for (let i = 0; i < count; i += 1) {
    const result = take(current, config, nowMs);
    results.push(result);
    current = result.state;
  }
  return { results, state: current };
}

describe("take", () => {
  it("allows a burst of capacity, then refuses", () => {
    const { results, state } = burst(fullBucket(CONFIG, T0_MS), CONFIG, T0_MS, 6);
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false]);
    expect(results.slice(0, 5).every((r) => r.retryAfterS === 0)).toBe(true);
    expect(results[5]?.retryAfterS).toBe(1);
    expect(state).toEqual({ tokens: 0, updatedAtMs: T0_MS });
  });

  it("refills at refillPerS: 2 tokens/s gives one token per 500 ms", () => {
    const empty = { tokens: 0, updatedAtMs: T0_MS };
    expect(take(empty, CONFIG, T0_MS + 499).allowed).toBe(false);
    const after = take(empty, CONFIG, T0_MS + 500);
    expect(after).toEqual({ allowed: true, state: { tokens: 0, updatedAtMs: T0_MS + 500 }, retryAfterS: 0 });
    expect(take(after.state, CONFIG, T0_MS + 500).allowed).toBe(false);
    expect(take(empty, CONFIG, T0_MS + 1_250).state).toEqual({ tokens: 1.5, updatedAtMs: T0_MS + 1_250 });
  });

  it("never holds more than capacity, however long the idle time", () => {
    const result = take({ tokens: 1, updatedAtMs: T0_MS }, CONFIG, T0_MS + 86_400_000);
    expect(result.state.tokens).toBe(4);
    expect(burst(result.state, CONFIG, T0_MS + 86_400_000, 5).results.map((r) => r.allowed)).toEqual([true, true, true, true, false]);
  });

  it("clamps stored tokens into [0, capacity] (capacity lowered, or a corrupt negative count)", () => {
    expect(take({ tokens: 50, updatedAtMs: T0_MS }, CONFIG, T0_MS).state.tokens).toBe(4);
    const negative = take({ tokens: -3, updatedAtMs: T0_MS }, CONFIG, T0_MS + 500);
    expect(negative.allowed).toBe(true);
    expect(negative.state.tokens).toBe(0);
  });

  it("does not refill when the clock goes backwards, and does not credit that time again later", () => {
    const start = { tokens: 0, updatedAtMs: T0_MS };
    const back = take(start, CONFIG, T0_MS - 10_000);
    expect(back.allowed).toBe(false);
    expect(back.state).toEqual({ tokens: 0, updatedAtMs: T0_MS });
    expect(back.retryAfterS).toBe(1);
    const forward = take(back.state, CONFIG, T0_MS + 500);
    expect(forward.allowed).toBe(true);
    expect(forward.state).toEqual({ tokens: 0, updatedAtMs: T0_MS + 500 });
  });

  it("never goes negative, whatever the sequence", () => {
    let state = fullBucket(CONFIG, T0_MS);
    const offsetsMs = [0, 0, 100, -5_000, 200, 200, 3_000, 2_900, 2_950, 10_000, 9_000, 9_001, 9_002];
    for (const [i, offsetMs] of offsetsMs.entries()) {
      state = take(state, CONFIG, T0_MS + offsetMs, i % 3).state;
      expect(state.tokens).toBeGreaterThanOrEqual(0);
      expect(state.tokens).toBeLessThanOrEqual(CONFIG.capacity);
    }
  });

  it("rounds retryAfterS up to whole seconds, at least 1", () => {
    const slow = { capacity: 10, refillPerS: 0.3 };
    expect(take({ tokens: 0, updatedAtMs: T0_MS }, slow, T0_MS).retryAfterS).toBe(4);
    expect(take({ tokens: 0.25, updatedAtMs: T0_MS }, { capacity: 10, refillPerS: 1 }, T0_MS).retryAfterS).toBe(1);
    expect(take({ tokens: 1, updatedAtMs: T0_MS }, { capacity: 10, refillPerS: 1 }, T0_MS, 3).retryAfterS).toBe(2);
    expect(take({ tokens: 0, updatedAtMs: T0_MS }, { capacity: 100, refillPerS: 50 }, T0_MS).retryAfterS).toBe(1);
    expect(take({ tokens: 0, updatedAtMs: T0_MS }, { capacity: 10, refillPerS: 0.5 }, T0_MS, 2).retryAfterS).toBe(4);
  });

  it("succeeds after waiting retryAfterS, and not a second earlier when the wait is over one second", () => {
    const configs: TokenBucketConfig[] = [CONFIG, { capacity: 10, refillPerS: 0.3 }, { capacity: 3, refillPerS: 1 / 7 }, { capacity: 20, refillPerS: 3 }];
    for (const config of configs) {
      for (const cost of [1, 2, 3]) {
        for (const tokens of [0, 0.1, 0.9, 1.5]) {
          const state = { tokens, updatedAtMs: T0_MS };
          const refused = take(state, config, T0_MS, cost);
          if (refused.allowed) continue;
          const label = `${JSON.stringify(config)} cost ${cost} tokens ${tokens}`;
          expect(take(refused.state, config, T0_MS + refused.retryAfterS * 1_000, cost).allowed, label).toBe(true);
          if (refused.retryAfterS > 1) expect(take(refused.state, config, T0_MS + (refused.retryAfterS - 1) * 1_000, cost).allowed, label).toBe(false);
        }
      }
    }
  });

  it("tolerates floating-point shortfalls in the refill sum (0.7 + 0.1 < 0.8 in binary)", () => {
    expect(0.7 + 0.1).toBeLessThan(0.8);
    const result = take({ tokens: 0.7, updatedAtMs: T0_MS }, { capacity: 1, refillPerS: 0.1 }, T0_MS + 1_000, 0.8);
    expect(result.allowed).toBe(true);
    expect(result.state.tokens).toBe(0);
  });

  it("always refuses a cost above capacity, with retryAfterS the time until the bucket is full (at least 1)", () => {
    const config = { capacity: 10, refillPerS: 2 };
    const full = take(fullBucket(config, T0_MS), config, T0_MS, 11);
    expect(full).toEqual({ allowed: false, state: { tokens: 10, updatedAtMs: T0_MS }, retryAfterS: 1 });
    const empty = take({ tokens: 0, updatedAtMs: T0_MS }, config, T0_MS, 11);
    expect(empty.retryAfterS).toBe(5);
    expect(take(empty.state, config, T0_MS + 3_600_000, 11).allowed).toBe(false);
    expect(take(fullBucket(config, T0_MS), config, T0_MS, 10 + 1e-12).allowed).toBe(false);
    expect(take(fullBucket(config, T0_MS), config, T0_MS, 10).allowed).toBe(true);
  });

  it("allows a cost of 0 even when empty, and takes fractional costs", () => {
    expect(take({ tokens: 0, updatedAtMs: T0_MS }, CONFIG, T0_MS, 0).allowed).toBe(true);
    expect(take({ tokens: 1, updatedAtMs: T0_MS }, CONFIG, T0_MS, 0.25).state.tokens).toBe(0.75);
  });

  it("returns new state and leaves its input untouched", () => {
    const state = Object.freeze({ tokens: 2, updatedAtMs: T0_MS });
    const allowed = take(state, CONFIG, T0_MS + 1_000);
    const refused = take(state, CONFIG, T0_MS, 5);
    expect(state).toEqual({ tokens: 2, updatedAtMs: T0_MS });
    expect(allowed.state).not.toBe(state);
    expect(allowed.state).toEqual({ tokens: 3, updatedAtMs: T0_MS + 1_000 });
    expect(refused.state).not.toBe(state);
    expect(refused.allowed).toBe(false);
  });

  it("refuses a bad config with ConfigError and bad arguments with RangeError", () => {
    const state = { tokens: 1, updatedAtMs: T0_MS };
    for (const config of [
      { capacity: 0, refillPerS: 1 },
      { capacity: -1, refillPerS: 1 },
      { capacity: 1, refillPerS: 0 },
      { capacity: Number.POSITIVE_INFINITY, refillPerS: 1 },
      { capacity: 1, refillPerS: Number.NaN },
    ]) {
      expect(() => take(state, config, T0_MS), JSON.stringify(config)).toThrow(ConfigError);
      expect(() => fullBucket(config, T0_MS)).toThrow(ConfigError);
    }
    expect(() => take(state, CONFIG, T0_MS, -1)).toThrow(RangeError);
    expect(() => take(state, CONFIG, T0_MS, Number.NaN)).toThrow(RangeError);
    expect(() => take(state, CONFIG, Number.NaN)).toThrow(RangeError);
    expect(() => take({ tokens: Number.NaN, updatedAtMs: T0_MS }, CONFIG, T0_MS)).toThrow(RangeError);
  });
});

describe("fullBucket", () => {
  it("starts at capacity at the given time", () => {
    expect(fullBucket(CONFIG, T0_MS)).toEqual({ tokens: 5, updatedAtMs: T0_MS });
  });
});
