/**
 * `npm run drill -- [--tasks 200] [--fault-rate 0.3]`: the task system's fault drill. Starts the platform under
 * `wrangler dev` (real Queues, D1, R2, workerd) in a fresh state directory with TASK_FAULT_INJECTION_RATE set, so
 * that that share of processor runs fails at random; creates the tasks over the API (notifications, health checks,
 * database maintenance, dry-run cleanups), waits until none is pending, queued or running, then checks every task:
 * it ended succeeded or dead, its event trail is complete, and no run of it overlapped another (core/tasks/
 * trail-check.ts). Prints the figures; exits 1 when an invariant broke.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkTrail } from "../core/tasks/trail-check.js";
import type { TaskAnalytics, TaskEvent, TaskRecord } from "../core/schemas/tasks.js";
import { integerFlag, numberFlag, parseFlags, runMain } from "./lib/args.js";
import { ensureDevVars, localAdminToken } from "./lib/dev-vars.js";
import { freePort, run, startDevServer, stopServer, waitForHealthy } from "./lib/server.js";

const USAGE = `usage: npm run drill -- [--tasks 200] [--fault-rate 0.3] [--timeout-s 600]

  --tasks       tasks to create (default 200): 70 % notifications, 10 % each health checks, database maintenance
                and dry-run cleanups (their default attempts: 5, 3, 2, 3)
  --fault-rate  share of processor runs failed on purpose (TASK_FAULT_INJECTION_RATE, default 0.3)
  --timeout-s   give up waiting after this long (default 600)

Retries wait 1–2 s (TASK_RETRY_BASE_S=1, TASK_RETRY_MAX_S=2) so the drill finishes in minutes. Exit status 0 when
every task ended succeeded or dead with a complete, non-overlapping event trail; 1 otherwise.`;

const MIX: readonly { type: string; payload: Record<string, unknown>; share: number }[] = [
  { type: "notification", payload: { event: "task.drill", title: "drill", message: "fault drill notification" }, share: 0.7 },
  { type: "health_check", payload: { trigger: "api" }, share: 0.1 },
  { type: "database_maintenance", payload: { integrityCheck: false }, share: 0.1 },
  { type: "system_cleanup", payload: { dryRun: true }, share: 0.1 },
];

function typeFor(index: number, total: number): (typeof MIX)[number] {
  let bound = 0;
  for (const entry of MIX) {
    bound += entry.share * total;
    if (index < bound) return entry;
  }
  return MIX[0] as (typeof MIX)[number];
}

async function api<T>(baseUrl: string, token: string, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers as Record<string, string> | undefined) },
  });
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path} answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
  return (await response.json()) as T;
}

async function allTasks(baseUrl: string, token: string): Promise<TaskRecord[]> {
  const tasks: TaskRecord[] = [];
  let before: string | null = null;
  do {
    const page: { tasks: TaskRecord[]; nextBefore: string | null } = await api(baseUrl, token, `/api/v1/tasks?limit=500${before ? `&before=${before}` : ""}`);
    tasks.push(...page.tasks);
    before = page.nextBefore;
  } while (before !== null);
  return tasks;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    tasks: { type: "string" },
    "fault-rate": { type: "string" },
    "timeout-s": { type: "string" },
    help: { type: "boolean" },
  });
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const taskCount = integerFlag(flags.tasks, "tasks", 200, 1, 5_000);
  const faultRate = numberFlag(flags["fault-rate"], "fault-rate", 0.3, 0, 0.95);
  const timeoutMs = integerFlag(flags["timeout-s"], "timeout-s", 600, 10, 7_200) * 1000;

  ensureDevVars();
  const persistDir = mkdtempSync(join(tmpdir(), "aurum-drill-"));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  await run("npx", ["tsx", "scripts/vendor-assets.ts"]);
  await run("npx", ["tsx", "scripts/ort/patch-ort.ts"]);
  await run("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], { ...process.env, CI: "true" });
  const server = await startDevServer({
    port,
    persistDir,
    quiet: true,
    detached: true,
    vars: { TASK_FAULT_INJECTION_RATE: String(faultRate), TASK_RETRY_BASE_S: "1", TASK_RETRY_MAX_S: "2", LOG_LEVEL: "error", TRADING: "[]" },
  });
  try {
    await waitForHealthy(baseUrl, server);
    const token = await localAdminToken(baseUrl);
    console.error(`drill: ${taskCount} tasks, fault rate ${faultRate}, platform at ${baseUrl}`);
    const startedMs = Date.now();
    for (let start = 0; start < taskCount; start += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, taskCount - start) }, (_, k) => {
          const entry = typeFor(start + k, taskCount);
          return api(baseUrl, token, "/api/v1/tasks", { method: "POST", body: JSON.stringify({ type: entry.type, payload: entry.payload }) });
        }),
      );
    }
    const createdMs = Date.now();
    let analytics: TaskAnalytics;
    for (;;) {
      analytics = await api<TaskAnalytics>(baseUrl, token, "/api/v1/tasks/analytics");
      const live = analytics.backlog.pending + analytics.backlog.queued + analytics.backlog.running;
      if (live === 0) break;
      if (Date.now() - startedMs > timeoutMs) throw new Error(`${live} tasks still live after ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const settledMs = Date.now();

    const tasks = await allTasks(baseUrl, token);
    const problems: string[] = [];
    let runs = 0;
    let injected = 0;
    for (const task of tasks) {
      const { events } = await api<{ events: TaskEvent[] }>(baseUrl, token, `/api/v1/tasks/${task.id}`);
      const check = checkTrail(task, events);
      runs += check.runs;
      problems.push(...check.problems);
      injected += events.filter((e) => e.detail?.["name"] === "InjectedFaultError").length;
      if (task.status !== "succeeded" && task.status !== "dead") problems.push(`${task.id}: ended ${task.status}, not succeeded or dead`);
    }
    const byStatus = (status: string) => tasks.filter((t) => t.status === status).length;
    const latencies = tasks.map((t) => (t.finishedAtMs ?? settledMs) - t.createdAtMs).sort((a, b) => a - b);
    const alerts = tasks.filter((t) => t.parentTaskId !== null).length;
    console.log(
      [
        `fault drill: ${tasks.length} tasks (${taskCount} created + ${alerts} dead-task alerts), fault rate ${faultRate}`,
        `  outcome: ${byStatus("succeeded")} succeeded, ${byStatus("dead")} dead, ${tasks.length - byStatus("succeeded") - byStatus("dead")} other`,
        `  runs: ${runs} (${(runs / tasks.length).toFixed(2)} per task), injected failures ${injected} = ${((100 * injected) / Math.max(1, runs)).toFixed(1)} % of runs`,
        `  time: created in ${((createdMs - startedMs) / 1000).toFixed(1)} s, all settled after ${((settledMs - startedMs) / 1000).toFixed(1)} s ` +
          `(${(runs / ((settledMs - startedMs) / 1000)).toFixed(1)} runs/s)`,
        `  created → finished: p50 ${(percentile(latencies, 0.5) / 1000).toFixed(1)} s, p95 ${(percentile(latencies, 0.95) / 1000).toFixed(1)} s, max ${((latencies.at(-1) ?? 0) / 1000).toFixed(1)} s`,
        `  event trails: ${problems.length === 0 ? "complete, no run overlapped another" : `${problems.length} problem(s)`}`,
      ].join("\n"),
    );
    for (const problem of problems.slice(0, 50)) console.log(`  PROBLEM ${problem}`);
    if (problems.length > 0) process.exitCode = 1;
  } finally {
    await stopServer(server);
    rmSync(persistDir, { recursive: true, force: true });
  }
}

runMain(main, USAGE);
