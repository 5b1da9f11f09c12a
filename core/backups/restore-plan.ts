/**
 * The pure rules of export and restore: which tables a backup holds, the order that puts parents before the tables
 * that reference them, what a target database must look like to receive a backup, and the multi-row INSERTs that
 * stay within D1's bound-parameter limit.
 */
import type { BackupTableFile } from "./manifest.js";
import type { SqlRow, SqlValue } from "./ndjson.js";

/** D1 binds at most this many parameters per statement. */
export const D1_MAX_BOUND_PARAMETERS = 100;

/**
 * Tables a fresh deployment writes by itself before the operator runs the restore: the first login (the admin from
 * the deployment's secrets, its tokens, lock-out counters and audit rows), an API key made for the restore CLI, and
 * what the crons write within minutes (tasks and their events, health checks, notification deliveries, the backup
 * registry). A restore accepts rows in them and replaces those rows with the backup's; every other table must be
 * empty.
 */
export const BOOTSTRAP_TABLES: readonly string[] = Object.freeze([
  "users",
  "refresh_tokens",
  "revoked_access_tokens",
  "login_throttle",
  "audit_log",
  "api_keys",
  "tasks",
  "task_dependencies",
  "task_events",
  "health_checks",
  "notification_deliveries",
  "backups",
]);

/**
 * True for a table a backup exports: not SQLite's own (`sqlite_%`), not Cloudflare's (`_cf_%`), not the migration
 * ledger (`d1_migrations`: a restored database is migrated by the deployment, never by the backup).
 * @example isBackedUpTable("trades") // true
 * @example isBackedUpTable("sqlite_sequence") // false
 */
export function isBackedUpTable(name: string): boolean {
  return !name.startsWith("sqlite_") && !name.startsWith("_cf_") && name !== "d1_migrations";
}

/** A table and the tables its foreign keys reference. */
export interface TableReferences {
  readonly name: string;
  readonly references: readonly string[];
}

/**
 * The tables in an order that restores parents before children (a table after every table it references); ties in
 * name order, so the order is stable. References to tables outside the set and to the table itself are ignored.
 * Throws RangeError on a reference cycle, which no order can satisfy.
 * @example restoreOrder([{ name: "task_dependencies", references: ["tasks"] }, { name: "tasks", references: [] }]) // ["tasks", "task_dependencies"]
 */
export function restoreOrder(tables: readonly TableReferences[]): string[] {
  const names = new Set(tables.map((t) => t.name));
  const waitingOn = new Map<string, Set<string>>();
  for (const table of tables) waitingOn.set(table.name, new Set(table.references.filter((r) => r !== table.name && names.has(r))));
  const order: string[] = [];
  while (waitingOn.size > 0) {
    const ready = [...waitingOn].filter(([, parents]) => parents.size === 0).map(([name]) => name).sort();
    if (ready.length === 0) throw new RangeError(`foreign keys form a cycle among ${[...waitingOn.keys()].sort().join(", ")}`);
    for (const name of ready) {
      order.push(name);
      waitingOn.delete(name);
      for (const parents of waitingOn.values()) parents.delete(name);
    }
  }
  return order;
}

// ---------------------------------------------------------------------------------------------------------------
// The target database

/** A column of the target database (from PRAGMA table_info). */
export interface TargetColumn {
  readonly name: string;
  readonly notNull: boolean;
  readonly hasDefault: boolean;
  /** Position in the primary key (0 when not part of it). */
  readonly primaryKey: number;
}

/** A table of the target database. */
export interface TargetTable {
  readonly name: string;
  readonly columns: readonly TargetColumn[];
}

/** Why a backup's table cannot go into the target database's table. */
export interface SchemaMismatch {
  readonly table: string;
  readonly problem: "missing_table" | "missing_columns" | "required_columns";
  readonly columns: readonly string[];
}

/**
 * The differences that stop the backup's rows from going into the target database: a table it lacks, columns it
 * lacks, or columns the backup has no values for that must not be NULL and have no default. Empty when the rows fit
 * (a target migrated further, with only nullable or defaulted columns added, still fits).
 */
export function schemaMismatches(backupTables: readonly Pick<BackupTableFile, "name" | "columns">[], target: readonly TargetTable[]): SchemaMismatch[] {
  const byName = new Map(target.map((t) => [t.name, t]));
  const mismatches: SchemaMismatch[] = [];
  for (const table of backupTables) {
    const targetTable = byName.get(table.name);
    if (targetTable === undefined) {
      mismatches.push({ table: table.name, problem: "missing_table", columns: [] });
      continue;
    }
    const targetNames = new Set(targetTable.columns.map((c) => c.name));
    const missing = table.columns.filter((c) => !targetNames.has(c));
    if (missing.length > 0) mismatches.push({ table: table.name, problem: "missing_columns", columns: missing });
    const backupNames = new Set(table.columns);
    // An INTEGER PRIMARY KEY is filled in by SQLite; any other NOT NULL column without a default needs a value.
    const required = targetTable.columns.filter((c) => !backupNames.has(c.name) && c.notNull && !c.hasDefault && c.primaryKey === 0).map((c) => c.name);
    if (required.length > 0) mismatches.push({ table: table.name, problem: "required_columns", columns: required });
  }
  return mismatches;
}

/**
 * Tables that make the target database "not empty" for a restore: tables of the backup that hold rows, except the
 * bootstrap tables, in name order.
 * @example nonEmptyTables(new Map([["trades", 3], ["users", 1]])) // ["trades"]
 */
export function nonEmptyTables(rowCounts: ReadonlyMap<string, number>): string[] {
  return [...rowCounts]
    .filter(([name, rows]) => rows > 0 && !BOOTSTRAP_TABLES.includes(name))
    .map(([name]) => name)
    .sort();
}

// ---------------------------------------------------------------------------------------------------------------
// INSERT statements

/** A statement and its parameters. */
export interface SqlStatement {
  readonly sql: string;
  readonly binds: readonly SqlValue[];
}

/** An identifier in double quotes (embedded quotes doubled), so any table or column name is safe in SQL. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Rows of `columnCount` columns one INSERT can carry within the bound-parameter limit.
 * @example rowsPerInsert(27) // 3 (81 parameters)
 */
export function rowsPerInsert(columnCount: number, maxBoundParameters = D1_MAX_BOUND_PARAMETERS): number {
  if (!Number.isInteger(columnCount) || columnCount < 1) throw new RangeError(`columnCount must be a positive integer, got ${columnCount}`);
  if (columnCount > maxBoundParameters) throw new RangeError(`a row of ${columnCount} columns needs more than ${maxBoundParameters} parameters`);
  return Math.floor(maxBoundParameters / columnCount);
}

/**
 * Multi-row INSERTs of `rows` into `table`, each binding at most `maxBoundParameters` values, in row order.
 * @example insertStatements("t", ["a", "b"], [{ a: 1, b: "x" }]) // [{ sql: 'INSERT INTO "t" ("a", "b") VALUES (?, ?)', binds: [1, "x"] }]
 */
export function insertStatements(table: string, columns: readonly string[], rows: readonly SqlRow[], maxBoundParameters = D1_MAX_BOUND_PARAMETERS): SqlStatement[] {
  const perStatement = rowsPerInsert(columns.length, maxBoundParameters);
  const head = `INSERT INTO ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(", ")}) VALUES `;
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  const statements: SqlStatement[] = [];
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const binds: SqlValue[] = [];
    for (const row of chunk) for (const column of columns) binds.push(row[column] ?? null);
    statements.push({ sql: head + chunk.map(() => tuple).join(", "), binds });
  }
  return statements;
}
