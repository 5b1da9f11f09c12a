/** The pipeline's random-search spaces: what a trial may draw, and the untuned defaults every search starts from. */
import { GBDT_DEFAULTS } from "../models/gbdt.js";
import { LOGISTIC_DEFAULTS } from "../models/logistic.js";
import type { RandomSource } from "../models/random.js";

/** The GBDT settings the search tunes (the rest keep training/models' defaults). */
export interface GbdtSearchParams {
  readonly learningRate: number;
  readonly maxDepth: number;
  readonly minChildWeight: number;
  readonly l2: number;
  readonly rowSubsample: number;
  readonly colSubsample: number;
}

/** The logistic setting the search tunes: λ of mean log-loss + λ/2 Σ w² on standardised features (= 1 / (C n)). */
export interface LogisticSearchParams {
  readonly l2: number;
}

/** Trial 0 of a GBDT search: training/models' defaults, i.e. the untuned model. */
export const UNTUNED_GBDT: GbdtSearchParams = Object.freeze({
  learningRate: GBDT_DEFAULTS.learningRate,
  maxDepth: GBDT_DEFAULTS.maxDepth,
  minChildWeight: GBDT_DEFAULTS.minChildWeight,
  l2: GBDT_DEFAULTS.l2,
  rowSubsample: GBDT_DEFAULTS.rowSubsample,
  colSubsample: GBDT_DEFAULTS.colSubsample,
});

/** Trial 0 of a logistic search: training/models' default λ. */
export const UNTUNED_LOGISTIC: LogisticSearchParams = Object.freeze({ l2: LOGISTIC_DEFAULTS.l2 });

/**
 * Ranges of the GBDT search. Log-uniform for scale parameters. `minChildWeight` is a hessian sum (≈ rows / 4 near
 * p = 0.5), so 400 ≈ 1,600 rows per leaf: noisy targets need big leaves.
 */
export const GBDT_SEARCH_SPACE = Object.freeze({
  learningRate: [0.01, 0.2],
  maxDepth: [2, 6],
  minChildWeight: [1, 400],
  l2: [0.1, 100],
  rowSubsample: [0.5, 1],
  colSubsample: [0.5, 1],
} as const);

/** λ range of the logistic search, log-uniform: from almost unpenalised to coefficients pinned near 0 (the prior). */
export const LOGISTIC_SEARCH_SPACE = Object.freeze({ l2: [1e-5, 1] } as const);

/** A number to 3 significant digits: short in reports, and the model is fit with exactly what is reported. */
function significant(value: number): number {
  return Number(value.toPrecision(3));
}

function logUniform(random: RandomSource, [low, high]: readonly [number, number]): number {
  return significant(Math.exp(Math.log(low) + random() * (Math.log(high) - Math.log(low))));
}

function uniform(random: RandomSource, [low, high]: readonly [number, number]): number {
  return significant(low + random() * (high - low));
}

function integer(random: RandomSource, [low, high]: readonly [number, number]): number {
  return low + Math.floor(random() * (high - low + 1));
}

/**
 * The GBDT settings of `trial`: the untuned defaults for trial 0, else a draw from {@link GBDT_SEARCH_SPACE}.
 * Always draws six numbers, so trial k's settings depend only on the seed of `random` and k.
 * @example
 * const random = mulberry32(1);
 * const settings = [0, 1, 2].map((trial) => drawGbdtParams(trial, random));
 */
export function drawGbdtParams(trial: number, random: RandomSource): GbdtSearchParams {
  const space = GBDT_SEARCH_SPACE;
  const drawn: GbdtSearchParams = {
    learningRate: logUniform(random, space.learningRate),
    maxDepth: integer(random, space.maxDepth),
    minChildWeight: logUniform(random, space.minChildWeight),
    l2: logUniform(random, space.l2),
    rowSubsample: uniform(random, space.rowSubsample),
    colSubsample: uniform(random, space.colSubsample),
  };
  return trial === 0 ? UNTUNED_GBDT : drawn;
}

/**
 * The logistic settings of `trial`: the default λ for trial 0, else a log-uniform draw from
 * {@link LOGISTIC_SEARCH_SPACE}.
 * @example
 * const settings = drawLogisticParams(3, mulberry32(1));
 */
export function drawLogisticParams(trial: number, random: RandomSource): LogisticSearchParams {
  const drawn = { l2: logUniform(random, LOGISTIC_SEARCH_SPACE.l2) };
  return trial === 0 ? UNTUNED_LOGISTIC : drawn;
}
