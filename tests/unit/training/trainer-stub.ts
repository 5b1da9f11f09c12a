/**
 * A local stand-in for the platform as the trainer daemon sees it (node:http on port 0): the training hand-off
 * (claim, heartbeat, complete, fail) over a queue of tasks, `GET /api/v1/market/data` paging a list of bars, and the
 * model registry routes the RegistryClient calls. Every request is recorded; a test's `intercept` answers first
 * (faults, held answers), anything it leaves (undefined) gets the default answer. Answers may carry headers.
 */
import { type ModelManifest, ModelManifestSchema } from "../../../core/ml/index.js";
import type { BarOutput } from "../../../core/schemas/market-data.js";
import type { ModelRecord } from "../../../core/schemas/registry.js";
import type { TaskRecord } from "../../../core/schemas/tasks.js";
import type { SourceBar } from "../../../core/market/tick-path.js";
import { sha256Hex } from "../../../training/pipeline/dataset.js";
import { makeTask, taskId } from "../../support/task-builders.js";
import { errorEnvelope, formDataOf, pageOf, type RecordedRequest, recordOf, startRegistryStub, type StubAnswer } from "./registry-stub.js";

export { errorEnvelope, formDataOf, type RecordedRequest } from "./registry-stub.js";

/** A JSON answer (with optional headers), bytes, or a dropped connection. */
export type PlatformAnswer = StubAnswer;

/** A test's first say on a request: an answer, or undefined for the default one. */
export type Intercept = (request: RecordedRequest) => PlatformAnswer | undefined | Promise<PlatformAnswer | undefined>;

/** What the stub serves. */
export interface PlatformStubOptions {
  /** Bars of every symbol's M1 history, oldest first (the market data route pages them). */
  readonly bars: readonly BarOutput[];
  /** Tasks handed out by successive claims, in order; a claim after the last answers `task: null`. */
  readonly tasks: readonly TaskRecord[];
  /** The registry's champion (listed for `status=champion`) and its model.onnx; default none. */
  readonly champion?: { readonly record: ModelRecord; readonly onnx: Uint8Array };
  /** Most bars one market-data page holds whatever `limit` asks (the real route's cap is 5,000); default none. */
  readonly maxPageBars?: number;
  readonly intercept?: Intercept;
}

/** A running stub. */
export interface PlatformStub {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Models uploaded so far, as the registry recorded them. */
  readonly uploaded: { readonly record: ModelRecord; readonly manifest: ModelManifest; readonly onnx: Uint8Array }[];
  /** JSON bodies of the requests whose path (without query) is `path` and method is `method`. */
  bodies(method: string, path: string): unknown[];
  /** Requests whose path (without query) is `path`. */
  calls(method: string, path: string): RecordedRequest[];
  close(): Promise<void>;
}

/** The registry id the first upload gets (the champion, when there is one, has another). */
export const FIRST_UPLOADED_ID = 8;
export const LEASE_MS = 300_000;

export { taskId };

/**
 * A queued `model_training` task with `payload`.
 * @example
 * makeTrainingTask(1, { symbol: "XAUUSD", model: "logistic", trials: 1 });
 */
export function makeTrainingTask(n: number, payload: Record<string, unknown>): TaskRecord {
  const atMs = Date.UTC(2026, 4, 28, 12, 0);
  return makeTask({
    id: taskId(n),
    type: "model_training",
    status: "queued",
    priority: 5,
    payload,
    attempts: 0,
    runAfterMs: atMs,
    timeoutMs: 3_600_000,
    createdBy: "test",
    createdAtMs: atMs,
    updatedAtMs: atMs,
    startedAtMs: null,
    finishedAtMs: null,
  });
}

/** A demo (MT5 export) bar as `GET /api/v1/market/data` answers it. */
export function barOutputOf(bar: SourceBar, closed = true): BarOutput {
  return {
    ts: bar.tsMs,
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    tickVolume: bar.tickVolume,
    spreadAvg: bar.spreadPoints,
    spreadMax: bar.spreadPoints,
    closed,
  };
}

function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query < 0 ? url : url.slice(0, query);
}

function jsonBody(request: RecordedRequest): Record<string, unknown> {
  return JSON.parse(request.body.toString("utf8")) as Record<string, unknown>;
}

/**
 * Starts the stub on 127.0.0.1, a free port.
 * @example
 * const stub = await startPlatformStub({ bars, tasks: [makeTrainingTask(1, { symbol: "XAUUSD" })] });
 */
export async function startPlatformStub(options: PlatformStubOptions): Promise<PlatformStub> {
  const uploaded: PlatformStub["uploaded"] = [];
  const queue = [...options.tasks];
  const leased = new Map<string, TaskRecord>();
  let claims = 0;

  const taskAnswer = (id: string, status: TaskRecord["status"]): PlatformAnswer => {
    const task = leased.get(id);
    if (task === undefined) return { status: 404, json: errorEnvelope("NOT_FOUND", `no task ${id}`) };
    const next = { ...task, status };
    leased.set(id, next);
    return { status: 200, json: { task: next } };
  };

  const defaultAnswer = async (request: RecordedRequest): Promise<PlatformAnswer> => {
    const path = pathOf(request.url);
    const query = new URL(request.url, "http://stub").searchParams;
    if (request.method === "POST" && path === "/api/v1/training/claim") {
      const task = queue.shift();
      if (task === undefined) return { status: 200, json: { task: null, leaseToken: null, leaseExpiresAtMs: null } };
      claims += 1;
      const { worker } = jsonBody(request);
      const leaseExpiresAtMs = Date.UTC(2026, 4, 28, 12, 5);
      const running: TaskRecord = { ...task, status: "running", attempts: task.attempts + 1, leaseOwner: String(worker), leaseExpiresAtMs };
      leased.set(task.id, running);
      return { status: 200, json: { task: running, leaseToken: `lease-${claims}`, leaseExpiresAtMs } };
    }
    const lease = /^\/api\/v1\/training\/tasks\/(tsk_[0-9a-f]{32})\/(heartbeat|complete|fail)$/.exec(path);
    if (request.method === "POST" && lease?.[1] !== undefined) {
      const action = lease[2];
      return taskAnswer(lease[1], action === "heartbeat" ? "running" : action === "complete" ? "succeeded" : "queued");
    }
    if (request.method === "GET" && path === "/api/v1/market/data") {
      const fromMs = Number(query.get("from") ?? 0);
      const toParam = query.get("to");
      const toMs = toParam === null ? Number.POSITIVE_INFINITY : Number(toParam);
      const limit = Math.min(Number(query.get("limit") ?? 1_000), options.maxPageBars ?? Number.POSITIVE_INFINITY);
      const inRange = options.bars.filter((bar) => bar.ts >= fromMs && bar.ts <= toMs);
      const page = inRange.slice(0, limit);
      const next = inRange[limit]?.ts ?? null;
      return { status: 200, json: { symbol: query.get("symbol"), timeframe: query.get("timeframe"), bars: page, next } };
    }
    if (request.method === "GET" && path === "/api/v1/models") {
      if (query.get("status") === "champion") return { status: 200, json: pageOf(options.champion ? [options.champion.record] : []) };
      return { status: 200, json: pageOf(uploaded.map((model) => model.record).reverse()) };
    }
    if (request.method === "GET" && options.champion && path === `/api/v1/models/${options.champion.record.id}/model.onnx`) {
      return { status: 200, bytes: options.champion.onnx };
    }
    if (request.method === "POST" && path === "/api/v1/models") {
      const form = await formDataOf(request);
      const manifest = ModelManifestSchema.parse(JSON.parse(String(form.get("manifest"))));
      const model = form.get("model");
      const onnx = model instanceof Blob ? new Uint8Array(await model.arrayBuffer()) : new Uint8Array();
      const record = { ...recordOf(manifest, FIRST_UPLOADED_ID + uploaded.length, "registered"), onnxSha256: sha256Hex(onnx), onnxBytes: onnx.length };
      uploaded.push({ record, manifest, onnx });
      return { status: 201, json: { model: record } };
    }
    return { status: 404, json: errorEnvelope("NOT_FOUND", `no route ${request.method} ${request.url}`) };
  };

  const stub = await startRegistryStub(async (request) => (await options.intercept?.(request)) ?? (await defaultAnswer(request)));
  const requests = stub.requests;
  const calls = (method: string, path: string) => requests.filter((request) => request.method === method && pathOf(request.url) === path);
  return {
    url: stub.url,
    requests,
    uploaded,
    calls,
    bodies: (method, path) => calls(method, path).map((request) => jsonBody(request)),
    close: () => stub.close(),
  };
}
