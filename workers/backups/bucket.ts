/** A backup's objects in the BACKUPS bucket as a whole: its manifest read back validated, the ids the bucket holds, deleting a backup. */
import { BACKUPS_ROOT, backupIdOfKey, backupPrefix, BackupManifestSchema, manifestKey, type BackupManifest } from "../../core/backups/manifest.js";
import { sha256Hex } from "./r2-files.js";

/**
 * The stored manifest: absent, unreadable (with why), or valid with the SHA-256 of its bytes, its etag and when it
 * was written (the manifest is a backup's last file, so that is when the backup completed).
 */
export type StoredManifest =
  | { readonly state: "missing" }
  | { readonly state: "invalid"; readonly sha256: string; readonly problem: string }
  | { readonly state: "valid"; readonly sha256: string; readonly etag: string; readonly uploadedAtMs: number; readonly manifest: BackupManifest };

/** Reads `backups/<id>/manifest.json` and checks it against the manifest schema (storage is a trust boundary). */
export async function readStoredManifest(bucket: R2Bucket, id: string): Promise<StoredManifest> {
  const object = await bucket.get(manifestKey(id));
  if (object === null) return { state: "missing" };
  const bytes = await object.arrayBuffer();
  const sha256 = await sha256Hex(bytes);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch (error: unknown) {
    return { state: "invalid", sha256, problem: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = BackupManifestSchema.safeParse(json);
  if (!parsed.success) return { state: "invalid", sha256, problem: parsed.error.issues.map((i) => `${i.path.join(".") || "manifest"}: ${i.message}`).join("; ") };
  if (parsed.data.id !== id) return { state: "invalid", sha256, problem: `the manifest names backup ${parsed.data.id}` };
  return { state: "valid", sha256, etag: object.etag, uploadedAtMs: object.uploaded.getTime(), manifest: parsed.data };
}

/** Ids of the backups whose folders are in the bucket (any state), oldest first. */
export async function backupIdsInBucket(bucket: R2Bucket): Promise<string[]> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: BACKUPS_ROOT, delimiter: "/", cursor });
    for (const prefix of page.delimitedPrefixes) {
      const id = backupIdOfKey(prefix);
      if (id !== null) ids.add(id);
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  return [...ids].sort();
}

/** Deletes every object under `backups/<id>/`; answers how many. */
export async function deleteBackupObjects(bucket: R2Bucket, id: string): Promise<number> {
  const deleted = new Set<string>();
  // Listing again from the start after each delete: the deleted keys are gone, so no cursor is needed.
  for (;;) {
    const page = await bucket.list({ prefix: backupPrefix(id), limit: 1_000 });
    if (page.objects.length === 0) return deleted.size;
    const keys = page.objects.map((o) => o.key);
    const stuck = keys.find((key) => deleted.has(key));
    if (stuck !== undefined) throw new Error(`R2 still lists ${stuck} after deleting it`);
    await bucket.delete(keys);
    for (const key of keys) deleted.add(key);
  }
}
