/** The backup manifest: ids, keys, the schema's refusals of manifests this code did not write, totals. */
import { describe, expect, it } from "vitest";
import {
  backupIdOfKey,
  backupIdTimeMs,
  BackupManifestSchema,
  formatBackupId,
  manifestJson,
  manifestKey,
  manifestTotals,
  modelCopyKey,
  tableFileKey,
  type BackupManifest,
} from "../../../core/backups/manifest.js";

const ID = "bkp_20260503T020000Z_1a2b3c4d";
const HASH_A = "a".repeat(64);
const HASH_B = "b".repeat(64);

function makeManifest(change: (m: BackupManifest) => void = () => undefined): BackupManifest {
  const manifest: BackupManifest = {
    formatVersion: 1,
    id: ID,
    kind: "scheduled",
    createdAtMs: Date.UTC(2026, 4, 3, 2, 0, 0, 250),
    schemaVersion: "0004_tasks_backups_notifications.sql",
    tables: [
      { name: "tasks", columns: ["id", "status"], rows: 3, bytes: 120, sha256: HASH_A, key: tableFileKey(ID, "tasks") },
      { name: "task_dependencies", columns: ["task_id", "depends_on_id"], rows: 2, bytes: 80, sha256: HASH_B, key: tableFileKey(ID, "task_dependencies") },
    ],
    models: [{ sourceKey: "models/XAUUSD/v1/model.onnx", key: modelCopyKey(ID, "models/XAUUSD/v1/model.onnx"), bytes: 5_000, sha256: HASH_A }],
  };
  change(manifest);
  return manifest;
}

const issuesOf = (m: unknown): string[] => {
  const result = BackupManifestSchema.safeParse(m);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("backup ids", () => {
  it("are bkp_, the UTC second and 8 hex digits", () => {
    expect(formatBackupId(Date.UTC(2026, 4, 3, 2, 0, 0, 999), "1a2b3c4d")).toBe(ID);
    expect(formatBackupId(Date.UTC(2025, 11, 31, 23, 59, 59), "00000000")).toBe("bkp_20251231T235959Z_00000000");
  });

  it("give back the second they name", () => {
    expect(backupIdTimeMs(ID)).toBe(Date.UTC(2026, 4, 3, 2, 0, 0));
    expect(() => backupIdTimeMs("bkp_2026")).toThrow(RangeError);
  });

  it("sort by time across seconds", () => {
    const ids = [Date.UTC(2026, 0, 2), Date.UTC(2025, 11, 31, 23, 59, 59), Date.UTC(2026, 0, 1, 12)].map((ms) => formatBackupId(ms, "ffffffff"));
    expect([...ids].sort()).toEqual([ids[1], ids[2], ids[0]]);
  });

  it("refuse anything but 8 lower-case hex digits of randomness", () => {
    for (const bad of ["1A2B3C4D", "1a2b3c4", "1a2b3c4d5", "zzzzzzzz"]) expect(() => formatBackupId(0, bad)).toThrow(RangeError);
  });
});

describe("keys", () => {
  it("put everything under backups/<id>/", () => {
    expect(manifestKey(ID)).toBe(`backups/${ID}/manifest.json`);
    expect(tableFileKey(ID, "trades")).toBe(`backups/${ID}/tables/trades.ndjson.gz`);
    expect(modelCopyKey(ID, "models/XAUUSD/v1/manifest.json")).toBe(`backups/${ID}/models/XAUUSD/v1/manifest.json`);
    expect(() => modelCopyKey(ID, "other/x")).toThrow(RangeError);
  });

  it("name their backup", () => {
    expect(backupIdOfKey(tableFileKey(ID, "trades"))).toBe(ID);
    expect(backupIdOfKey(`backups/${ID}/`)).toBe(ID);
    expect(backupIdOfKey("backups/not-an-id/manifest.json")).toBeNull();
    expect(backupIdOfKey(`models/${ID}/x`)).toBeNull();
  });
});

describe("BackupManifestSchema", () => {
  it("accepts a manifest as written, and manifestJson round-trips it", () => {
    const manifest = makeManifest();
    expect(issuesOf(manifest)).toEqual([]);
    expect(BackupManifestSchema.parse(JSON.parse(manifestJson(manifest)))).toEqual(manifest);
  });

  it("refuses another format version, unknown fields and a bad kind", () => {
    expect(issuesOf({ ...makeManifest(), formatVersion: 2 })).not.toEqual([]);
    expect(issuesOf({ ...makeManifest(), extra: true })).not.toEqual([]);
    expect(issuesOf({ ...makeManifest(), kind: "hourly" })).not.toEqual([]);
  });

  it("refuses a file key that does not follow from the id and the name", () => {
    const moved = makeManifest((m) => {
      m.tables[0] = { ...m.tables[0]!, key: tableFileKey("bkp_20260101T000000Z_00000000", "tasks") };
    });
    expect(issuesOf(moved)).toEqual([expect.stringMatching(/^tables\.0\.key: expected backups\/bkp_20260503T020000Z_1a2b3c4d\/tables\/tasks\.ndjson\.gz/)]);
    const model = makeManifest((m) => {
      m.models[0] = { ...m.models[0]!, key: "backups/elsewhere/model.onnx" };
    });
    expect(issuesOf(model)).toEqual([expect.stringMatching(/^models\.0\.key: expected/)]);
  });

  it("refuses a table or model listed twice, a repeated column, a name unsafe in SQL and a bad hash", () => {
    expect(issuesOf(makeManifest((m) => m.tables.push({ ...m.tables[0]! })))).toEqual([expect.stringMatching(/^tables\.2\.name: table tasks is listed twice/)]);
    expect(issuesOf(makeManifest((m) => m.models.push({ ...m.models[0]! })))).toEqual([expect.stringMatching(/^models\.1\.sourceKey: .* listed twice/)]);
    expect(issuesOf(makeManifest((m) => (m.tables[0]!.columns = ["id", "id"])))).toEqual([expect.stringMatching(/^tables\.0\.columns: a column is listed twice/)]);
    expect(issuesOf(makeManifest((m) => (m.tables[0]!.columns = ['id"; DROP TABLE x; --'])))).not.toEqual([]);
    expect(issuesOf(makeManifest((m) => (m.tables[0]!.sha256 = "A".repeat(64))))).not.toEqual([]);
  });
});

describe("manifestTotals", () => {
  it("adds rows, and the bytes of table and model files", () => {
    expect(manifestTotals(makeManifest())).toEqual({ tables: 2, rows: 5, bytes: 5_200, modelFiles: 1 });
  });
});
