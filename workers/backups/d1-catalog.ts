/** What the D1 database holds, read from SQLite itself: its tables, their columns and foreign keys, row counts, and the newest applied migration. */
import { isBackedUpTable, quoteIdentifier, restoreOrder, type TargetColumn } from "../../core/backups/restore-plan.js";
import { SqlIdentifierSchema } from "../../core/backups/manifest.js";

/** A table of the database as a backup and a restore see it. */
export interface CatalogTable {
  readonly name: string;
  /** In table order. */
  readonly columns: readonly TargetColumn[];
  /** Tables its foreign keys reference. */
  readonly references: readonly string[];
}

interface TableInfoRow {
  name: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

/**
 * Every table a backup covers (see isBackedUpTable), in restore order: parents before the tables that reference
 * them. A table whose name is not a plain identifier, or that is declared WITHOUT ROWID (the export pages by rowid),
 * is refused loudly rather than skipped.
 */
export async function listTables(database: D1Database): Promise<CatalogTable[]> {
  const { results } = await database
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all<{ name: string; sql: string | null }>();
  const tables = results.filter((t) => isBackedUpTable(t.name));
  for (const table of tables) {
    if (!SqlIdentifierSchema.safeParse(table.name).success) throw new Error(`table name ${JSON.stringify(table.name)} is not a plain identifier`);
    if (/WITHOUT\s+ROWID/i.test(table.sql ?? "")) throw new Error(`table ${table.name} is WITHOUT ROWID, which the export cannot page through`);
  }
  if (tables.length === 0) return [];
  const answers = await database.batch(
    tables.flatMap((t) => [database.prepare(`PRAGMA table_info(${quoteIdentifier(t.name)})`), database.prepare(`PRAGMA foreign_key_list(${quoteIdentifier(t.name)})`)]),
  );
  const catalog = tables.map((t, index): CatalogTable => {
    const columns = ((answers[2 * index]?.results ?? []) as TableInfoRow[]).map((c) => ({
      name: c.name,
      notNull: c.notnull === 1,
      hasDefault: c.dflt_value !== null,
      primaryKey: c.pk,
    }));
    const references = [...new Set(((answers[2 * index + 1]?.results ?? []) as { table: string }[]).map((fk) => fk.table))];
    return { name: t.name, columns, references };
  });
  const byName = new Map(catalog.map((t) => [t.name, t]));
  return restoreOrder(catalog).map((name) => byName.get(name) as CatalogTable);
}

/** The newest migration applied to the database (the last row of `d1_migrations`), or null when it has none. */
export async function schemaVersion(database: D1Database): Promise<string | null> {
  const ledger = await database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'd1_migrations'").first<{ name: string }>();
  if (ledger === null) return null;
  const newest = await database.prepare("SELECT name FROM d1_migrations ORDER BY id DESC LIMIT 1").first<{ name: string }>();
  return newest?.name ?? null;
}

/** Row counts of `tables`, read in one batch (one transaction, so they describe one moment). */
export async function rowCounts(database: D1Database, tables: readonly string[]): Promise<Map<string, number>> {
  if (tables.length === 0) return new Map();
  const answers = await database.batch(tables.map((t) => database.prepare(`SELECT count(*) AS n FROM ${quoteIdentifier(t)}`)));
  return new Map(tables.map((t, i) => [t, Number((answers[i]?.results[0] as { n?: number } | undefined)?.n ?? 0)]));
}

/** The largest rowid of each table (0 when empty), read in one batch: the export stops there, so it describes one moment for inserts. */
export async function maxRowids(database: D1Database, tables: readonly string[]): Promise<Map<string, number>> {
  if (tables.length === 0) return new Map();
  const answers = await database.batch(tables.map((t) => database.prepare(`SELECT coalesce(max(rowid), 0) AS m FROM ${quoteIdentifier(t)}`)));
  return new Map(tables.map((t, i) => [t, Number((answers[i]?.results[0] as { m?: number } | undefined)?.m ?? 0)]));
}
