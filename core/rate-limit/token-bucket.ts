/** A pure token bucket: immutable state in, new state and a decision out, with time as a parameter. */
import { ConfigError } from "../errors/app-error.js";

/** Tokens left (fractional, in [0, capacity]) as of `updatedAtMs` (epoch ms). */
export interface TokenBucketState {
  readonly tokens: number;
  readonly updatedAtMs: number;
}

export interface TokenBucketConfig {
  /** Most tokens the bucket holds: the largest burst. Finite, > 0. */
  readonly capacity: number;
  /** Tokens added per second. Finite, > 0. */
  readonly refillPerS: number;
}

export interface TakeResult {
  readonly allowed: boolean;
  /** The state to store, whether or not the take was allowed. */
  readonly state: TokenBucketState;
  /** 0 when allowed; otherwise whole seconds (>= 1) to wait before the same take can succeed. */
  readonly retryAfterS: number;
}

/** Slack for floating-point refill sums (e.g. 3 tokens/s over 1/3 s), in tokens. */
const EPSILON_TOKENS = 1e-9;

/**
 * A full bucket, as for a client never seen before.
 * @example const state = fullBucket({ capacity: 20, refillPerS: 5 }, nowMs)
 */
export function fullBucket(config: TokenBucketConfig, nowMs: number): TokenBucketState {
  checkConfig(config);
  return { tokens: config.capacity, updatedAtMs: nowMs };
}

/**
 * Refills the bucket for the time since `state.updatedAtMs` (capped at capacity), then takes `cost` tokens (default 1,
 * finite and >= 0) if that many are there. A clock that went backwards refills nothing and keeps the later
 * `updatedAtMs`, so time is never credited twice; tokens never go below 0. When refused, tokens are kept and
 * `retryAfterS` is the whole seconds, rounded up and at least 1, until `cost` tokens will be there. A cost above
 * capacity can never be met: it is always refused, and `retryAfterS` is then the time until the bucket is full
 * (at least 1), a finite wait after which the caller will be refused again. A non-finite `nowMs`, `cost` or state is
 * a RangeError; a bad config a ConfigError.
 * @example
 * const { allowed, state, retryAfterS } = take(stored ?? fullBucket(config, nowMs), config, nowMs);
 * if (!allowed) throw new RateLimitedError(retryAfterS);
 */
export function take(state: TokenBucketState, config: TokenBucketConfig, nowMs: number, cost = 1): TakeResult {
  checkConfig(config);
  if (!Number.isFinite(nowMs)) throw new RangeError("nowMs must be finite");
  if (!Number.isFinite(state.tokens) || !Number.isFinite(state.updatedAtMs)) throw new RangeError("token bucket state must be finite");
  if (!Number.isFinite(cost) || cost < 0) throw new RangeError("cost must be a finite number >= 0");
  const elapsedMs = Math.max(0, nowMs - state.updatedAtMs);
  const start = Math.min(config.capacity, Math.max(0, state.tokens));
  const tokens = Math.min(config.capacity, start + (elapsedMs * config.refillPerS) / 1000);
  const updatedAtMs = Math.max(state.updatedAtMs, nowMs);
  if (cost <= config.capacity && tokens + EPSILON_TOKENS >= cost) {
    return { allowed: true, state: { tokens: Math.max(0, tokens - cost), updatedAtMs }, retryAfterS: 0 };
  }
  const target = Math.min(cost, config.capacity);
  const waitS = (target - tokens) / config.refillPerS;
  return { allowed: false, state: { tokens, updatedAtMs }, retryAfterS: Math.max(1, Math.ceil(waitS - EPSILON_TOKENS / config.refillPerS)) };
}

function checkConfig(config: TokenBucketConfig): void {
  if (!(Number.isFinite(config.capacity) && config.capacity > 0 && Number.isFinite(config.refillPerS) && config.refillPerS > 0)) {
    throw new ConfigError("token bucket capacity and refillPerS must be finite and > 0", { details: { ...config } });
  }
}
