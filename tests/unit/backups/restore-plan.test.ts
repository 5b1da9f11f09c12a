/** Restore rules: parents before children, which tables a backup covers, schema fit, emptiness, and INSERTs within D1's limit. */
import { describe, expect, it } from "vitest";
import {
  BOOTSTRAP_TABLES,
  D1_MAX_BOUND_PARAMETERS,
  insertStatements,
  isBackedUpTable,
  nonEmptyTables,
  quoteIdentifier,
  restoreOrder,
  rowsPerInsert,
  schemaMismatches,
  type TargetColumn,
} from "../../../core/backups/restore-plan.js";

/** The platform's foreign keys (migrations 0000–0004) plus tables without any. */
const PLATFORM_TABLES = [
  { name: "users", references: [] },
  { name: "refresh_tokens", references: ["users"] },
  { name: "model_deployments", references: ["models"] },
  { name: "models", references: [] },
  { name: "task_dependencies", references: ["tasks"] },
  { name: "tasks", references: [] },
  { name: "trades", references: [] },
  { name: "audit_log", references: [] },
];

const column = (name: string, extra: Partial<TargetColumn> = {}): TargetColumn => ({ name, notNull: false, hasDefault: false, primaryKey: 0, ...extra });

describe("restoreOrder", () => {
  it("puts every table after the tables it references", () => {
    const order = restoreOrder(PLATFORM_TABLES);
    expect(order).toHaveLength(PLATFORM_TABLES.length);
    for (const table of PLATFORM_TABLES) for (const parent of table.references) expect(order.indexOf(parent)).toBeLessThan(order.indexOf(table.name));
  });

  it("is stable: ties in name order, whatever the input order", () => {
    const expected = ["audit_log", "models", "tasks", "trades", "users", "model_deployments", "refresh_tokens", "task_dependencies"];
    expect(restoreOrder(PLATFORM_TABLES)).toEqual(expected);
    expect(restoreOrder([...PLATFORM_TABLES].reverse())).toEqual(expected);
  });

  it("follows chains several levels deep", () => {
    expect(restoreOrder([{ name: "a", references: ["b"] }, { name: "b", references: ["c"] }, { name: "c", references: [] }])).toEqual(["c", "b", "a"]);
  });

  it("ignores self-references and tables outside the set", () => {
    expect(restoreOrder([{ name: "tree", references: ["tree", "elsewhere"] }, { name: "leaf", references: ["tree"] }])).toEqual(["tree", "leaf"]);
  });

  it("refuses a cycle, naming its tables", () => {
    expect(() => restoreOrder([{ name: "a", references: ["b"] }, { name: "b", references: ["a"] }, { name: "c", references: [] }])).toThrow(/cycle among a, b/);
  });
});

describe("isBackedUpTable", () => {
  it("skips SQLite's, Cloudflare's and the migration ledger", () => {
    expect(["sqlite_sequence", "sqlite_stat1", "_cf_KV", "_cf_METADATA", "d1_migrations"].filter(isBackedUpTable)).toEqual([]);
    expect(["trades", "users", "backups", "cf_table", "sqlite"].filter(isBackedUpTable)).toEqual(["trades", "users", "backups", "cf_table", "sqlite"]);
  });
});

describe("schemaMismatches", () => {
  const target = [
    { name: "trades", columns: [column("id", { notNull: true, primaryKey: 1 }), column("price", { notNull: true }), column("note")] },
    { name: "tasks", columns: [column("id", { primaryKey: 1 }), column("status", { notNull: true }), column("added", { notNull: true, hasDefault: true })] },
  ];

  it("accepts a backup whose columns the target has, with only nullable or defaulted columns added since", () => {
    expect(schemaMismatches([{ name: "trades", columns: ["id", "price"] }, { name: "tasks", columns: ["id", "status"] }], target)).toEqual([]);
  });

  it("names missing tables, missing columns and required columns the backup cannot fill", () => {
    expect(
      schemaMismatches(
        [
          { name: "trades", columns: ["id", "dropped"] },
          { name: "fills", columns: ["id"] },
        ],
        target,
      ),
    ).toEqual([
      { table: "trades", problem: "missing_columns", columns: ["dropped"] },
      { table: "trades", problem: "required_columns", columns: ["price"] },
      { table: "fills", problem: "missing_table", columns: [] },
    ]);
  });

  it("lets SQLite fill an INTEGER PRIMARY KEY the backup lacks", () => {
    expect(schemaMismatches([{ name: "tasks", columns: ["status"] }], target)).toEqual([]);
  });
});

describe("nonEmptyTables", () => {
  it("counts only tables with rows that are not bootstrap tables", () => {
    const counts = new Map([
      ["users", 1], ["refresh_tokens", 2], ["audit_log", 5], ["login_throttle", 1], ["revoked_access_tokens", 1], ["api_keys", 1],
      ["tasks", 3], ["task_events", 9], ["health_checks", 2], ["backups", 1], ["trades", 0], ["signals", 4], ["models", 1],
    ]);
    expect(nonEmptyTables(counts)).toEqual(["models", "signals"]);
  });

  it("names exactly the login's tables as bootstrap", () => {
    expect([...BOOTSTRAP_TABLES].sort()).toEqual([
      "api_keys", "audit_log", "backups", "health_checks", "login_throttle", "notification_deliveries", "refresh_tokens",
      "revoked_access_tokens", "task_dependencies", "task_events", "tasks", "users",
    ]);
  });
});

describe("INSERT statements", () => {
  it("fit as many rows as 100 parameters allow", () => {
    expect(rowsPerInsert(1)).toBe(100);
    expect(rowsPerInsert(27)).toBe(3);
    expect(rowsPerInsert(100)).toBe(1);
    expect(() => rowsPerInsert(101)).toThrow(RangeError);
    expect(() => rowsPerInsert(0)).toThrow(RangeError);
  });

  it("bind every value, in row then column order, never more than the limit per statement", () => {
    const columns = Array.from({ length: 27 }, (_, i) => `c${i}`);
    const rows = Array.from({ length: 10 }, (_, r) => Object.fromEntries(columns.map((c, i) => [c, r * 100 + i])));
    const statements = insertStatements("trades", columns, rows);
    expect(statements.map((s) => s.binds.length)).toEqual([81, 81, 81, 27]);
    for (const s of statements) {
      expect(s.binds.length).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
      expect(s.sql.split("?").length - 1).toBe(s.binds.length);
    }
    expect(statements.flatMap((s) => s.binds)).toEqual(rows.flatMap((row) => columns.map((c) => row[c])));
  });

  it("quote names, so any identifier is safe", () => {
    expect(quoteIdentifier('we"ird')).toBe('"we""ird"');
    expect(insertStatements("t", ["a", "b"], [{ a: 1, b: null }])).toEqual([{ sql: 'INSERT INTO "t" ("a", "b") VALUES (?, ?)', binds: [1, null] }]);
    expect(insertStatements("t", ["a"], [])).toEqual([]);
  });
});
