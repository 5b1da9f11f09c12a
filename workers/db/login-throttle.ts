/** Failed-login counters per user and per address, with their lock-outs. */
import { eq, inArray } from "drizzle-orm";
import { lockedUntilMs, type LockoutPolicy } from "../../core/security/lockout.js";
import type { Db } from "./client.js";
import { loginThrottle } from "./schema.js";

/** The latest lock-out end among `keys` (epoch ms), or 0 when none is locked. */
export async function lockoutEndMs(db: Db, keys: string[]): Promise<number> {
  const rows = await db.select().from(loginThrottle).where(inArray(loginThrottle.key, keys)).all();
  return Math.max(0, ...rows.map((row) => row.lockedUntilMs));
}

/** Counts one more failure for each key and sets its lock-out. */
export async function recordLoginFailure(db: Db, keys: string[], nowMs: number, policy: LockoutPolicy): Promise<void> {
  const rows = await db.select().from(loginThrottle).where(inArray(loginThrottle.key, keys)).all();
  const failuresByKey = new Map(rows.map((row) => [row.key, row.failures]));
  const upserts = keys.map((key) => {
    const failures = (failuresByKey.get(key) ?? 0) + 1;
    const row = { key, failures, lastFailureAtMs: nowMs, lockedUntilMs: lockedUntilMs(failures, nowMs, policy) };
    return db.insert(loginThrottle).values(row).onConflictDoUpdate({ target: loginThrottle.key, set: row });
  });
  const [first, ...rest] = upserts;
  if (first) await db.batch([first, ...rest]);
}

/** Clears the user's counter after a successful login (the address keeps its history). */
export async function clearLoginFailures(db: Db, key: string): Promise<void> {
  await db.delete(loginThrottle).where(eq(loginThrottle.key, key)).run();
}
