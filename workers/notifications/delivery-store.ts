/** Notification delivery attempts in D1 (notification_deliveries): recording, rate-limit counts, per-task state, listing. */
import { and, count, desc, eq, gt, gte, lt, lte, type SQL } from "drizzle-orm";
import type { NotificationDelivery } from "../../core/notifications/deliveries.js";
import type { Db } from "../db/client.js";
import { notificationDeliveries } from "../db/schema.js";

export type DeliveryRow = typeof notificationDeliveries.$inferSelect;
export type NewDeliveryRow = typeof notificationDeliveries.$inferInsert;

// D1 binds at most 100 variables per statement; a row binds 11.
const ROWS_PER_INSERT = 9;

/** Appends attempts, in order. */
export async function recordDeliveries(db: Db, rows: readonly NewDeliveryRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    await db.insert(notificationDeliveries).values(rows.slice(start, start + ROWS_PER_INSERT)).run();
  }
}

/** Sent deliveries on a (channel, event) with `fromMs < atMs <= toMs`: what the rate limit counts. */
export async function sentInWindow(db: Db, channel: string, event: string, window: { fromMs: number; toMs: number }): Promise<number> {
  const [row] = await db
    .select({ sent: count() })
    .from(notificationDeliveries)
    .where(
      and(
        eq(notificationDeliveries.channel, channel),
        eq(notificationDeliveries.event, event),
        gt(notificationDeliveries.atMs, window.fromMs),
        lte(notificationDeliveries.atMs, window.toMs),
        eq(notificationDeliveries.outcome, "sent"),
      ),
    )
    .all();
  return row?.sent ?? 0;
}

/**
 * Channels an earlier run of the same task settled: `sent` (delivered) or `rate_limited` (the limit decided). A retry
 * leaves them alone and tries only the channels whose every attempt failed.
 */
export async function settledChannelsOfTask(db: Db, taskId: string): Promise<Map<string, "sent" | "rate_limited">> {
  const rows = await db
    .select({ channel: notificationDeliveries.channel, outcome: notificationDeliveries.outcome })
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.taskId, taskId))
    .orderBy(notificationDeliveries.id)
    .all();
  const settled = new Map<string, "sent" | "rate_limited">();
  for (const row of rows) {
    if (row.outcome === "sent") settled.set(row.channel, "sent");
    else if (row.outcome === "rate_limited" && !settled.has(row.channel)) settled.set(row.channel, "rate_limited");
  }
  return settled;
}

export interface DeliveryFilter {
  readonly channel?: string;
  readonly event?: string;
  readonly outcome?: DeliveryRow["outcome"];
  readonly taskId?: string;
  readonly sinceMs?: number;
  /** Rows with a smaller id (newest-first paging). */
  readonly beforeId?: number;
  readonly limit: number;
}

/** Attempts, newest first. */
export async function listDeliveries(db: Db, filter: DeliveryFilter): Promise<NotificationDelivery[]> {
  const where: SQL[] = [];
  if (filter.channel !== undefined) where.push(eq(notificationDeliveries.channel, filter.channel));
  if (filter.event !== undefined) where.push(eq(notificationDeliveries.event, filter.event));
  if (filter.outcome !== undefined) where.push(eq(notificationDeliveries.outcome, filter.outcome));
  if (filter.taskId !== undefined) where.push(eq(notificationDeliveries.taskId, filter.taskId));
  if (filter.sinceMs !== undefined) where.push(gte(notificationDeliveries.atMs, filter.sinceMs));
  if (filter.beforeId !== undefined) where.push(lt(notificationDeliveries.id, filter.beforeId));
  const rows = await db.select().from(notificationDeliveries).where(and(...where)).orderBy(desc(notificationDeliveries.id)).limit(filter.limit).all();
  return rows.map(toDelivery);
}

function toDelivery(row: DeliveryRow): NotificationDelivery {
  return {
    id: row.id,
    atMs: row.atMs,
    event: row.event,
    severity: row.severity,
    channel: row.channel,
    channelKind: row.channelKind,
    outcome: row.outcome,
    httpStatus: row.httpStatus,
    latencyMs: row.latencyMs,
    error: row.error,
    taskId: row.taskId,
    title: row.title,
  };
}
