/** `npm run restore -- --url <platform> [--key <credential>] (--list | --verify <id> | --backup <id> --yes)`: backups over the platform's API. */
import { pathToFileURL } from "node:url";
import { BackupIdSchema } from "../core/backups/manifest.js";
import type { BackupProblem } from "../core/backups/verification.js";
import type { BackupRecord, BackupVerification, RestoreResult } from "../core/schemas/backups.js";
import type { ErrorEnvelope } from "../core/schemas/common.js";
import { parseFlags, runMain, UsageError } from "./lib/args.js";

export const USAGE = `usage: npm run restore -- --url <platform> [--key <credential>] <action> [--json]

actions (exactly one):
  --list            backups in the registry, newest first, and any only the bucket holds
  --verify <id>     re-read and re-hash every file of a backup against its manifest
  --backup <id>     restore that backup into the platform's database; needs --yes

  --url       the platform, e.g. https://aurum.example.com or http://127.0.0.1:8787
  --key       an admin credential: an access token (POST /auth/login) or an API key (ak_…); default $AURUM_KEY.
              Restoring into a fresh deployment needs the access token of the admin login: creating an API key
              would put a row in api_keys, and the restore only goes into an empty database.
  --yes       confirm the restore (it asks no question)
  --json      print the API's answer as JSON

The restore verifies the backup first and refuses a corrupt one; it refuses a database that holds rows beyond the
login's own (users, tokens, audit log), which the backup replaces: log in again afterwards. It is not atomic: if it
stops midway, wipe the database (drop the tables, apply the migrations) and run it again. Durable Object storage
(ticks, bars, the account book) is not part of a backup.

exit status: 0 done · 1 failed (network, server error, unexpected answer) · 2 usage · 3 backup corrupt ·
             4 database not empty · 5 backup not found · 6 credential refused (401/403)`;

/** Exit statuses, one per thing the operator must do next. */
export const EXIT = { ok: 0, failed: 1, usage: 2, corrupt: 3, notEmpty: 4, notFound: 5, refused: 6 } as const;

/** Where the CLI reads its environment and writes its lines (the process's, or a test's). */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  out(line: string): void;
  err(line: string): void;
}

type Action = { readonly kind: "list" } | { readonly kind: "verify"; readonly id: string } | { readonly kind: "restore"; readonly id: string };

interface Options {
  readonly baseUrl: string;
  readonly credential: string;
  readonly action: Action;
  readonly json: boolean;
}

function backupId(value: string, flag: string): string {
  const parsed = BackupIdSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--${flag} needs a backup id such as bkp_20260503T020000Z_1a2b3c4d, got '${value}'`);
  return parsed.data;
}

/** The command line as options; UsageError for anything malformed or missing. */
export function parseRestoreArgs(argv: string[], env: CliIo["env"]): Options | "help" {
  const flags = parseFlags(argv, {
    url: { type: "string" },
    key: { type: "string" },
    list: { type: "boolean" },
    verify: { type: "string" },
    backup: { type: "string" },
    yes: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (flags.help) return "help";
  const actions = [flags.list ? "--list" : null, flags.verify !== undefined ? "--verify" : null, flags.backup !== undefined ? "--backup" : null].filter((a) => a !== null);
  if (actions.length !== 1) throw new UsageError(actions.length === 0 ? "name an action: --list, --verify <id> or --backup <id>" : `one action at a time, got ${actions.join(" and ")}`);
  if (flags.url === undefined) throw new UsageError("--url is required: the platform to talk to");
  let url: URL;
  try {
    url = new URL(flags.url);
  } catch {
    throw new UsageError(`--url is not a URL: '${flags.url}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--url must be http or https, got '${flags.url}'`);
  const credential = flags.key ?? env.AURUM_KEY;
  if (!credential) throw new UsageError("--key (or AURUM_KEY) is required: an admin access token or API key");
  const action: Action =
    flags.list === true ? { kind: "list" } : flags.verify !== undefined ? { kind: "verify", id: backupId(flags.verify, "verify") } : { kind: "restore", id: backupId(flags.backup ?? "", "backup") };
  if (action.kind === "restore" && flags.yes !== true) throw new UsageError(`restoring ${action.id} replaces the platform's data: add --yes to confirm`);
  if (action.kind !== "restore" && flags.yes === true) throw new UsageError("--yes only goes with --backup");
  return { baseUrl: url.href.replace(/\/+$/, ""), credential, action, json: flags.json === true };
}

/** An answer that is not a 2xx, as the exit status that tells the operator what to do. */
function exitForStatus(status: number): number {
  if (status === 401 || status === 403) return EXIT.refused;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.notEmpty;
  if (status === 422) return EXIT.corrupt;
  return EXIT.failed;
}

async function request(options: Options, method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${options.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${options.credential}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  try {
    return { status: response.status, json: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, json: { ok: false, error: { code: "NOT_JSON", message: `HTTP ${response.status}: ${text.slice(0, 200)}` } } };
  }
}

function reportError(io: CliIo, status: number, answer: unknown): number {
  const error = (answer as Partial<ErrorEnvelope>).error;
  io.err(`error: HTTP ${status}${error?.code === undefined ? "" : ` ${error.code}`}: ${error?.message ?? JSON.stringify(answer)}`);
  const details = error?.details as { problems?: BackupProblem[]; tables?: { name: string; rows: number }[] } | undefined;
  for (const problem of details?.problems ?? []) io.err(`  ${problem.kind}: ${problem.message}`);
  for (const table of details?.tables ?? []) io.err(`  ${table.name}: ${table.rows} rows`);
  return exitForStatus(status);
}

const iso = (ms: number | null): string => (ms === null ? "-" : new Date(ms).toISOString().replace(".000Z", "Z"));

function printList(io: CliIo, answer: { backups: BackupRecord[]; unregistered: string[] }): void {
  if (answer.backups.length === 0) io.out("no backups in the registry");
  for (const b of answer.backups) {
    const verified = b.verifyStatus === null ? "unverified" : `${b.verifyStatus} at ${iso(b.verifiedAtMs)}`;
    io.out(`${b.id}  ${b.kind.padEnd(9)}  ${b.status.padEnd(9)}  ${iso(b.createdAtMs)}  tables=${b.tables ?? "-"} rows=${b.rows ?? "-"} bytes=${b.bytes ?? "-"}  ${verified}`);
  }
  for (const id of answer.unregistered) io.out(`${id}  (in the bucket, not in the registry)`);
}

function printVerification(io: CliIo, v: BackupVerification): void {
  io.out(`${v.backupId}: ${v.status} (${v.files} files, ${v.rows} rows, ${v.bytes} bytes, ${v.durationMs} ms)`);
  for (const problem of v.problems) io.out(`  ${problem.kind}: ${problem.message}`);
}

function printRestore(io: CliIo, r: RestoreResult): void {
  for (const t of r.tables) io.out(`${t.name.padEnd(28)} ${String(t.rows).padStart(9)} rows${t.replacedRows > 0 ? ` (replaced ${t.replacedRows} bootstrap rows)` : ""}`);
  io.out(`restored ${r.backupId}: ${r.rows} rows in ${r.tables.length} tables, ${r.statements} statements in ${r.batches} batches, ${r.durationMs} ms`);
  io.out(`model files: ${r.modelFiles.copied} copied back to MODELS, ${r.modelFiles.present} already there`);
  io.out("log in again: the backup's users replaced the login that ran the restore");
}

/**
 * Runs the CLI and answers its exit status; UsageError for a bad command line.
 * @example process.exitCode = await restoreCli(["--url", "http://127.0.0.1:8787", "--list"], { env: process.env, out: console.log, err: console.error });
 */
export async function restoreCli(argv: string[], io: CliIo): Promise<number> {
  const options = parseRestoreArgs(argv, io.env);
  if (options === "help") {
    io.out(USAGE);
    return EXIT.ok;
  }
  const { action } = options;
  let answer: { status: number; json: unknown };
  try {
    if (action.kind === "list") answer = await request(options, "GET", "/api/v1/backups?limit=200");
    else if (action.kind === "verify") answer = await request(options, "POST", `/api/v1/backups/${action.id}/verify`);
    else answer = await request(options, "POST", `/api/v1/backups/${action.id}/restore`, { confirm: action.id });
  } catch (error: unknown) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    io.err(`error: cannot reach ${options.baseUrl}: ${error instanceof Error ? error.message : String(error)}${cause}`);
    return EXIT.failed;
  }
  if (answer.status < 200 || answer.status > 299) return reportError(io, answer.status, answer.json);
  if (options.json) io.out(JSON.stringify(answer.json, null, 2));
  if (action.kind === "list") {
    if (!options.json) printList(io, answer.json as { backups: BackupRecord[]; unregistered: string[] });
    return EXIT.ok;
  }
  if (action.kind === "verify") {
    const verification = answer.json as BackupVerification;
    if (!options.json) printVerification(io, verification);
    return verification.status === "ok" ? EXIT.ok : EXIT.corrupt;
  }
  if (!options.json) printRestore(io, answer.json as RestoreResult);
  return EXIT.ok;
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntryPoint) {
  runMain(async () => {
    const status = await restoreCli(process.argv.slice(2), { env: process.env, out: (line) => console.log(line), err: (line) => console.error(line) });
    if (status !== EXIT.ok) process.exit(status);
  }, USAGE);
}
