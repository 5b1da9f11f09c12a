/** Access tokens (by jti) revoked before they expire. */
import { eq, lt } from "drizzle-orm";
import type { Db } from "./client.js";
import { revokedAccessTokens } from "./schema.js";

export async function revokeAccessToken(db: Db, jti: string, expiresAtMs: number): Promise<void> {
  await db.insert(revokedAccessTokens).values({ jti, expiresAtMs }).onConflictDoNothing().run();
}

export async function isAccessTokenRevoked(db: Db, jti: string): Promise<boolean> {
  return (await db.select({ jti: revokedAccessTokens.jti }).from(revokedAccessTokens).where(eq(revokedAccessTokens.jti, jti)).get()) !== undefined;
}

/** Deletes revocations of tokens that have expired anyway. */
export async function pruneRevokedAccessTokens(db: Db, nowMs: number): Promise<void> {
  await db.delete(revokedAccessTokens).where(lt(revokedAccessTokens.expiresAtMs, nowMs)).run();
}
