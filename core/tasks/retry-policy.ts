/** Retry delays of failed tasks: exponential backoff with "equal jitter". */

export interface RetryPolicy {
  /** Delay before the first retry, seconds (before jitter). */
  readonly baseS: number;
  /** Cap on the delay, seconds. */
  readonly maxS: number;
}

/**
 * Delay before retrying after failed attempt number `attempt` (1 = the first run failed), whole seconds: the
 * exponential step d = min(maxS, baseS · 2^(attempt−1)), of which half is fixed and half random, so the delay lies
 * in [d/2, d]. Each step's lowest delay is the previous step's highest, so delays never shrink from one retry to the
 * next (until the cap) while concurrent retries still spread out. `random` returns [0, 1).
 * @example retryDelaySeconds(3, { baseS: 5, maxS: 900 }, () => 0.5) // d = 20 → 15
 */
export function retryDelaySeconds(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  const step = Math.min(policy.maxS, policy.baseS * 2 ** Math.min(attempt - 1, 30));
  const half = step / 2;
  return Math.min(policy.maxS, Math.ceil(half + half * random()));
}
