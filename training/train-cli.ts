/**
 * `npx tsx training/train-cli.ts --data <csv[.gz]> --symbol XAUUSD --timeframe M1 --horizon 15 …`: trains and
 * evaluates a model on an MT5 M1 export with purged walk-forward folds and a held-out tail, writes its files, and
 * with `--upload` scores the registry's champion on the same held-out rows, uploads the model and (`--deploy`)
 * asks the promotion gate to deploy it.
 */
import { featureSpecId, XAU_M1_CORE_SPEC } from "../core/features/index.js";
import { parseUtcOffsetMinutes } from "../core/market/csv.js";
import { DEFAULT_LABEL_DEFINITION, MAX_HORIZON_BARS, MODEL_KINDS, type ModelKind } from "../core/ml/index.js";
import { numberFlag, parseFlags, runMain, UsageError } from "../scripts/lib/args.js";
import { type Progress, progressBar } from "../scripts/lib/progress.js";
import { compareWithChampion } from "./champion-score.js";
import { writeArtifacts } from "./pipeline/artifacts.js";
import { readDatasetFile } from "./pipeline/dataset.js";
import { type ChampionComparison, renderTextReport } from "./pipeline/report.js";
import { DEFAULT_SPLIT_SETTINGS, trainAndEvaluate } from "./pipeline/train.js";
import { PlatformError } from "./platform-http.js";
import { type DeployOutcome, type ModelRecord, RegistryClient } from "./registry-client.js";

const SPEC = XAU_M1_CORE_SPEC;
const DEFAULT_TRIALS = 30;
const DEFAULT_SEED = 1;

const SPLIT = DEFAULT_SPLIT_SETTINGS;

/** Exit status when the promotion gate refuses `--deploy`: an answer, not a crash. */
const EXIT_DEPLOY_REFUSED = 3;

const USAGE = `usage: npx tsx training/train-cli.ts --data <csv[.gz]> --symbol XAUUSD --timeframe M1 --horizon 15
         [--tz +03:00] [--model gbdt|logistic|ensemble] [--trials ${DEFAULT_TRIALS}] [--seed ${DEFAULT_SEED}]
         [--out <dir>] [--upload <url> [--key <credential>] [--deploy]]

  --data       MT5 M1 bar export (time,open,high,low,close,tick_volume,spread,...), plain or gzip
  --symbol     instrument symbol, upper case (e.g. XAUUSD)
  --timeframe  bar timeframe; the feature spec ${featureSpecId(SPEC)} is ${SPEC.parameters.timeframe}
  --horizon    label horizon in bars: binary direction of close[t + h] vs close[t]
               (default ${DEFAULT_LABEL_DEFINITION.horizonBars})
  --tz         UTC offset of the file's times, e.g. +03:00 for an MT5 server at UTC+3 (default +00:00)
  --model      gbdt, logistic or ensemble (their probabilities averaged) (default gbdt)
  --trials     random-search trials per model family, trial 0 being the untuned defaults (default ${DEFAULT_TRIALS})
  --seed       seed of the search and the models (default ${DEFAULT_SEED})
  --out        directory for model.onnx, manifest.json, model.json, manifest-draft.json, report.json, report.txt
               (default build/training/<symbol>-<timeframe>-<model>-h<horizon>)
  --upload     platform URL, e.g. http://127.0.0.1:8787: score the registry's champion on the held-out rows
               (when it has the same timeframe, feature spec and label), complete the manifest with its scores and
               parentVersion, then upload model.onnx + manifest.json to POST /api/v1/models
  --key        credential for --upload: an API key (ak_…) or an access token; default $AURUM_KEY
  --deploy     after --upload, ask the promotion gate to deploy the model (POST /api/v1/models/{id}/deploy);
               a refusal prints its codes and exits ${EXIT_DEPLOY_REFUSED}

Splits: ${SPLIT.nFolds} expanding walk-forward folds of ${SPLIT.validationFraction * 100} % of the rows each, purges of
the horizon, a ${SPLIT.heldOutFraction * 100} % held-out tail scored once. The search sees the folds only. Progress goes
to stderr, the text report (and the upload's id, version and deploy decision) to stdout. Exit status: 0 done,
1 failed (a registry error prints its code and message), 2 bad command line, ${EXIT_DEPLOY_REFUSED} deploy refused.`;

function parseModel(value: string): ModelKind {
  const kind = MODEL_KINDS.find((candidate) => candidate === value);
  if (kind === undefined) throw new UsageError(`--model must be one of ${MODEL_KINDS.join(", ")}, got '${value}'`);
  return kind;
}

/** The registry client of `--upload`, or null; checks the flags that go with it. */
function registryOf(flags: { upload?: string; key?: string; deploy?: boolean }): RegistryClient | null {
  if (flags.upload === undefined) {
    if (flags.key !== undefined || flags.deploy === true) throw new UsageError("--key and --deploy need --upload <url>");
    return null;
  }
  let url: URL;
  try {
    url = new URL(flags.upload);
  } catch {
    throw new UsageError(`--upload must be a URL such as http://127.0.0.1:8787, got '${flags.upload}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--upload must be an http(s) URL, got '${flags.upload}'`);
  }
  const apiKey = flags.key ?? process.env.AURUM_KEY;
  if (!apiKey) throw new UsageError("--upload needs --key (or AURUM_KEY): an API key or an access token");
  return new RegistryClient({
    baseUrl: flags.upload,
    apiKey,
    onRetry: (message) => console.error(`train: registry ${message}`),
  });
}

/** A registry failure as one line: its code and message (and the status). */
function registryFailure(error: unknown): string {
  if (error instanceof PlatformError) {
    const status = error.status === null ? "" : ` (HTTP ${error.status})`;
    const details = error.details === undefined ? "" : `; details ${JSON.stringify(error.details).slice(0, 500)}`;
    return `${error.code}: ${error.message}${status}${details}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Prints a deploy outcome on stdout and returns the exit status it stands for. */
function reportDeploy(record: ModelRecord, outcome: DeployOutcome): number {
  const { decision } = outcome;
  if (outcome.deployed) {
    console.log(`deployed: model ${String(record.id)} version ${record.version} is ${outcome.model.status} (${decision.code})`);
    for (const refusal of decision.refusals) console.log(`  overridden ${refusal.code}: ${refusal.message}`);
    return 0;
  }
  console.log(`deploy refused: ${decision.code} — ${outcome.message}`);
  for (const refusal of decision.refusals) console.log(`  ${refusal.code}: ${refusal.message}`);
  return EXIT_DEPLOY_REFUSED;
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2), {
    data: { type: "string" },
    symbol: { type: "string" },
    timeframe: { type: "string" },
    horizon: { type: "string" },
    tz: { type: "string", default: "+00:00" },
    model: { type: "string", default: "gbdt" },
    trials: { type: "string" },
    seed: { type: "string" },
    out: { type: "string" },
    upload: { type: "string" },
    key: { type: "string" },
    deploy: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  if (!flags.data || !flags.symbol || !flags.timeframe) {
    throw new UsageError("--data, --symbol and --timeframe are required");
  }
  if (!/^[A-Z0-9]{3,12}$/.test(flags.symbol)) {
    throw new UsageError(`--symbol must be 3-12 upper-case letters or digits, got '${flags.symbol}'`);
  }
  if (flags.timeframe !== SPEC.parameters.timeframe) {
    const specTimeframe = `${SPEC.parameters.timeframe} (the timeframe of ${featureSpecId(SPEC)})`;
    throw new UsageError(`--timeframe must be ${specTimeframe}, got '${flags.timeframe}'`);
  }
  const horizon = numberFlag(flags.horizon, "horizon", DEFAULT_LABEL_DEFINITION.horizonBars, 1, MAX_HORIZON_BARS);
  const trials = numberFlag(flags.trials, "trials", DEFAULT_TRIALS, 1, 10_000);
  const seed = numberFlag(flags.seed, "seed", DEFAULT_SEED, 0, 2 ** 32 - 1);
  if (!Number.isInteger(horizon) || !Number.isInteger(trials) || !Number.isInteger(seed)) {
    throw new UsageError("--horizon, --trials and --seed must be integers");
  }
  const model = parseModel(flags.model);
  const offsetMinutes = (() => {
    try {
      return parseUtcOffsetMinutes(flags.tz);
    } catch (error: unknown) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  })();
  const out = flags.out ?? `build/training/${flags.symbol}-${flags.timeframe}-${model}-h${horizon}`;
  const registry = registryOf(flags);

  const loadStartedMs = performance.now();
  const dataset = readDatasetFile(flags.data, {
    symbol: flags.symbol,
    offsetMinutes,
    spec: SPEC,
    label: { ...DEFAULT_LABEL_DEFINITION, horizonBars: horizon },
  });
  const loadSeconds = ((performance.now() - loadStartedMs) / 1000).toFixed(1);
  console.error(
    `train: ${dataset.nRows.toLocaleString("en-US")} rows × ${dataset.nCols} features from ` +
      `${dataset.summary.bars.toLocaleString("en-US")} bars in ${loadSeconds} s ` +
      `(data sha256 ${dataset.dataSha256.slice(0, 12)}…); ${model}, ${trials} trials, seed ${seed}`,
  );
  let bar: Progress | undefined;
  const result = trainAndEvaluate({
    dataset,
    model,
    horizon,
    trials,
    seed,
    onProgress: (progress) => {
      bar ??= progressBar("train", progress.total);
      if (progress.done >= progress.total) bar.finish(progress.message);
      else bar.update(progress.done, progress.message);
    },
  });
  let champion: ChampionComparison | null = null;
  if (registry !== null) {
    try {
      champion = await compareWithChampion(registry, result, dataset, (line) => console.error(`train: ${line}`));
    } catch (error: unknown) {
      writeArtifacts(out, result, dataset.featureNames);
      throw new Error(
        `asking ${registry.baseUrl} for the champion failed (${registryFailure(error)}); the model's files are in ` +
          `${out} without a champion score, nothing was uploaded`,
        { cause: error },
      );
    }
  }
  const artifacts = writeArtifacts(out, result, dataset.featureNames, { champion });
  process.stdout.write(renderTextReport(artifacts.report));
  console.error(`train: wrote ${Object.values(artifacts.paths).join(", ")}`);
  if (registry === null) return 0;

  let record: ModelRecord;
  try {
    record = await registry.uploadModel(artifacts.manifest, artifacts.onnx);
  } catch (error: unknown) {
    throw new Error(`upload refused: ${registryFailure(error)}`, { cause: error });
  }
  console.log(`uploaded: model ${String(record.id)} version ${record.version} (${record.status})`);
  if (flags.deploy !== true) return 0;
  try {
    return reportDeploy(record, await registry.deployModel(record.id));
  } catch (error: unknown) {
    throw new Error(`deploy failed: ${registryFailure(error)}`, { cause: error });
  }
}

runMain(async () => {
  const status = await main();
  if (status !== 0) process.exit(status);
}, USAGE);
