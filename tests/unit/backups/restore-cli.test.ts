/**
 * `npm run restore` against a local stub of the platform's API: the command line it accepts and refuses, the
 * requests it sends, what it prints, and the exit status for each answer — in process, and as a real process for the
 * statuses the shell sees.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { BackupRecord, BackupVerification, RestoreResult } from "../../../core/schemas/backups.js";
import { EXIT, parseRestoreArgs, restoreCli, USAGE } from "../../../scripts/restore.js";
import { UsageError } from "../../../scripts/lib/args.js";
import { runCli } from "../../support/node/run-cli.js";
import { errorEnvelope, startRegistryStub, type RegistryStub, type StubHandler } from "../training/registry-stub.js";

const ID = "bkp_20260503T020000Z_1a2b3c4d";
const KEY = "ak_restore1_secret";
const HASH = "a".repeat(64);

let stub: RegistryStub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

const record: BackupRecord = {
  id: ID,
  kind: "scheduled",
  status: "completed",
  schemaVersion: "0004_tasks_backups_notifications.sql",
  tables: 20,
  rows: 5_123,
  bytes: 80_213,
  modelFiles: 2,
  manifestSha256: HASH,
  taskId: null,
  reason: null,
  createdAtMs: Date.UTC(2026, 4, 3, 2),
  completedAtMs: Date.UTC(2026, 4, 3, 2, 0, 4),
  verifiedAtMs: null,
  verifyStatus: null,
  verifyDetail: null,
  restoredAtMs: null,
  error: null,
};

const verification = (problems: BackupVerification["problems"] = []): BackupVerification => ({
  backupId: ID,
  status: problems.length === 0 ? "ok" : "corrupt",
  checkedAtMs: Date.UTC(2026, 4, 3, 3),
  durationMs: 12,
  manifestSha256: HASH,
  files: 22,
  rows: 5_123,
  bytes: 80_213,
  problems,
});

const restored: RestoreResult = {
  backupId: ID,
  schemaVersion: { backup: "0004_tasks_backups_notifications.sql", database: "0004_tasks_backups_notifications.sql" },
  tables: [
    { name: "users", rows: 2, replacedRows: 1 },
    { name: "trades", rows: 500, replacedRows: 0 },
  ],
  rows: 502,
  statements: 170,
  batches: 4,
  modelFiles: { copied: 1, present: 3 },
  restoredAtMs: Date.UTC(2026, 4, 3, 3, 1),
  durationMs: 900,
  verification: verification(),
  registry: { registered: [], completed: [], failed: [], deleted: [] },
};

const CORRUPT = [{ key: `backups/${ID}/tables/trades.ndjson.gz`, kind: "sha256" as const, expected: HASH, actual: "b".repeat(64), message: "trades does not hash to the manifest's SHA-256" }];

interface Captured {
  status: number;
  out: string[];
  err: string[];
}

async function run(args: string[], handler: StubHandler, env: Record<string, string> = {}): Promise<Captured> {
  stub = await startRegistryStub(handler);
  const out: string[] = [];
  const err: string[] = [];
  const status = await restoreCli(["--url", stub.url, ...args], { env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out, err };
}

const never: StubHandler = () => {
  throw new Error("no request expected");
};

describe("command line", () => {
  const env = {};
  const base = ["--url", "http://127.0.0.1:8787", "--key", KEY];
  const usage = (argv: string[], pattern: RegExp, environment: Record<string, string> = env) => expect(() => parseRestoreArgs(argv, environment)).toThrow(pattern);

  it("takes exactly one action", () => {
    usage(base, /name an action/);
    usage([...base, "--list", "--verify", ID], /one action at a time, got --list and --verify/);
    expect(parseRestoreArgs([...base, "--list"], env)).toEqual({ baseUrl: "http://127.0.0.1:8787", credential: KEY, action: { kind: "list" }, json: false });
  });

  it("needs a platform URL and a credential, from --key or AURUM_KEY", () => {
    usage(["--key", KEY, "--list"], /--url is required/);
    usage(["--url", "not a url", "--key", KEY, "--list"], /not a URL/);
    usage(["--url", "ftp://host", "--key", KEY, "--list"], /http or https/);
    usage(["--url", "http://h", "--list"], /--key \(or AURUM_KEY\) is required/);
    expect(parseRestoreArgs(["--url", "https://aurum.example.com/", "--list"], { AURUM_KEY: "from-env" })).toMatchObject({ baseUrl: "https://aurum.example.com", credential: "from-env" });
    expect(parseRestoreArgs(["--url", "http://h", "--key", "flag", "--list"], { AURUM_KEY: "from-env" })).toMatchObject({ credential: "flag" });
  });

  it("restores only with --yes, and --yes only restores", () => {
    usage([...base, "--backup", ID], /add --yes to confirm/);
    usage([...base, "--list", "--yes"], /--yes only goes with --backup/);
    expect(parseRestoreArgs([...base, "--backup", ID, "--yes"], env)).toMatchObject({ action: { kind: "restore", id: ID } });
  });

  it("refuses ids that are not backup ids, and unknown flags", () => {
    usage([...base, "--verify", "bkp_latest"], /--verify needs a backup id/);
    usage([...base, "--backup", "../../etc", "--yes"], /--backup needs a backup id/);
    usage([...base, "--list", "--force"], /Unknown option '--force'/);
    expect(() => parseRestoreArgs([...base, "--list", "--force"], env)).toThrow(UsageError);
  });

  it("prints the usage for --help without asking the platform", async () => {
    const { status, out } = await run(["--help"], never);
    expect(status).toBe(EXIT.ok);
    expect(out).toEqual([USAGE]);
    expect(stub?.requests).toEqual([]);
  });
});

describe("--list", () => {
  it("reads the registry with the credential as a bearer token and prints one line per backup", async () => {
    const { status, out } = await run(["--key", KEY, "--list"], () => ({ status: 200, json: { backups: [record], nextBefore: null, unregistered: ["bkp_20260101T000000Z_00000000"] } }));
    expect(status).toBe(EXIT.ok);
    expect(stub?.requests.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([["GET", "/api/v1/backups?limit=200", `Bearer ${KEY}`]]);
    expect(out).toEqual([
      `${ID}  scheduled  completed  2026-05-03T02:00:00Z  tables=20 rows=5123 bytes=80213  unverified`,
      "bkp_20260101T000000Z_00000000  (in the bucket, not in the registry)",
    ]);
  });

  it("prints the answer as JSON with --json", async () => {
    const answer = { backups: [record], nextBefore: null, unregistered: [] };
    const { out } = await run(["--key", KEY, "--list", "--json"], () => ({ status: 200, json: answer }));
    expect(JSON.parse(out.join("\n"))).toEqual(answer);
  });
});

describe("--verify", () => {
  it("exits 0 for a sound backup", async () => {
    const { status, out } = await run(["--key", KEY, "--verify", ID], () => ({ status: 200, json: verification() }));
    expect(status).toBe(EXIT.ok);
    expect(stub?.requests.map((r) => [r.method, r.url])).toEqual([["POST", `/api/v1/backups/${ID}/verify`]]);
    expect(out).toEqual([`${ID}: ok (22 files, 5123 rows, 80213 bytes, 12 ms)`]);
  });

  it("exits 3 for a corrupt one and lists the problems", async () => {
    const { status, out } = await run(["--key", KEY, "--verify", ID], () => ({ status: 200, json: verification(CORRUPT) }));
    expect(status).toBe(EXIT.corrupt);
    expect(out).toEqual([`${ID}: corrupt (22 files, 5123 rows, 80213 bytes, 12 ms)`, "  sha256: trades does not hash to the manifest's SHA-256"]);
  });
});

describe("--backup --yes", () => {
  it("posts the id as confirmation and prints the rows per table", async () => {
    const { status, out } = await run(["--key", KEY, "--backup", ID, "--yes"], () => ({ status: 200, json: restored }));
    expect(status).toBe(EXIT.ok);
    const [request] = stub?.requests ?? [];
    expect([request?.method, request?.url, request?.headers["content-type"]]).toEqual(["POST", `/api/v1/backups/${ID}/restore`, "application/json"]);
    expect(JSON.parse(request?.body.toString("utf8") ?? "")).toEqual({ confirm: ID });
    expect(out[0]).toMatch(/^users\s+2 rows \(replaced 1 bootstrap rows\)$/);
    expect(out[1]).toMatch(/^trades\s+500 rows$/);
    expect(out[2]).toBe(`restored ${ID}: 502 rows in 2 tables, 170 statements in 4 batches, 900 ms`);
    expect(out[3]).toBe("model files: 1 copied back to MODELS, 3 already there");
  });

  it.each([
    [422, "UNPROCESSABLE", { problems: CORRUPT }, EXIT.corrupt, "  sha256: trades does not hash to the manifest's SHA-256"],
    [409, "CONFLICT", { tables: [{ name: "trades", rows: 12 }] }, EXIT.notEmpty, "  trades: 12 rows"],
    [404, "NOT_FOUND", { id: ID }, EXIT.notFound, undefined],
    [401, "UNAUTHORIZED", undefined, EXIT.refused, undefined],
    [403, "FORBIDDEN", undefined, EXIT.refused, undefined],
    [500, "INTERNAL", undefined, EXIT.failed, undefined],
  ])("maps HTTP %i to its exit status and prints the envelope", async (httpStatus, code, details, exit, detailLine) => {
    const { status, err } = await run(["--key", KEY, "--backup", ID, "--yes"], () => ({ status: httpStatus, json: errorEnvelope(code, `refused with ${httpStatus}`, details) }));
    expect(status).toBe(exit);
    expect(err[0]).toBe(`error: HTTP ${httpStatus} ${code}: refused with ${httpStatus}`);
    expect(err[1]).toBe(detailLine);
  });

  it("exits 1 for an answer that is not JSON and for a platform it cannot reach", async () => {
    const html = await run(["--key", KEY, "--backup", ID, "--yes"], () => ({ status: 502, bytes: new TextEncoder().encode("<html>bad gateway</html>") }));
    expect(html.status).toBe(EXIT.failed);
    expect(html.err[0]).toBe("error: HTTP 502 NOT_JSON: HTTP 502: <html>bad gateway</html>");
    const dropped = await run(["--key", KEY, "--backup", ID, "--yes"], () => ({ drop: true }));
    expect(dropped.status).toBe(EXIT.failed);
    expect(dropped.err[0]).toMatch(/^error: cannot reach http:\/\/127\.0\.0\.1:\d+: fetch failed/);
  });
});

describe("as a process", () => {
  it("exits 2 with the usage for a restore without --yes, having sent nothing", async () => {
    stub = await startRegistryStub(never);
    const result = await runCli("scripts/restore.ts", ["--url", stub.url, "--key", KEY, "--backup", ID]);
    expect(result.status).toBe(EXIT.usage);
    expect(result.stderr).toContain("add --yes to confirm");
    expect(result.stderr).toContain("usage: npm run restore");
    expect(stub.requests).toEqual([]);
  });

  it("exits 4 when the platform's database is not empty, 0 when the restore went through", async () => {
    stub = await startRegistryStub(() => ({ status: 409, json: errorEnvelope("CONFLICT", "the database is not empty (trades hold rows)", { tables: [{ name: "trades", rows: 3 }] }) }));
    const refused = await runCli("scripts/restore.ts", ["--url", stub.url, "--key", KEY, "--backup", ID, "--yes"]);
    expect(refused.status).toBe(EXIT.notEmpty);
    expect(refused.stderr).toContain("trades: 3 rows");
    await stub.close();
    stub = await startRegistryStub(() => ({ status: 200, json: restored }));
    const done = await runCli("scripts/restore.ts", ["--url", stub.url, "--key", KEY, "--backup", ID, "--yes"]);
    expect(done.status).toBe(EXIT.ok);
    expect(done.stdout).toContain(`restored ${ID}: 502 rows`);
  });
});
