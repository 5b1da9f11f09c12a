/**
 * HTTP client of the training hand-off (`/api/v1/training/…`: claim, heartbeat, complete, fail) and of the bar
 * history the trainer daemon trains on (`GET /api/v1/market/data`). Answers are validated with the platform's zod
 * schemas; network failures, 5xx and 429 (after its Retry-After) are retried with backoff, other 4xx never are.
 */
import { type BarsResponse, BarsResponseSchema, MAX_BARS_PER_QUERY } from "../core/schemas/market-data.js";
import {
  type TaskRecord,
  TaskLeaseAnswerSchema,
  type TrainingClaim,
  TrainingClaimSchema,
} from "../core/schemas/tasks.js";
import {
  expectAnswer,
  PLATFORM_BAD_RESPONSE,
  type PlatformAnswer,
  PlatformClient,
  PlatformError,
} from "./platform-http.js";

export type { TaskRecord, TrainingClaim } from "../core/schemas/tasks.js";

/**
 * True when `error` says the trainer no longer holds the task's lease: 409 (the lease expired and the task went to
 * another trainer, or it was cancelled or finished) or 404 (the task is gone).
 * @example
 * if (isLeaseLost(error)) abandon();
 */
export function isLeaseLost(error: unknown): boolean {
  return error instanceof PlatformError && (error.status === 409 || error.status === 404);
}

/** `POST /api/v1/training/claim` body. */
export interface ClaimRequest {
  /** The daemon's name, e.g. `host:pid` (letters, digits and `._:@-`, at most 80). */
  readonly worker: string;
  /** How long the claim holds without a heartbeat, ms (30,000 to 3,600,000). */
  readonly leaseMs: number;
}

/** `POST /api/v1/training/tasks/{id}/heartbeat` body. */
export interface HeartbeatRequest {
  readonly leaseToken: string;
  /** The lease's new length from now, ms. */
  readonly leaseMs: number;
  /** What the trainer is doing, for the task's event trail (at most 500 characters). */
  readonly progress?: string;
}

/** `POST /api/v1/training/tasks/{id}/complete` body. */
export interface CompleteRequest {
  readonly leaseToken: string;
  /** Registry id of the uploaded model. */
  readonly modelId: number;
  readonly version: string;
  /** Training figures, stored as the task's result. */
  readonly summary: Record<string, unknown>;
}

/** `POST /api/v1/training/tasks/{id}/fail` body. */
export interface FailRequest {
  readonly leaseToken: string;
  /** Why it failed (at most 4,000 characters). */
  readonly error: string;
  /** False when no retry can fix it (the platform then fails the task for good). */
  readonly retryable: boolean;
}

/** One page of `GET /api/v1/market/data`. */
export interface BarsPageQuery {
  readonly symbol: string;
  readonly timeframe: string;
  /** Oldest bar open time, epoch ms (inclusive). */
  readonly fromMs: number;
  /** Newest bar open time, epoch ms (inclusive); default none. */
  readonly toMs?: number;
  /** Bars per page; default {@link MAX_BARS_PER_QUERY}. */
  readonly limit?: number;
}

const MAX_ERROR_LENGTH = 4_000;
const MAX_PROGRESS_LENGTH = 500;

/**
 * The training hand-off API and the bar history, over the global `fetch`. Every call takes an optional
 * AbortSignal: when it aborts, the call (and any wait for a retry) rejects at once with the signal's reason.
 * @example
 * const client = new TrainerClient({ baseUrl: "http://127.0.0.1:8787", apiKey: process.env.AURUM_KEY ?? "" });
 * const { task, leaseToken } = await client.claim({ worker: "gpu-1:4242", leaseMs: 300_000 });
 */
export class TrainerClient extends PlatformClient {
  /**
   * `POST /api/v1/training/claim`: the highest-priority runnable `model_training` task, now leased to `worker`,
   * or `task: null` when none is waiting. A claim retried after a lost answer may leave the first claim leased
   * until its lease expires; the platform then hands that task back to the queue.
   * @example
   * const claim = await client.claim({ worker: "host:1", leaseMs: 300_000 });
   * if (claim.task === null) await sleep(10_000);
   */
  async claim(request: ClaimRequest, signal?: AbortSignal): Promise<TrainingClaim> {
    const answer = await this.call("POST", "/api/v1/training/claim", request, signal);
    const claim = expectAnswer(answer, 200, TrainingClaimSchema);
    if (claim.task !== null && claim.leaseToken === null) {
      throw new PlatformError(PLATFORM_BAD_RESPONSE, `the claim of task ${claim.task.id} came without a lease token`, 200);
    }
    return claim;
  }

  /**
   * `POST /api/v1/training/tasks/{id}/heartbeat`: extends the lease by `leaseMs` from now. A lost lease throws a
   * {@link PlatformError} for which {@link isLeaseLost} is true.
   * @example
   * await client.heartbeat(task.id, { leaseToken, leaseMs: 300_000, progress: "training" });
   */
  async heartbeat(taskId: string, request: HeartbeatRequest, signal?: AbortSignal): Promise<TaskRecord> {
    const body = request.progress === undefined ? request : { ...request, progress: request.progress.slice(0, MAX_PROGRESS_LENGTH) };
    return expectAnswer(await this.call("POST", `${taskPath(taskId)}/heartbeat`, body, signal), 200, TaskLeaseAnswerSchema).task;
  }

  /**
   * `POST /api/v1/training/tasks/{id}/complete`: the task succeeded with the uploaded model; the platform then
   * checks the promotion gate. A lost lease throws (see {@link isLeaseLost}).
   * @example
   * await client.complete(task.id, { leaseToken, modelId: 8, version: record.version, summary });
   */
  async complete(taskId: string, request: CompleteRequest, signal?: AbortSignal): Promise<TaskRecord> {
    return expectAnswer(await this.call("POST", `${taskPath(taskId)}/complete`, request, signal), 200, TaskLeaseAnswerSchema).task;
  }

  /**
   * `POST /api/v1/training/tasks/{id}/fail`: the attempt failed; `retryable: false` fails the task for good.
   * @example
   * await client.fail(task.id, { leaseToken, error: "too few bars", retryable: false });
   */
  async fail(taskId: string, request: FailRequest, signal?: AbortSignal): Promise<TaskRecord> {
    const body = { ...request, error: request.error.slice(0, MAX_ERROR_LENGTH) };
    return expectAnswer(await this.call("POST", `${taskPath(taskId)}/fail`, body, signal), 200, TaskLeaseAnswerSchema).task;
  }

  /**
   * `GET /api/v1/market/data?symbol=&timeframe=&from=[&to=]&limit=`: one page of bars, oldest first, and the
   * `next` page's `from` (null on the last page).
   * @example
   * const page = await client.barsPage({ symbol: "XAUUSD", timeframe: "M1", fromMs: 0 });
   */
  async barsPage(query: BarsPageQuery, signal?: AbortSignal): Promise<BarsResponse> {
    const search = new URLSearchParams({
      symbol: query.symbol,
      timeframe: query.timeframe,
      from: String(query.fromMs),
      limit: String(query.limit ?? MAX_BARS_PER_QUERY),
    });
    if (query.toMs !== undefined) search.set("to", String(query.toMs));
    return expectAnswer(await this.call("GET", `/api/v1/market/data?${search.toString()}`, undefined, signal), 200, BarsResponseSchema);
  }

  /** One call, retried on network failures, 5xx and 429 (platform-http.ts `PlatformHttp.request`). */
  private call(method: "GET" | "POST", path: string, body: unknown, signal: AbortSignal | undefined): Promise<PlatformAnswer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return this.http.request(method, path, payload === undefined ? undefined : () => payload, signal);
  }
}

function taskPath(taskId: string): string {
  return `/api/v1/training/tasks/${encodeURIComponent(taskId)}`;
}
