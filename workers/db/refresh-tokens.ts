/** Refresh-token families in D1 (hashes only). */
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "./client.js";
import { refreshTokens } from "./schema.js";

export type RefreshTokenRow = typeof refreshTokens.$inferSelect;

export async function insertRefreshToken(db: Db, row: typeof refreshTokens.$inferInsert): Promise<void> {
  await db.insert(refreshTokens).values(row).run();
}

export async function findRefreshToken(db: Db, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  return db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash)).get();
}

/**
 * Marks `id` rotated and stores its successor in one D1 batch. False (nothing written) when another request rotated
 * it first: the caller must treat that as re-use.
 */
export async function rotateRefreshToken(db: Db, id: string, successor: typeof refreshTokens.$inferInsert, nowMs: number): Promise<boolean> {
  const [rotated] = await db.batch([
    db.update(refreshTokens).set({ rotatedAtMs: nowMs }).where(and(eq(refreshTokens.id, id), isNull(refreshTokens.rotatedAtMs), isNull(refreshTokens.revokedAtMs))),
    db.insert(refreshTokens).values(successor).onConflictDoNothing(),
  ]);
  if (rotated.meta.changes === 1) return true;
  await db.delete(refreshTokens).where(eq(refreshTokens.id, successor.id ?? "")).run();
  return false;
}

/** Revokes every live token of a family (logout, or re-use of a rotated token). */
export async function revokeFamily(db: Db, familyId: string, reason: string, nowMs: number): Promise<void> {
  await db
    .update(refreshTokens)
    .set({ revokedAtMs: nowMs, revokedReason: reason })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAtMs)))
    .run();
}

/** Revokes every live refresh token of a user (disabled, role changed, password changed). */
export async function revokeUserTokens(db: Db, userId: string, reason: string, nowMs: number): Promise<void> {
  await db
    .update(refreshTokens)
    .set({ revokedAtMs: nowMs, revokedReason: reason })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAtMs)))
    .run();
}
