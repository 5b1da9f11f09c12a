/**
 * The `database_maintenance` task: what D1 allows of SQLite's maintenance. `PRAGMA quick_check` and
 * `PRAGMA foreign_key_check` (the integrity check: D1 refuses `PRAGMA integrity_check`), `PRAGMA optimize` (ANALYZE
 * where the query planner's statistics are missing or stale), and a report of row counts per table and the database
 * size. D1 refuses `VACUUM` and the page pragmas (`page_count`, `page_size`, `freelist_count`: SQLITE_AUTH), so the
 * size is the one D1 reports with every result (`meta.size_after`).
 */
import { assessIntegrity, type ForeignKeyViolation } from "../../../core/health/database-integrity.js";
import { PermanentTaskError } from "../../../core/tasks/failure.js";
import type { TaskProcessor } from "../processor.js";

/** Tables of the database itself (SQLite's statistics, D1's bookkeeping), left out of the report. */
const INTERNAL_TABLE = /^(sqlite_|_cf_)/;

/** A table name as an SQL identifier. */
function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** D1's report of the database size after a statement, bytes; null when it is not given. */
function sizeAfter(meta: unknown): number | null {
  const size = (meta as { size_after?: unknown }).size_after;
  return typeof size === "number" ? size : null;
}

/**
 * Result: `{ integrity: { quickCheck: "ok", foreignKeyViolations: 0 } | null, optimized: true, sizeBytes,
 * tables: [{ name, rows }], totalRows }`. A failed integrity check fails the task permanently with the findings in
 * its error (nothing is optimized then: a damaged database is left as found for a restore).
 */
export const runDatabaseMaintenance: TaskProcessor<"database_maintenance"> = async (run) => {
  const database = run.env.DB;
  let integrity: { quickCheck: string; foreignKeyViolations: number } | null = null;
  if (run.payload.integrityCheck) {
    const quick = await database.prepare("PRAGMA quick_check").all<{ quick_check: string }>();
    const foreignKeys = await database.prepare("PRAGMA foreign_key_check").all<ForeignKeyViolation>();
    const assessment = assessIntegrity(
      quick.results.map((row) => row.quick_check),
      foreignKeys.results,
    );
    if (!assessment.ok) {
      run.log.error("database integrity check failed", { findings: assessment.findings });
      throw new PermanentTaskError(`the database failed its integrity check: ${assessment.findings.join("; ")}`);
    }
    integrity = { quickCheck: "ok", foreignKeyViolations: 0 };
  }
  run.signal.throwIfAborted();

  const optimize = await database.prepare("PRAGMA optimize").run();
  run.signal.throwIfAborted();

  const { results: listed } = await database.prepare("PRAGMA table_list").all<{ schema: string; name: string; type: string }>();
  const names = listed
    .filter((table) => table.schema === "main" && table.type === "table" && !INTERNAL_TABLE.test(table.name))
    .map((table) => table.name)
    .sort();
  const tables: { name: string; rows: number }[] = [];
  let sizeBytes = sizeAfter(optimize.meta);
  if (names.length > 0) {
    const counted = await database.prepare(`SELECT ${names.map((name, i) => `(SELECT COUNT(*) FROM ${quoted(name)}) AS t${i}`).join(", ")}`).all<Record<string, number>>();
    const row = counted.results[0] ?? {};
    names.forEach((name, i) => tables.push({ name, rows: row[`t${i}`] ?? 0 }));
    sizeBytes = sizeAfter(counted.meta) ?? sizeBytes;
  }
  const totalRows = tables.reduce((sum, table) => sum + table.rows, 0);
  run.log.info("database maintained", { sizeBytes, totalRows, tables: tables.length });
  return { integrity, optimized: true, sizeBytes, tables, totalRows };
};
