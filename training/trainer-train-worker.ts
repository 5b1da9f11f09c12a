/**
 * Worker-thread entry of the trainer daemon's training step (started by training/trainer-train-thread.ts): runs
 * the synchronous `trainAndEvaluate` on the data set it is given, posting progress and then the result (or the
 * error's name and message), so that the daemon's heartbeats keep flowing while it trains.
 */
import { parentPort, workerData } from "node:worker_threads";
import { trainAndEvaluate } from "./pipeline/train.js";
import type { TrainThreadJob, TrainThreadMessage } from "./trainer-train-thread.js";

const port = parentPort;
if (port === null) throw new Error("training/trainer-train-worker.ts runs as a worker thread only");
const { job } = workerData as { job: TrainThreadJob };
const post = (message: TrainThreadMessage) => port.postMessage(message);
try {
  const result = trainAndEvaluate({
    dataset: job.dataset,
    model: job.model,
    horizon: job.horizon,
    trials: job.trials,
    seed: job.seed,
    onProgress: (progress) => post({ type: "progress", progress }),
  });
  post({ type: "done", result });
} catch (error: unknown) {
  post({
    type: "error",
    name: error instanceof Error ? error.name : "Error",
    message: error instanceof Error ? error.message : String(error),
    stack: error instanceof Error ? (error.stack ?? null) : null,
  });
}
