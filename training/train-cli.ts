/**
 * `npx tsx training/train-cli.ts --data <csv[.gz]> --symbol XAUUSD --timeframe M1 --horizon 15 …`: trains and
 * evaluates a model on an MT5 M1 export with purged walk-forward folds and a held-out tail, writes its files.
 */
import { featureSpecId, XAU_M1_CORE_SPEC } from "../core/features/index.js";
import { parseUtcOffsetMinutes } from "../core/market/csv.js";
import { DEFAULT_LABEL_DEFINITION, MAX_HORIZON_BARS, MODEL_KINDS, type ModelKind } from "../core/ml/index.js";
import { numberFlag, parseFlags, runMain, UsageError } from "../scripts/lib/args.js";
import { type Progress, progressBar } from "../scripts/lib/progress.js";
import { writeArtifacts } from "./pipeline/artifacts.js";
import { readDatasetFile } from "./pipeline/dataset.js";
import { renderTextReport } from "./pipeline/report.js";
import { DEFAULT_SPLIT_SETTINGS, trainAndEvaluate } from "./pipeline/train.js";

const SPEC = XAU_M1_CORE_SPEC;
const DEFAULT_TRIALS = 30;
const DEFAULT_SEED = 1;

const SPLIT = DEFAULT_SPLIT_SETTINGS;

const USAGE = `usage: npx tsx training/train-cli.ts --data <csv[.gz]> --symbol XAUUSD --timeframe M1 --horizon 15
         [--tz +03:00] [--model gbdt|logistic|ensemble] [--trials ${DEFAULT_TRIALS}] [--seed ${DEFAULT_SEED}]
         [--out <dir>]

  --data       MT5 M1 bar export (time,open,high,low,close,tick_volume,spread,...), plain or gzip
  --symbol     instrument symbol, upper case (e.g. XAUUSD)
  --timeframe  bar timeframe; the feature spec ${featureSpecId(SPEC)} is ${SPEC.parameters.timeframe}
  --horizon    label horizon in bars: binary direction of close[t + h] vs close[t]
               (default ${DEFAULT_LABEL_DEFINITION.horizonBars})
  --tz         UTC offset of the file's times, e.g. +03:00 for an MT5 server at UTC+3 (default +00:00)
  --model      gbdt, logistic or ensemble (their probabilities averaged) (default gbdt)
  --trials     random-search trials per model family, trial 0 being the untuned defaults (default ${DEFAULT_TRIALS})
  --seed       seed of the search and the models (default ${DEFAULT_SEED})
  --out        directory for model.json, manifest-draft.json, report.json, report.txt
               (default build/training/<symbol>-<timeframe>-<model>-h<horizon>)

Splits: ${SPLIT.nFolds} expanding walk-forward folds of ${SPLIT.validationFraction * 100} % of the rows each, purges of
the horizon, a ${SPLIT.heldOutFraction * 100} % held-out tail scored once. The search sees the folds only. Progress goes
to stderr, the text report to stdout.`;

function parseModel(value: string): ModelKind {
  const kind = MODEL_KINDS.find((candidate) => candidate === value);
  if (kind === undefined) throw new UsageError(`--model must be one of ${MODEL_KINDS.join(", ")}, got '${value}'`);
  return kind;
}

async function main(): Promise<void> {
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
    help: { type: "boolean" },
  });
  if (flags.help) {
    console.log(USAGE);
    return;
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
  const paths = writeArtifacts(out, result, dataset.featureNames);
  process.stdout.write(renderTextReport(result.report));
  console.error(`train: wrote ${Object.values(paths).join(", ")}`);
}

runMain(main, USAGE);
