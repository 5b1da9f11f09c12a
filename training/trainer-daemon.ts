/**
 * `npm run trainer -- --url <platform> --key <credential> [--once]`: the Node trainer daemon. It claims queued
 * `model_training` tasks from the platform with a lease, heartbeats while it pages the task's M1 bars, trains,
 * scores the champion and uploads the model, then completes the task (or fails it, classified retryable or not).
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { integerFlag, parseFlags, runMain, UsageError } from "../scripts/lib/args.js";
import { RegistryClient } from "./registry-client.js";
import { TrainerClient } from "./trainer-client.js";
import { runTrainer, type TrainerRunSummary } from "./trainer-loop.js";

const DEFAULT_POLL_MS = 10_000;
const DEFAULT_HEARTBEAT_MS = 30_000;
const DEFAULT_LEASE_MS = 300_000;
/** The platform's lease bounds (core/schemas/tasks.ts TrainingClaimRequestSchema). */
const MIN_LEASE_MS = 30_000;
const MAX_LEASE_MS = 3_600_000;

const USAGE = `usage: npm run trainer -- --url <platform> [--key <credential>] [--worker <name>] [--once]
         [--poll-ms ${DEFAULT_POLL_MS}] [--heartbeat-ms ${DEFAULT_HEARTBEAT_MS}] [--lease-ms ${DEFAULT_LEASE_MS}] [--out <dir>]

  --url           platform URL, e.g. http://127.0.0.1:8787
  --key           API key (ak_…) or access token with role trader and scopes models and read; default $AURUM_KEY
  --worker        name the platform records as the lease owner (default <hostname>:<pid>)
  --once          work at most one task, then exit: 0 when it succeeded or none was waiting, 1 otherwise
  --poll-ms       wait between claims when no task is waiting, ms (default ${DEFAULT_POLL_MS})
  --heartbeat-ms  time between lease heartbeats while a task runs, ms (default ${DEFAULT_HEARTBEAT_MS}); below --lease-ms
  --lease-ms      lease asked for on claim and on each heartbeat, ms, ${MIN_LEASE_MS} to ${MAX_LEASE_MS} (default ${DEFAULT_LEASE_MS})
  --out           artifacts directory of a task (default build/trainer/<task id>; with --out, <out>/<task id>)

Each task: page its closed M1 bars from GET /api/v1/market/data (payload fromMs/toMs), build the data set, train
and evaluate (payload model, horizonBars, trials, seed) in a worker thread, score the registry's champion on the
held-out rows, write the artifacts, upload the model to POST /api/v1/models, complete the task with the model id,
version and a summary. A failure fails the task (not retryable for a bad payload, too few bars or a 4xx refusal);
a lost lease (409 on a heartbeat) abandons the work without upload or completion. SIGINT/SIGTERM: no new claim,
the current task stops at its next check and is failed as retryable "trainer stopped" (a task already uploaded is
completed); a second signal exits at once. Progress goes to stderr. Exit status: 0 done, 1 failed (or a refused
credential), 2 bad command line.`;

/** The worker name the platform accepts: letters, digits and `._:@-`, at most 80. */
function workerName(value: string | undefined): string {
  const name = value ?? `${hostname().replace(/[^A-Za-z0-9._:@-]/g, "-")}:${process.pid}`.slice(-80);
  if (!/^[A-Za-z0-9._:@-]{1,80}$/.test(name)) {
    throw new UsageError(`--worker must be 1-80 letters, digits or '._:@-', got '${name}'`);
  }
  return name;
}

function platformUrl(value: string | undefined): string {
  if (value === undefined) throw new UsageError("--url is required, e.g. --url http://127.0.0.1:8787");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--url must be a URL such as http://127.0.0.1:8787, got '${value}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--url must be an http(s) URL, got '${value}'`);
  return value;
}

async function main(): Promise<{ summary: TrainerRunSummary; once: boolean } | null> {
  const flags = parseFlags(process.argv.slice(2), {
    url: { type: "string" },
    key: { type: "string" },
    worker: { type: "string" },
    once: { type: "boolean" },
    "poll-ms": { type: "string" },
    "heartbeat-ms": { type: "string" },
    "lease-ms": { type: "string" },
    out: { type: "string" },
    help: { type: "boolean" },
  });
  if (flags.help) {
    console.log(USAGE);
    return null;
  }
  const baseUrl = platformUrl(flags.url);
  const apiKey = flags.key ?? process.env.AURUM_KEY;
  if (!apiKey) throw new UsageError("--key (or AURUM_KEY) is required: an API key or an access token with scopes models and read");
  const pollMs = integerFlag(flags["poll-ms"], "poll-ms", DEFAULT_POLL_MS, 1, 3_600_000);
  const leaseMs = integerFlag(flags["lease-ms"], "lease-ms", DEFAULT_LEASE_MS, MIN_LEASE_MS, MAX_LEASE_MS);
  const heartbeatMs = integerFlag(flags["heartbeat-ms"], "heartbeat-ms", DEFAULT_HEARTBEAT_MS, 1, MAX_LEASE_MS);
  if (heartbeatMs >= leaseMs) throw new UsageError(`--heartbeat-ms (${heartbeatMs}) must be below --lease-ms (${leaseMs})`);
  const worker = workerName(flags.worker);
  const outRoot = flags.out ?? join("build", "trainer");
  const log = (line: string) => console.error(`trainer: ${line}`);

  const stopping = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping.signal.aborted) {
      log(`${signal} again: exiting now`);
      process.exit(130);
    }
    log(`${signal}: stopping (no new claims; the current task, if any, stops at its next check)`);
    stopping.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const onRetry = (message: string) => log(`retrying ${message}`);
  log(`${worker} working for ${baseUrl}${flags.once ? " (one task)" : ""}; lease ${leaseMs} ms, heartbeat every ${heartbeatMs} ms`);
  const summary = await runTrainer({
    client: new TrainerClient({ baseUrl, apiKey, onRetry }),
    registry: new RegistryClient({ baseUrl, apiKey, onRetry: (message) => log(`registry: retrying ${message}`) }),
    worker,
    leaseMs,
    heartbeatMs,
    pollMs,
    once: flags.once === true,
    outDirOf: (task) => join(outRoot, task.id),
    stop: stopping.signal,
    log,
  });
  return { summary, once: flags.once === true };
}

runMain(async () => {
  const run = await main();
  if (run === null) return;
  const { summary, once } = run;
  console.error(
    `trainer: done: ${summary.claimed} claimed, ${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.abandoned} abandoned`,
  );
  if (once && summary.last !== null && summary.last.kind !== "succeeded") process.exit(1);
}, USAGE);
