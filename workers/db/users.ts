/** Users in D1. */
import { eq } from "drizzle-orm";
import type { Role } from "../auth/roles.js";
import type { Db } from "./client.js";
import { users } from "./schema.js";

export type UserRow = typeof users.$inferSelect;

export async function findUserByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  return db.select().from(users).where(eq(users.username, username.toLowerCase())).get();
}

export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  return db.select().from(users).where(eq(users.id, id)).get();
}

export async function listUsers(db: Db): Promise<UserRow[]> {
  return db.select().from(users).orderBy(users.username).all();
}

/** Inserts a user; false when the username is taken. */
export async function insertUser(db: Db, user: { id: string; username: string; passwordHash: string; role: Role; nowMs: number }): Promise<boolean> {
  const result = await db
    .insert(users)
    .values({ id: user.id, username: user.username.toLowerCase(), passwordHash: user.passwordHash, role: user.role, createdAtMs: user.nowMs, updatedAtMs: user.nowMs })
    .onConflictDoNothing()
    .run();
  return result.meta.changes > 0;
}

export async function updateUser(
  db: Db,
  id: string,
  changes: { role?: Role; passwordHash?: string; disabledAtMs?: number | null },
  nowMs: number,
): Promise<UserRow | undefined> {
  return db.update(users).set({ ...changes, updatedAtMs: nowMs }).where(eq(users.id, id)).returning().get();
}
