/** Login lock-out: after repeated failures a user or an address is locked out for a period that doubles each time. */

export interface LockoutPolicy {
  /** Failures allowed before the first lock-out. */
  readonly maxFailures: number;
  /** Length of the first lock-out, seconds. */
  readonly baseS: number;
  /** Longest lock-out, seconds. */
  readonly maxS: number;
}

/**
 * When a key that has now failed `failures` times in a row is locked until (epoch ms), or `nowMs` when it is not.
 * @example lockedUntilMs(7, 1_000, { maxFailures: 5, baseS: 30, maxS: 3_600 }) === 1_000 + 120_000 // 30 s × 2²
 */
export function lockedUntilMs(failures: number, nowMs: number, policy: LockoutPolicy): number {
  if (failures < policy.maxFailures) return nowMs;
  const lockS = Math.min(policy.maxS, policy.baseS * 2 ** Math.min(30, failures - policy.maxFailures));
  return nowMs + lockS * 1_000;
}
