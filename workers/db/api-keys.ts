/** API keys in D1 (hashes only). */
import { eq } from "drizzle-orm";
import type { Db } from "./client.js";
import { apiKeys } from "./schema.js";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export async function insertApiKey(db: Db, row: typeof apiKeys.$inferInsert): Promise<boolean> {
  const result = await db.insert(apiKeys).values(row).onConflictDoNothing().run();
  return result.meta.changes > 0;
}

export async function findApiKeyByPrefix(db: Db, prefix: string): Promise<ApiKeyRow | undefined> {
  return db.select().from(apiKeys).where(eq(apiKeys.prefix, prefix)).get();
}

export async function findApiKeyById(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  return db.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
}

export async function listApiKeys(db: Db): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).orderBy(apiKeys.createdAtMs).all();
}

export async function revokeApiKey(db: Db, id: string, nowMs: number): Promise<ApiKeyRow | undefined> {
  return db.update(apiKeys).set({ revokedAtMs: nowMs }).where(eq(apiKeys.id, id)).returning().get();
}

export async function touchApiKey(db: Db, id: string, nowMs: number): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAtMs: nowMs }).where(eq(apiKeys.id, id)).run();
}
