/** D1 tables (drizzle). Migrations are generated from this file with `npm run db:generate`. */
import { integer, sqliteTable, text, index } from "drizzle-orm/sqlite-core";

/** One run of the platform health check and its per-check results. */
export const healthChecks = sqliteTable(
  "health_checks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    checkedAtMs: integer("checked_at_ms").notNull(),
    status: text("status", { enum: ["ok", "degraded", "critical"] }).notNull(),
    durationMs: integer("duration_ms").notNull(),
    /** JSON array of { name, status, detail, latencyMs }. */
    results: text("results", { mode: "json" }).notNull(),
  },
  (table) => [index("health_checks_by_time").on(table.checkedAtMs)],
);
