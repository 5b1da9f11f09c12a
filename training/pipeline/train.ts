/**
 * The honest training pipeline: purged walk-forward folds for a random search, a refit on everything before the
 * held-out purge, and one evaluation on a held-out tail that nothing before it has seen, each score beside the
 * constant prior of its own training rows.
 */
import {
  binaryMetrics,
  binaryPriorMetrics,
  classFrequencies,
  classLabels,
  decidePromotion,
  type FoldMetrics,
  type ModelKind,
  type RowRange,
  walkForwardSplits,
  type WalkForwardSplits,
} from "../../core/ml/index.js";
import type { FeatureInput } from "../models/feature-matrix.js";
import { predictProba as predictTrees, type TreeEnsembleModel } from "../models/gbdt.js";
import { type LinearModel, predictProba as predictLinear } from "../models/logistic.js";
import { mulberry32 } from "../models/random.js";
import type { TrainingDataset } from "./dataset.js";
import {
  type BaseModelKind,
  DEFAULT_FITTERS,
  type FitContext,
  labelledSlice,
  type PipelineFitters,
  rowSlice,
} from "./fitters.js";
import type { FeatureImportance as ManifestFeatureImportance } from "../../core/ml/manifest.js";
import { completeManifest, type ManifestDraft, validateManifestDraft } from "./manifest.js";
import {
  blockedGainStandardError,
  type FeatureImportance,
  type FoldReport,
  type HeldOutReport,
  type JsonValue,
  REPORT_FORMAT,
  scoredRows,
  type SearchReport,
  type SplitReport,
  type TimeSpan,
  type TrainingReport,
  type TrialReport,
  type Verdict,
  VERDICT_BLOCK_HORIZONS,
  verdictOf,
} from "./report.js";
import {
  drawGbdtParams,
  drawLogisticParams,
  type GbdtSearchParams,
  type LogisticSearchParams,
} from "./search.js";

/** Written into every manifest's `trainerVersion`. */
export const TRAINER_VERSION = "aurum-edge training/pipeline 1";

/** How the rows are split (see {@link DEFAULT_SPLIT_SETTINGS}). */
export interface SplitSettings {
  /** Walk-forward validation windows. */
  readonly nFolds: number;
  /** Share of the rows kept as the held-out tail. */
  readonly heldOutFraction: number;
  /** Rows of each validation window, as a share of all rows. */
  readonly validationFraction: number;
  /** Rows dropped before each validation window and the held-out tail; default (undefined) the label horizon. */
  readonly purgeRows: number | undefined;
  /** GBDT fold fits: the tail share of a fold's training rows that early stopping reads (after a purge). */
  readonly earlyStoppingFraction: number;
}

/**
 * 4 folds of 10 % each, a 30 % held-out tail, purges of the horizon, 15 % of each fold's training rows for early
 * stopping. On the 62,272 rows of the shared XAUUSD file: the first fold trains on ~18,700 rows (~2 weeks), each
 * validation window is ~6,200 rows (~4.5 trading days), the final model trains on ~43,600 rows and the held-out
 * tail is ~18,700 rows (~2.5 weeks) — over the promotion rule's 2,000 rows with room to spare.
 */
export const DEFAULT_SPLIT_SETTINGS: SplitSettings = Object.freeze({
  nFolds: 4,
  heldOutFraction: 0.3,
  validationFraction: 0.1,
  purgeRows: undefined,
  earlyStoppingFraction: 0.15,
});

/** Boosting limits of the search and the refit. */
export interface BoostingSettings {
  /** Most rounds a fold fit may grow. */
  readonly maxRounds: number;
  /** A fold fit stops after this many rounds without a lower early-stopping log-loss. */
  readonly earlyStoppingRounds: number;
}

/** 400 rounds at most, stopping after 40 without improvement. */
export const DEFAULT_BOOSTING: BoostingSettings = Object.freeze({ maxRounds: 400, earlyStoppingRounds: 40 });

/**
 * L-BFGS settings of every logistic fit: a gradient tolerance of 1e-6 on the mean log-loss (objective values agree
 * to ~1e-9 with 1e-8), at most 300 iterations. training/models' default 1e-8 can stall in the line search on ~40k
 * real rows (1,000 iterations, minutes per fit); a fit that runs out is reported with `converged: false`.
 */
export const LOGISTIC_SOLVER = Object.freeze({ tolerance: 1e-6, maxIterations: 300 });

/** Steps of the GBDT weight the ensemble tries: 0, 0.05, …, 1. */
const ENSEMBLE_WEIGHT_STEPS = 20;

/** One step of the run, for a progress bar: `done` of `total` fits. */
export interface TrainProgress {
  readonly done: number;
  readonly total: number;
  readonly phase: "search" | "final";
  readonly model: BaseModelKind;
  readonly message: string;
}

/** What {@link trainAndEvaluate} takes. */
export interface TrainOptions {
  readonly dataset: TrainingDataset;
  readonly model: ModelKind;
  /** Label horizon in bars; must be the data set's (its labels were built with it). Default: the data set's. */
  readonly horizon?: number;
  /** Random-search trials per model family, trial 0 being the untuned defaults; default 30. */
  readonly trials?: number;
  /** Seed of the search draws and the models; default 1. */
  readonly seed?: number;
  readonly onProgress?: (progress: TrainProgress) => void;
  readonly split?: Partial<SplitSettings>;
  readonly boosting?: Partial<BoostingSettings>;
  /** Fit and predict functions; default the real models (tests inject recorders). */
  readonly fitters?: PipelineFitters;
  /** Clock for the manifest's `createdAtMs`; default `Date.now`. */
  readonly now?: () => number;
}

/** The fitted final model(s), as the exporter turns them into ONNX. */
export type FinalModel =
  | { readonly kind: "gbdt"; readonly gbdt: TreeEnsembleModel }
  | { readonly kind: "logistic"; readonly logistic: LinearModel }
  | {
      readonly kind: "ensemble";
      readonly gbdt: TreeEnsembleModel;
      readonly logistic: LinearModel;
      /** P = gbdtWeight × P(gbdt) + (1 − gbdtWeight) × P(logistic). */
      readonly gbdtWeight: number;
    };

/** The settings the search chose. */
export interface ChosenParams {
  /** GBDT settings, with `nRounds` the mean of the folds' early-stopping round counts; null for logistic. */
  readonly gbdt: (GbdtSearchParams & { readonly nRounds: number; readonly seed: number }) | null;
  readonly logistic: LogisticSearchParams | null;
  readonly gbdtWeight: number | null;
}

/** What {@link trainAndEvaluate} returns. */
export interface TrainResult {
  readonly model: FinalModel;
  readonly chosen: ChosenParams;
  readonly report: TrainingReport;
  /** Validated as far as it goes; the exporter completes it with `completeManifest`. */
  readonly manifestDraft: ManifestDraft;
  readonly splits: WalkForwardSplits;
}

/** A split plan with the numbers it was made from. */
export interface SplitPlan {
  readonly splits: WalkForwardSplits;
  readonly report: SplitReport;
}

function requireFraction(name: string, value: number): void {
  if (!(value > 0 && value < 1)) throw new RangeError(`trainAndEvaluate: ${name} must be in (0, 1), got ${value}`);
}

/**
 * The walk-forward plan for `nRows` rows: validation windows of `validationFraction × nRows` rows, the held-out
 * tail, purges of `purgeRows` (default the horizon; never less), and the first fold training on what is left.
 * Throws a RangeError when the rows do not leave every fold (and its early-stopping split) something to fit on.
 * @example
 * const { splits } = planSplits(62_272, 15, {});
 * splits.heldOut; // { from: 43_590, to: 62_272 }
 */
export function planSplits(nRows: number, horizonBars: number, settings: Partial<SplitSettings>): SplitPlan {
  const merged: SplitSettings = { ...DEFAULT_SPLIT_SETTINGS, ...definedEntries(settings) };
  const { nFolds, heldOutFraction, validationFraction, earlyStoppingFraction } = merged;
  const purgeRows = merged.purgeRows ?? horizonBars;
  if (!Number.isInteger(nFolds) || nFolds < 1) {
    throw new RangeError(`trainAndEvaluate: nFolds must be an integer >= 1, got ${nFolds}`);
  }
  requireFraction("heldOutFraction", heldOutFraction);
  requireFraction("validationFraction", validationFraction);
  requireFraction("earlyStoppingFraction", earlyStoppingFraction);
  if (!Number.isInteger(purgeRows) || purgeRows < horizonBars) {
    throw new RangeError(
      `trainAndEvaluate: purgeRows must be an integer >= the horizon ${horizonBars}, got ${purgeRows}`,
    );
  }
  const validationRows = Math.floor(nRows * validationFraction);
  const heldOutRows = Math.round(nRows * heldOutFraction);
  const minTrainRows = nRows - heldOutRows - nFolds * validationRows - 2 * purgeRows;
  const smallestInner = minTrainRows - Math.max(1, Math.round(minTrainRows * earlyStoppingFraction)) - purgeRows;
  if (validationRows < 1 || minTrainRows < 1 || smallestInner < 1) {
    throw new RangeError(
      `trainAndEvaluate: ${nRows} rows are too few for ${nFolds} folds of ${validationRows} rows, a ` +
        `${heldOutRows}-row held-out tail and ${purgeRows}-row purges (the first fold would train on ${minTrainRows})`,
    );
  }
  const splits = walkForwardSplits({
    nRows,
    nFolds,
    minTrainRows,
    validationRows,
    purgeRows,
    horizonBars,
    heldOutFraction,
  });
  return {
    splits,
    report: {
      horizonBars,
      purgeRows,
      nFolds,
      validationRows,
      minTrainRows,
      heldOutFraction,
      earlyStoppingFraction,
      finalTrain: splits.finalTrain,
      heldOutPurge: splits.heldOutPurge,
      heldOut: splits.heldOut,
    },
  };
}

/** `given` without its undefined entries, so that they do not hide a default. */
function definedEntries<T extends object>(given: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The fold's GBDT fit rows and early-stopping rows: its training rows minus a purged tail, and that tail. */
export function earlyStoppingSplit(
  train: RowRange,
  fraction: number,
  purgeRows: number,
): { readonly fit: RowRange; readonly earlyStopping: RowRange } {
  const rows = train.to - train.from;
  const stopRows = Math.max(1, Math.round(rows * fraction));
  const fitTo = train.to - stopRows - purgeRows;
  if (fitTo <= train.from) throw new RangeError(`trainAndEvaluate: ${rows} training rows leave none to fit on`);
  return { fit: { from: train.from, to: fitTo }, earlyStopping: { from: train.to - stopRows, to: train.to } };
}

/** Labels of a row range as a plain array (what core/ml's metrics take). */
function labelsOf(dataset: TrainingDataset, range: RowRange): number[] {
  return Array.from(dataset.labels.subarray(range.from, range.to));
}

function timeSpan(dataset: TrainingDataset, range: RowRange): TimeSpan {
  return {
    fromMs: dataset.timestampsMs[range.from] ?? Number.NaN,
    toMs: dataset.timestampsMs[range.to - 1] ?? Number.NaN,
  };
}

function meanOf(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Running state shared by the steps of one run. */
interface Run {
  readonly dataset: TrainingDataset;
  readonly plan: SplitPlan;
  readonly fitters: PipelineFitters;
  readonly boosting: BoostingSettings;
  readonly trials: number;
  readonly seed: number;
  readonly total: number;
  done: number;
  readonly onProgress: ((progress: TrainProgress) => void) | undefined;
}

function step(run: Run, context: FitContext, message: string): void {
  run.done += 1;
  run.onProgress?.({ done: run.done, total: run.total, phase: context.phase, model: context.model, message });
}

/** A trial's validation predictions per fold, with its score. */
interface TrialOutcome {
  readonly report: TrialReport;
  readonly predictions: readonly Float64Array[];
}

/** A family's search: every trial's report, the chosen one's fold predictions. */
interface SearchOutcome<P> {
  readonly report: SearchReport;
  readonly params: P;
  readonly predictions: readonly Float64Array[];
  readonly bestRounds: readonly number[] | null;
}

function modelSeed(seed: number, trial: number): number {
  return (seed + trial) >>> 0;
}

function gbdtTrial(run: Run, trial: number, params: GbdtSearchParams): TrialOutcome {
  const { dataset, plan, fitters, boosting } = run;
  const predictions: Float64Array[] = [];
  const foldLogLoss: number[] = [];
  const bestRounds: number[] = [];
  for (const fold of plan.splits.folds) {
    const context: FitContext = { phase: "search", model: "gbdt", trial, fold: fold.fold };
    const { earlyStoppingFraction, purgeRows } = plan.report;
    const { fit, earlyStopping } = earlyStoppingSplit(fold.train, earlyStoppingFraction, purgeRows);
    const model = fitters.fitGbdt(
      labelledSlice(dataset, fit),
      {
        ...params,
        objective: "binary",
        nRounds: boosting.maxRounds,
        earlyStoppingRounds: boosting.earlyStoppingRounds,
        seed: modelSeed(run.seed, trial),
      },
      labelledSlice(dataset, earlyStopping),
      context,
    );
    const p = fitters.predictGbdt(model, rowSlice(dataset, fold.validation), context);
    predictions.push(p);
    foldLogLoss.push(binaryMetrics(labelsOf(dataset, fold.validation), Array.from(p)).logLoss);
    bestRounds.push(model.rounds);
    step(run, context, `gbdt trial ${trial + 1}/${run.trials} fold ${fold.fold + 1}/${plan.splits.folds.length}`);
  }
  const report: TrialReport = {
    trial,
    params: { ...params },
    foldLogLoss,
    meanLogLoss: meanOf(foldLogLoss),
    bestRounds,
    converged: null,
  };
  return { report, predictions };
}

function logisticTrial(run: Run, trial: number, params: LogisticSearchParams): TrialOutcome {
  const { dataset, plan, fitters } = run;
  const predictions: Float64Array[] = [];
  const foldLogLoss: number[] = [];
  const converged: boolean[] = [];
  for (const fold of plan.splits.folds) {
    const context: FitContext = { phase: "search", model: "logistic", trial, fold: fold.fold };
    const model = fitters.fitLogistic(
      labelledSlice(dataset, fold.train),
      { ...params, ...LOGISTIC_SOLVER, objective: "binary" },
      context,
    );
    converged.push(model.converged);
    const p = fitters.predictLogistic(model, rowSlice(dataset, fold.validation), context);
    predictions.push(p);
    foldLogLoss.push(binaryMetrics(labelsOf(dataset, fold.validation), Array.from(p)).logLoss);
    step(run, context, `logistic trial ${trial + 1}/${run.trials} fold ${fold.fold + 1}/${plan.splits.folds.length}`);
  }
  const report: TrialReport = {
    trial,
    params: { ...params },
    foldLogLoss,
    meanLogLoss: meanOf(foldLogLoss),
    bestRounds: null,
    converged,
  };
  return { report, predictions };
}

/** Streams of the two searches, mixed into the run's seed: an ensemble searches exactly what each family does. */
const SEARCH_STREAM = { gbdt: 0x5eed0001, logistic: 0x5eed0002 } as const;

function search<P>(
  run: Run,
  model: BaseModelKind,
  draw: (trial: number, random: () => number) => P,
  evaluate: (run: Run, trial: number, params: P) => TrialOutcome,
): SearchOutcome<P> {
  const random = mulberry32((run.seed ^ SEARCH_STREAM[model]) >>> 0);
  const trials: TrialReport[] = [];
  let best: { outcome: TrialOutcome; params: P; index: number } | undefined;
  for (let trial = 0; trial < run.trials; trial += 1) {
    const params = draw(trial, random);
    const outcome = evaluate(run, trial, params);
    trials.push(outcome.report);
    if (best === undefined || outcome.report.meanLogLoss < best.outcome.report.meanLogLoss) {
      best = { outcome, params, index: trial };
    }
  }
  if (best === undefined) throw new RangeError("trainAndEvaluate: trials must be >= 1");
  return {
    report: { model, trials, chosen: best.index },
    params: best.params,
    predictions: best.outcome.predictions,
    bestRounds: best.outcome.report.bestRounds,
  };
}

/** P = w × a + (1 − w) × b, row by row. */
function blend(a: Float64Array, b: Float64Array, weight: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let row = 0; row < a.length; row += 1) out[row] = weight * (a[row] ?? 0) + (1 - weight) * (b[row] ?? 0);
  return out;
}

/** The GBDT weight in 0, 0.05, …, 1 with the lowest mean fold log-loss of the blend (lowest weight on a tie). */
function chooseWeight(run: Run, gbdt: readonly Float64Array[], logistic: readonly Float64Array[]): number {
  let bestWeight = 0;
  let bestLoss = Number.POSITIVE_INFINITY;
  for (let stepIndex = 0; stepIndex <= ENSEMBLE_WEIGHT_STEPS; stepIndex += 1) {
    const weight = stepIndex / ENSEMBLE_WEIGHT_STEPS;
    const losses = run.plan.splits.folds.map((fold, index) => {
      const p = blend(gbdt[index] ?? new Float64Array(0), logistic[index] ?? new Float64Array(0), weight);
      return binaryMetrics(labelsOf(run.dataset, fold.validation), Array.from(p)).logLoss;
    });
    const loss = meanOf(losses);
    if (loss < bestLoss) {
      bestLoss = loss;
      bestWeight = weight;
    }
  }
  return bestWeight;
}

/**
 * P(class 1) of the final model(s) for some rows.
 * @example
 * const pUp = predictFinal(result.model, rows); // what the exported ONNX model must reproduce
 */
export function predictFinal(model: FinalModel, rows: FeatureInput): Float64Array {
  if (model.kind === "gbdt") return predictTrees(model.gbdt, rows);
  if (model.kind === "logistic") return predictLinear(model.logistic, rows);
  return blend(predictTrees(model.gbdt, rows), predictLinear(model.logistic, rows), model.gbdtWeight);
}

function foldReports(run: Run, predictions: readonly Float64Array[]): FoldReport[] {
  const { dataset } = run;
  return run.plan.splits.folds.map((fold, index) => {
    const trainLabels = labelsOf(dataset, fold.train);
    const validationLabels = labelsOf(dataset, fold.validation);
    const p = predictions[index];
    if (p === undefined) throw new Error(`trainAndEvaluate: no predictions for fold ${fold.fold}`);
    const scored = scoredRows(
      validationLabels.length,
      binaryMetrics(validationLabels, Array.from(p)),
      binaryPriorMetrics(trainLabels, validationLabels),
      classFrequencies(trainLabels, 2)[1] ?? 0,
    );
    return {
      fold: fold.fold,
      train: fold.train,
      validation: fold.validation,
      trainTime: timeSpan(dataset, fold.train),
      validationTime: timeSpan(dataset, fold.validation),
      ...scored,
    };
  });
}

function jsonParams(value: object): { [key: string]: JsonValue } {
  return JSON.parse(JSON.stringify(value)) as { [key: string]: JsonValue };
}

/** Each input's importance and share of the total, largest first (ties by name). */
function rankedImportance(dataset: TrainingDataset, values: readonly number[]): { feature: string; importance: number; share: number }[] {
  const total = values.reduce((sum, value) => sum + value, 0);
  return values
    .map((importance, col) => ({ feature: dataset.featureNames[col] ?? `f${col}`, importance, share: total > 0 ? importance / total : 0 }))
    .sort((a, b) => b.importance - a.importance || a.feature.localeCompare(b.feature));
}

function featureImportance(dataset: TrainingDataset, model: TreeEnsembleModel): FeatureImportance[] {
  return rankedImportance(dataset, model.featureImportance).map(({ feature, importance, share }) => ({ feature, gain: importance, share }));
}

/**
 * The manifest's feature importance of the final model: the GBDT's split gains when it has one (alone or in the
 * ensemble), else the logistic model's |coefficient| on standardised inputs, averaged over its margins.
 */
function manifestImportance(dataset: TrainingDataset, model: FinalModel): ManifestFeatureImportance | null {
  if (model.kind !== "logistic") return { method: "gain", features: rankedImportance(dataset, model.gbdt.featureImportance) };
  const margins = model.logistic.standardised.coefficients;
  if (margins.length === 0) return null;
  const perFeature = Array.from({ length: dataset.nCols }, (_, col) => margins.reduce((sum, margin) => sum + Math.abs(margin[col] ?? 0), 0) / margins.length);
  return { method: "standardised-coefficient", features: rankedImportance(dataset, perFeature) };
}

function manifestFolds(folds: readonly FoldReport[]): FoldMetrics[] {
  return folds.map((fold) => ({
    fold: fold.fold,
    train: fold.train,
    validation: fold.validation,
    rows: fold.rows,
    ...fold.model,
    prior: fold.prior,
  }));
}

/**
 * Trains and evaluates one model kind honestly:
 * 1. rows are split by {@link planSplits}: `nFolds` expanding walk-forward folds, each validation window
 *    `purgeRows` (≥ the horizon) after its training rows, then a purge and the held-out tail;
 * 2. a random search of `trials` settings per family (trial 0 = the untuned defaults) is scored by the mean
 *    validation log-loss over the folds only. A GBDT fold fit early-stops on the purged tail of the fold's own
 *    training rows (so its validation score stays out of sample); a logistic fold fit uses all of them;
 * 3. the chosen settings are refit on every row before the held-out purge (GBDT: as many rounds as the mean of the
 *    folds' early-stopping round counts, no early stopping), and that model scores the held-out tail once;
 * 4. an ensemble averages the two families' probabilities with the GBDT weight (0, 0.05, …, 1) that minimises the
 *    mean fold log-loss of the blend of the two chosen trials;
 * 5. every score (log-loss, AUC, Brier, accuracy) stands beside the constant prior of the split's training rows;
 * 6. the verdict: the model beats the prior only when its held-out log-loss gain is at least the promotion margin
 *    (0.0005) and at least 2 standard errors (batch means over blocks of 8 horizons: overlapping labels correlate
 *    neighbouring rows).
 * Returns the final model(s), the chosen settings, the report and a validated manifest draft. Deterministic for a
 * given data set, options and seed (timings and `createdAtMs` aside). Throws a RangeError on bad options.
 * @example
 * const result = trainAndEvaluate({ dataset, model: "gbdt", horizon: 15, trials: 8, seed: 1 });
 * console.log(result.report.verdict.text);
 */
export function trainAndEvaluate(options: TrainOptions): TrainResult {
  const startedMs = performance.now();
  const { dataset, model: kind } = options;
  if (kind !== "gbdt" && kind !== "logistic" && kind !== "ensemble") {
    throw new RangeError(`trainAndEvaluate: model must be gbdt, logistic or ensemble, got ${String(kind)}`);
  }
  const horizon = options.horizon ?? dataset.label.horizonBars;
  if (horizon !== dataset.label.horizonBars) {
    throw new RangeError(
      `trainAndEvaluate: horizon ${horizon} is not the data set's label horizon ${dataset.label.horizonBars}`,
    );
  }
  const trials = options.trials ?? 30;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(trials) || trials < 1) {
    throw new RangeError(`trainAndEvaluate: trials must be an integer >= 1, got ${trials}`);
  }
  if (!Number.isInteger(seed) || seed < 0) {
    throw new RangeError(`trainAndEvaluate: seed must be an integer >= 0, got ${seed}`);
  }
  const boosting: BoostingSettings = { ...DEFAULT_BOOSTING, ...definedEntries(options.boosting ?? {}) };
  const plan = planSplits(dataset.nRows, horizon, options.split ?? {});
  const families: BaseModelKind[] = kind === "ensemble" ? ["gbdt", "logistic"] : [kind];
  const run: Run = {
    dataset,
    plan,
    fitters: options.fitters ?? DEFAULT_FITTERS,
    boosting,
    trials,
    seed,
    total: families.length * (trials * plan.splits.folds.length + 1),
    done: 0,
    onProgress: options.onProgress,
  };

  const gbdtSearch = families.includes("gbdt") ? search(run, "gbdt", drawGbdtParams, gbdtTrial) : null;
  const logisticSearch = families.includes("logistic")
    ? search(run, "logistic", drawLogisticParams, logisticTrial)
    : null;
  const gbdtWeight =
    gbdtSearch !== null && logisticSearch !== null
      ? chooseWeight(run, gbdtSearch.predictions, logisticSearch.predictions)
      : null;
  const searchMs = performance.now() - startedMs;

  const final = fitFinal(run, gbdtSearch, logisticSearch, gbdtWeight);
  const finalMs = performance.now() - startedMs - searchMs;

  const foldPredictions =
    gbdtSearch !== null && logisticSearch !== null && gbdtWeight !== null
      ? gbdtSearch.predictions.map((p, index) => blend(p, logisticSearch.predictions[index] ?? p, gbdtWeight))
      : ((gbdtSearch ?? logisticSearch)?.predictions ?? []);
  const folds = foldReports(run, foldPredictions);
  const heldOut = heldOutReport(run, final);
  const hyperParameters = hyperParametersOf(final.model, run);
  const manifestDraft = validateManifestDraft({
    symbol: dataset.symbol,
    timeframe: dataset.timeframe,
    modelKind: kind,
    featureSpec: { name: dataset.spec.name, version: dataset.spec.version, sha256: dataset.featureSpecSha256 },
    label: { ...dataset.label },
    inputWidth: dataset.nCols,
    classLabels: [...classLabels(dataset.label)],
    trainingWindow: { ...timeSpan(dataset, plan.splits.finalTrain), rows: heldOut.trainRows },
    dataSha256: dataset.dataSha256,
    hyperParameters,
    metrics: {
      folds: manifestFolds(folds),
      heldOut: {
        range: heldOut.report.range,
        rows: heldOut.report.rows,
        ...heldOut.report.model,
        prior: heldOut.report.prior,
        champion: null,
      },
    },
    createdAtMs: Math.floor((options.now ?? Date.now)()),
    trainerVersion: TRAINER_VERSION,
    featureImportance: manifestImportance(dataset, final.model),
  });
  const promotion = decidePromotion({
    candidate: completeManifest(manifestDraft, { version: "candidate" }),
    champion: null,
    target: {
      symbol: dataset.symbol,
      timeframe: dataset.timeframe,
      featureSpecSha256: dataset.featureSpecSha256,
      inputWidth: dataset.nCols,
    },
  });

  const report: TrainingReport = {
    format: REPORT_FORMAT,
    modelKind: kind,
    symbol: dataset.symbol,
    timeframe: dataset.timeframe,
    label: { ...dataset.label },
    featureSpec: manifestDraft.featureSpec,
    dataSha256: dataset.dataSha256,
    dataset: {
      rows: dataset.nRows,
      features: dataset.nCols,
      bars: dataset.summary.bars,
      warmUpBars: dataset.summary.warmUpBars,
      excluded: dataset.summary.excluded,
      byClass: dataset.summary.byClass,
      time: timeSpan(dataset, { from: 0, to: dataset.nRows }),
      sourceUtcOffsetMinutes: dataset.sourceUtcOffsetMinutes,
    },
    split: plan.report,
    search: {
      trials,
      seed,
      gbdt: gbdtSearch?.report ?? null,
      logistic: logisticSearch?.report ?? null,
      gbdtWeight,
    },
    hyperParameters,
    folds,
    heldOut: heldOut.report,
    featureImportance: final.gbdt === null ? null : featureImportance(dataset, final.gbdt.model),
    verdict: heldOut.verdict,
    promotion: {
      code: promotion.code,
      refusals: promotion.refusals.map((refusal) => `${refusal.code}: ${refusal.message}`),
    },
    timings: { searchMs, finalMs, totalMs: performance.now() - startedMs },
  };
  return { model: final.model, chosen: final.chosen, report, manifestDraft, splits: plan.splits };
}

/** A final model of one family and its held-out probabilities. */
interface FinalFit<M> {
  readonly model: M;
  readonly heldOut: Float64Array;
}

/** The final model(s), fit on every row before the held-out purge, each predicting the held-out rows once. */
interface FinalFits {
  readonly model: FinalModel;
  readonly chosen: ChosenParams;
  readonly gbdt: FinalFit<TreeEnsembleModel> | null;
  readonly logistic: FinalFit<LinearModel> | null;
  /** P(class 1) of `model` on the held-out rows. */
  readonly heldOut: Float64Array;
}

function fitFinal(
  run: Run,
  gbdtSearch: SearchOutcome<GbdtSearchParams> | null,
  logisticSearch: SearchOutcome<LogisticSearchParams> | null,
  gbdtWeight: number | null,
): FinalFits {
  const { dataset, fitters } = run;
  const train = labelledSlice(dataset, run.plan.splits.finalTrain);
  const heldOutRows = rowSlice(dataset, run.plan.splits.heldOut);
  const chosenGbdt =
    gbdtSearch === null
      ? null
      : {
          ...gbdtSearch.params,
          nRounds: Math.max(1, Math.round(meanOf(gbdtSearch.bestRounds ?? [1]))),
          seed: modelSeed(run.seed, gbdtSearch.report.chosen),
        };
  let gbdt: FinalFit<TreeEnsembleModel> | null = null;
  if (chosenGbdt !== null) {
    const context: FitContext = { phase: "final", model: "gbdt", trial: null, fold: null };
    const model = fitters.fitGbdt(train, { ...chosenGbdt, objective: "binary" }, undefined, context);
    gbdt = { model, heldOut: fitters.predictGbdt(model, heldOutRows, context) };
    step(run, context, `gbdt final fit (${chosenGbdt.nRounds} rounds)`);
  }
  let logistic: FinalFit<LinearModel> | null = null;
  if (logisticSearch !== null) {
    const context: FitContext = { phase: "final", model: "logistic", trial: null, fold: null };
    const params = { ...logisticSearch.params, ...LOGISTIC_SOLVER, objective: "binary" } as const;
    const model = fitters.fitLogistic(train, params, context);
    logistic = { model, heldOut: fitters.predictLogistic(model, heldOutRows, context) };
    step(run, context, "logistic final fit");
  }
  const chosen: ChosenParams = { gbdt: chosenGbdt, logistic: logisticSearch?.params ?? null, gbdtWeight };
  if (gbdt !== null && logistic !== null && gbdtWeight !== null) {
    const model: FinalModel = { kind: "ensemble", gbdt: gbdt.model, logistic: logistic.model, gbdtWeight };
    return { model, chosen, gbdt, logistic, heldOut: blend(gbdt.heldOut, logistic.heldOut, gbdtWeight) };
  }
  if (gbdt !== null) {
    return { model: { kind: "gbdt", gbdt: gbdt.model }, chosen, gbdt, logistic, heldOut: gbdt.heldOut };
  }
  if (logistic !== null) {
    return { model: { kind: "logistic", logistic: logistic.model }, chosen, gbdt, logistic, heldOut: logistic.heldOut };
  }
  throw new Error("trainAndEvaluate: no model was fit");
}

/** The held-out scores of the final model(s) beside the final training rows' prior, and the verdict on them. */
function heldOutReport(
  run: Run,
  final: FinalFits,
): { readonly report: HeldOutReport; readonly verdict: Verdict; readonly trainRows: number } {
  const { dataset } = run;
  const { finalTrain, heldOut } = run.plan.splits;
  const trainLabels = labelsOf(dataset, finalTrain);
  const labels = labelsOf(dataset, heldOut);
  const priorUp = classFrequencies(trainLabels, 2)[1] ?? 0;
  const report: HeldOutReport = {
    range: heldOut,
    time: timeSpan(dataset, heldOut),
    ...scoredRows(
      labels.length,
      binaryMetrics(labels, Array.from(final.heldOut)),
      binaryPriorMetrics(trainLabels, labels),
      priorUp,
    ),
    components:
      final.model.kind === "ensemble" && final.gbdt !== null && final.logistic !== null
        ? {
            gbdt: binaryMetrics(labels, Array.from(final.gbdt.heldOut)),
            logistic: binaryMetrics(labels, Array.from(final.logistic.heldOut)),
          }
        : null,
  };
  const blockRows = VERDICT_BLOCK_HORIZONS * run.plan.report.horizonBars;
  const standardError = blockedGainStandardError(labels, final.heldOut, priorUp, blockRows);
  return { report, verdict: verdictOf({ ...report, standardError, blockRows }), trainRows: trainLabels.length };
}

/** The manifest's `hyperParameters`: each final model's settings, the ensemble weight, and how they were chosen. */
function hyperParametersOf(model: FinalModel, run: Run): { [key: string]: JsonValue } {
  const selection = {
    search: "random",
    trials: run.trials,
    seed: run.seed,
    score: "mean validation log-loss",
    folds: run.plan.report.nFolds,
    purgeRows: run.plan.report.purgeRows,
    validationRows: run.plan.report.validationRows,
    heldOutFraction: run.plan.report.heldOutFraction,
    gbdtRounds: "mean of the folds' early-stopping round counts",
    earlyStoppingFraction: run.plan.report.earlyStoppingFraction,
    maxRounds: run.boosting.maxRounds,
    earlyStoppingRounds: run.boosting.earlyStoppingRounds,
  };
  const gbdtParams = (gbdt: TreeEnsembleModel) => {
    const { earlyStoppingRounds: _unused, histogramSubtraction: _speed, ...params } = gbdt.params;
    return params;
  };
  const logisticParams = (logistic: LinearModel) => {
    const { memory: _memory, ...params } = logistic.params;
    return { ...params, converged: logistic.converged, iterations: logistic.iterations };
  };
  if (model.kind === "gbdt") return jsonParams({ ...gbdtParams(model.gbdt), selection });
  if (model.kind === "logistic") return jsonParams({ ...logisticParams(model.logistic), selection });
  return jsonParams({
    gbdtWeight: model.gbdtWeight,
    gbdt: gbdtParams(model.gbdt),
    logistic: logisticParams(model.logistic),
    selection,
  });
}
