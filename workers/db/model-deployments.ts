/** The deployment history in D1: every change of a symbol's serving slots, numbered per slot, append-only. */
import { and, desc, eq, inArray, lt, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Timeframe } from "../../core/market/timeframe.js";
import type { DeploymentEvent } from "../../core/schemas/registry.js";
import type { Db } from "./client.js";
import { modelDeployments, models } from "./schema.js";

export type DeploymentRow = typeof modelDeployments.$inferSelect;
export type NewDeploymentRow = typeof modelDeployments.$inferInsert;

/** The events that change the champion; they form the stack a rollback walks back. */
export const CHAMPION_EVENTS = ["deploy", "force-deploy", "rollback"] as const;

/** The sequence number of the slot's latest change; 0 when it never changed. */
export async function latestSlotSequence(db: Db, symbol: string, timeframe: Timeframe): Promise<number> {
  const row = await db
    .select({ sequence: modelDeployments.sequence })
    .from(modelDeployments)
    .where(and(eq(modelDeployments.symbol, symbol), eq(modelDeployments.timeframe, timeframe)))
    .orderBy(desc(modelDeployments.sequence))
    .limit(1)
    .get();
  return row?.sequence ?? 0;
}

/** The event that made the current champion champion (the top of the stack), if any. */
export async function currentChampionEvent(db: Db, symbol: string, timeframe: Timeframe): Promise<DeploymentRow | undefined> {
  return db
    .select()
    .from(modelDeployments)
    .where(
      and(
        eq(modelDeployments.symbol, symbol),
        eq(modelDeployments.timeframe, timeframe),
        inArray(modelDeployments.event, [...CHAMPION_EVENTS]),
      ),
    )
    .orderBy(desc(modelDeployments.sequence))
    .limit(1)
    .get();
}

export async function findDeploymentEvent(db: Db, id: number): Promise<DeploymentRow | undefined> {
  return db.select().from(modelDeployments).where(eq(modelDeployments.id, id)).get();
}

/** The statement appending an event, for a batch. Fails on a taken (symbol, timeframe, sequence). */
export function insertDeploymentEvent(db: Db, row: NewDeploymentRow) {
  return db.insert(modelDeployments).values(row);
}

/** Filters and paging of {@link listDeployments}. */
export interface DeploymentFilter {
  readonly symbol?: string;
  /** Events with an id below this (newest-first paging). */
  readonly beforeId?: number;
  readonly limit: number;
}

const replaced = alias(models, "replaced");

/** Newest first, with the versions of the models they name. */
export async function listDeployments(db: Db, filter: DeploymentFilter): Promise<DeploymentEvent[]> {
  const conditions: SQL[] = [];
  if (filter.symbol !== undefined) conditions.push(eq(modelDeployments.symbol, filter.symbol));
  if (filter.beforeId !== undefined) conditions.push(lt(modelDeployments.id, filter.beforeId));
  const rows = await db
    .select({ event: modelDeployments, modelVersion: models.version, replacedModelVersion: replaced.version })
    .from(modelDeployments)
    .innerJoin(models, eq(models.id, modelDeployments.modelId))
    .leftJoin(replaced, eq(replaced.id, modelDeployments.replacedModelId))
    .where(and(...conditions))
    .orderBy(desc(modelDeployments.id))
    .limit(filter.limit)
    .all();
  return rows.map(({ event, modelVersion, replacedModelVersion }) => ({
    id: event.id,
    symbol: event.symbol,
    timeframe: event.timeframe,
    event: event.event,
    modelId: event.modelId,
    modelVersion,
    replacedModelId: event.replacedModelId,
    replacedModelVersion,
    actor: event.actor,
    reason: event.reason,
    decision: event.decision,
    atMs: event.atMs,
  }));
}
