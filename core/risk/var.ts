/**
 * Portfolio Value-at-Risk and correlation-adjusted exposure from per-symbol M1 log returns.
 *
 * Definitions (all amounts USD, losses as positive numbers):
 * - Exposure: the signed notional per symbol, `units × price × (+1 buy / −1 sell)`, summed over its positions.
 * - Scenario P&L of return row t: `Σₛ eₛ · rₛ,ₜ` (first order: a log return stands for the simple return).
 * - Historical VaR at confidence c over n scenarios: the loss of the k-th worst scenario with k = ⌈n·(1 − c)⌉
 *   (nearest rank on the lower tail: 100 scenarios → the 5th worst at 95 %, the worst at 99 %), floored at 0.
 * - Parametric VaR: `z(c) · √(eᵀ Σ e)` with Σ the sample covariance (n − 1) of the returns and a zero mean.
 * - Horizon: one day from M1 returns by the square-root-of-time rule, VaR₁d = VaR₁m · √1440, which assumes
 *   independent, identically distributed minute returns (it understates fat-tailed, autocorrelated risk).
 * - Correlation-adjusted exposure: `√(eᵀ C e)`; a correlation that cannot be estimated (too little history, a flat
 *   series) is taken at its worst case for that pair, which adds the two exposures' sizes `|eᵢ|·|eⱼ|`.
 */
import { inverseNormalCdf } from "./inverse-normal.js";

/** The confidence levels reported. */
export type VarConfidence = 0.95 | 0.99;

/** M1 bars in one day: the square-root-of-time factor is √1440. */
export const BARS_PER_DAY = 1_440;

/** Fewest aligned returns for a correlation or a VaR to be estimated (below it: worst-case correlation, no VaR). */
export const MIN_HISTORY_RETURNS = 30;

/** A correlation matrix; `null` marks a pair whose correlation could not be estimated. */
export type CorrelationMatrix = ReadonlyArray<ReadonlyArray<number | null>>;

/** The horizon a {@link VarReport} is scaled to. */
export interface VarHorizon {
  /** M1 bars in the horizon (1,440 for one day). */
  readonly bars: number;
  /** √bars, the factor one-bar figures were multiplied by. */
  readonly scale: number;
  /** Aligned M1 returns the estimate rests on. */
  readonly returnCount: number;
}

/** A portfolio's one-day risk, USD. VaR figures are null with fewer than {@link MIN_HISTORY_RETURNS} returns. */
export interface VarReport {
  readonly historical95Usd: number | null;
  readonly historical99Usd: number | null;
  readonly parametric95Usd: number | null;
  readonly parametric99Usd: number | null;
  readonly correlatedExposureUsd: number;
  readonly horizon: VarHorizon;
}

/**
 * Historical VaR: the loss (positive, USD) of the k-th worst of `pnlScenariosUsd`, k = ⌈n·(1 − confidence)⌉, or 0 when
 * that scenario is not a loss or there are no scenarios. Throws a RangeError on a non-finite scenario.
 * @example
 * historicalVar(Array.from({ length: 100 }, (_, i) => i - 50), 0.95); // 46 (the 5th worst is −46)
 */
export function historicalVar(pnlScenariosUsd: readonly number[], confidence: VarConfidence): number {
  const n = pnlScenariosUsd.length;
  if (n === 0) return 0;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    const pnl = pnlScenariosUsd[i]!;
    if (!Number.isFinite(pnl)) throw new RangeError(`historicalVar: scenario ${i} is not finite (${pnl})`);
    values[i] = pnl;
  }
  // n·(1 − c) carries float noise (100 × 0.05 = 5.000000000000004); a billionth of a rank is noise, not a rank.
  const rank = Math.min(n, Math.max(1, Math.ceil(n * (1 - confidence) - 1e-9)));
  return Math.max(0, -selectSmallest(values, rank - 1));
}

/**
 * The value that would sit at `index` if `values` were sorted ascending (quickselect with a median-of-three pivot:
 * O(n) on average, and much cheaper than a sort on the evaluate path). Reorders `values`.
 */
function selectSmallest(values: Float64Array, index: number): number {
  let low = 0;
  let high = values.length - 1;
  while (high > low) {
    const middle = (low + high) >>> 1;
    const a = values[low]!;
    const b = values[middle]!;
    const c = values[high]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = low;
    let j = high;
    while (i <= j) {
      while (values[i]! < pivot) i += 1;
      while (values[j]! > pivot) j -= 1;
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i += 1;
        j -= 1;
      }
    }
    if (index <= j) high = j;
    else if (index >= i) low = i;
    else return values[index]!;
  }
  return values[index]!;
}

/** z(confidence): 1.6448536… at 95 %, 2.3263479… at 99 % (see {@link inverseNormalCdf}). */
export function zScore(confidence: VarConfidence): number {
  return inverseNormalCdf(confidence);
}

/**
 * Parametric (variance-covariance) VaR over one return period: `z(confidence) · √(eᵀ Σ e)`, USD, for exposures `e`
 * (USD, signed) and the covariance `Σ` of the symbols' returns over that period.
 * @example
 * parametricVar([100_000], [[0.0001]], 0.99); // 2.3263479 × 100,000 × 0.01 ≈ 2326.35
 */
export function parametricVar(exposuresUsd: readonly number[], covariance: ReadonlyArray<ReadonlyArray<number>>, confidence: VarConfidence): number {
  return zScore(confidence) * Math.sqrt(Math.max(0, quadraticForm(exposuresUsd, covariance)));
}

/**
 * Pearson correlations of equally long return series (`returnSeries[s][t]`). The diagonal is 1; a pair is null when
 * there are fewer than two returns or either series is flat. Throws a RangeError when the lengths differ.
 * @example
 * correlationMatrix([[0.01, -0.02, 0.03], [-0.01, 0.02, -0.03]]); // [[1, -1], [-1, 1]]
 */
export function correlationMatrix(returnSeries: ReadonlyArray<ReadonlyArray<number>>): (number | null)[][] {
  const count = returnSeries.length;
  const covariance = count === 0 || seriesLength(returnSeries) < 2 ? null : covarianceMatrix(returnSeries);
  const matrix: (number | null)[][] = [];
  for (let i = 0; i < count; i += 1) {
    const row: (number | null)[] = [];
    for (let j = 0; j < count; j += 1) row.push(i === j ? 1 : pairCorrelation(covariance, i, j));
    matrix.push(row);
  }
  return matrix;
}

/**
 * Sample covariance matrix (divisor n − 1) of equally long return series, n ≥ 2 (else a RangeError).
 * @example
 * covarianceMatrix([[1, 2, 3]]); // [[1]]
 */
export function covarianceMatrix(returnSeries: ReadonlyArray<ReadonlyArray<number>>): number[][] {
  const n = seriesLength(returnSeries);
  if (n < 2) throw new RangeError(`covarianceMatrix: needs at least 2 returns per series, got ${n}`);
  const means = returnSeries.map((series) => {
    let sum = 0;
    for (let t = 0; t < n; t += 1) sum += series[t]!;
    return sum / n;
  });
  const matrix = returnSeries.map(() => new Array<number>(returnSeries.length).fill(0));
  for (let i = 0; i < returnSeries.length; i += 1) {
    for (let j = i; j < returnSeries.length; j += 1) {
      const a = returnSeries[i]!;
      const b = returnSeries[j]!;
      let sum = 0;
      for (let t = 0; t < n; t += 1) sum += (a[t]! - means[i]!) * (b[t]! - means[j]!);
      matrix[i]![j] = sum / (n - 1);
      matrix[j]![i] = sum / (n - 1);
    }
  }
  return matrix;
}

/**
 * Correlation-adjusted exposure `√(eᵀ C e)`, USD, for signed notionals `e` (one per symbol) and correlations `C`. A
 * null correlation counts at its worst case for the pair (`|eᵢ|·|eⱼ|`): an unproven hedge is never credited, and
 * unknown same-side exposures add up as if perfectly correlated.
 * @example
 * correlationAdjustedExposureUsd([100, -100], [[1, 1], [1, 1]]); // 0 (a perfect hedge)
 * correlationAdjustedExposureUsd([100, -100], [[1, null], [null, 1]]); // 200 (unknown: no credit)
 */
export function correlationAdjustedExposureUsd(signedNotionalsUsd: readonly number[], correlation: CorrelationMatrix): number {
  const count = signedNotionalsUsd.length;
  if (correlation.length !== count) throw new RangeError(`correlationAdjustedExposureUsd: ${count} exposures but a ${correlation.length}-row matrix`);
  let sum = 0;
  for (let i = 0; i < count; i += 1) {
    const row = correlation[i]!;
    if (row.length !== count) throw new RangeError(`correlationAdjustedExposureUsd: row ${i} has ${row.length} entries, expected ${count}`);
    const ei = signedNotionalsUsd[i]!;
    for (let j = 0; j < count; j += 1) {
      const ej = signedNotionalsUsd[j]!;
      const c = row[j];
      sum += c === null || c === undefined ? Math.abs(ei) * Math.abs(ej) : c * ei * ej;
    }
  }
  return Math.sqrt(Math.max(0, sum));
}

/** A correlation matrix that knows nothing: 1 on the diagonal, null elsewhere. */
export function unknownCorrelation(count: number): (number | null)[][] {
  return Array.from({ length: count }, (_, i) => Array.from({ length: count }, (_, j) => (i === j ? 1 : null)));
}

/**
 * Scenario P&L per return row: `Σₛ eₛ · rₛ,ₜ`, USD.
 * @example
 * scenarioPnlUsd([1_000, -500], [[0.01, -0.02], [0.01, 0.02]]); // [5, -30]
 */
export function scenarioPnlUsd(signedNotionalsUsd: readonly number[], returnSeries: ReadonlyArray<ReadonlyArray<number>>): number[] {
  const n = seriesLength(returnSeries);
  const scenarios = new Array<number>(n).fill(0);
  for (let s = 0; s < returnSeries.length; s += 1) {
    const exposure = signedNotionalsUsd[s]!;
    const series = returnSeries[s]!;
    for (let t = 0; t < n; t += 1) scenarios[t]! += exposure * series[t]!;
  }
  return scenarios;
}

/**
 * One-horizon risk of a portfolio: exposures `signedNotionalsUsd` (one per symbol, USD) against aligned M1 log returns
 * `returnSeries` (one row per symbol, same order). Historical and parametric VaR at 95 % and 99 % over one bar, scaled
 * by √`barsPerHorizon` (default {@link BARS_PER_DAY}: one day); null below `minReturns` returns (default
 * {@link MIN_HISTORY_RETURNS}), where correlations also count as unknown. An empty portfolio has zero risk.
 * @example
 * const { returns } = history.alignedReturns(["XAUUSD", "XAGUSD"]);
 * portfolioVar([230_000, -140_000], returns).historical99Usd;
 */
export function portfolioVar(
  signedNotionalsUsd: readonly number[],
  returnSeries: ReadonlyArray<ReadonlyArray<number>>,
  options: { readonly barsPerHorizon?: number; readonly minReturns?: number } = {},
): VarReport {
  if (signedNotionalsUsd.length !== returnSeries.length) {
    throw new RangeError(`portfolioVar: ${signedNotionalsUsd.length} exposures but ${returnSeries.length} return series`);
  }
  const bars = options.barsPerHorizon ?? BARS_PER_DAY;
  const minReturns = Math.max(2, options.minReturns ?? MIN_HISTORY_RETURNS);
  const returnCount = seriesLength(returnSeries);
  const scale = Math.sqrt(bars);
  const horizon: VarHorizon = { bars, scale, returnCount };
  if (signedNotionalsUsd.length === 0) {
    return { historical95Usd: 0, historical99Usd: 0, parametric95Usd: 0, parametric99Usd: 0, correlatedExposureUsd: 0, horizon };
  }
  const enough = returnCount >= minReturns;
  const correlation = enough ? correlationMatrix(returnSeries) : unknownCorrelation(signedNotionalsUsd.length);
  const correlatedExposureUsd = correlationAdjustedExposureUsd(signedNotionalsUsd, correlation);
  if (!enough) {
    return { historical95Usd: null, historical99Usd: null, parametric95Usd: null, parametric99Usd: null, correlatedExposureUsd, horizon };
  }
  const scenarios = scenarioPnlUsd(signedNotionalsUsd, returnSeries);
  const covariance = covarianceMatrix(returnSeries);
  return {
    historical95Usd: historicalVar(scenarios, 0.95) * scale,
    historical99Usd: historicalVar(scenarios, 0.99) * scale,
    parametric95Usd: parametricVar(signedNotionalsUsd, covariance, 0.95) * scale,
    parametric99Usd: parametricVar(signedNotionalsUsd, covariance, 0.99) * scale,
    correlatedExposureUsd,
    horizon,
  };
}

/** Correlation of series i and j from their covariance matrix; null when unknown or either series is flat. */
function pairCorrelation(covariance: number[][] | null, i: number, j: number): number | null {
  if (covariance === null) return null;
  const varianceI = covariance[i]![i]!;
  const varianceJ = covariance[j]![j]!;
  if (!(varianceI > 0) || !(varianceJ > 0)) return null;
  return Math.min(1, Math.max(-1, covariance[i]![j]! / Math.sqrt(varianceI * varianceJ)));
}

/** `eᵀ M e`. */
function quadraticForm(vector: readonly number[], matrix: ReadonlyArray<ReadonlyArray<number>>): number {
  if (matrix.length !== vector.length) throw new RangeError(`quadraticForm: ${vector.length} entries but a ${matrix.length}-row matrix`);
  let sum = 0;
  for (let i = 0; i < vector.length; i += 1) {
    const row = matrix[i]!;
    if (row.length !== vector.length) throw new RangeError(`quadraticForm: row ${i} has ${row.length} entries, expected ${vector.length}`);
    for (let j = 0; j < vector.length; j += 1) sum += vector[i]! * row[j]! * vector[j]!;
  }
  return sum;
}

/** The common length of return series (0 for none); a RangeError when they differ. */
function seriesLength(returnSeries: ReadonlyArray<ReadonlyArray<number>>): number {
  const n = returnSeries[0]?.length ?? 0;
  for (let s = 1; s < returnSeries.length; s += 1) {
    if (returnSeries[s]!.length !== n) throw new RangeError(`return series ${s} has ${returnSeries[s]!.length} returns, expected ${n}`);
  }
  return n;
}
