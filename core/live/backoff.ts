/** When a dropped live stream tries again: exponential backoff with jitter, so a restarted platform is not hit by every open tab at once. */

export interface BackoffConfig {
  /** Delay ceiling of the first retry, ms. */
  readonly initialMs: number;
  /** Largest delay ceiling, ms. */
  readonly maxMs: number;
  /** Factor the ceiling grows by per failed attempt. */
  readonly multiplier: number;
  /** Fraction of the ceiling left to chance, 0 to 1: the delay lies in ((1 − jitter) × ceiling, ceiling]. */
  readonly jitter: number;
  /** A connection that stayed open this long counts as healthy: the next drop starts again from the first delay, ms. */
  readonly stableMs: number;
}

/** 1 s, 2 s, 4 s … up to 30 s, each somewhere in its upper half; a connection open 10 s resets the schedule. */
export const DEFAULT_RECONNECT_BACKOFF: BackoffConfig = Object.freeze({ initialMs: 1_000, maxMs: 30_000, multiplier: 2, jitter: 0.5, stableMs: 10_000 });

/**
 * The wait before reconnect attempt `attempt` (0 for the first retry), given `random` in [0, 1) from the caller's
 * random source (injected: core/ is deterministic).
 * @example reconnectDelayMs(0, 0) // 1000
 * @example reconnectDelayMs(3, 0.5) // 6000: ceiling 8 s, a quarter of it taken off
 * @example reconnectDelayMs(20, 0) // 30000: capped
 */
export function reconnectDelayMs(attempt: number, random: number, config: BackoffConfig = DEFAULT_RECONNECT_BACKOFF): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a non-negative integer, got ${attempt}`);
  if (!(random >= 0 && random < 1)) throw new RangeError(`random must be in [0, 1), got ${random}`);
  // Capping the exponent keeps multiplier ** attempt finite however long the outage lasts.
  const steps = Math.min(attempt, 64);
  const ceilingMs = Math.min(config.maxMs, config.initialMs * config.multiplier ** steps);
  return Math.round(ceilingMs * (1 - config.jitter * random));
}

/**
 * The attempt number of the retry after a connection closed, given the previous retry's (null before any retry):
 * 0 when the connection had stayed open at least `stableMs` (it was healthy; this is a new outage) or nothing was
 * retried yet, one more otherwise (it never opened, or dropped at once).
 * @example attemptAfterClose(null, null) // 0: the first retry
 * @example attemptAfterClose(3, 60_000) // 0: it had been healthy for a minute
 * @example attemptAfterClose(3, null) // 4: it never opened
 */
export function attemptAfterClose(previousAttempt: number | null, openForMs: number | null, config: BackoffConfig = DEFAULT_RECONNECT_BACKOFF): number {
  if (previousAttempt === null || (openForMs !== null && openForMs >= config.stableMs)) return 0;
  return previousAttempt + 1;
}
