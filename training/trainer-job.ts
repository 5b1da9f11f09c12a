/**
 * One claimed `model_training` task, start to upload: page the task's closed M1 bars from the platform, build the
 * data set, train and evaluate (in a worker thread), score the registry's champion on the held-out rows, write the
 * artifacts and upload the model. The task's lease signal is checked between phases; completing or failing the task
 * is the daemon loop's business (training/trainer-loop.ts).
 */
import { canonicalJson, type FeatureBar, XAU_M1_CORE_SPEC } from "../core/features/index.js";
import { DEFAULT_LABEL_DEFINITION } from "../core/ml/index.js";
import type { BarOutput } from "../core/schemas/market-data.js";
import { type ModelTrainingPayload, ModelTrainingPayloadSchema } from "../core/schemas/tasks.js";
import { PermanentTaskError } from "../core/tasks/failure.js";
import { compareWithChampion } from "./champion-score.js";
import { writeArtifacts } from "./pipeline/artifacts.js";
import { buildDataset, sha256Hex, type TrainingDataset } from "./pipeline/dataset.js";
import type { ChampionComparison } from "./pipeline/report.js";
import type { TrainResult } from "./pipeline/train.js";
import { PlatformError } from "./platform-http.js";
import type { ModelRecord, RegistryClient } from "./registry-client.js";
import type { TaskRecord, TrainerClient } from "./trainer-client.js";
import { trainInThread } from "./trainer-train-thread.js";

/** Bars asked for per page of `GET /api/v1/market/data` (the route's maximum). */
export const BARS_PAGE_LIMIT = 5_000;

/** What {@link trainClaimedTask} works with. */
export interface TrainingJobContext {
  /** The claimed task (type `model_training`). */
  readonly task: TaskRecord;
  readonly client: TrainerClient;
  readonly registry: RegistryClient;
  /** Directory for model.onnx, manifest.json and the reports (created if missing). */
  readonly outDir: string;
  /** Aborted when the lease is lost or the trainer stops: the job ends at the next check with its reason. */
  readonly signal: AbortSignal;
  /** Progress lines (the daemon prints them on stderr). */
  readonly log: (line: string) => void;
  /** Told what the job is doing now, for the next heartbeat's `progress`. */
  readonly onPhase?: (phase: string) => void;
}

/** The uploaded model and the figures the task's result keeps. */
export interface TrainedModel {
  readonly model: ModelRecord;
  readonly summary: TrainingSummary;
}

/** Held-out scores of the candidate (the pipeline's report), beside the constant prior's log-loss. */
export interface HeldOutSummary {
  readonly rows: number;
  readonly logLoss: number;
  readonly accuracy: number;
  readonly auc: number | null;
  readonly brier: number;
  readonly priorLogLoss: number;
  /** Prior log-loss − model log-loss: positive when the model is better. */
  readonly gainLogLoss: number;
}

/** What `complete` sends as the task's summary. */
export interface TrainingSummary {
  readonly [key: string]: unknown;
  readonly symbol: string;
  readonly timeframe: "M1";
  readonly modelKind: ModelTrainingPayload["model"];
  readonly horizonBars: number;
  readonly trials: number;
  readonly seed: number;
  readonly data: {
    /** Closed bars fetched. */
    readonly bars: number;
    /** Open times of the first and last bar fetched, epoch ms. */
    readonly fromMs: number;
    readonly toMs: number;
    /** SHA-256 of the canonical JSON of the bars fetched (as the API answered them). */
    readonly dataSha256: string;
    readonly rows: number;
    readonly features: number;
  };
  readonly heldOut: HeldOutSummary;
  readonly verdict: { readonly beatsPrior: boolean; readonly text: string };
  /** The pipeline's own promotion check (without the champion); the platform decides with the champion. */
  readonly localPromotion: { readonly code: string; readonly refusals: readonly string[] };
  /** The champion scored on the same held-out rows; null when the registry had none. */
  readonly champion: {
    readonly version: string;
    readonly logLoss: number | null;
    /** Champion log-loss − candidate log-loss: positive favours the candidate. */
    readonly gainLogLoss: number | null;
    readonly notScoredBecause: string | null;
  } | null;
  /** Where the trainer wrote the model's files (on the trainer's host). */
  readonly artifactsDir: string;
  readonly durationsMs: {
    readonly bars: number;
    readonly dataset: number;
    readonly train: number;
    readonly champion: number;
    readonly upload: number;
    readonly total: number;
  };
}

/**
 * The task's payload, defaults filled in. Throws a PermanentTaskError for a task of another type or a payload the
 * schema refuses (no retry changes it).
 * @example
 * trainingPayloadOf(task); // { symbol: "XAUUSD", timeframe: "M1", horizonBars: 15, model: "gbdt", … }
 */
export function trainingPayloadOf(task: TaskRecord): ModelTrainingPayload {
  if (task.type !== "model_training") throw new PermanentTaskError(`task ${task.id} is a ${task.type} task, not model_training`);
  const parsed = ModelTrainingPayloadSchema.safeParse(task.payload);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "payload"}: ${issue.message}`).join("; ");
    throw new PermanentTaskError(`the task's payload is invalid: ${issues}`, { cause: parsed.error });
  }
  if (parsed.data.fromMs !== undefined && parsed.data.toMs !== undefined && parsed.data.toMs < parsed.data.fromMs) {
    throw new PermanentTaskError(`the task's payload is invalid: toMs ${parsed.data.toMs} is before fromMs ${parsed.data.fromMs}`);
  }
  return parsed.data;
}

/**
 * Every closed bar of the payload's symbol and timeframe from `fromMs` (default: the oldest) to `toMs` (default:
 * the newest), oldest first, paging `GET /api/v1/market/data` by its `next`. A forming bar (closed: false) is left
 * out. Throws a PermanentTaskError when the range holds no closed bar.
 * @example
 * const bars = await fetchClosedBars(client, payload, signal);
 */
export async function fetchClosedBars(
  client: TrainerClient,
  payload: Pick<ModelTrainingPayload, "symbol" | "timeframe" | "fromMs" | "toMs">,
  signal?: AbortSignal,
  onPage?: (barsSoFar: number) => void,
): Promise<BarOutput[]> {
  const firstMs = payload.fromMs ?? 0;
  const lastMs = payload.toMs;
  const bars: BarOutput[] = [];
  let fromMs: number | null = firstMs;
  while (fromMs !== null) {
    const page = await client.barsPage(
      { symbol: payload.symbol, timeframe: payload.timeframe, fromMs, toMs: lastMs, limit: BARS_PAGE_LIMIT },
      signal,
    );
    for (const bar of page.bars) {
      if (bar.closed && bar.ts >= firstMs && (lastMs === undefined || bar.ts <= lastMs)) bars.push(bar);
    }
    onPage?.(bars.length);
    if (page.next !== null && page.next <= fromMs) {
      throw new Error(`the market data's next page ${page.next} does not move past ${fromMs}`);
    }
    fromMs = page.next;
  }
  if (bars.length === 0) {
    const range = `${new Date(firstMs).toISOString()} to ${lastMs === undefined ? "now" : new Date(lastMs).toISOString()}`;
    throw new PermanentTaskError(`no closed ${payload.timeframe} bars of ${payload.symbol} from ${range}`);
  }
  return bars;
}

/**
 * An API bar as the feature builder reads it (bid prices, mean spread in points).
 * @example
 * featureBarOf({ ts: 0, open: 1, high: 2, low: 1, close: 2, tickVolume: 3, spreadAvg: 20, spreadMax: 25, closed: true });
 */
export function featureBarOf(bar: BarOutput): FeatureBar {
  return { tsMs: bar.ts, high: bar.high, low: bar.low, close: bar.close, spreadAvgPoints: bar.spreadAvg, timeframe: "M1", closed: bar.closed };
}

/** The pipeline refused its input: the same input is refused again, so it is permanent. */
function permanentIfRefused(error: unknown, what: string): unknown {
  return error instanceof RangeError ? new PermanentTaskError(`${what}: ${error.message}`, { cause: error }) : error;
}

/**
 * Uploads the model; when the registry refuses its version as taken (409), looks the version up and accepts it if
 * its model.onnx is this one (an earlier attempt of the same upload landed but its answer was lost).
 */
async function upload(registry: RegistryClient, artifacts: { manifest: Parameters<RegistryClient["uploadModel"]>[0]; onnx: Uint8Array }): Promise<ModelRecord> {
  try {
    return await registry.uploadModel(artifacts.manifest, artifacts.onnx);
  } catch (error: unknown) {
    if (!(error instanceof PlatformError) || error.status !== 409) throw error;
    const onnxSha256 = sha256Hex(artifacts.onnx);
    const models = await registry.listModels({ symbol: artifacts.manifest.symbol });
    const same = models.find((model) => model.version === artifacts.manifest.version && model.onnxSha256 === onnxSha256);
    if (same === undefined) throw error;
    return same;
  }
}

function championSummary(comparison: ChampionComparison | null, candidateLogLoss: number): TrainingSummary["champion"] {
  if (comparison === null) return null;
  const scored = comparison.scored;
  return {
    version: comparison.version,
    logLoss: scored?.champion.logLoss ?? null,
    gainLogLoss: scored === null ? null : scored.champion.logLoss - candidateLogLoss,
    notScoredBecause: comparison.notScoredBecause,
  };
}

function percent(done: number, total: number): number {
  return total === 0 ? 100 : Math.floor((done / total) * 100);
}

/**
 * Trains the claimed task's model and uploads it. Checks `signal` before each phase and after training (the
 * training thread itself is terminated when it aborts); once the upload has begun, it runs to its end. Throws the
 * signal's reason when it aborted; a PermanentTaskError for what no retry fixes (payload, no or too few bars, data
 * the pipeline refuses); a PlatformError from the registry or the market data; anything else as is.
 * @example
 * const { model, summary } = await trainClaimedTask({ task, client, registry, outDir, signal, log: console.error });
 */
export async function trainClaimedTask(context: TrainingJobContext): Promise<TrainedModel> {
  const { task, client, registry, signal, log } = context;
  const phase = (text: string) => context.onPhase?.(text);
  const startedMs = performance.now();
  const lap = (() => {
    let lastMs = startedMs;
    return () => {
      const nowMs = performance.now();
      const elapsedMs = Math.round(nowMs - lastMs);
      lastMs = nowMs;
      return elapsedMs;
    };
  })();
  signal.throwIfAborted();
  const payload = trainingPayloadOf(task);
  const range = `${payload.fromMs === undefined ? "the oldest bar" : new Date(payload.fromMs).toISOString()} to ` +
    `${payload.toMs === undefined ? "the newest" : new Date(payload.toMs).toISOString()}`;
  log(`${payload.symbol} ${payload.timeframe} ${payload.model} h${payload.horizonBars}, ${payload.trials} trial${payload.trials === 1 ? "" : "s"}, seed ${payload.seed} (${payload.reason}); bars from ${range}`);

  phase(`fetching ${payload.symbol} bars`);
  const bars = await fetchClosedBars(client, payload, signal, (count) => phase(`fetching ${payload.symbol} bars: ${count} so far`));
  const barsMs = lap();
  const first = bars[0];
  const last = bars.at(-1);
  if (first === undefined || last === undefined) throw new PermanentTaskError("no bars");
  log(`${bars.length.toLocaleString("en-US")} closed bars ${new Date(first.ts).toISOString()} to ${new Date(last.ts).toISOString()} in ${barsMs} ms`);

  signal.throwIfAborted();
  phase(`building the data set of ${bars.length} bars`);
  const dataSha256 = sha256Hex(canonicalJson(bars));
  let dataset: TrainingDataset;
  try {
    dataset = buildDataset(bars.map(featureBarOf), {
      symbol: payload.symbol,
      spec: XAU_M1_CORE_SPEC,
      label: { ...DEFAULT_LABEL_DEFINITION, horizonBars: payload.horizonBars },
      dataSha256,
    });
  } catch (error: unknown) {
    throw permanentIfRefused(error, `the ${bars.length} bars give no data set`);
  }
  const datasetMs = lap();
  log(`${dataset.nRows.toLocaleString("en-US")} rows × ${dataset.nCols} features (data sha256 ${dataSha256.slice(0, 12)}…) in ${datasetMs} ms`);

  signal.throwIfAborted();
  phase(`training ${payload.model}`);
  let lastLoggedPercent = -1;
  let result: TrainResult;
  try {
    result = await trainInThread(
      { dataset, model: payload.model, horizon: payload.horizonBars, trials: payload.trials, seed: payload.seed },
      {
        signal,
        onProgress: (progress) => {
          const done = percent(progress.done, progress.total);
          phase(`training ${payload.model}: ${done}% (${progress.message})`);
          if (done >= lastLoggedPercent + 10 || progress.done >= progress.total) {
            lastLoggedPercent = done;
            log(`training ${done}% (${progress.message})`);
          }
        },
      },
    );
  } catch (error: unknown) {
    if (signal.aborted) throw signal.reason;
    throw permanentIfRefused(error, `the pipeline refused the ${dataset.nRows} rows`);
  }
  const trainMs = lap();
  const heldOut = result.report.heldOut;
  log(
    `trained in ${trainMs} ms: held-out log-loss ${heldOut.model.logLoss.toFixed(5)} (prior ${heldOut.prior.logLoss.toFixed(5)}), ` +
      `accuracy ${heldOut.model.accuracy.toFixed(4)}, AUC ${heldOut.model.auc?.toFixed(4) ?? "n/a"} on ${heldOut.rows} rows`,
  );

  signal.throwIfAborted();
  phase("scoring the champion");
  const champion = await compareWithChampion(registry, result, dataset, log);
  const championMs = lap();
  const artifacts = writeArtifacts(context.outDir, result, dataset.featureNames, { champion });
  log(`wrote ${Object.values(artifacts.paths).join(", ")}`);

  signal.throwIfAborted();
  phase(`uploading ${artifacts.manifest.version}`);
  const model = await upload(registry, artifacts);
  const uploadMs = lap();
  log(`uploaded model ${model.id} version ${model.version} (${model.status}) in ${uploadMs} ms`);

  const summary: TrainingSummary = {
    symbol: payload.symbol,
    timeframe: payload.timeframe,
    modelKind: payload.model,
    horizonBars: payload.horizonBars,
    trials: payload.trials,
    seed: payload.seed,
    data: { bars: bars.length, fromMs: first.ts, toMs: last.ts, dataSha256, rows: dataset.nRows, features: dataset.nCols },
    heldOut: {
      rows: heldOut.rows,
      logLoss: heldOut.model.logLoss,
      accuracy: heldOut.model.accuracy,
      auc: heldOut.model.auc,
      brier: heldOut.model.brier,
      priorLogLoss: heldOut.prior.logLoss,
      gainLogLoss: heldOut.gain.logLoss,
    },
    verdict: { beatsPrior: result.report.verdict.beatsPrior, text: result.report.verdict.text },
    localPromotion: { code: result.report.promotion.code, refusals: [...result.report.promotion.refusals] },
    champion: championSummary(champion, heldOut.model.logLoss),
    artifactsDir: context.outDir,
    durationsMs: { bars: barsMs, dataset: datasetMs, train: trainMs, champion: championMs, upload: uploadMs, total: Math.round(performance.now() - startedMs) },
  };
  return { model, summary };
}
