/**
 * Runs the pipeline's synchronous `trainAndEvaluate` in a worker thread for the trainer daemon: the main thread
 * stays free to send lease heartbeats during a long search, and a lost lease or a stop ends the training at once
 * (the thread is terminated) instead of after it.
 */
import { Worker } from "node:worker_threads";
import type { ModelKind } from "../core/ml/index.js";
import type { TrainingDataset } from "./pipeline/dataset.js";
import type { TrainProgress, TrainResult } from "./pipeline/train.js";

/** What the training thread trains (structured-cloned into it). */
export interface TrainThreadJob {
  readonly dataset: TrainingDataset;
  readonly model: ModelKind;
  /** Label horizon, bars (the data set's). */
  readonly horizon: number;
  /** Random-search trials per model family. */
  readonly trials: number;
  readonly seed: number;
}

/** What the thread posts back. */
export type TrainThreadMessage =
  | { readonly type: "progress"; readonly progress: TrainProgress }
  | { readonly type: "done"; readonly result: TrainResult }
  | { readonly type: "error"; readonly name: string; readonly message: string; readonly stack: string | null };

/** How {@link trainInThread} reports and is stopped. */
export interface TrainThreadOptions {
  /** Aborting it terminates the thread; the call then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: TrainProgress) => void;
}

const ENTRY = new URL("./trainer-train-worker.ts", import.meta.url).href;

/** Plain-JavaScript bootstrap that imports {@link ENTRY} through tsx (see the file's comment). */
const BOOTSTRAP = new URL("./trainer-train-boot.mjs", import.meta.url);

/** An error posted by the thread, rebuilt with its class where the daemon tells failures apart by it. */
function rebuiltError(message: Extract<TrainThreadMessage, { type: "error" }>): Error {
  const error = message.name === "RangeError" ? new RangeError(message.message) : new Error(message.message);
  if (message.name !== "RangeError") error.name = message.name;
  if (message.stack !== null) error.stack = message.stack;
  return error;
}

/**
 * `trainAndEvaluate(job)` in a worker thread. Rejects with the pipeline's error (a RangeError stays a RangeError),
 * or with `signal.reason` when the signal aborts first (the thread is terminated).
 * @example
 * const result = await trainInThread({ dataset, model: "logistic", horizon: 15, trials: 1, seed: 1 }, { signal });
 */
export function trainInThread(job: TrainThreadJob, options: TrainThreadOptions = {}): Promise<TrainResult> {
  const { signal, onProgress } = options;
  return new Promise<TrainResult>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const worker = new Worker(BOOTSTRAP, { workerData: { entry: ENTRY, job } });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      outcome();
      void worker.terminate();
    };
    const onAbort = () => settle(() => reject(signal?.reason));
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (message: TrainThreadMessage) => {
      if (message.type === "progress") onProgress?.(message.progress);
      else if (message.type === "done") settle(() => resolve(message.result));
      else settle(() => reject(rebuiltError(message)));
    });
    worker.on("error", (error: Error) => settle(() => reject(error)));
    worker.on("exit", (code) => settle(() => reject(new Error(`the training thread exited with code ${code} before it answered`))));
  });
}
