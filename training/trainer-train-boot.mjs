// Worker-thread bootstrap of training/trainer-train-thread.ts, in plain JavaScript because Node 20 does not apply
// the parent's `--import tsx` hooks to a worker's entry file: it loads tsx's API (resolved from here, not from the
// working directory) and imports the TypeScript entry named in workerData through it.
import { workerData } from "node:worker_threads";
import { tsImport } from "tsx/esm/api";

await tsImport(workerData.entry, import.meta.url);
