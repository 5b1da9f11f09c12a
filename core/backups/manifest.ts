/**
 * The backup manifest (`backups/<id>/manifest.json` in the BACKUPS bucket, written last): what a backup holds — one
 * gzip NDJSON file per D1 table and the copied model files, each with its size and SHA-256 — plus backup ids and the
 * R2 keys of a backup's files.
 */
import { z } from "zod";
import { Sha256HexSchema } from "../ml/manifest.js";
import { BackupKindSchema } from "../schemas/tasks.js";

/** The manifest format this code writes and reads. */
export const BACKUP_FORMAT_VERSION = 1;

/** Every object of a backup is under `backups/<id>/`. */
export const BACKUPS_ROOT = "backups/";

/** Model files are copied from the MODELS bucket keys under this prefix (ONNX files and their manifests). */
export const MODELS_ROOT = "models/";

/**
 * A backup id: `bkp_<UTC yyyymmddThhmmssZ>_<8 hex>`. Ids of backups taken in different seconds sort by time.
 * @example "bkp_20260503T020000Z_1a2b3c4d"
 */
export const BackupIdSchema = z
  .string()
  .regex(/^bkp_\d{8}T\d{6}Z_[0-9a-f]{8}$/, "a backup id such as bkp_20260503T020000Z_1a2b3c4d")
  .describe("Backup id: bkp_<UTC yyyymmddThhmmssZ>_<8 hex digits>");

/** A SQLite table or column name the backup writes into SQL (quoted): letters, digits and underscores. */
export const SqlIdentifierSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "letters, digits and underscores, not starting with a digit");

/**
 * The id of a backup taken at `nowMs`, made unique by `randomHex` (8 lower-case hex digits; the caller draws them).
 * @example formatBackupId(Date.UTC(2026, 4, 3, 2, 0, 0), "1a2b3c4d") // "bkp_20260503T020000Z_1a2b3c4d"
 */
export function formatBackupId(nowMs: number, randomHex: string): string {
  if (!/^[0-9a-f]{8}$/.test(randomHex)) throw new RangeError(`randomHex must be 8 lower-case hex digits, got '${randomHex}'`);
  const iso = new Date(nowMs).toISOString(); // 2026-05-03T02:00:00.000Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return `bkp_${stamp}_${randomHex}`;
}

/**
 * The UTC second a backup id names, epoch ms.
 * @example backupIdTimeMs("bkp_20260503T020000Z_1a2b3c4d") // Date.UTC(2026, 4, 3, 2, 0, 0)
 */
export function backupIdTimeMs(id: string): number {
  const m = /^bkp_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z_[0-9a-f]{8}$/.exec(id);
  if (!m) throw new RangeError(`not a backup id: '${id}'`);
  const [, year, month, day, hour, minute, second] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

// ---------------------------------------------------------------------------------------------------------------
// R2 keys

/** `backups/<id>/`: every object of the backup. */
export function backupPrefix(id: string): string {
  return `${BACKUPS_ROOT}${id}/`;
}

/** `backups/<id>/manifest.json`. */
export function manifestKey(id: string): string {
  return `${backupPrefix(id)}manifest.json`;
}

/** `backups/<id>/tables/<table>.ndjson.gz`. */
export function tableFileKey(id: string, table: string): string {
  return `${backupPrefix(id)}tables/${table}.ndjson.gz`;
}

/** `backups/<id>/models/...` for the MODELS key `models/...`. */
export function modelCopyKey(id: string, sourceKey: string): string {
  if (!sourceKey.startsWith(MODELS_ROOT)) throw new RangeError(`model keys start with ${MODELS_ROOT}, got '${sourceKey}'`);
  return `${backupPrefix(id)}${sourceKey}`;
}

/** The backup id of a key under `backups/<id>/`, or null for any other key. */
export function backupIdOfKey(key: string): string | null {
  const id = key.slice(BACKUPS_ROOT.length).split("/")[0] ?? "";
  return key.startsWith(BACKUPS_ROOT) && BackupIdSchema.safeParse(id).success ? id : null;
}

// ---------------------------------------------------------------------------------------------------------------
// The manifest

/** One D1 table's file: gzip-compressed NDJSON, one JSON object per row, keys in `columns` order. */
export const BackupTableFileSchema = z.strictObject({
  name: SqlIdentifierSchema.describe("The D1 table"),
  columns: z.array(SqlIdentifierSchema).min(1).describe("The table's columns when it was exported, in table order"),
  rows: z.number().int().nonnegative().describe("Rows (lines) in the file"),
  bytes: z.number().int().nonnegative().describe("Size of the compressed file, bytes"),
  sha256: Sha256HexSchema.describe("SHA-256 of the compressed file"),
  key: z.string().min(1).describe("R2 key in the BACKUPS bucket"),
});
export type BackupTableFile = z.infer<typeof BackupTableFileSchema>;

/** One model file copied from the MODELS bucket, byte for byte. */
export const BackupModelFileSchema = z.strictObject({
  sourceKey: z.string().startsWith(MODELS_ROOT).describe("Key in the MODELS bucket"),
  key: z.string().min(1).describe("Key of the copy in the BACKUPS bucket"),
  bytes: z.number().int().nonnegative(),
  sha256: Sha256HexSchema,
});
export type BackupModelFile = z.infer<typeof BackupModelFileSchema>;

export const BackupManifestSchema = z
  .strictObject({
    formatVersion: z.literal(BACKUP_FORMAT_VERSION),
    id: BackupIdSchema,
    kind: BackupKindSchema,
    createdAtMs: z.number().int().nonnegative().describe("When the backup started, epoch ms"),
    schemaVersion: z.string().min(1).describe("The newest D1 migration applied when the backup was taken (d1_migrations)"),
    tables: z.array(BackupTableFileSchema).describe("In restore order: parents before the tables that reference them"),
    models: z.array(BackupModelFileSchema),
  })
  .superRefine((manifest, ctx) => {
    // The keys follow from the id and names: a manifest that points a file elsewhere is not one this code wrote.
    const names = new Set<string>();
    manifest.tables.forEach((table, index) => {
      if (names.has(table.name)) ctx.addIssue({ code: "custom", path: ["tables", index, "name"], message: `table ${table.name} is listed twice` });
      names.add(table.name);
      if (new Set(table.columns).size !== table.columns.length) ctx.addIssue({ code: "custom", path: ["tables", index, "columns"], message: "a column is listed twice" });
      if (table.key !== tableFileKey(manifest.id, table.name)) ctx.addIssue({ code: "custom", path: ["tables", index, "key"], message: `expected ${tableFileKey(manifest.id, table.name)}` });
    });
    const sources = new Set<string>();
    manifest.models.forEach((model, index) => {
      if (sources.has(model.sourceKey)) ctx.addIssue({ code: "custom", path: ["models", index, "sourceKey"], message: `${model.sourceKey} is listed twice` });
      sources.add(model.sourceKey);
      if (model.key !== modelCopyKey(manifest.id, model.sourceKey)) ctx.addIssue({ code: "custom", path: ["models", index, "key"], message: `expected ${modelCopyKey(manifest.id, model.sourceKey)}` });
    });
  });
export type BackupManifest = z.infer<typeof BackupManifestSchema>;

/** Totals of a manifest: tables, rows, compressed bytes of the table and model files, model files. */
export function manifestTotals(manifest: BackupManifest): { tables: number; rows: number; bytes: number; modelFiles: number } {
  return {
    tables: manifest.tables.length,
    rows: manifest.tables.reduce((sum, t) => sum + t.rows, 0),
    bytes: manifest.tables.reduce((sum, t) => sum + t.bytes, 0) + manifest.models.reduce((sum, m) => sum + m.bytes, 0),
    modelFiles: manifest.models.length,
  };
}

/**
 * The manifest's JSON text as stored (two-space indented, so that a person can read it in the bucket). The registry
 * keeps the SHA-256 of exactly these bytes.
 */
export function manifestJson(manifest: BackupManifest): string {
  return `${JSON.stringify(BackupManifestSchema.parse(manifest), null, 2)}\n`;
}
