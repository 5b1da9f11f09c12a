/**
 * The training report: every out-of-sample score beside the constant prior of the same split, as JSON and as a
 * text a person reads, ending with the one verdict that matters (held-out log-loss against the prior).
 */
import type { Timeframe } from "../../core/market/timeframe.js";
import {
  DEFAULT_PROMOTION_POLICY,
  type FeatureSpecRef,
  LOG_LOSS_EPSILON,
  type LabelDefinition,
  type LabelExclusion,
  type MetricSet,
  type ModelKind,
  type PromotionCode,
  type RowRange,
} from "../../core/ml/index.js";
import type { BaseModelKind } from "./fitters.js";

/** JSON values (what `JSON.stringify` writes back as it read). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Identifies the report layout. */
export const REPORT_FORMAT = "aurum-training-report/1";

/** Model minus prior, signed so that positive always means the model is better. */
export interface MetricGain {
  /** prior − model. */
  readonly logLoss: number;
  /** model − prior (the prior's AUC is 0.5). */
  readonly auc: number | null;
  /** prior − model. */
  readonly brier: number;
  /** model − prior. */
  readonly accuracy: number;
}

/** A predictor's scores on some rows beside the constant prior's (class shares of the split's training rows). */
export interface ScoredRows {
  /** Labelled rows scored. */
  readonly rows: number;
  readonly model: MetricSet;
  readonly prior: MetricSet;
  readonly gain: MetricGain;
  /** Share of class 1 among the training rows: the prior's constant prediction. */
  readonly priorUp: number;
}

/** Open times of a row range's first and last bar, epoch ms UTC. */
export interface TimeSpan {
  readonly fromMs: number;
  readonly toMs: number;
}

/** One walk-forward fold of the chosen settings. */
export interface FoldReport extends ScoredRows {
  readonly fold: number;
  /** Rows the fold's prior comes from and its model was fit on (GBDT: minus a purged early-stopping tail). */
  readonly train: RowRange;
  readonly validation: RowRange;
  readonly trainTime: TimeSpan;
  readonly validationTime: TimeSpan;
}

/** The held-out tail, scored once by the final model. */
export interface HeldOutReport extends ScoredRows {
  readonly range: RowRange;
  readonly time: TimeSpan;
  /** Ensemble only: each component's own held-out scores (reported, never used to choose anything). */
  readonly components: { readonly gbdt: MetricSet; readonly logistic: MetricSet } | null;
}

/** One trial of a random search, scored on the validation folds only. */
export interface TrialReport {
  readonly trial: number;
  readonly params: Readonly<Record<string, number>>;
  /** Validation log-loss per fold. */
  readonly foldLogLoss: readonly number[];
  /** Mean of `foldLogLoss`: what the search minimises. */
  readonly meanLogLoss: number;
  /** GBDT: the early-stopping best round count (best round + 1) per fold; null for logistic. */
  readonly bestRounds: readonly number[] | null;
  /** Logistic: whether each fold's L-BFGS met its tolerance; null for GBDT. */
  readonly converged: readonly boolean[] | null;
}

/** One model family's search. */
export interface SearchReport {
  readonly model: BaseModelKind;
  readonly trials: readonly TrialReport[];
  /** Index in `trials` of the chosen trial (lowest mean validation log-loss, earliest on a tie). */
  readonly chosen: number;
}

/** Gain-based importance of a feature in the final GBDT. */
export interface FeatureImportance {
  readonly feature: string;
  /** Total split gain of the feature over the final model's trees. */
  readonly gain: number;
  /** `gain` over the total gain of all features. */
  readonly share: number;
}

/** The answer to "does the model beat the constant prior out of sample?". */
export interface Verdict {
  /** True when the held-out log-loss gain is at least `margin` and at least `zScore` standard errors. */
  readonly beatsPrior: boolean;
  /** Held-out prior log-loss − model log-loss. */
  readonly gain: number;
  /** Standard error of `gain` by batch means over `blockRows`-row blocks (see {@link blockedGainStandardError}). */
  readonly standardError: number;
  readonly blockRows: number;
  /** Least gain that counts: the promotion rule's `minImprovement`. */
  readonly margin: number;
  /** Standard errors the gain must clear. */
  readonly zScore: number;
  readonly text: string;
}

/** How the rows were split. */
export interface SplitReport {
  readonly horizonBars: number;
  readonly purgeRows: number;
  readonly nFolds: number;
  readonly validationRows: number;
  readonly minTrainRows: number;
  readonly heldOutFraction: number;
  /** GBDT fold fits: share of a fold's training rows (its tail) used for early stopping, after a purge. */
  readonly earlyStoppingFraction: number;
  readonly finalTrain: RowRange;
  readonly heldOutPurge: RowRange;
  readonly heldOut: RowRange;
}

/** The current champion scored on the candidate's held-out rows (gain signed so that positive favours the candidate). */
export interface ChampionScores {
  readonly rows: number;
  /** The champion's scores on the held-out rows. */
  readonly champion: MetricSet;
  /** champion − candidate for log-loss and Brier, candidate − champion for AUC and accuracy. */
  readonly gain: MetricGain;
}

/** The registry's champion at training time, beside the candidate (set when the trainer uploads). */
export interface ChampionComparison {
  /** Version of the champion the registry named. */
  readonly version: string;
  /** Its scores on the held-out rows; null when it could not be scored (see `notScoredBecause`). */
  readonly scored: ChampionScores | null;
  /** Why the champion was not scored (another feature spec, label or timeframe); null when it was. */
  readonly notScoredBecause: string | null;
}

/** Everything a training run measured. Row ranges index the data set's rows (see `dataset`). */
export interface TrainingReport {
  readonly format: typeof REPORT_FORMAT;
  readonly modelKind: ModelKind;
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly label: LabelDefinition;
  readonly featureSpec: FeatureSpecRef;
  readonly dataSha256: string;
  readonly dataset: {
    readonly rows: number;
    readonly features: number;
    readonly bars: number;
    readonly warmUpBars: number;
    readonly excluded: Readonly<Record<LabelExclusion, number>>;
    readonly byClass: readonly number[];
    readonly time: TimeSpan;
    /** Minutes east of UTC the input's times were read in; null when unknown (bars given in UTC). */
    readonly sourceUtcOffsetMinutes: number | null;
  };
  readonly split: SplitReport;
  readonly search: {
    readonly trials: number;
    readonly seed: number;
    readonly gbdt: SearchReport | null;
    readonly logistic: SearchReport | null;
    /** Ensemble only: weight of the GBDT probability (the logistic gets 1 − it), chosen on the validation folds. */
    readonly gbdtWeight: number | null;
  };
  /** The final model's settings (as in the manifest). */
  readonly hyperParameters: { readonly [key: string]: JsonValue };
  /** Walk-forward folds of the chosen settings, oldest first. */
  readonly folds: readonly FoldReport[];
  readonly heldOut: HeldOutReport;
  /** Final GBDT (of the ensemble too), by gain, largest first; null for logistic. */
  readonly featureImportance: readonly FeatureImportance[] | null;
  readonly verdict: Verdict;
  /** decidePromotion on the manifest draft with no champion: PROMOTE or the first refusal. */
  readonly promotion: { readonly code: PromotionCode; readonly refusals: readonly string[] };
  readonly timings: { readonly searchMs: number; readonly finalMs: number; readonly totalMs: number };
  /** The registry's champion on the same held-out rows; absent or null when none was asked for or there was none. */
  readonly champion?: ChampionComparison | null;
}

/**
 * Model vs prior on the same rows, and the signed gains.
 * @example
 * const scored = scoredRows(1_000, modelMetrics, priorMetrics, 0.49);
 */
export function scoredRows(rows: number, model: MetricSet, prior: MetricSet, priorUp: number): ScoredRows {
  return {
    rows,
    model,
    prior,
    gain: {
      logLoss: prior.logLoss - model.logLoss,
      auc: model.auc === null || prior.auc === null ? null : model.auc - prior.auc,
      brier: prior.brier - model.brier,
      accuracy: model.accuracy - prior.accuracy,
    },
    priorUp,
  };
}

/** Standard errors a held-out gain must clear to count (one-sided, about 97.7 % under the null of no gain). */
export const VERDICT_Z_SCORE = 2;

/** Rows per block of the batch-means standard error, in label horizons: overlapping labels correlate rows. */
export const VERDICT_BLOCK_HORIZONS = 8;

function rowLogLoss(label: number, p: number): number {
  const clipped = Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, p));
  return -Math.log(label === 1 ? clipped : 1 - clipped);
}

/**
 * Standard error of the log-loss gain of a model over the constant prior `priorUp` on the same rows, by batch
 * means: the rows are cut into consecutive blocks of about `blockRows` (at least 2 blocks), and the error is the
 * standard deviation of the blocks' mean gains over √blocks. Blocks longer than the label horizon absorb the
 * correlation that overlapping labels (and volatility clusters) put between neighbouring rows, which an
 * independent-rows error would ignore. NaN with fewer than 2 rows.
 * @example
 * const se = blockedGainStandardError(labels, pUp, 0.495, 120);
 */
export function blockedGainStandardError(
  labels: readonly number[],
  probabilities: ArrayLike<number>,
  priorUp: number,
  blockRows: number,
): number {
  const n = labels.length;
  if (n < 2) return Number.NaN;
  const blocks = Math.max(2, Math.floor(n / Math.max(1, blockRows)));
  const means: number[] = [];
  for (let block = 0; block < blocks; block += 1) {
    const from = Math.floor((block * n) / blocks);
    const to = Math.floor(((block + 1) * n) / blocks);
    let sum = 0;
    for (let row = from; row < to; row += 1) {
      const label = labels[row] ?? 0;
      sum += rowLogLoss(label, priorUp) - rowLogLoss(label, probabilities[row] ?? Number.NaN);
    }
    means.push(sum / (to - from));
  }
  const centre = means.reduce((total, value) => total + value, 0) / blocks;
  const variance = means.reduce((total, value) => total + (value - centre) ** 2, 0) / (blocks - 1);
  return Math.sqrt(variance / blocks);
}

/** What a verdict is decided on. */
export interface VerdictEvidence {
  readonly rows: number;
  readonly model: MetricSet;
  readonly prior: MetricSet;
  /** See {@link blockedGainStandardError}. */
  readonly standardError: number;
  readonly blockRows: number;
}

/**
 * The verdict on held-out scores: the model beats the prior only when its log-loss is lower by at least `margin`
 * (default the promotion rule's 0.0005 nats) and by at least {@link VERDICT_Z_SCORE} standard errors, so that
 * neither a noise-sized gain nor a lucky tail counts.
 * @example
 * verdictOf(evidence).text; // "beats the prior out of sample by 0.00123 log-loss (…)" or "does NOT beat …"
 */
export function verdictOf(
  evidence: VerdictEvidence,
  margin: number = DEFAULT_PROMOTION_POLICY.minImprovement,
): Verdict {
  const { rows, model, prior, standardError, blockRows } = evidence;
  const zScore = VERDICT_Z_SCORE;
  const gain = prior.logLoss - model.logLoss;
  const beatsPrior = gain > 0 && gain >= margin && gain >= zScore * standardError;
  const figures =
    `held-out log-loss ${model.logLoss.toFixed(5)} vs prior ${prior.logLoss.toFixed(5)} ` +
    `on ${rows.toLocaleString("en-US")} rows`;
  const errors = gain / standardError;
  const text = beatsPrior
    ? `beats the prior out of sample by ${gain.toFixed(5)} log-loss (${errors.toFixed(1)} s.e.; ${figures})`
    : gain >= margin
      ? `does NOT beat the prior out of sample: its gain of ${gain.toFixed(5)} log-loss is ${errors.toFixed(1)} s.e. ` +
        `(± ${standardError.toFixed(5)}), within noise (${zScore} s.e. needed; ${figures})`
      : `does NOT beat the prior out of sample (${figures}; gain ${signed(gain, 5)} ± ${standardError.toFixed(5)} ` +
        `s.e., at least ${margin} and ${zScore} s.e. needed)`;
  return { beatsPrior, gain, standardError, blockRows, margin, zScore, text };
}

function signed(value: number | null, digits: number): string {
  if (value === null) return "-";
  const text = value.toFixed(digits);
  return value > 0 ? `+${text}` : text;
}

function fixed(value: number | null, digits: number): string {
  return value === null ? "-" : value.toFixed(digits);
}

function utcOffset(minutes: number | null): string {
  if (minutes === null) return "UTC, given as such";
  const sign = minutes < 0 ? "-" : "+";
  const hours = String(Math.floor(Math.abs(minutes) / 60)).padStart(2, "0");
  return `UTC${sign}${hours}:${String(Math.abs(minutes) % 60).padStart(2, "0")}`;
}

function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

/** A plain-text table: the first row is the header; columns right-aligned except the first and `leftColumns`. */
function table(rows: readonly (readonly string[])[], leftColumns: readonly number[] = []): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, col) => (widths[col] = Math.max(widths[col] ?? 0, cell.length)));
  const pad = (cell: string, col: number) =>
    col === 0 || leftColumns.includes(col) ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0);
  const line = (row: readonly string[]) => row.map(pad).join("  ").trimEnd();
  const [header, ...body] = rows;
  if (header === undefined) return "";
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [line(header), rule, ...body.map(line)].join("\n");
}

const SCORE_HEADER = [
  "split",
  "rows",
  "logloss",
  "prior",
  "gain",
  "AUC",
  "prior",
  "gain",
  "Brier",
  "prior",
  "gain",
  "accuracy",
  "prior",
  "gain",
] as const;

function scoreCells(name: string, scored: ScoredRows): string[] {
  const { model, prior, gain } = scored;
  return [
    name,
    scored.rows.toLocaleString("en-US"),
    fixed(model.logLoss, 5),
    fixed(prior.logLoss, 5),
    signed(gain.logLoss, 5),
    fixed(model.auc, 4),
    fixed(prior.auc, 4),
    signed(gain.auc, 4),
    fixed(model.brier, 5),
    fixed(prior.brier, 5),
    signed(gain.brier, 5),
    fixed(model.accuracy, 4),
    fixed(prior.accuracy, 4),
    signed(gain.accuracy, 4),
  ];
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
}

/** GBDT: early-stopping round counts per fold; logistic: folds whose solver converged. */
function foldDetail(trial: TrialReport): string {
  if (trial.bestRounds !== null) return trial.bestRounds.join("/");
  if (trial.converged !== null) return `${trial.converged.filter(Boolean).length}/${trial.converged.length}`;
  return "-";
}

function searchLines(search: SearchReport): string[] {
  const ranked = search.trials
    .map((trial, index) => ({ trial, index }))
    .sort((a, b) => a.trial.meanLogLoss - b.trial.meanLogLoss || a.index - b.index);
  const rows = ranked.slice(0, 5).map(({ trial, index }) => [
    `${index === search.chosen ? "*" : " "} trial ${trial.trial}${trial.trial === 0 ? " (untuned)" : ""}`,
    trial.meanLogLoss.toFixed(5),
    foldDetail(trial),
    Object.entries(trial.params)
      .map(([key, value]) => `${key}=${value}`)
      .join(" "),
  ]);
  const untuned = search.trials[0];
  const lines = [
    `${search.model} search: ${search.trials.length} trials, best ${Math.min(5, search.trials.length)} by mean ` +
      "validation log-loss (* = chosen)",
    table([["trial", "mean logloss", search.model === "gbdt" ? "rounds/fold" : "converged", "settings"], ...rows], [3]),
  ];
  if (untuned !== undefined && search.chosen !== 0) {
    lines.push(`untuned (trial 0) mean validation log-loss: ${untuned.meanLogLoss.toFixed(5)}`);
  }
  return lines;
}

/** The candidate, the champion and the prior side by side on the held-out rows, or why the champion was not scored. */
function championLines(report: TrainingReport): string[] {
  const comparison = report.champion;
  if (comparison === undefined || comparison === null) return [];
  if (comparison.scored === null) {
    return [
      `champion ${comparison.version}: not scored on the held-out rows (${comparison.notScoredBecause ?? "unknown"}); ` +
        "the registry refuses promotion with CHAMPION_NOT_EVALUATED unless forced",
    ];
  }
  const { champion, gain, rows } = comparison.scored;
  const { model, prior } = report.heldOut;
  const cells = (name: string, metrics: MetricSet) => [
    name,
    fixed(metrics.logLoss, 5),
    fixed(metrics.auc, 4),
    fixed(metrics.brier, 5),
    fixed(metrics.accuracy, 4),
  ];
  const margin = DEFAULT_PROMOTION_POLICY.minImprovement;
  return [
    `held-out rows (${rows.toLocaleString("en-US")}), candidate beside the champion ${comparison.version} and the prior`,
    table([
      ["predictor", "logloss", "AUC", "Brier", "accuracy"],
      cells("candidate", model),
      cells("champion", champion),
      cells("prior", prior),
      ["gain over champion", signed(gain.logLoss, 5), signed(gain.auc, 4), signed(gain.brier, 5), signed(gain.accuracy, 4)],
    ]),
    `the registry's promotion gate needs a held-out log-loss gain over the champion of at least ${margin}; ` +
      `this candidate's is ${signed(gain.logLoss, 5)}`,
  ];
}

/** How {@link renderTextReport} renders. */
export interface TextReportOptions {
  /**
   * Include the wall-clock line (search, final fit and total seconds); default true. Off for files that must be
   * byte-identical across runs (the committed demo model's report).
   */
  readonly timings?: boolean;
}

/**
 * The report as text: data and split, the searches, per-fold and held-out scores beside the prior, the top-10
 * features by gain, the champion beside the candidate (when the report has one), then the verdict line.
 * @example
 * console.log(renderTextReport(result.report));
 */
export function renderTextReport(report: TrainingReport, options: TextReportOptions = {}): string {
  const { dataset, split, heldOut } = report;
  const lines: string[] = [];
  lines.push(
    `${report.symbol} ${report.timeframe} ${report.modelKind} — label: ${report.label.classes} direction over ` +
      `${report.label.horizonBars} bars (no-trade band ${report.label.noTradeBandSpreads} spreads)`,
    `data sha256 ${report.dataSha256} (times read at ${utcOffset(dataset.sourceUtcOffsetMinutes)})`,
    `feature spec ${report.featureSpec.name}@${report.featureSpec.version} sha256 ${report.featureSpec.sha256}`,
    `rows ${dataset.rows.toLocaleString("en-US")} × ${dataset.features} features from ` +
      `${dataset.bars.toLocaleString("en-US")} bars (${dataset.warmUpBars} warm-up, excluded: ` +
      `${Object.entries(dataset.excluded)
        .map(([reason, count]) => `${count} ${reason}`)
        .join(", ")}), ${isoMinute(dataset.time.fromMs)} → ${isoMinute(dataset.time.toMs)} UTC, ` +
      `up ${dataset.byClass[1] ?? 0} / down ${dataset.byClass[0] ?? 0}`,
    `split: ${split.nFolds} expanding walk-forward folds of ${split.validationRows.toLocaleString("en-US")} ` +
      `validation rows (first fold trains on ${split.minTrainRows.toLocaleString("en-US")}), purge ` +
      `${split.purgeRows} rows (horizon ${split.horizonBars}) before every validation window and the held-out tail; ` +
      `final model fit on rows [${split.finalTrain.from}, ${split.finalTrain.to}), held-out rows ` +
      `[${split.heldOut.from}, ${split.heldOut.to}) (${Math.round(split.heldOutFraction * 100)} %), ` +
      `${isoMinute(heldOut.time.fromMs)} → ${isoMinute(heldOut.time.toMs)} UTC`,
    "",
  );
  for (const search of [report.search.gbdt, report.search.logistic]) {
    if (search !== null) lines.push(...searchLines(search), "");
  }
  if (report.search.gbdtWeight !== null) {
    const weight = report.search.gbdtWeight;
    const rest = Number((1 - weight).toFixed(2));
    lines.push(`ensemble: P = ${weight} × P(gbdt) + ${rest} × P(logistic), the weight chosen on the folds`, "");
  }
  lines.push(`chosen settings: ${JSON.stringify(report.hyperParameters)}`, "");
  lines.push(
    "scores (gain = model better than the prior when positive; the prior is the class share of each split's " +
      "training rows)",
  );
  const foldRows = report.folds.map((fold) => scoreCells(`fold ${fold.fold}`, fold));
  const meanFold = [
    "fold mean",
    "",
    fixed(mean(report.folds.map((fold) => fold.model.logLoss)), 5),
    fixed(mean(report.folds.map((fold) => fold.prior.logLoss)), 5),
    signed(mean(report.folds.map((fold) => fold.gain.logLoss)), 5),
    ...new Array<string>(9).fill(""),
  ];
  lines.push(table([[...SCORE_HEADER], ...foldRows, meanFold, scoreCells("HELD-OUT", heldOut)]));
  if (heldOut.components !== null) {
    const { gbdt, logistic } = heldOut.components;
    lines.push(
      `held-out components: gbdt logloss ${gbdt.logLoss.toFixed(5)} AUC ${fixed(gbdt.auc, 4)}, logistic logloss ` +
        `${logistic.logLoss.toFixed(5)} AUC ${fixed(logistic.auc, 4)}`,
    );
  }
  lines.push(
    "fold scores are of the settings the search chose on those same folds (optimistic); the held-out tail was " +
      "never fit, tuned or selected on and is scored once.",
    "",
  );
  if (report.featureImportance !== null) {
    lines.push("top-10 features by gain (final GBDT)");
    const top = report.featureImportance.slice(0, 10).map((entry, rank) => [
      `${rank + 1}. ${entry.feature}`,
      entry.gain.toFixed(3),
      `${(entry.share * 100).toFixed(1)} %`,
    ]);
    lines.push(table([["feature", "gain", "share"], ...top]), "");
  }
  if (report.champion !== undefined && report.champion !== null) lines.push(...championLines(report), "");
  const promotionScope =
    report.champion === undefined || report.champion === null
      ? "no champion"
      : "against the prior only; the registry's gate also compares the champion";
  lines.push(`promotion (${promotionScope}): ${report.promotion.code}`);
  for (const refusal of report.promotion.refusals) lines.push(`  ${refusal}`);
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  if (options.timings !== false) {
    lines.push(
      `time: search ${seconds(report.timings.searchMs)} s, final fit ${seconds(report.timings.finalMs)} s, total ` +
        `${seconds(report.timings.totalMs)} s`,
    );
  }
  lines.push("", `VERDICT: ${report.modelKind} ${report.verdict.text}`);
  return `${lines.join("\n")}\n`;
}

/**
 * The report as pretty JSON (numbers as JavaScript prints them: they read back to the same doubles).
 * @example
 * writeFileSync("report.json", reportJson(result.report));
 */
export function reportJson(report: TrainingReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
