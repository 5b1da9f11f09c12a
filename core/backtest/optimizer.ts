/**
 * Risk-parameter optimisation by anchored walk-forward: fold splits, the stopAtr × targetAtr × riskPct grid, the
 * objective, in-sample selection scored out of sample, the robust choice and its distance from the full-period best.
 * Pure and deterministic: the backtests it runs are core/backtest's own, on bars given as a parameter.
 */
import type { Instrument } from "../instruments/instrument.js";
import type { SourceBar } from "../market/tick-path.js";
import type { RowRange } from "../ml/walk-forward.js";
import {
  InstrumentTradingConfigSchema,
  type InstrumentTradingConfig,
  type RiskEvent,
  type RiskLimits,
  type Trade,
} from "../schemas/trading.js";
import type { ModelSignalInput } from "../trading/instrument-trader.js";
import { computeMetrics, type BacktestMetrics, type EquityPoint } from "./metrics.js";
import { runBacktest, type BacktestResult } from "./run-backtest.js";

// ---------------------------------------------------------------------------------------------------------------
// Fold splits

/**
 * One walk-forward fold over bar indices (half-open {@link RowRange}s, as core/ml/walk-forward.ts): parameters are
 * chosen on `inSample` and scored on `outOfSample`, which starts exactly where `inSample` ends.
 */
export interface WalkForwardFoldRange {
  /** Fold number, 0 for the oldest out-of-sample block. */
  readonly fold: number;
  /** Bars the fold chooses on: always from bar 0 (an anchored, expanding window). */
  readonly inSample: RowRange;
  /** Bars the fold's choice is scored on: the next block. */
  readonly outOfSample: RowRange;
}

/**
 * Anchored (expanding) walk-forward folds: the bars are cut into `nFolds + 1` consecutive blocks of equal size (±1
 * bar); fold k chooses on blocks 0…k and is scored on block k + 1. The first block is therefore in-sample only and
 * every later bar is out of sample exactly once. No purge is needed between the windows: each backtest starts from a
 * fresh account and cold indicators, so nothing computed on in-sample bars reaches the out-of-sample run (a model
 * trained on the in-sample bars only sees labels whose forward bar is in-sample too, see training/pipeline).
 * Throws a RangeError when a block would hold fewer than `minBlockBars` bars.
 * @param minBlockBars smallest block, bars (default 1)
 * @example
 * anchoredFolds(600, 2);
 * // [{ fold: 0, inSample: { from: 0, to: 200 }, outOfSample: { from: 200, to: 400 } },
 * //  { fold: 1, inSample: { from: 0, to: 400 }, outOfSample: { from: 400, to: 600 } }]
 */
export function anchoredFolds(nBars: number, nFolds: number, minBlockBars = 1): WalkForwardFoldRange[] {
  if (!Number.isInteger(nFolds) || nFolds < 1) throw new RangeError(`anchoredFolds: folds must be an integer >= 1, got ${nFolds}`);
  if (!Number.isInteger(nBars) || nBars < 0) throw new RangeError(`anchoredFolds: bars must be an integer >= 0, got ${nBars}`);
  const blocks = nFolds + 1;
  const boundary = (block: number) => Math.floor((block * nBars) / blocks);
  const smallest = Math.floor(nBars / blocks);
  if (smallest < minBlockBars) {
    throw new RangeError(
      `anchoredFolds: ${nBars} bars in ${blocks} blocks (${nFolds} folds + the first in-sample block) give ${smallest} ` +
        `bars per block, fewer than ${minBlockBars}`,
    );
  }
  return Array.from({ length: nFolds }, (_, fold) => ({
    fold,
    inSample: { from: 0, to: boundary(fold + 1) },
    outOfSample: { from: boundary(fold + 1), to: boundary(fold + 2) },
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// The grid

/** The parameters searched: exits as ATR multiples of the signal bar, sizing as fixed-fractional risk. */
export interface RiskParams {
  /** Stop-loss distance, ATR multiples (InstrumentTradingConfig exits.stopAtr). */
  readonly stopAtr: number;
  /** Take-profit distance, ATR multiples; null: no target (exits.targetAtr). */
  readonly targetAtr: number | null;
  /** Equity risked between entry and stop, percent (RiskLimits sizing fixed-fractional riskPct). */
  readonly riskPct: number;
}

/** One grid point: its parameters and its position in {@link enumerateGrid}'s order. */
export interface GridPoint extends RiskParams {
  readonly index: number;
}

/** The values of each dimension; the grid is their Cartesian product. */
export interface RiskGridSpec {
  readonly stopAtr: readonly number[];
  readonly targetAtr: readonly (number | null)[];
  readonly riskPct: readonly number[];
}

/** The values searched by default: 5 stops × 4 targets × 3 risk levels = 60 points. */
export const DEFAULT_RISK_GRID: RiskGridSpec = Object.freeze({
  stopAtr: Object.freeze([1, 1.5, 2, 2.5, 3]),
  targetAtr: Object.freeze([1.5, 2, 3, 4]),
  riskPct: Object.freeze([0.25, 0.5, 1]),
});

const GRID_BOUNDS = { stopAtr: 100, targetAtr: 100, riskPct: 10 } as const;

/** Values ascending, `null` (no target) last. */
function ascending<T extends number | null>(values: readonly T[]): T[] {
  return [...values].sort((a, b) => (a === null ? 1 : b === null ? -1 : a - b));
}

/**
 * The grid spec with each dimension sorted ascending (`null` last) after checking it: non-empty, no duplicates,
 * every value finite in (0, bound] with the schema's bounds (stopAtr, targetAtr ≤ 100, riskPct ≤ 10).
 * Throws a RangeError naming the dimension.
 * @example normaliseGrid({ stopAtr: [2, 1], targetAtr: [null, 3], riskPct: [0.5] }); // { stopAtr: [1, 2], targetAtr: [3, null], riskPct: [0.5] }
 */
export function normaliseGrid(spec: RiskGridSpec): RiskGridSpec {
  for (const name of ["stopAtr", "targetAtr", "riskPct"] as const) {
    const values: readonly (number | null)[] = spec[name];
    if (values.length === 0) throw new RangeError(`grid: ${name} has no value`);
    if (new Set(values).size !== values.length) throw new RangeError(`grid: ${name} has a duplicate value (${values.join(", ")})`);
    for (const value of values) {
      if (value === null && name === "targetAtr") continue;
      if (value === null || !Number.isFinite(value) || value <= 0 || value > GRID_BOUNDS[name]) {
        throw new RangeError(`grid: ${name} values must be numbers in (0, ${GRID_BOUNDS[name]}], got ${String(value)}`);
      }
    }
  }
  return { stopAtr: ascending(spec.stopAtr), targetAtr: ascending(spec.targetAtr), riskPct: ascending(spec.riskPct) };
}

/**
 * Every point of the grid (after {@link normaliseGrid}), stopAtr outermost, riskPct innermost; `index` is the position.
 * @example
 * enumerateGrid({ stopAtr: [1, 2], targetAtr: [3], riskPct: [0.5, 1] }).map((p) => [p.stopAtr, p.riskPct]);
 * // [[1, 0.5], [1, 1], [2, 0.5], [2, 1]]
 */
export function enumerateGrid(spec: RiskGridSpec): GridPoint[] {
  const grid = normaliseGrid(spec);
  const points: GridPoint[] = [];
  for (const stopAtr of grid.stopAtr) {
    for (const targetAtr of grid.targetAtr) {
      for (const riskPct of grid.riskPct) points.push({ index: points.length, stopAtr, targetAtr, riskPct });
    }
  }
  return points;
}

// ---------------------------------------------------------------------------------------------------------------
// Objective, ranking, robust choice, distance

/**
 * The objective every run is ranked by: return over max drawdown, returnPct ÷ max(maxDrawdownPct, riskPct) (a MAR
 * ratio). Why: net P&L rewards leverage (with a positive edge the highest riskPct always wins, and one lucky run
 * decides); return over drawdown is unchanged when every trade is scaled by the same factor, so riskPct only wins
 * where it genuinely changes the path — the production limits (daily loss, drawdown halt, notional) and lot
 * rounding — and a path that got its return through a deep drawdown ranks below a smooth one. The drawdown is
 * floored at riskPct (one full stop-out) so that a run with a handful of lucky trades and almost no drawdown cannot
 * divide by ~0. A losing run scores in [−1, 0) (its drawdown is at least its loss), a run without trades 0: not
 * trading ranks above losing.
 * @example returnOverDrawdown(6, 3, 0.5); // 2
 */
export function returnOverDrawdown(returnPct: number, maxDrawdownPct: number, riskPct: number): number {
  if (!(riskPct > 0)) throw new RangeError(`returnOverDrawdown: riskPct must be > 0, got ${riskPct}`);
  return returnPct / Math.max(maxDrawdownPct, riskPct);
}

/**
 * Indices of `scores`, best (highest) first; equal scores keep the lower index first (the earlier grid point).
 * @example rankIndices([0.5, 2, 0.5, -1]); // [1, 0, 2, 3]
 */
export function rankIndices(scores: readonly number[]): number[] {
  return scores.map((_, index) => index).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}

/** 1 + the number of scores strictly above `scores[index]`: 1 is the best, ties share a rank. */
export function rankOf(scores: readonly number[], index: number): number {
  const own = scores[index] as number;
  return 1 + scores.filter((score) => score > own).length;
}

/**
 * Median of the values (the mean of the middle two for an even count). Throws on an empty list.
 * @example median([3, 1, 2, 10]); // 2.5
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median: no value");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** One grid point's out-of-sample scores across the folds. */
export interface OosSummary {
  readonly index: number;
  /** Score per fold, oldest first. */
  readonly perFold: readonly number[];
  readonly median: number;
  readonly mean: number;
  /** Lowest fold score. */
  readonly worst: number;
  /** Folds with a score above 0 (a positive return). */
  readonly positiveFolds: number;
}

/**
 * Per grid point, its out-of-sample scores over the folds. `table[fold][point]`; every row must have one score per
 * point.
 * @example summariseOos([[1, 2], [3, 0]])[0]; // { index: 0, perFold: [1, 3], median: 2, mean: 2, worst: 1, positiveFolds: 2 }
 */
export function summariseOos(table: readonly (readonly number[])[]): OosSummary[] {
  const nPoints = requireTable("summariseOos", table);
  return Array.from({ length: nPoints }, (_, index) => {
    const perFold = table.map((row) => row[index] as number);
    return {
      index,
      perFold,
      median: median(perFold),
      mean: perFold.reduce((sum, score) => sum + score, 0) / perFold.length,
      worst: Math.min(...perFold),
      positiveFolds: perFold.filter((score) => score > 0).length,
    };
  });
}

function requireTable(name: string, table: readonly (readonly number[])[]): number {
  const nPoints = table[0]?.length ?? 0;
  if (table.length === 0 || nPoints === 0) throw new RangeError(`${name}: empty score table`);
  table.forEach((row, fold) => {
    if (row.length !== nPoints) throw new RangeError(`${name}: fold ${fold} has ${row.length} scores, expected ${nPoints}`);
    row.forEach((score, index) => {
      if (!Number.isFinite(score)) throw new RangeError(`${name}: fold ${fold} point ${index} has a non-finite score`);
    });
  });
  return nPoints;
}

/**
 * The robust choice: the grid point with the best median out-of-sample score across the folds (one lucky fold
 * cannot carry it, as it can a mean); ties go to the better mean, then the better worst fold, then the lower index.
 * Note that it is chosen by looking at the out-of-sample folds, so its own out-of-sample figures are not an
 * unbiased estimate; the walk-forward path (each fold trading its in-sample choice) is.
 * @example chooseRobust([[1, 5, 2], [1, -3, 2], [1, 4, 0]]).index; // 2 (medians 1, 4, 2)
 */
export function chooseRobust(table: readonly (readonly number[])[]): OosSummary {
  const summaries = summariseOos(table);
  let best = summaries[0] as OosSummary;
  for (const candidate of summaries.slice(1)) {
    const better =
      candidate.median !== best.median ? candidate.median > best.median
      : candidate.mean !== best.mean ? candidate.mean > best.mean
      : candidate.worst > best.worst;
    if (better) best = candidate;
  }
  return best;
}

/** How far two grid points are apart. */
export interface ParameterDistance {
  /** Difference b − a per dimension in grid steps (positions in the sorted value list; "no target" is after the largest). */
  readonly steps: { readonly stopAtr: number; readonly targetAtr: number; readonly riskPct: number };
  /** Difference b − a per dimension in the parameter's own unit; targetAtr null when either has no target. */
  readonly delta: { readonly stopAtr: number; readonly targetAtr: number | null; readonly riskPct: number };
  /**
   * √Σ (steps ÷ (values − 1))² over the dimensions with more than one value: 0 for the same point, 1 from one end of
   * one dimension to its other end, at most √3.
   */
  readonly normalized: number;
}

/**
 * The distance from grid point `a` to grid point `b` within `spec` (both must be points of the grid).
 * @example
 * parameterDistance({ stopAtr: 1, targetAtr: 2, riskPct: 1 }, { stopAtr: 3, targetAtr: 2, riskPct: 1 },
 *   { stopAtr: [1, 2, 3], targetAtr: [2], riskPct: [1] }).normalized; // 1
 */
export function parameterDistance(a: RiskParams, b: RiskParams, spec: RiskGridSpec): ParameterDistance {
  const grid = normaliseGrid(spec);
  const position = <T extends number | null>(name: keyof RiskGridSpec, values: readonly T[], value: T) => {
    const found = values.indexOf(value);
    if (found < 0) throw new RangeError(`parameterDistance: ${name} ${String(value)} is not a grid value`);
    return found;
  };
  const steps = {
    stopAtr: position("stopAtr", grid.stopAtr, b.stopAtr) - position("stopAtr", grid.stopAtr, a.stopAtr),
    targetAtr: position("targetAtr", grid.targetAtr, b.targetAtr) - position("targetAtr", grid.targetAtr, a.targetAtr),
    riskPct: position("riskPct", grid.riskPct, b.riskPct) - position("riskPct", grid.riskPct, a.riskPct),
  };
  let sum = 0;
  for (const name of ["stopAtr", "targetAtr", "riskPct"] as const) {
    const span = grid[name].length - 1;
    if (span > 0) sum += (steps[name] / span) ** 2;
  }
  return {
    steps,
    delta: {
      stopAtr: b.stopAtr - a.stopAtr,
      targetAtr: a.targetAtr === null || b.targetAtr === null ? null : b.targetAtr - a.targetAtr,
      riskPct: b.riskPct - a.riskPct,
    },
    normalized: Math.sqrt(sum),
  };
}

/** One fold's in-sample choice and how it fared out of sample. */
export interface FoldSelection {
  readonly fold: number;
  /** Grid index of the in-sample best (= `inSampleRanking[0]`). */
  readonly chosenIndex: number;
  /** Grid indices by in-sample score, best first. */
  readonly inSampleRanking: readonly number[];
  readonly inSampleScore: number;
  /** The chosen point's score on the fold's out-of-sample bars. */
  readonly outOfSampleScore: number;
  /** Its rank among every grid point's out-of-sample score of the fold, 1 = best. */
  readonly outOfSampleRank: number;
  /** (points − rank) ÷ (points − 1): 1 = the best of the grid out of sample, 0 = the worst (1 for a one-point grid). */
  readonly outOfSamplePercentile: number;
}

/** The selection a walk-forward search makes from its score tables. */
export interface WalkForwardSelection {
  readonly folds: readonly FoldSelection[];
  /** Per grid point, its out-of-sample scores over the folds. */
  readonly oosByPoint: readonly OosSummary[];
  /** See {@link chooseRobust}. */
  readonly robustChoice: OosSummary;
  /** The point with the best score over the whole period (ties: lower index), with its out-of-sample scores. */
  readonly fullPeriodBest: { readonly index: number; readonly score: number; readonly oos: OosSummary };
  /** From the full-period best to the robust choice. */
  readonly distance: ParameterDistance;
  /** How much in-sample selection flatters. */
  readonly optimism: {
    /** Full-period score of the full-period best − that of the robust choice (≥ 0): what fitting the whole period adds. */
    readonly fullPeriodScoreGap: number;
    /** Median out-of-sample score of the robust choice − that of the full-period best (≥ 0). */
    readonly oosMedianGap: number;
    /** Mean out-of-sample rank of the folds' in-sample best (1 = best; (points + 1) ÷ 2 is what chance gives). */
    readonly meanOosRankOfInSampleBest: number;
    /**
     * Share of folds whose in-sample best ranked in the worse half out of sample (percentile < 0.5): an estimate of
     * the probability of backtest overfitting; about 0.5 when the in-sample ranking carries no information.
     */
    readonly foldsInWorseHalf: number;
  };
}

/**
 * From the score tables (`inSample[fold][point]`, `outOfSample[fold][point]`, `fullPeriod[point]`): per fold the
 * in-sample best and its out-of-sample score and rank; the robust choice; the full-period best; their distance and
 * the optimism figures.
 * @example
 * const selection = selectWalkForward({ grid, points, inSample, outOfSample, fullPeriod });
 * selection.folds[0].chosenIndex; // the best in-sample point of fold 0
 */
export function selectWalkForward(input: {
  readonly grid: RiskGridSpec;
  readonly points: readonly GridPoint[];
  readonly inSample: readonly (readonly number[])[];
  readonly outOfSample: readonly (readonly number[])[];
  readonly fullPeriod: readonly number[];
}): WalkForwardSelection {
  const { points } = input;
  const nPoints = requireTable("selectWalkForward", input.inSample);
  if (requireTable("selectWalkForward", input.outOfSample) !== nPoints || input.inSample.length !== input.outOfSample.length) {
    throw new RangeError("selectWalkForward: in-sample and out-of-sample tables differ in shape");
  }
  if (points.length !== nPoints || input.fullPeriod.length !== nPoints) {
    throw new RangeError(`selectWalkForward: ${points.length} grid points and ${input.fullPeriod.length} full-period scores for ${nPoints}-point tables`);
  }
  const folds = input.inSample.map((scores, fold): FoldSelection => {
    const inSampleRanking = rankIndices(scores);
    const chosenIndex = inSampleRanking[0] as number;
    const oos = input.outOfSample[fold] as readonly number[];
    const outOfSampleRank = rankOf(oos, chosenIndex);
    return {
      fold,
      chosenIndex,
      inSampleRanking,
      inSampleScore: scores[chosenIndex] as number,
      outOfSampleScore: oos[chosenIndex] as number,
      outOfSampleRank,
      outOfSamplePercentile: nPoints === 1 ? 1 : (nPoints - outOfSampleRank) / (nPoints - 1),
    };
  });
  const oosByPoint = summariseOos(input.outOfSample);
  const robustChoice = chooseRobust(input.outOfSample);
  const bestIndex = rankIndices(input.fullPeriod)[0] as number;
  const fullPeriodBest = { index: bestIndex, score: input.fullPeriod[bestIndex] as number, oos: oosByPoint[bestIndex] as OosSummary };
  return {
    folds,
    oosByPoint,
    robustChoice,
    fullPeriodBest,
    distance: parameterDistance(points[bestIndex] as GridPoint, points[robustChoice.index] as GridPoint, input.grid),
    optimism: {
      fullPeriodScoreGap: fullPeriodBest.score - (input.fullPeriod[robustChoice.index] as number),
      oosMedianGap: robustChoice.median - fullPeriodBest.oos.median,
      meanOosRankOfInSampleBest: folds.reduce((sum, fold) => sum + fold.outOfSampleRank, 0) / folds.length,
      foldsInWorseHalf: folds.filter((fold) => fold.outOfSamplePercentile < 0.5).length / folds.length,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Running segments

/** The common inputs of one backtest over a range of bars. */
export interface SegmentInput {
  /** All bars, oldest first; the run sees only `range`. */
  readonly bars: readonly SourceBar[];
  readonly range: RowRange;
  readonly instrument: Pick<Instrument, "symbol" | "digits" | "pointSize" | "contractSize">;
  readonly trading: InstrumentTradingConfig;
  readonly limits: RiskLimits;
  readonly initialBalanceUsd: number;
  /** Model strategy: the signal of bar `index` of `bars` (the whole series, not the range). */
  readonly signalAt?: (index: number) => ModelSignalInput | null;
  /** Bars done within the range. */
  readonly onProgress?: (barsDone: number) => void;
}

/** One range's backtest with its metrics. */
export interface SegmentRun {
  readonly result: BacktestResult;
  /** The run's equity curve (time-ordered). */
  readonly equity: EquityPoint[];
  readonly metrics: BacktestMetrics;
}

/**
 * Backtests bars `range` from a fresh account of `initialBalanceUsd` and a fresh strategy (indicators warm up on the
 * range's first bars); open positions are closed at the range's last quote.
 * @example const { metrics } = runSegment({ bars, range: { from: 0, to: 10_000 }, instrument, trading, limits, initialBalanceUsd: 100_000 });
 */
export function runSegment(input: SegmentInput): SegmentRun {
  const { range, signalAt } = input;
  if (!(Number.isInteger(range.from) && Number.isInteger(range.to) && range.from >= 0 && range.from < range.to && range.to <= input.bars.length)) {
    throw new RangeError(`runSegment: bar range [${range.from}, ${range.to}) is empty or outside the ${input.bars.length} bars`);
  }
  const result = runBacktest({
    bars: input.bars.slice(range.from, range.to),
    instrument: input.instrument,
    trading: input.trading,
    limits: input.limits,
    initialBalanceUsd: input.initialBalanceUsd,
    signalAt: signalAt ? (index) => signalAt(range.from + index) : undefined,
    onProgress: input.onProgress,
    progressEveryBars: 20_000,
  });
  const equity = result.equity;
  return { result, equity, metrics: computeMetrics(result.trades, equity, input.initialBalanceUsd) };
}

/** The figures of one run kept in an optimisation report. */
export interface RunSummary {
  readonly range: RowRange;
  /** The objective ({@link returnOverDrawdown}). */
  readonly score: number;
  readonly returnPct: number;
  readonly maxDrawdownPct: number;
  readonly netPnlUsd: number;
  readonly trades: number;
  readonly winRatePct: number | null;
  readonly profitFactor: number | null;
  readonly sharpe: number | null;
  /** Orders the account refused, by denial code. */
  readonly deniedByCode: Readonly<Record<string, number>>;
  /** Σ deniedByCode. */
  readonly denied: number;
}

/** The summary of a run at risk `riskPct`. */
export function summariseRun(range: RowRange, run: SegmentRun, riskPct: number): RunSummary {
  const { metrics, result } = run;
  return {
    range,
    score: returnOverDrawdown(metrics.returnPct, metrics.maxDrawdownPct, riskPct),
    returnPct: metrics.returnPct,
    maxDrawdownPct: metrics.maxDrawdownPct,
    netPnlUsd: metrics.netPnlUsd,
    trades: metrics.trades,
    winRatePct: metrics.winRatePct,
    profitFactor: metrics.profitFactor,
    sharpe: metrics.sharpe,
    deniedByCode: { ...result.deniedByCode },
    denied: sumCounts(result.deniedByCode),
  };
}

function sumCounts(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/** Adds `counts` into `total`. */
export function addCounts(total: Record<string, number>, counts: Readonly<Record<string, number>>): void {
  for (const [code, count] of Object.entries(counts)) total[code] = (total[code] ?? 0) + count;
}

/** The base trading config with a grid point's exits. */
export function tradingFor(base: InstrumentTradingConfig, params: RiskParams): InstrumentTradingConfig {
  return InstrumentTradingConfigSchema.parse({ ...base, exits: { ...base.exits, stopAtr: params.stopAtr, targetAtr: params.targetAtr } });
}

/** The base limits with a grid point's fixed-fractional sizing. */
export function limitsFor(base: RiskLimits, params: RiskParams): RiskLimits {
  return { ...base, sizing: { kind: "fixed-fractional", riskPct: params.riskPct } };
}

// ---------------------------------------------------------------------------------------------------------------
// Chained out-of-sample runs

/** One fold of a chained run: its bars and the configuration it trades with. */
export interface ChainedFoldInput {
  readonly range: RowRange;
  readonly trading: InstrumentTradingConfig;
  readonly limits: RiskLimits;
  /** Model strategy: the signal of bar `index` of the whole series. */
  readonly signalAt?: (index: number) => ModelSignalInput | null;
}

/** One fold of a chained run. */
export interface ChainedFoldRun {
  readonly range: RowRange;
  /** Balance the fold started with: the previous fold's end (all positions are closed at a fold's end). */
  readonly startBalanceUsd: number;
  readonly endBalanceUsd: number;
  /** The fold's own metrics, against its start balance. */
  readonly metrics: BacktestMetrics;
  readonly deniedByCode: Readonly<Record<string, number>>;
}

/** Out-of-sample folds run back to back into one account history. */
export interface ChainedRun {
  readonly folds: readonly ChainedFoldRun[];
  /** Every fold's trades, oldest first; ids prefixed `f<fold>:` (each fold's ids restart). */
  readonly trades: Trade[];
  /** Every fold's equity samples, in time order. */
  readonly equity: EquityPoint[];
  /** Over the whole chain, against `initialBalanceUsd`. */
  readonly metrics: BacktestMetrics;
  readonly deniedByCode: Record<string, number>;
  /** Every fold's risk events, ids prefixed `f<fold>:`. */
  readonly riskEvents: RiskEvent[];
  readonly bars: number;
  readonly ticks: number;
}

/**
 * Runs consecutive ranges one after the other, each from a fresh strategy and a fresh account holding the balance the
 * previous one ended with (positions are closed at every range's end), and joins them into one history. The account's
 * risk state (peak equity, day start, cooldowns, a drawdown halt) restarts at each range, as after a redeploy.
 * `onProgress` receives bars done over all ranges.
 * @example const chain = runChained({ bars, instrument, initialBalanceUsd: 100_000, folds: [{ range, trading, limits }] });
 */
export function runChained(input: {
  readonly bars: readonly SourceBar[];
  readonly instrument: SegmentInput["instrument"];
  readonly initialBalanceUsd: number;
  readonly folds: readonly ChainedFoldInput[];
  readonly onProgress?: (barsDone: number) => void;
}): ChainedRun {
  const folds: ChainedFoldRun[] = [];
  const trades: Trade[] = [];
  const equity: EquityPoint[] = [];
  const riskEvents: RiskEvent[] = [];
  const deniedByCode: Record<string, number> = {};
  let balanceUsd = input.initialBalanceUsd;
  let barsDone = 0;
  input.folds.forEach((fold, index) => {
    const previous = input.folds[index - 1];
    if (previous !== undefined && fold.range.from < previous.range.to) throw new RangeError(`runChained: fold ${index} overlaps the one before it`);
    const run = runSegment({
      bars: input.bars,
      range: fold.range,
      instrument: input.instrument,
      trading: fold.trading,
      limits: fold.limits,
      initialBalanceUsd: balanceUsd,
      signalAt: fold.signalAt,
      onProgress: (done) => input.onProgress?.(barsDone + done),
    });
    barsDone += run.result.bars;
    const endBalanceUsd = run.metrics.finalEquityUsd;
    folds.push({ range: fold.range, startBalanceUsd: balanceUsd, endBalanceUsd, metrics: run.metrics, deniedByCode: { ...run.result.deniedByCode } });
    for (const trade of run.result.trades) trades.push({ ...trade, id: `f${index}:${trade.id}` });
    for (const event of run.result.riskEvents) riskEvents.push({ ...event, id: `f${index}:${event.id}` });
    for (const point of run.equity) equity.push(point);
    addCounts(deniedByCode, run.result.deniedByCode);
    if (!(endBalanceUsd > 0)) throw new RangeError(`runChained: the account is empty after fold ${index} (${endBalanceUsd} USD)`);
    balanceUsd = endBalanceUsd;
  });
  return {
    folds,
    trades,
    equity,
    metrics: computeMetrics(trades, equity, input.initialBalanceUsd),
    deniedByCode,
    riskEvents,
    bars: barsDone,
    ticks: barsDone * 4,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The whole search

/** What {@link optimizeRiskParameters} takes. */
export interface OptimizeInput {
  /** Bars to search over, oldest first. */
  readonly bars: readonly SourceBar[];
  readonly instrument: SegmentInput["instrument"];
  /** Strategy, filters and execution; exits.stopAtr / targetAtr are replaced by each grid point's. */
  readonly trading: InstrumentTradingConfig;
  /** Risk limits; sizing is replaced by each grid point's fixed-fractional riskPct. */
  readonly limits: RiskLimits;
  readonly initialBalanceUsd: number;
  readonly grid: RiskGridSpec;
  /** Out-of-sample folds (see {@link anchoredFolds}). */
  readonly nFolds: number;
  /** Smallest block, bars (default 1). */
  readonly minBlockBars?: number;
  /** Model strategy: the signal of bar `index` of `bars`. */
  readonly signalAt?: (index: number) => ModelSignalInput | null;
  /** Bars simulated so far of `total`, with what is running. */
  readonly onProgress?: (barsDone: number, barsTotal: number, label: string) => void;
}

/** What {@link optimizeRiskParameters} returns. */
export interface OptimizeResult {
  readonly grid: RiskGridSpec;
  readonly points: readonly GridPoint[];
  readonly folds: readonly WalkForwardFoldRange[];
  /** Per grid point, the run over all bars. */
  readonly fullPeriod: readonly RunSummary[];
  /** `[fold][point]`: each point on the fold's in-sample bars. */
  readonly inSample: readonly (readonly RunSummary[])[];
  /** `[fold][point]`: each point on the fold's out-of-sample bars, from a fresh account of the initial balance. */
  readonly outOfSample: readonly (readonly RunSummary[])[];
  readonly selection: WalkForwardSelection;
  /** The walk-forward path: each fold trading its in-sample choice, chained ({@link runChained}). */
  readonly walkForward: ChainedRun;
  /** Backtests run and bars simulated. */
  readonly work: { readonly backtests: number; readonly bars: number };
}

/**
 * The walk-forward search. For every grid point: one run over all bars, one per fold on its in-sample bars and one
 * per fold on its out-of-sample bars, each from a fresh account of `initialBalanceUsd`. Each fold chooses the point
 * with the best in-sample {@link returnOverDrawdown}; the walk-forward path chains the folds' choices over their
 * out-of-sample bars. Deterministic for given inputs.
 * @example
 * const result = optimizeRiskParameters({ bars, instrument, trading, limits, initialBalanceUsd: 100_000, grid: DEFAULT_RISK_GRID, nFolds: 5 });
 * result.selection.robustChoice.index; // a grid index into result.points
 */
export function optimizeRiskParameters(input: OptimizeInput): OptimizeResult {
  const { bars, instrument, initialBalanceUsd, signalAt } = input;
  const grid = normaliseGrid(input.grid);
  const points = enumerateGrid(grid);
  const folds = anchoredFolds(bars.length, input.nFolds, input.minBlockBars ?? 1);
  const full: RowRange = { from: 0, to: bars.length };
  const barsOf = (range: RowRange) => range.to - range.from;
  const perPoint = barsOf(full) + folds.reduce((sum, fold) => sum + barsOf(fold.inSample) + barsOf(fold.outOfSample), 0);
  const chainBars = folds.reduce((sum, fold) => sum + barsOf(fold.outOfSample), 0);
  const barsTotal = points.length * perPoint + chainBars;
  let barsDone = 0;
  let backtests = 0;
  const configs = points.map((point) => ({ trading: tradingFor(input.trading, point), limits: limitsFor(input.limits, point) }));
  const run = (point: GridPoint, range: RowRange, label: string): RunSummary => {
    const config = configs[point.index] as (typeof configs)[number];
    const before = barsDone;
    const segment = runSegment({
      bars,
      range,
      instrument,
      ...config,
      initialBalanceUsd,
      signalAt,
      onProgress: (done) => input.onProgress?.(before + done, barsTotal, label),
    });
    barsDone = before + barsOf(range);
    backtests += 1;
    return summariseRun(range, segment, point.riskPct);
  };

  input.onProgress?.(0, barsTotal, "start");
  const fullPeriod: RunSummary[] = [];
  const inSample: RunSummary[][] = folds.map(() => []);
  const outOfSample: RunSummary[][] = folds.map(() => []);
  for (const point of points) {
    const label = `point ${point.index + 1}/${points.length} stop ${point.stopAtr} target ${point.targetAtr ?? "none"} risk ${point.riskPct}%`;
    fullPeriod.push(run(point, full, label));
    for (const fold of folds) {
      (inSample[fold.fold] as RunSummary[]).push(run(point, fold.inSample, label));
      (outOfSample[fold.fold] as RunSummary[]).push(run(point, fold.outOfSample, label));
    }
  }
  const scores = (table: RunSummary[][]) => table.map((row) => row.map((summary) => summary.score));
  const selection = selectWalkForward({
    grid,
    points,
    inSample: scores(inSample),
    outOfSample: scores(outOfSample),
    fullPeriod: fullPeriod.map((summary) => summary.score),
  });
  const chainStart = barsDone;
  const walkForward = runChained({
    bars,
    instrument,
    initialBalanceUsd,
    folds: folds.map((fold) => {
      const chosen = selection.folds[fold.fold] as FoldSelection;
      return { range: fold.outOfSample, ...(configs[chosen.chosenIndex] as (typeof configs)[number]), signalAt };
    }),
    onProgress: (done) => input.onProgress?.(chainStart + done, barsTotal, "walk-forward path"),
  });
  backtests += folds.length;
  barsDone = chainStart + chainBars;
  input.onProgress?.(barsDone, barsTotal, "done");
  return { grid, points, folds, fullPeriod, inSample, outOfSample, selection, walkForward, work: { backtests, bars: barsDone } };
}
