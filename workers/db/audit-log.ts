/** The append-only audit log in D1. */
import { and, desc, eq, gte, lte, type SQL } from "drizzle-orm";
import type { Db } from "./client.js";
import { auditLog } from "./schema.js";

export type AuditRow = typeof auditLog.$inferSelect;
export type AuditEntry = typeof auditLog.$inferInsert;

export async function appendAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values(entry).run();
}

export interface AuditQuery {
  actorId?: string;
  outcome?: "success" | "denied" | "failed";
  fromMs?: number;
  toMs?: number;
  /** Rows with an id below this (newest-first paging). */
  beforeId?: number;
  limit: number;
}

/** Newest first. */
export async function queryAudit(db: Db, query: AuditQuery): Promise<AuditRow[]> {
  const filters: SQL[] = [];
  if (query.actorId !== undefined) filters.push(eq(auditLog.actorId, query.actorId));
  if (query.outcome !== undefined) filters.push(eq(auditLog.outcome, query.outcome));
  if (query.fromMs !== undefined) filters.push(gte(auditLog.atMs, query.fromMs));
  if (query.toMs !== undefined) filters.push(lte(auditLog.atMs, query.toMs));
  if (query.beforeId !== undefined) filters.push(lte(auditLog.id, query.beforeId - 1));
  return db.select().from(auditLog).where(and(...filters)).orderBy(desc(auditLog.id)).limit(query.limit).all();
}
