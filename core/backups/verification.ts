/**
 * Verification findings: what re-reading a backup's files found compared with what its manifest (and the registry's
 * manifest hash) promise. A backup with any finding is corrupt and is never restored.
 */
import { z } from "zod";

export const BACKUP_PROBLEM_KINDS = ["missing", "bytes", "sha256", "rows", "unreadable", "manifest"] as const;
export const BackupProblemKindSchema = z.enum(BACKUP_PROBLEM_KINDS);
export type BackupProblemKind = z.infer<typeof BackupProblemKindSchema>;

/** One mismatching or missing file. */
export const BackupProblemSchema = z.object({
  key: z.string().describe("R2 key of the file in the BACKUPS bucket"),
  kind: BackupProblemKindSchema.describe(
    "missing: no such object · bytes/sha256/rows: differs from the manifest · unreadable: not gzip NDJSON of the table's columns · manifest: the manifest is missing, invalid, or not the one the registry recorded",
  ),
  expected: z.union([z.string(), z.number()]).nullable(),
  actual: z.union([z.string(), z.number()]).nullable(),
  message: z.string(),
});
export type BackupProblem = z.infer<typeof BackupProblemSchema>;

/** What the manifest promises for one file (rows only for table files). */
export interface ExpectedFile {
  readonly key: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly rows?: number;
}

/** What reading the file found: nothing, or its size and hash and (table files) its rows or why they are unreadable. */
export type ObservedFile =
  | { readonly found: false }
  | { readonly found: true; readonly bytes: number; readonly sha256: string; readonly rows?: number; readonly unreadable?: string };

/**
 * The problems of one file, in a fixed order: missing; or size, hash, unreadable content, row count.
 * @example fileProblems({ key: "k", bytes: 3, sha256: "aa" }, { found: false }) // [{ key: "k", kind: "missing", … }]
 */
export function fileProblems(expected: ExpectedFile, observed: ObservedFile): BackupProblem[] {
  if (!observed.found) return [{ key: expected.key, kind: "missing", expected: expected.sha256, actual: null, message: `${expected.key} is missing` }];
  const problems: BackupProblem[] = [];
  if (observed.bytes !== expected.bytes) {
    problems.push({ key: expected.key, kind: "bytes", expected: expected.bytes, actual: observed.bytes, message: `${expected.key} has ${observed.bytes} bytes, the manifest says ${expected.bytes}` });
  }
  if (observed.sha256 !== expected.sha256) {
    problems.push({ key: expected.key, kind: "sha256", expected: expected.sha256, actual: observed.sha256, message: `${expected.key} does not hash to the manifest's SHA-256` });
  }
  if (observed.unreadable !== undefined) {
    problems.push({ key: expected.key, kind: "unreadable", expected: null, actual: null, message: `${expected.key}: ${observed.unreadable}` });
  } else if (expected.rows !== undefined && observed.rows !== expected.rows) {
    problems.push({ key: expected.key, kind: "rows", expected: expected.rows, actual: observed.rows ?? null, message: `${expected.key} holds ${observed.rows ?? "no"} rows, the manifest says ${expected.rows}` });
  }
  return problems;
}

/** The problem of a manifest whose hash is not the one the registry recorded when the backup completed. */
export function manifestHashProblem(key: string, registrySha256: string | null, actualSha256: string): BackupProblem[] {
  if (registrySha256 === null || registrySha256 === actualSha256) return [];
  return [{ key, kind: "manifest", expected: registrySha256, actual: actualSha256, message: `${key} was changed after the backup completed (its SHA-256 differs from the registry's)` }];
}
