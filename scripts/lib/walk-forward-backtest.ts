/**
 * Walk-forward backtests: `backtest --walk-forward` (per fold, a model trained by the project's trainer on the bars
 * before it, scored on the fold and traded there, the folds chained into one report) and the report and summary of
 * `optimize` (core/backtest/optimizer.ts does the search).
 */
import { featureBarFromSource, XAU_M1_CORE_SPEC } from "../../core/features/index.js";
import { pathBar } from "../../core/backtest/path-bar.js";
import {
  anchoredFolds,
  runChained,
  type ChainedFoldInput,
  type ChainedRun,
  type GridPoint,
  type OptimizeResult,
  type OosSummary,
  type RiskParams,
  type RunSummary,
  type WalkForwardFoldRange,
} from "../../core/backtest/optimizer.js";
import type { Instrument } from "../../core/instruments/instrument.js";
import type { SourceBar } from "../../core/market/tick-path.js";
import {
  binaryMetrics,
  binaryPriorMetrics,
  DEFAULT_LABEL_DEFINITION,
  labelBars,
  type MetricSet,
  type ModelKind,
  type ModelManifest,
  type RowRange,
} from "../../core/ml/index.js";
import type { InstrumentTradingConfig, RiskLimits } from "../../core/schemas/trading.js";
import type { ModelSignalInput } from "../../core/trading/instrument-trader.js";
import { finalArtifacts } from "../../training/pipeline/artifacts.js";
import { buildDataset, sha256Hex } from "../../training/pipeline/dataset.js";
import type { TrainingReport } from "../../training/pipeline/report.js";
import { trainAndEvaluate } from "../../training/pipeline/train.js";
import { modelSignals } from "./model-signals.js";

// ---------------------------------------------------------------------------------------------------------------
// Training a fold's model

/** How each fold's model is trained (train-cli's flags of the same names). */
export interface FoldTrainingOptions {
  /** Model family; logistic is the fastest. */
  readonly model: ModelKind;
  /** Random-search trials per family, trial 0 being the untuned defaults. */
  readonly trials: number;
  readonly seed: number;
  /** Label horizon, bars. */
  readonly horizonBars: number;
  /** Clock of the manifests' `createdAtMs` (and so of their versions); default `Date.now`. */
  readonly now?: () => number;
}

/** Logistic, 1 trial (the untuned defaults), seed 1, the default 15-bar horizon. */
export const DEFAULT_FOLD_TRAINING: FoldTrainingOptions = Object.freeze({
  model: "logistic",
  trials: 1,
  seed: 1,
  horizonBars: DEFAULT_LABEL_DEFINITION.horizonBars,
});

/** A fold's trained model: what the registry would take, and the trainer's report. */
export interface FoldModel {
  readonly manifest: ModelManifest;
  readonly onnx: Uint8Array;
  readonly report: TrainingReport;
  /** Bars the model was trained on (the fold's in-sample range). */
  readonly trainRange: RowRange;
  /** Share of up labels among its training rows (the prior's constant prediction). */
  readonly priorUp: number;
  /** The training rows' labels (for the prior on the fold's bars). */
  readonly trainLabels: readonly number[];
  readonly trainMs: number;
}

/**
 * SHA-256 of bars as `tsMs,open,high,low,close,tickVolume,spreadPoints` lines: a fold's model is trained on part of a
 * file, so its manifest's `dataSha256` pins those bars, not the file's bytes.
 */
export function barsSha256(bars: readonly SourceBar[]): string {
  const lines = bars.map((bar) => `${bar.tsMs},${bar.open},${bar.high},${bar.low},${bar.close},${bar.tickVolume},${bar.spreadPoints}`);
  return sha256Hex(`${lines.join("\n")}\n`);
}

/**
 * Trains a model on `bars[range]` with the trainer train-cli runs (training/pipeline: features and labels by
 * buildDataset, the purged walk-forward search, the refit, the held-out verdict, finalArtifacts' manifest and ONNX).
 * Only these bars are read: a label whose forward bar lies past the range has no forward bar and is left out, so
 * nothing after the range reaches the model. As with `npm run train`, the final model is fit on the rows before the
 * trainer's own held-out tail (its last 30 %), which gives the verdict.
 * @example const model = trainFoldModel(bars, { from: 0, to: 20_000 }, "XAUUSD", DEFAULT_FOLD_TRAINING);
 */
export function trainFoldModel(bars: readonly SourceBar[], range: RowRange, symbol: string, options: FoldTrainingOptions): FoldModel {
  const startedMs = performance.now();
  const trainBars = bars.slice(range.from, range.to);
  const dataset = buildDataset(trainBars.map(featureBarFromSource), {
    symbol,
    spec: XAU_M1_CORE_SPEC,
    label: { ...DEFAULT_LABEL_DEFINITION, horizonBars: options.horizonBars },
    dataSha256: barsSha256(trainBars),
  });
  const result = trainAndEvaluate({
    dataset,
    model: options.model,
    horizon: options.horizonBars,
    trials: options.trials,
    seed: options.seed,
    now: options.now,
  });
  const { manifest, onnx, report } = finalArtifacts(result);
  const trainLabels = Array.from(dataset.labels);
  const up = trainLabels.filter((label) => label === 1).length;
  return { manifest, onnx, report, trainRange: range, priorUp: up / trainLabels.length, trainLabels, trainMs: performance.now() - startedMs };
}

/** How a fold's model classified the fold's own bars (labels reading a bar past the fold are left out). */
export interface FoldClassification {
  readonly rows: number;
  readonly model: MetricSet;
  /** The constant prior of the model's training rows, on the same rows. */
  readonly prior: MetricSet;
  /** prior − model log-loss: positive when the model beats the prior on the fold. */
  readonly logLossGain: number;
}

/**
 * Signals of `model` for every bar up to `range.to` (features from bar 0, as the platform would have computed them
 * running continuously; only the bars in `range` are traded on), and the model's classification scores on the range.
 */
export async function foldSignals(
  bars: readonly SourceBar[],
  range: RowRange,
  model: FoldModel,
  instrument: Pick<Instrument, "pointSize" | "digits">,
): Promise<{ readonly signals: (ModelSignalInput | null)[]; readonly classification: FoldClassification | null }> {
  const signals = await modelSignals(bars.slice(0, range.to).map((bar) => pathBar(bar, instrument)), {
    version: model.manifest.version,
    classLabels: model.manifest.classLabels,
    onnx: model.onnx,
  });
  const foldBars = bars.slice(range.from, range.to).map(featureBarFromSource);
  const labelled = labelBars(foldBars, model.manifest.label, { pointSize: XAU_M1_CORE_SPEC.parameters.pointSize, timeframe: XAU_M1_CORE_SPEC.parameters.timeframe });
  const labels: number[] = [];
  const probabilities: number[] = [];
  labelled.forEach((row, offset) => {
    const signal = signals[range.from + offset];
    if (row.label === undefined || signal === null || signal === undefined) return;
    labels.push(row.label);
    probabilities.push(signal.buyProbability);
  });
  if (labels.length === 0) return { signals, classification: null };
  const scored = binaryMetrics(labels, probabilities);
  const prior = binaryPriorMetrics(model.trainLabels, labels);
  return { signals, classification: { rows: labels.length, model: scored, prior, logLossGain: prior.logLoss - scored.logLoss } };
}

// ---------------------------------------------------------------------------------------------------------------
// backtest --walk-forward

/** What {@link runWalkForwardBacktest} takes. */
export interface WalkForwardInput {
  readonly bars: readonly SourceBar[];
  readonly instrument: Pick<Instrument, "symbol" | "digits" | "pointSize" | "contractSize">;
  readonly trading: InstrumentTradingConfig;
  readonly limits: RiskLimits;
  readonly initialBalanceUsd: number;
  /** Out-of-sample folds ({@link anchoredFolds}: `nFolds + 1` blocks, the first one in-sample only). */
  readonly nFolds: number;
  /** Model strategy: how each fold's model is trained; default {@link DEFAULT_FOLD_TRAINING}. */
  readonly training?: FoldTrainingOptions;
  /** One line per step (training, scoring, backtesting). */
  readonly log?: (line: string) => void;
  /** Bars backtested so far of the out-of-sample total. */
  readonly onProgress?: (barsDone: number, barsTotal: number) => void;
}

/** One fold of a walk-forward backtest. */
export interface WalkForwardFoldReport {
  readonly fold: WalkForwardFoldRange;
  /** The fold's model (model strategy), without its ONNX bytes; null for ema-cross. */
  readonly model: {
    readonly version: string;
    readonly kind: ModelKind;
    readonly trainBars: number;
    readonly trainRows: number;
    /** The trainer's held-out log-loss of the model and of its prior, and its verdict. */
    readonly heldOut: { readonly rows: number; readonly logLoss: number; readonly priorLogLoss: number; readonly auc: number | null };
    readonly verdict: string;
    readonly beatsPrior: boolean;
    readonly trainMs: number;
    /** Bars of the fold with a signal. */
    readonly signals: number;
    readonly classification: FoldClassification | null;
  } | null;
}

/** What {@link runWalkForwardBacktest} returns. */
export interface WalkForwardBacktest {
  readonly folds: readonly WalkForwardFoldReport[];
  /** The folds' models with their ONNX bytes (model strategy), for writing next to the report. */
  readonly models: readonly FoldModel[];
  readonly chain: ChainedRun;
}

/**
 * Walk-forward backtest over anchored folds. Model strategy: for each fold, a model is trained on every bar before
 * the fold ({@link trainFoldModel}), scores bars up to the fold's end ({@link foldSignals}) and the fold is backtested
 * on its signals. ema-cross: the same folds without training (the rule strategy has nothing to fit). Either way the
 * folds run chained (core/backtest/optimizer.ts runChained: each from a fresh strategy and account holding the
 * balance the previous fold ended with) into one out-of-sample history; the first block is never traded.
 */
export async function runWalkForwardBacktest(input: WalkForwardInput): Promise<WalkForwardBacktest> {
  const { bars, instrument, trading, limits } = input;
  const folds = anchoredFolds(bars.length, input.nFolds, 1);
  const log = input.log ?? (() => undefined);
  const training = input.training ?? DEFAULT_FOLD_TRAINING;
  const reports: WalkForwardFoldReport[] = [];
  const models: FoldModel[] = [];
  const chainedFolds: ChainedFoldInput[] = [];
  for (const fold of folds) {
    if (trading.strategy.kind !== "model") {
      reports.push({ fold, model: null });
      chainedFolds.push({ range: fold.outOfSample, trading, limits });
      continue;
    }
    let model: FoldModel;
    try {
      model = trainFoldModel(bars, fold.inSample, instrument.symbol, training);
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      throw new RangeError(`fold ${fold.fold}: training on bars [${fold.inSample.from}, ${fold.inSample.to}) failed: ${message}`, { cause: error });
    }
    const scored = await foldSignals(bars, fold.outOfSample, model, instrument);
    const signals = scored.signals;
    let signalCount = 0;
    for (let index = fold.outOfSample.from; index < fold.outOfSample.to; index++) if (signals[index] !== null) signalCount += 1;
    const heldOut = model.report.heldOut;
    reports.push({
      fold,
      model: {
        version: model.manifest.version,
        kind: model.manifest.modelKind,
        trainBars: fold.inSample.to - fold.inSample.from,
        trainRows: model.manifest.trainingWindow.rows,
        heldOut: { rows: heldOut.rows, logLoss: heldOut.model.logLoss, priorLogLoss: heldOut.prior.logLoss, auc: heldOut.model.auc },
        verdict: model.report.verdict.text,
        beatsPrior: model.report.verdict.beatsPrior,
        trainMs: Math.round(model.trainMs),
        signals: signalCount,
        classification: scored.classification,
      },
    });
    models.push(model);
    const gain = scored.classification === null ? "n/a" : scored.classification.logLossGain.toFixed(5);
    log(
      `fold ${fold.fold}: trained ${model.manifest.version} on ${(fold.inSample.to - fold.inSample.from).toLocaleString("en-US")} bars ` +
        `in ${(model.trainMs / 1000).toFixed(1)} s (held-out verdict: ${model.report.verdict.beatsPrior ? "beats" : "does not beat"} the prior); ` +
        `${signalCount.toLocaleString("en-US")} signals on the fold, log-loss gain over the prior there ${gain}`,
    );
    chainedFolds.push({ range: fold.outOfSample, trading, limits, signalAt: (index: number) => signals[index] ?? null });
  }
  const barsTotal = folds.reduce((sum, fold) => sum + fold.outOfSample.to - fold.outOfSample.from, 0);
  input.onProgress?.(0, barsTotal);
  const chain = runChained({
    bars,
    instrument,
    initialBalanceUsd: input.initialBalanceUsd,
    folds: chainedFolds,
    onProgress: (done) => input.onProgress?.(done, barsTotal),
  });
  return { folds: reports, models, chain };
}

/**
 * The `walkForward` section of a walk-forward report.json: the fold layout, each fold's ranges (bars and UTC times),
 * balances, figures, denials and model.
 */
export function walkForwardSection(bars: readonly SourceBar[], result: WalkForwardBacktest) {
  return {
    mode: "anchored",
    folds: result.folds.length,
    definition:
      "bars cut into folds + 1 equal consecutive blocks; fold k trains (model strategy) on blocks 0..k and trades block k + 1; " +
      "folds run back to back, each from a fresh strategy and account holding the previous fold's final balance",
    perFold: result.folds.map((report, index) => {
      const run = result.chain.folds[index];
      return {
        fold: report.fold.fold,
        inSample: rangeInfo(bars, report.fold.inSample),
        outOfSample: rangeInfo(bars, report.fold.outOfSample),
        startBalanceUsd: run?.startBalanceUsd ?? null,
        endBalanceUsd: run?.endBalanceUsd ?? null,
        trades: run?.metrics.trades ?? null,
        returnPct: run?.metrics.returnPct ?? null,
        maxDrawdownPct: run?.metrics.maxDrawdownPct ?? null,
        sharpe: run?.metrics.sharpe ?? null,
        deniedByCode: run?.deniedByCode ?? {},
        model: report.model,
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// optimize: report and summary

/** A bar range with its bar count and the UTC open times of its first and last bar. */
export function rangeInfo(bars: readonly SourceBar[], range: RowRange) {
  return {
    from: range.from,
    to: range.to,
    bars: range.to - range.from,
    fromTime: new Date((bars[range.from] as SourceBar).tsMs).toISOString(),
    toTime: new Date((bars[range.to - 1] as SourceBar).tsMs).toISOString(),
  };
}

/** The definitions written into optimize.json and the usage text. */
export const OPTIMIZE_DEFINITIONS = Object.freeze({
  folds:
    "anchored walk-forward: the bars are cut into folds + 1 equal consecutive blocks; fold k chooses on blocks 0..k " +
    "(in-sample, expanding) and is scored on block k + 1 (out-of-sample, strictly after). Every run starts from a fresh " +
    "account of the initial balance and a fresh strategy; positions are closed at a run's last bar.",
  objective:
    "return over max drawdown: returnPct / max(maxDrawdownPct, riskPct). Invariant to scaling every trade, so riskPct " +
    "wins only where the limits or lot rounding change the path; penalises returns bought with deep drawdowns; the " +
    "riskPct floor (one stop-out) stops a near-zero drawdown from dividing by ~0. A losing run scores in [-1, 0), no trades 0.",
  inSampleChoice: "per fold, the grid point with the best in-sample objective (ties: the lower grid index).",
  walkForward:
    "the honest out-of-sample estimate: each fold trades its in-sample choice on its out-of-sample block; the folds " +
    "run back to back, each from a fresh account holding the balance the previous one ended with.",
  robustChoice:
    "the grid point with the best median out-of-sample objective across the folds (ties: mean, then worst fold). " +
    "It is chosen by looking at the out-of-sample scores: a recommendation, not an unbiased estimate.",
  distance:
    "from the full-period in-sample best to the robust choice: grid steps per dimension, parameter deltas, and " +
    "sqrt(sum((steps / (values - 1))^2)) (1 = one dimension end to end).",
  optimism:
    "fullPeriodScoreGap = full-period objective of the full-period best minus that of the robust choice; " +
    "oosMedianGap = robust median OOS objective minus the full-period best's; meanOosRankOfInSampleBest and " +
    "foldsInWorseHalf (share of folds whose in-sample best ranked in the worse half out of sample).",
  limits:
    "the platform's risk limits (defaults or --config), sizing replaced by each point's fixed-fractional riskPct: " +
    "the choice is made under the limits it will trade with; every run's denials are in runs.*.deniedByCode.",
});

function paramsOf(point: GridPoint): RiskParams {
  return { stopAtr: point.stopAtr, targetAtr: point.targetAtr, riskPct: point.riskPct };
}

/** What the optimize report says about its inputs. */
export interface OptimizeReportContext {
  readonly generatedAt: string;
  readonly bars: readonly SourceBar[];
  /** Written as given, with the data file, base trading config and limits…. */
  readonly config: { readonly symbol: string; readonly strategy: string; readonly [key: string]: unknown };
  readonly elapsedMs: number;
}

/**
 * optimize.json: definitions, the grid, per fold the in-sample best and its out-of-sample score, the walk-forward
 * path, the robust choice, the full-period best, their distance and the optimism figures, every run's summary and
 * the denials.
 */
export function optimizeReport(result: OptimizeResult, context: OptimizeReportContext) {
  const { bars } = context;
  const { selection, points, walkForward } = result;
  const point = (index: number) => points[index] as GridPoint;
  const oos = (summary: OosSummary) => ({ median: summary.median, mean: summary.mean, worst: summary.worst, positiveFolds: summary.positiveFolds, perFold: summary.perFold });
  const deniedByCode: Record<string, number> = {};
  let runsWithDenials = 0;
  const allRuns: RunSummary[] = [...result.fullPeriod, ...result.inSample.flat(), ...result.outOfSample.flat()];
  for (const run of allRuns) {
    if (run.denied > 0) runsWithDenials += 1;
    for (const [code, count] of Object.entries(run.deniedByCode)) deniedByCode[code] = (deniedByCode[code] ?? 0) + count;
  }
  const robust = selection.robustChoice;
  const best = selection.fullPeriodBest;
  const whole = rangeInfo(bars, { from: 0, to: bars.length });
  return {
    format: "aurum-optimize/1",
    generatedAt: context.generatedAt,
    config: { ...context.config, from: whole.fromTime, to: whole.toTime, bars: bars.length, folds: result.folds.length, foldMode: "anchored", grid: result.grid },
    definitions: OPTIMIZE_DEFINITIONS,
    grid: points,
    folds: result.folds.map((fold) => {
      const chosen = selection.folds[fold.fold];
      if (chosen === undefined) throw new Error(`optimizeReport: no selection for fold ${fold.fold}`);
      const chain = walkForward.folds[fold.fold];
      return {
        fold: fold.fold,
        inSample: rangeInfo(bars, fold.inSample),
        outOfSample: rangeInfo(bars, fold.outOfSample),
        chosen: { index: chosen.chosenIndex, ...paramsOf(point(chosen.chosenIndex)) },
        inSampleRanking: chosen.inSampleRanking,
        inSampleScore: chosen.inSampleScore,
        outOfSampleScore: chosen.outOfSampleScore,
        outOfSampleRank: chosen.outOfSampleRank,
        outOfSamplePercentile: chosen.outOfSamplePercentile,
        inSampleRun: result.inSample[fold.fold]?.[chosen.chosenIndex],
        outOfSampleRun: result.outOfSample[fold.fold]?.[chosen.chosenIndex],
        walkForward: chain === undefined ? null : {
          startBalanceUsd: chain.startBalanceUsd,
          endBalanceUsd: chain.endBalanceUsd,
          returnPct: chain.metrics.returnPct,
          maxDrawdownPct: chain.metrics.maxDrawdownPct,
          trades: chain.metrics.trades,
          deniedByCode: chain.deniedByCode,
        },
      };
    }),
    walkForward: {
      metrics: walkForward.metrics,
      returnOverMaxDrawdown: walkForward.metrics.maxDrawdownPct > 0 ? walkForward.metrics.returnPct / walkForward.metrics.maxDrawdownPct : null,
      deniedByCode: walkForward.deniedByCode,
    },
    robustChoice: { index: robust.index, ...paramsOf(point(robust.index)), oos: oos(robust), fullPeriodRun: result.fullPeriod[robust.index] },
    fullPeriodBest: { index: best.index, ...paramsOf(point(best.index)), score: best.score, oos: oos(best.oos), fullPeriodRun: result.fullPeriod[best.index] },
    distance: selection.distance,
    optimism: selection.optimism,
    denials: { byCode: deniedByCode, runsWithDenials, runs: allRuns.length },
    runs: { fullPeriod: result.fullPeriod, inSample: result.inSample, outOfSample: result.outOfSample },
    run: {
      backtests: result.work.backtests,
      barsSimulated: result.work.bars,
      elapsedMs: Math.round(context.elapsedMs),
      barsPerSecond: Math.round(result.work.bars / Math.max(0.001, context.elapsedMs / 1000)),
    },
  };
}

/** optimize.json's shape. */
export type OptimizeReport = ReturnType<typeof optimizeReport>;

const fixed = (value: number | null | undefined, digits = 2) => (value === null || value === undefined ? "n/a" : value.toFixed(digits));
const paramsText = (p: RiskParams) => `${p.stopAtr}/${p.targetAtr ?? "none"}/${p.riskPct}`;
const countsText = (counts: Readonly<Record<string, number>>) => {
  const entries = Object.entries(counts).filter(([, count]) => count > 0);
  return entries.length === 0 ? "none" : entries.map(([code, count]) => `${code} ${count.toLocaleString("en-US")}`).join(", ");
};
const pad = (cells: readonly string[], widths: readonly number[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd();

/** The short text summary `optimize` prints: one row per fold, then the aggregate, the robust choice and the optimism. */
export function renderOptimizeSummary(report: OptimizeReport): string {
  const header = ["fold", "in-sample", "out-of-sample", "IS best s/t/r", "IS score", "OOS score", "OOS rank", "OOS ret %", "OOS DD %", "trades", "denied IS/OOS"];
  const widths = [4, 24, 24, 14, 8, 9, 8, 9, 8, 6, 13];
  const day = (iso: string) => iso.slice(5, 10);
  const lines = [
    `${String(report.config.symbol)} ${String(report.config.strategy)}: ${report.config.bars.toLocaleString("en-US")} bars ${report.config.from.slice(0, 10)} to ${report.config.to.slice(0, 10)}, ` +
      `${report.folds.length} anchored folds, ${report.grid.length} grid points (stopAtr/targetAtr/riskPct), objective return % / max(max DD %, risk %)`,
    "",
    pad(header, widths),
  ];
  for (const fold of report.folds) {
    lines.push(
      pad(
        [
          String(fold.fold),
          `${day(fold.inSample.fromTime)}..${day(fold.inSample.toTime)} ${fold.inSample.bars.toLocaleString("en-US")}`,
          `${day(fold.outOfSample.fromTime)}..${day(fold.outOfSample.toTime)} ${fold.outOfSample.bars.toLocaleString("en-US")}`,
          paramsText(fold.chosen),
          fixed(fold.inSampleScore, 3),
          fixed(fold.outOfSampleScore, 3),
          `${fold.outOfSampleRank}/${report.grid.length}`,
          fixed(fold.outOfSampleRun?.returnPct),
          fixed(fold.outOfSampleRun?.maxDrawdownPct),
          String(fold.outOfSampleRun?.trades ?? "n/a"),
          `${fold.inSampleRun?.denied ?? "n/a"}/${fold.outOfSampleRun?.denied ?? "n/a"}`,
        ],
        widths,
      ),
    );
  }
  const wf = report.walkForward;
  const robust = report.robustChoice;
  const best = report.fullPeriodBest;
  const { distance, optimism } = report;
  lines.push(
    "",
    `walk-forward path (out of sample, chained): return ${fixed(wf.metrics.returnPct)} %, max DD ${fixed(wf.metrics.maxDrawdownPct)} %, ` +
      `return/DD ${fixed(wf.returnOverMaxDrawdown, 3)}, Sharpe ${fixed(wf.metrics.sharpe)}, ${wf.metrics.trades} trades, denied: ${countsText(wf.deniedByCode)}`,
    `robust choice ${paramsText(robust)}: OOS median ${fixed(robust.oos.median, 3)} (mean ${fixed(robust.oos.mean, 3)}, worst ${fixed(robust.oos.worst, 3)}, ` +
      `${robust.oos.positiveFolds}/${report.folds.length} folds positive); full period score ${fixed(robust.fullPeriodRun?.score, 3)}, return ${fixed(robust.fullPeriodRun?.returnPct)} %`,
    `full-period best ${paramsText(best)}: full period score ${fixed(best.score, 3)}, return ${fixed(best.fullPeriodRun?.returnPct)} %, ` +
      `max DD ${fixed(best.fullPeriodRun?.maxDrawdownPct)} %; its OOS median ${fixed(best.oos.median, 3)}`,
    `distance best -> robust: steps stop ${distance.steps.stopAtr}, target ${distance.steps.targetAtr}, risk ${distance.steps.riskPct}; normalised ${fixed(distance.normalized, 3)}`,
    `optimism: full-period score gap ${fixed(optimism.fullPeriodScoreGap, 3)}, OOS median gap ${fixed(optimism.oosMedianGap, 3)}, ` +
      `mean OOS rank of the in-sample best ${fixed(optimism.meanOosRankOfInSampleBest, 1)}/${report.grid.length} (chance ${fixed((report.grid.length + 1) / 2, 1)}), ` +
      `folds in the worse half ${fixed(optimism.foldsInWorseHalf * 100, 0)} %`,
    `denials: ${countsText(report.denials.byCode)} (${report.denials.runsWithDenials} of ${report.denials.runs} runs)`,
    `${report.run.backtests} backtests, ${report.run.barsSimulated.toLocaleString("en-US")} bars in ${fixed(report.run.elapsedMs / 1000, 1)} s ` +
      `(${report.run.barsPerSecond.toLocaleString("en-US")} bars/s)`,
  );
  return `${lines.join("\n")}\n`;
}
