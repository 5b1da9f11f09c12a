/**
 * Reading D1's own integrity checks: `PRAGMA quick_check` answers one row "ok" or one row per problem, and
 * `PRAGMA foreign_key_check` one row per row whose parent is missing. (D1 refuses `PRAGMA integrity_check` with
 * SQLITE_AUTH; quick_check is the check it allows.)
 */

/** One row of `PRAGMA foreign_key_check`. */
export interface ForeignKeyViolation {
  /** The table holding the row with the missing parent. */
  readonly table: string;
  /** That row's rowid (null for a WITHOUT ROWID table). */
  readonly rowid: number | null;
  /** The table the row should reference. */
  readonly parent: string;
  /** Index of the foreign key in the table's list. */
  readonly fkid: number;
}

export interface IntegrityAssessment {
  readonly ok: boolean;
  /** One line per problem, for a person (empty when ok). */
  readonly findings: string[];
}

/** Most findings listed one by one; the rest are counted. */
export const MAX_LISTED_FINDINGS = 20;

/**
 * Whether the database passed both checks, and what failed.
 * @example assessIntegrity(["ok"], []) // { ok: true, findings: [] }
 * @example assessIntegrity(["*** in database main ***", "Page 7: btreeInitPage() returns error code 11"], []).ok // false
 */
export function assessIntegrity(quickCheck: readonly string[], foreignKeyViolations: readonly ForeignKeyViolation[]): IntegrityAssessment {
  const problems = quickCheck.length === 1 && quickCheck[0]?.toLowerCase() === "ok" ? [] : quickCheck.length === 0 ? ["quick_check answered nothing"] : quickCheck.map((line) => `quick_check: ${line}`);
  const violations = foreignKeyViolations.map((v) => `foreign key: ${v.table} row ${v.rowid ?? "?"} references a missing ${v.parent} row (foreign key ${v.fkid})`);
  const all = [...problems, ...violations];
  const listed = all.slice(0, MAX_LISTED_FINDINGS);
  if (all.length > listed.length) listed.push(`… and ${all.length - listed.length} more`);
  return { ok: all.length === 0, findings: listed };
}
