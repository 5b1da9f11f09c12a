/**
 * The trainer daemon's loop: claim a `model_training` task, keep its lease alive with heartbeats while the job
 * trains and uploads (training/trainer-job.ts), then complete the task, or fail it with its failure classified as
 * retryable or not. A lost lease (409 on a heartbeat) abandons the work: nothing more is uploaded, nothing completed.
 */
import { PermanentTaskError } from "../core/tasks/failure.js";
import { PlatformError, sleep } from "./platform-http.js";
import type { RegistryClient } from "./registry-client.js";
import { isLeaseLost, type TaskRecord, type TrainerClient } from "./trainer-client.js";
import { trainClaimedTask, type TrainedModel } from "./trainer-job.js";

/** The platform took the task's lease back (expired and handed on, cancelled or finished): the work is abandoned. */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/** The trainer was asked to stop (SIGINT/SIGTERM) while it worked on a task. */
export class TrainerStoppedError extends Error {
  override name = "TrainerStoppedError";
  constructor() {
    super("trainer stopped");
  }
}

/** The trainer's credential was refused (401/403): no task can succeed here until it is fixed, so the daemon exits. */
export class CredentialRefusedError extends Error {
  override name = "CredentialRefusedError";
}

/** How a failed attempt is reported: the message for the task and whether another attempt may succeed. */
export interface FailureVerdict {
  readonly message: string;
  readonly retryable: boolean;
  /** The trainer cannot work at all (its credential is refused): stop after reporting. */
  readonly fatal: boolean;
}

/** The HTTP status of a platform or registry error, or null. */
function statusOf(error: unknown): number | null {
  return error instanceof PlatformError ? error.status : null;
}

/** An error as one line: the platform's code, message and status when it is a platform or registry error. */
export function failureMessage(error: unknown): string {
  if (error instanceof PlatformError) {
    const status = error.status === null ? "" : ` (HTTP ${error.status})`;
    return `${error.code}: ${error.message}${status}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Classifies a failed attempt. Not retryable: a PermanentTaskError (invalid payload, no or too few bars, data the
 * pipeline refuses) and a 4xx answer other than 401/403/408/409/429 (the same request is refused again). Retryable:
 * everything else (network, 5xx, 409 version races, 429, local failures), and 401/403, which are this trainer's
 * credential's fault, not the task's (another trainer may succeed), and end the daemon (`fatal`).
 * @example
 * classifyTrainingFailure(new PermanentTaskError("too few bars")); // { retryable: false, fatal: false, … }
 */
export function classifyTrainingFailure(error: unknown): FailureVerdict {
  const message = failureMessage(error);
  if (error instanceof PermanentTaskError) return { message, retryable: false, fatal: false };
  const status = statusOf(error);
  if (status === 401 || status === 403) return { message, retryable: true, fatal: true };
  if (status !== null && status >= 400 && status < 500 && ![408, 409, 429].includes(status)) {
    return { message, retryable: false, fatal: false };
  }
  return { message, retryable: true, fatal: false };
}

/** What happened to one claimed task. */
export type TaskOutcome =
  | { readonly kind: "succeeded"; readonly task: TaskRecord; readonly trained: TrainedModel }
  | { readonly kind: "failed"; readonly taskId: string; readonly verdict: FailureVerdict; readonly reported: boolean }
  | { readonly kind: "abandoned"; readonly taskId: string; readonly reason: string };

/** What {@link runTrainer} needs. */
export interface TrainerLoopOptions {
  readonly client: TrainerClient;
  readonly registry: RegistryClient;
  /** The daemon's name sent with claims, e.g. `host:pid`. */
  readonly worker: string;
  /** Lease asked for on claim and on each heartbeat, ms. */
  readonly leaseMs: number;
  /** Time between heartbeats, ms (less than `leaseMs`). */
  readonly heartbeatMs: number;
  /** Wait after a claim found no task (or failed), ms. */
  readonly pollMs: number;
  /** Process at most one task (or find none), then return. */
  readonly once: boolean;
  /** Artifacts directory of a task. */
  readonly outDirOf: (task: TaskRecord) => string;
  /** Aborted to stop: no further claim; the current task stops at its next check and is failed (retryable). */
  readonly stop: AbortSignal;
  /** Progress lines (stderr in the CLI). */
  readonly log: (line: string) => void;
}

/** What a {@link runTrainer} run did. */
export interface TrainerRunSummary {
  readonly claimed: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly abandoned: number;
  /** The last task's outcome; null when none was claimed. */
  readonly last: TaskOutcome | null;
}

/** Sends heartbeats every `heartbeatMs` until stopped; a lost lease aborts `lease` with a {@link LeaseLostError}. */
function startHeartbeats(
  options: TrainerLoopOptions,
  task: TaskRecord,
  leaseToken: string,
  lease: AbortController,
  progress: () => string,
): { stop: () => Promise<void> } {
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const beat = async () => {
    try {
      await options.client.heartbeat(task.id, { leaseToken, leaseMs: options.leaseMs, progress: progress() }, lease.signal);
    } catch (error: unknown) {
      if (lease.signal.aborted) return;
      if (isLeaseLost(error)) {
        lease.abort(new LeaseLostError(`the lease of ${task.id} was lost: ${failureMessage(error)}`));
        return;
      }
      // The lease may still hold (it runs leaseMs from the last heartbeat that landed): keep beating.
      options.log(`${task.id}: heartbeat failed (${failureMessage(error)}); trying again in ${options.heartbeatMs} ms`);
    }
  };
  const schedule = () => {
    if (stopped || lease.signal.aborted) return;
    timer = setTimeout(() => {
      inFlight = beat().then(schedule);
    }, options.heartbeatMs);
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}

/** Works one claimed task to its end: complete, fail or abandon. Never throws for the task's own failures. */
async function processTask(options: TrainerLoopOptions, task: TaskRecord, leaseToken: string): Promise<TaskOutcome> {
  const { client, log } = options;
  const say = (line: string) => log(`${task.id}: ${line}`);
  const lease = new AbortController();
  const onStop = () => lease.abort(new TrainerStoppedError());
  if (options.stop.aborted) onStop();
  else options.stop.addEventListener("abort", onStop, { once: true });
  let phase = "claimed";
  const heartbeats = startHeartbeats(options, task, leaseToken, lease, () => phase);
  let trained: TrainedModel;
  try {
    trained = await trainClaimedTask({
      task,
      client,
      registry: options.registry,
      outDir: options.outDirOf(task),
      signal: lease.signal,
      log: say,
      onPhase: (text) => (phase = text),
    });
  } catch (error: unknown) {
    await heartbeats.stop();
    options.stop.removeEventListener("abort", onStop);
    const reason: unknown = lease.signal.aborted ? lease.signal.reason : error;
    if (reason instanceof LeaseLostError) {
      say(`${reason.message}; abandoned without uploading or completing`);
      return { kind: "abandoned", taskId: task.id, reason: reason.message };
    }
    const verdict = reason instanceof TrainerStoppedError ? { message: reason.message, retryable: true, fatal: false } : classifyTrainingFailure(reason);
    return failTask(options, task, leaseToken, verdict);
  }
  await heartbeats.stop();
  options.stop.removeEventListener("abort", onStop);
  if (lease.signal.reason instanceof LeaseLostError) {
    say(`${lease.signal.reason.message} after model ${trained.model.id} was uploaded: it stays registered, the task is not completed`);
    return { kind: "abandoned", taskId: task.id, reason: lease.signal.reason.message };
  }
  // A stop that came during the upload lets the task finish: the model is in the registry already.
  try {
    const done = await client.complete(task.id, {
      leaseToken,
      modelId: trained.model.id,
      version: trained.model.version,
      summary: { ...trained.summary, worker: options.worker },
    });
    say(`completed: model ${trained.model.id} version ${trained.model.version}; task ${done.status}`);
    return { kind: "succeeded", task: done, trained };
  } catch (error: unknown) {
    if (isLeaseLost(error)) {
      const reason = `completing was refused (${failureMessage(error)})`;
      say(`${reason}: model ${trained.model.id} stays registered, the task is not completed`);
      return { kind: "abandoned", taskId: task.id, reason };
    }
    return failTask(options, task, leaseToken, {
      ...classifyTrainingFailure(error),
      message: `model ${trained.model.id} (${trained.model.version}) was uploaded but completing failed: ${failureMessage(error)}`,
    });
  }
}

/** Reports a failed attempt; a refused report (lease lost, platform unreachable) is logged, not thrown. */
async function failTask(options: TrainerLoopOptions, task: TaskRecord, leaseToken: string, verdict: FailureVerdict): Promise<TaskOutcome> {
  const say = (line: string) => options.log(`${task.id}: ${line}`);
  say(`failed (${verdict.retryable ? "retryable" : "not retryable"}): ${verdict.message}`);
  try {
    const failed = await options.client.fail(task.id, { leaseToken, error: verdict.message, retryable: verdict.retryable });
    say(`reported; task ${failed.status}`);
    return { kind: "failed", taskId: task.id, verdict, reported: true };
  } catch (error: unknown) {
    say(`reporting the failure was refused (${failureMessage(error)}); the lease will expire and hand the task back`);
    return { kind: "failed", taskId: task.id, verdict, reported: false };
  }
}

/**
 * Claims and works tasks until `stop` aborts (or, with `once`, after one task or none waiting). A claim that fails
 * is retried after `pollMs` (with `once` it throws); a refused credential (401/403) throws a
 * {@link CredentialRefusedError} after reporting the current task.
 * @example
 * const summary = await runTrainer({ client, registry, worker: "host:1", leaseMs: 300_000, heartbeatMs: 30_000,
 *   pollMs: 10_000, once: true, outDirOf: (task) => `build/trainer/${task.id}`, stop: controller.signal,
 *   log: (line) => console.error(`trainer: ${line}`) });
 */
export async function runTrainer(options: TrainerLoopOptions): Promise<TrainerRunSummary> {
  const { client, log, stop } = options;
  let claimed = 0;
  let succeeded = 0;
  let failed = 0;
  let abandoned = 0;
  let last: TaskOutcome | null = null;
  let idle = false;
  const summary = (): TrainerRunSummary => ({ claimed, succeeded, failed, abandoned, last });
  const pause = async () => {
    try {
      await sleep(options.pollMs, stop);
    } catch {
      // Stopped while waiting: the loop's condition ends it.
    }
  };
  while (!stop.aborted) {
    let claim;
    try {
      // Not aborted by a stop: a claim that landed is better answered (failed as "trainer stopped") than left to expire.
      claim = await client.claim({ worker: options.worker, leaseMs: options.leaseMs });
    } catch (error: unknown) {
      const status = statusOf(error);
      if (status === 401 || status === 403) throw new CredentialRefusedError(`the platform refused the credential: ${failureMessage(error)}`, { cause: error });
      if (options.once) throw error;
      log(`claiming failed (${failureMessage(error)}); trying again in ${options.pollMs} ms`);
      await pause();
      continue;
    }
    const { task, leaseToken } = claim;
    if (task === null || leaseToken === null) {
      if (options.once) {
        log("no training task is waiting");
        return summary();
      }
      if (!idle) log(`no training task is waiting; asking every ${options.pollMs} ms`);
      idle = true;
      await pause();
      continue;
    }
    idle = false;
    claimed += 1;
    log(`${task.id}: claimed (attempt ${task.attempts}/${task.maxAttempts}, lease until ${claim.leaseExpiresAtMs === null ? "?" : new Date(claim.leaseExpiresAtMs).toISOString()})`);
    last = await processTask(options, task, leaseToken);
    if (last.kind === "succeeded") succeeded += 1;
    else if (last.kind === "failed") failed += 1;
    else abandoned += 1;
    if (last.kind === "failed" && last.verdict.fatal) {
      throw new CredentialRefusedError(`the platform refused the credential: ${last.verdict.message}`);
    }
    if (options.once) break;
  }
  return summary();
}
