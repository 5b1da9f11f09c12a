/**
 * The trainer daemon against a local stub of the platform (training hand-off, market data, model registry), on the
 * first 4,000 demo bars with one logistic trial: claim → bars → upload → complete with the right bodies; no task
 * (--once exits, the daemon polls); failures failed with their retryability; a lost lease abandons the work; transient
 * failures retried; a stop fails the task as retryable; and the CLI's exit statuses and SIGTERM.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { canonicalJson } from "../../../core/features/index.js";
import type { BarOutput } from "../../../core/schemas/market-data.js";
import { readDemoModel } from "../../../scripts/lib/demo-model.js";
import { sha256Hex } from "../../../training/pipeline/dataset.js";
import { RegistryClient } from "../../../training/registry-client.js";
import { PLATFORM_BAD_RESPONSE, PlatformError, retryAfterMs } from "../../../training/platform-http.js";
import { TrainerClient } from "../../../training/trainer-client.js";
import { fetchClosedBars, type TrainingSummary } from "../../../training/trainer-job.js";
import { CredentialRefusedError, runTrainer, type TrainerLoopOptions, type TrainerRunSummary } from "../../../training/trainer-loop.js";
import { trainInThread } from "../../../training/trainer-train-thread.js";
import { demoBars } from "../../support/node/demo-data.js";
import { type CliRun, runCli } from "../../support/node/run-cli.js";
import { demoDataset } from "./pipeline/pipeline-data.js";
import { recordOf } from "./registry-stub.js";
import {
  barOutputOf,
  errorEnvelope,
  FIRST_UPLOADED_ID,
  type Intercept,
  LEASE_MS,
  makeTrainingTask,
  type PlatformStub,
  type PlatformStubOptions,
  type RecordedRequest,
  startPlatformStub,
  taskId,
} from "./trainer-stub.js";

const KEY = "ak_trainer1_secret";
const WORKER = "unit-trainer:1";
const CLAIM = "/api/v1/training/claim";
const MARKET = "/api/v1/market/data";
const MODELS = "/api/v1/models";
const lease = (n: number, action: "heartbeat" | "complete" | "fail") => `/api/v1/training/tasks/${taskId(n)}/${action}`;

/** 4,000 closed demo bars and the next one still forming. */
const SOURCE = demoBars().slice(0, 4_001);
const BARS: BarOutput[] = SOURCE.map((bar, index) => barOutputOf(bar, index < 4_000));
const barAt = (index: number): BarOutput => {
  const bar = BARS[index];
  if (bar === undefined) throw new Error(`no bar ${index}`);
  return bar;
};
const TRAIN = { symbol: "XAUUSD", model: "logistic", trials: 1, seed: 3, reason: "unit test" };
const champion = readDemoModel();
const CHAMPION = { record: recordOf(champion.manifest, 7, "champion"), onnx: champion.onnx };

const outRoot = mkdtempSync(join(tmpdir(), "aurum-trainer-"));
const stubs: PlatformStub[] = [];
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((stub) => stub.close()));
});
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

async function platform(options: Partial<PlatformStubOptions> & Pick<PlatformStubOptions, "tasks">): Promise<PlatformStub> {
  const stub = await startPlatformStub({ bars: BARS, ...options });
  stubs.push(stub);
  return stub;
}

interface Run {
  readonly summary: TrainerRunSummary;
  readonly log: string[];
  readonly retries: string[];
}

/** runTrainer against `stub`, one task unless told otherwise, fast retries. */
async function runAgainst(stub: PlatformStub, overrides: Partial<TrainerLoopOptions> = {}): Promise<Run> {
  const log: string[] = [];
  const retries: string[] = [];
  const summary = await runTrainer({
    client: new TrainerClient({ baseUrl: stub.url, apiKey: KEY, retryDelayMs: 1, onRetry: (line) => retries.push(line) }),
    registry: new RegistryClient({ baseUrl: stub.url, apiKey: KEY, retryDelayMs: 1, onRetry: (line) => retries.push(line) }),
    worker: WORKER,
    leaseMs: LEASE_MS,
    heartbeatMs: 20,
    pollMs: 5,
    once: true,
    outDirOf: (task) => join(outRoot, task.id),
    stop: new AbortController().signal,
    log: (line) => log.push(line),
    ...overrides,
  });
  return { summary, log, retries };
}

/** A promise resolved by the first request `matches` accepts, and the intercept that resolves it. */
function firstRequest(matches: (request: RecordedRequest) => boolean): { seen: Promise<void>; watch: (request: RecordedRequest) => void } {
  let resolve = () => {};
  const seen = new Promise<void>((done) => (resolve = done));
  return { seen, watch: (request) => (matches(request) ? resolve() : undefined) };
}

const isPath = (method: string, path: string) => (request: RecordedRequest) =>
  request.method === method && request.url.split("?")[0] === path;

describe("the trainer daemon's happy path", () => {
  it("claims, pages the closed bars, heartbeats, trains, scores the champion, uploads and completes", async () => {
    const fromMs = barAt(200).ts;
    const heartbeat = firstRequest(isPath("POST", lease(1, "heartbeat")));
    const stub = await platform({
      tasks: [makeTrainingTask(1, { ...TRAIN, fromMs })],
      champion: CHAMPION,
      maxPageBars: 1_500,
      intercept: async (request) => {
        heartbeat.watch(request);
        // The first page waits for a heartbeat: heartbeats flow while the job works.
        if (isPath("GET", MARKET)(request)) await heartbeat.seen;
        return undefined;
      },
    });
    const { summary } = await runAgainst(stub);
    expect(summary).toMatchObject({ claimed: 1, succeeded: 1, failed: 0, abandoned: 0 });

    expect(stub.bodies("POST", CLAIM)).toEqual([{ worker: WORKER, leaseMs: LEASE_MS }]);
    expect(stub.requests.every((request) => request.headers.authorization === `Bearer ${KEY}`)).toBe(true);
    const expected = BARS.filter((bar) => bar.closed && bar.ts >= fromMs);
    expect(expected).toHaveLength(3_800);
    const pages = stub.calls("GET", MARKET).map((request) => Object.fromEntries(new URL(request.url, stub.url).searchParams));
    expect(pages).toEqual([
      { symbol: "XAUUSD", timeframe: "M1", from: String(fromMs), limit: "5000" },
      { symbol: "XAUUSD", timeframe: "M1", from: String(barAt(1_700).ts), limit: "5000" },
      { symbol: "XAUUSD", timeframe: "M1", from: String(barAt(3_200).ts), limit: "5000" },
    ]);

    const beats = stub.bodies("POST", lease(1, "heartbeat"));
    expect(beats.length).toBeGreaterThan(0);
    expect(beats[0]).toEqual({ leaseToken: "lease-1", leaseMs: LEASE_MS, progress: "fetching XAUUSD bars" });

    expect(stub.uploaded).toHaveLength(1);
    const [upload] = stub.uploaded;
    const manifest = upload?.manifest;
    expect(manifest).toMatchObject({
      symbol: "XAUUSD",
      timeframe: "M1",
      modelKind: "logistic",
      dataSha256: sha256Hex(canonicalJson(expected)),
      parentVersion: champion.manifest.version,
    });
    expect(manifest?.label.horizonBars).toBe(15);
    expect(manifest?.metrics.heldOut.champion?.version).toBe(champion.manifest.version);

    const [complete] = stub.bodies("POST", lease(1, "complete")) as { leaseToken: string; modelId: number; version: string; summary: TrainingSummary }[];
    expect(complete).toMatchObject({ leaseToken: "lease-1", modelId: FIRST_UPLOADED_ID, version: manifest?.version });
    const heldOut = manifest?.metrics.heldOut;
    expect(complete?.summary).toMatchObject({
      worker: WORKER,
      symbol: "XAUUSD",
      modelKind: "logistic",
      horizonBars: 15,
      trials: 1,
      seed: 3,
      data: { bars: 3_800, fromMs, toMs: barAt(3_999).ts, dataSha256: manifest?.dataSha256 },
      heldOut: { rows: heldOut?.rows, logLoss: heldOut?.logLoss, accuracy: heldOut?.accuracy, auc: heldOut?.auc, priorLogLoss: heldOut?.prior.logLoss },
      champion: { version: champion.manifest.version, logLoss: heldOut?.champion?.logLoss, notScoredBecause: null },
      artifactsDir: join(outRoot, taskId(1)),
    });
    expect(complete?.summary.durationsMs.total).toBeGreaterThanOrEqual(complete?.summary.durationsMs.train ?? Infinity);
    expect(existsSync(join(outRoot, taskId(1), "model.onnx"))).toBe(true);
    expect(existsSync(join(outRoot, taskId(1), "manifest.json"))).toBe(true);
    expect(stub.calls("POST", lease(1, "fail"))).toEqual([]);

    const order = stub.requests.map((request) => `${request.method} ${request.url.split("?")[0]}`);
    const index = (entry: string) => order.indexOf(entry);
    expect(index(`POST ${CLAIM}`)).toBeLessThan(index(`GET ${MARKET}`));
    expect(index(`GET ${MARKET}`)).toBeLessThan(index(`POST ${MODELS}`));
    expect(index(`POST ${MODELS}`)).toBeLessThan(index(`POST ${lease(1, "complete")}`));
    expect(order.slice(index(`POST ${lease(1, "complete")}`) + 1)).toEqual([]);
  });

  it("honours the payload's toMs and leaves a forming bar out", async () => {
    const stub = await platform({ tasks: [], maxPageBars: 1_000 });
    const client = new TrainerClient({ baseUrl: stub.url, apiKey: KEY, retryDelayMs: 1 });
    const toMs = barAt(2_500).ts;
    const ranged = await fetchClosedBars(client, { symbol: "XAUUSD", timeframe: "M1", fromMs: barAt(10).ts, toMs });
    expect(ranged).toEqual(BARS.slice(10, 2_501));
    expect(stub.calls("GET", MARKET).map((request) => new URL(request.url, stub.url).searchParams.get("to"))).toEqual([
      String(toMs),
      String(toMs),
      String(toMs),
    ]);
    const all = await fetchClosedBars(client, { symbol: "XAUUSD", timeframe: "M1" });
    expect(all).toHaveLength(4_000);
    expect(all.every((bar) => bar.closed)).toBe(true);
  });
});

describe("without a task", () => {
  it("--once asks once and returns", async () => {
    const stub = await platform({ tasks: [] });
    const { summary, log } = await runAgainst(stub);
    expect(summary).toEqual({ claimed: 0, succeeded: 0, failed: 0, abandoned: 0, last: null });
    expect(stub.requests.map((request) => request.url)).toEqual([CLAIM]);
    expect(log).toContain("no training task is waiting");
  });

  it("the daemon keeps asking after --poll-ms until it is stopped", async () => {
    const stop = new AbortController();
    let claims = 0;
    const stub = await platform({
      tasks: [],
      intercept: (request) => {
        if (isPath("POST", CLAIM)(request) && ++claims === 3) stop.abort();
        return undefined;
      },
    });
    const { summary } = await runAgainst(stub, { once: false, stop: stop.signal });
    expect(summary.claimed).toBe(0);
    expect(stub.calls("POST", CLAIM)).toHaveLength(3);
  });
});

describe("a failed attempt", () => {
  /** Runs one task and returns the one fail body, checking nothing was completed. */
  async function failed(options: Partial<PlatformStubOptions> & Pick<PlatformStubOptions, "tasks">, run: Partial<TrainerLoopOptions> = {}) {
    const stub = await platform(options);
    const result = await runAgainst(stub, run);
    expect(stub.calls("POST", lease(1, "complete"))).toEqual([]);
    const fails = stub.bodies("POST", lease(1, "fail"));
    expect(fails).toHaveLength(1);
    return { stub, summary: result.summary, fail: fails[0] as { leaseToken: string; error: string; retryable: boolean } };
  }

  it("is not retryable when the payload is invalid, and nothing is fetched", async () => {
    const { stub, fail, summary } = await failed({ tasks: [makeTrainingTask(1, { ...TRAIN, model: "xgboost" })] });
    expect(fail).toMatchObject({ leaseToken: "lease-1", retryable: false });
    expect(fail.error).toMatch(/payload is invalid: model/);
    expect(stub.calls("GET", MARKET)).toEqual([]);
    expect(summary).toMatchObject({ claimed: 1, failed: 1 });
  });

  it("is not retryable when the range holds no bar, or too few", async () => {
    const none = await failed({ tasks: [makeTrainingTask(1, { ...TRAIN, fromMs: barAt(3_999).ts + 3_600_000 })] });
    expect(none.fail).toMatchObject({ retryable: false });
    expect(none.fail.error).toMatch(/^no closed M1 bars of XAUUSD from /);
    const few = await failed({ tasks: [makeTrainingTask(1, { ...TRAIN, fromMs: barAt(3_940).ts })] });
    expect(few.fail).toMatchObject({ retryable: false });
    expect(few.fail.error).toMatch(/^the 60 bars give no data set: buildDataset: none of 60 bars/);
    expect(few.stub.uploaded).toEqual([]);
  });

  it("is not retryable when the registry refuses the upload with a 4xx, retryable after 5xx answers", async () => {
    const refused = await failed({
      tasks: [makeTrainingTask(1, TRAIN)],
      intercept: (request) =>
        isPath("POST", MODELS)(request) ? { status: 422, json: errorEnvelope("INVALID_MODEL", "the model is refused") } : undefined,
    });
    expect(refused.fail).toEqual({ leaseToken: "lease-1", error: "INVALID_MODEL: the model is refused (HTTP 422)", retryable: false });

    const unavailable = await failed({
      tasks: [makeTrainingTask(1, TRAIN)],
      intercept: (request) => (isPath("POST", MODELS)(request) ? { status: 503, json: errorEnvelope("UNAVAILABLE", "R2 is down") } : undefined),
    });
    expect(unavailable.fail).toEqual({ leaseToken: "lease-1", error: "UNAVAILABLE: R2 is down (HTTP 503)", retryable: true });
    expect(unavailable.stub.calls("POST", MODELS)).toHaveLength(4);
  });

  it("is retryable when the credential is refused, and the daemon then stops", async () => {
    const stub = await platform({
      tasks: [makeTrainingTask(1, TRAIN), makeTrainingTask(2, TRAIN)],
      intercept: (request) =>
        isPath("GET", MARKET)(request) ? { status: 403, json: errorEnvelope("FORBIDDEN", "scope read required") } : undefined,
    });
    await expect(runAgainst(stub, { once: false })).rejects.toThrow(CredentialRefusedError);
    expect(stub.bodies("POST", lease(1, "fail"))).toEqual([
      { leaseToken: "lease-1", error: "FORBIDDEN: scope read required (HTTP 403)", retryable: true },
    ]);
    expect(stub.calls("POST", CLAIM)).toHaveLength(1);
  });

  it("is retryable and says so when the trainer is stopped mid-task; no further claim", async () => {
    const stop = new AbortController();
    const { stub, fail, summary } = await failed(
      {
        tasks: [makeTrainingTask(1, TRAIN), makeTrainingTask(2, TRAIN)],
        intercept: (request) => {
          if (isPath("GET", MARKET)(request)) stop.abort();
          return undefined;
        },
      },
      { once: false, stop: stop.signal },
    );
    expect(fail).toEqual({ leaseToken: "lease-1", error: "trainer stopped", retryable: true });
    expect(summary).toMatchObject({ claimed: 1, failed: 1 });
    expect(stub.calls("POST", CLAIM)).toHaveLength(1);
    expect(stub.uploaded).toEqual([]);
  });
});

describe("a lost lease", () => {
  it("abandons the work on a 409 heartbeat: no upload, no complete, no fail", async () => {
    const heartbeat = firstRequest(isPath("POST", lease(1, "heartbeat")));
    const stub = await platform({
      tasks: [makeTrainingTask(1, TRAIN)],
      intercept: async (request) => {
        heartbeat.watch(request);
        if (isPath("POST", lease(1, "heartbeat"))(request)) return { status: 409, json: errorEnvelope("CONFLICT", "the lease expired") };
        if (isPath("GET", MARKET)(request)) await heartbeat.seen;
        return undefined;
      },
    });
    const { summary, log } = await runAgainst(stub);
    expect(summary).toMatchObject({ claimed: 1, succeeded: 0, failed: 0, abandoned: 1 });
    expect(summary.last).toMatchObject({ kind: "abandoned", taskId: taskId(1) });
    expect(stub.calls("POST", lease(1, "heartbeat"))).toHaveLength(1);
    expect(stub.calls("POST", MODELS)).toEqual([]);
    expect(stub.calls("POST", lease(1, "complete"))).toEqual([]);
    expect(stub.calls("POST", lease(1, "fail"))).toEqual([]);
    expect(log.join("\n")).toMatch(/the lease of tsk_0+1 was lost: CONFLICT: the lease expired \(HTTP 409\); abandoned/);
  });

  it("ends the training thread when the lease goes while it trains", async () => {
    const controller = new AbortController();
    const lost = new Error("lease lost");
    const training = trainInThread(
      { dataset: demoDataset(4_000), model: "logistic", horizon: 15, trials: 2, seed: 1 },
      { signal: controller.signal, onProgress: () => controller.abort(lost) },
    );
    await expect(training).rejects.toBe(lost);
  });

  it("keeps the pipeline's refusal a RangeError across the thread", async () => {
    const refused = trainInThread({ dataset: demoDataset(4_000), model: "logistic", horizon: 15, trials: 0, seed: 1 });
    await expect(refused).rejects.toThrow(RangeError);
  });
});

describe("transient failures", () => {
  it("are retried: 503 on claim, a dropped page, 429 with Retry-After on a heartbeat, 503 on complete", async () => {
    const faults = new Set(["claim", "market", "heartbeat", "complete"]);
    const once = (name: string) => faults.delete(name);
    let heartbeats = 0;
    let secondHeartbeat = () => {};
    const retried = new Promise<void>((resolve) => (secondHeartbeat = resolve));
    const stub = await platform({
      tasks: [makeTrainingTask(1, TRAIN)],
      intercept: async (request) => {
        if (isPath("POST", CLAIM)(request) && once("claim")) return { status: 503, json: errorEnvelope("UNAVAILABLE", "D1 busy") };
        if (isPath("POST", lease(1, "heartbeat"))(request)) {
          heartbeats += 1;
          if (heartbeats === 2) secondHeartbeat();
          if (once("heartbeat")) return { status: 429, json: errorEnvelope("RATE_LIMITED", "slow down"), headers: { "retry-after": "0.05" } };
        }
        if (isPath("GET", MARKET)(request)) {
          await retried;
          if (once("market")) return { drop: true };
        }
        if (isPath("POST", lease(1, "complete"))(request) && once("complete")) return { status: 503, json: errorEnvelope("UNAVAILABLE", "D1 busy") };
        return undefined;
      },
    });
    const { summary, retries } = await runAgainst(stub);
    expect(summary).toMatchObject({ claimed: 1, succeeded: 1 });
    expect(faults.size).toBe(0);
    expect(stub.calls("POST", CLAIM)).toHaveLength(2);
    expect(stub.calls("POST", lease(1, "complete"))).toHaveLength(2);
    expect(stub.calls("POST", lease(1, "fail"))).toEqual([]);
    expect(retries).toContain(`POST ${lease(1, "heartbeat")}: HTTP 429; retry 1/3 in 50 ms`);
    expect(retries.some((line) => line.startsWith(`GET ${MARKET}?`))).toBe(true);
  });

  it("are not retried when they are 4xx answers, and a malformed answer is refused", async () => {
    const stub = await platform({
      tasks: [],
      intercept: (request) =>
        isPath("POST", lease(1, "fail"))(request)
          ? { status: 400, json: errorEnvelope("VALIDATION_ERROR", "bad body") }
          : isPath("POST", CLAIM)(request)
            ? { status: 200, json: { task: { id: "nope" }, leaseToken: "x", leaseExpiresAtMs: 1 } }
            : undefined,
    });
    const client = new TrainerClient({ baseUrl: stub.url, apiKey: KEY, retryDelayMs: 1 });
    const refusal = await client.fail(taskId(1), { leaseToken: "t", error: "x", retryable: true }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(PlatformError);
    expect(refusal).toMatchObject({ code: "VALIDATION_ERROR", status: 400 });
    expect(stub.calls("POST", lease(1, "fail"))).toHaveLength(1);
    await expect(client.claim({ worker: WORKER, leaseMs: LEASE_MS })).rejects.toMatchObject({ code: PLATFORM_BAD_RESPONSE });
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const nowMs = Date.UTC(2026, 4, 28, 12, 0, 0);
    expect(retryAfterMs(new Headers({ "retry-after": "3" }), nowMs)).toBe(3_000);
    expect(retryAfterMs(new Headers({ "retry-after": new Date(nowMs + 5_000).toUTCString() }), nowMs)).toBe(5_000);
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }), nowMs)).toBeNull();
    expect(retryAfterMs(new Headers(), nowMs)).toBeNull();
  });
});

describe("a stop or a refusal after the upload", () => {
  it("completes a task whose model was uploaded when the stop came", async () => {
    const stop = new AbortController();
    const stub = await platform({
      tasks: [makeTrainingTask(1, TRAIN), makeTrainingTask(2, TRAIN)],
      intercept: (request) => {
        if (isPath("POST", MODELS)(request)) stop.abort();
        return undefined;
      },
    });
    const { summary } = await runAgainst(stub, { once: false, stop: stop.signal });
    expect(summary).toMatchObject({ claimed: 1, succeeded: 1 });
    expect(stub.bodies("POST", lease(1, "complete"))).toMatchObject([{ modelId: FIRST_UPLOADED_ID }]);
    expect(stub.calls("POST", CLAIM)).toHaveLength(1);
  });

  it("abandons a task whose completion is refused with 409 (the model stays registered)", async () => {
    const stub = await platform({
      tasks: [makeTrainingTask(1, TRAIN)],
      intercept: (request) =>
        isPath("POST", lease(1, "complete"))(request) ? { status: 409, json: errorEnvelope("CONFLICT", "the task was cancelled") } : undefined,
    });
    const { summary } = await runAgainst(stub);
    expect(summary.last).toMatchObject({ kind: "abandoned", reason: "completing was refused (CONFLICT: the task was cancelled (HTTP 409))" });
    expect(stub.uploaded).toHaveLength(1);
    expect(stub.calls("POST", lease(1, "fail"))).toEqual([]);
  });
});

describe("npm run trainer", () => {
  const CLI = "training/trainer-daemon.ts";

  /** Runs the CLI against `stub`; `onStart` gets the child (to signal it). */
  function trainer(stub: PlatformStub, args: readonly string[], env: NodeJS.ProcessEnv = {}): { run: Promise<CliRun>; kill: (signal: NodeJS.Signals) => void } {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "--url", stub.url, "--worker", WORKER, "--out", outRoot, ...args], {
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const run = new Promise<CliRun>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
    return { run, kill: (signal) => child.kill(signal) };
  }

  it("--once exits 0 when no task waits, 1 when the task failed, 2 on a bad command line", async () => {
    const idle = await platform({ tasks: [] });
    const failing = await platform({ tasks: [makeTrainingTask(1, { symbol: "XAUUSD", trials: 0 })] });
    const [none, failed, usage] = await Promise.all([
      trainer(idle, ["--once"], { AURUM_KEY: KEY }).run,
      trainer(failing, ["--once", "--key", KEY]).run,
      runCli(CLI, ["--url", idle.url, "--key", KEY, "--heartbeat-ms", "60000", "--lease-ms", "60000"]),
    ]);
    expect(none.status, none.stderr).toBe(0);
    expect(none.stderr).toContain("trainer: no training task is waiting");
    expect(idle.calls("POST", CLAIM).map((request) => request.headers.authorization)).toEqual([`Bearer ${KEY}`]);

    expect(failed.status, failed.stderr).toBe(1);
    expect(failed.stderr).toContain(`trainer: ${taskId(1)}: failed (not retryable): the task's payload is invalid: trials:`);
    expect(failing.bodies("POST", lease(1, "fail"))).toMatchObject([{ leaseToken: "lease-1", retryable: false }]);

    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("--heartbeat-ms (60000) must be below --lease-ms (60000)");
    expect(idle.calls("POST", CLAIM)).toHaveLength(1);
  });

  it("fails the current task as retryable 'trainer stopped' on SIGTERM and exits", async () => {
    let kill: (signal: NodeJS.Signals) => void = () => {};
    const stub = await platform({
      tasks: [makeTrainingTask(1, TRAIN)],
      intercept: ((request) => {
        if (isPath("GET", MARKET)(request)) kill("SIGTERM");
        return undefined;
      }) satisfies Intercept,
    });
    const started = trainer(stub, ["--once", "--key", KEY]);
    kill = started.kill;
    const run = await started.run;
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toContain("trainer: SIGTERM: stopping");
    expect(stub.bodies("POST", lease(1, "fail"))).toEqual([{ leaseToken: "lease-1", error: "trainer stopped", retryable: true }]);
    expect(stub.uploaded).toEqual([]);
  });
});
