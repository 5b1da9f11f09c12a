/** The model catalogue in D1: registered models, their status, and the serving slots of a symbol. */
import { and, desc, eq, inArray, lt, type SQL } from "drizzle-orm";
import type { Timeframe } from "../../core/market/timeframe.js";
import type { ModelRecord, ModelStatus } from "../../core/schemas/registry.js";
import type { Db } from "./client.js";
import { models } from "./schema.js";

export type ModelRow = typeof models.$inferSelect;
export type NewModelRow = typeof models.$inferInsert;

/** The catalogue row as the API shows it. */
export function toModelRecord(row: ModelRow): ModelRecord {
  return {
    id: row.id,
    symbol: row.symbol,
    timeframe: row.timeframe,
    version: row.version,
    modelKind: row.modelKind,
    status: row.status,
    featureSpec: row.featureSpec,
    inputWidth: row.inputWidth,
    label: row.label,
    classLabels: row.classLabels,
    heldOut: row.heldOut,
    parentVersion: row.parentVersion,
    onnxSha256: row.onnxSha256,
    onnxBytes: row.onnxBytes,
    createdAtMs: row.createdAtMs,
    uploadedAtMs: row.uploadedAtMs,
    uploadedBy: row.uploadedBy,
    deployedAtMs: row.deployedAtMs,
  };
}

/** Inserts a model and returns its row (with its id). Throws on a duplicate (symbol, version). */
export async function insertModel(db: Db, row: NewModelRow): Promise<ModelRow> {
  return db.insert(models).values(row).returning().get();
}

export async function findModelById(db: Db, id: number): Promise<ModelRow | undefined> {
  return db.select().from(models).where(eq(models.id, id)).get();
}

/** The model of `symbol` with `version` (versions are unique per symbol), if any. */
export async function findModelByVersion(db: Db, symbol: string, version: string): Promise<ModelRow | undefined> {
  return db.select().from(models).where(and(eq(models.symbol, symbol), eq(models.version, version))).get();
}

/** Filters and paging of {@link listModels}. */
export interface ModelFilter {
  readonly symbol?: string;
  readonly timeframe?: Timeframe;
  readonly status?: ModelStatus;
  /** Rows with an id below this (newest-first paging). */
  readonly beforeId?: number;
  readonly limit: number;
}

/** Newest first. */
export async function listModels(db: Db, filter: ModelFilter): Promise<ModelRow[]> {
  const conditions: SQL[] = [];
  if (filter.symbol !== undefined) conditions.push(eq(models.symbol, filter.symbol));
  if (filter.timeframe !== undefined) conditions.push(eq(models.timeframe, filter.timeframe));
  if (filter.status !== undefined) conditions.push(eq(models.status, filter.status));
  if (filter.beforeId !== undefined) conditions.push(lt(models.id, filter.beforeId));
  return db.select().from(models).where(and(...conditions)).orderBy(desc(models.id)).limit(filter.limit).all();
}

/** The models serving a symbol and timeframe now. */
export interface SlotModels {
  readonly champion: ModelRow | null;
  readonly shadow: ModelRow | null;
}

/** The champion and shadow of `symbol` and `timeframe`, as D1 records them. */
export async function slotModels(db: Db, symbol: string, timeframe: Timeframe): Promise<SlotModels> {
  const rows = await db
    .select()
    .from(models)
    .where(and(eq(models.symbol, symbol), eq(models.timeframe, timeframe), inArray(models.status, ["champion", "shadow"])))
    .all();
  return {
    champion: rows.find((row) => row.status === "champion") ?? null,
    shadow: rows.find((row) => row.status === "shadow") ?? null,
  };
}

/** The statement setting a model's status (and, when it becomes champion, when that happened), for a batch. */
export function setModelStatus(db: Db, id: number, status: ModelStatus, deployedAtMs?: number) {
  return db
    .update(models)
    .set(deployedAtMs === undefined ? { status } : { status, deployedAtMs })
    .where(eq(models.id, id));
}

/** True when `error` (or an error in its cause chain, as drizzle wraps D1's) is a violated UNIQUE constraint. */
export function isUniqueViolation(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (/UNIQUE constraint failed/i.test(current.message)) return true;
  }
  return false;
}
