/** Quantile binning of features into at most 256 bins (one kept for missing values), as a column-major byte matrix. */
import type { FeatureMatrix } from "./feature-matrix.js";
import { drawWithoutReplacement, mulberry32 } from "./random.js";

/** Bins per feature a byte can index, the missing bin included. */
export const MAX_BINS = 256;

/** The bin of a missing (NaN) value, whatever the feature's number of value bins. */
export const MISSING_BIN = 255;

/** Largest finite float32: the threshold of a split that sends every present value one way and NaN the other. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Where each feature's value bins end. Value `x` of feature `f` falls in the first bin `b` with
 * `x <= upperBounds[f][b]`, or in the last value bin (`upperBounds[f].length`) when there is none; NaN falls in
 * {@link MISSING_BIN}. Every bound is a finite float32 number between two neighbouring training values, so a tree
 * threshold taken from it is exact as an ONNX float attribute on float64 input, and also on float32 input whenever
 * the two neighbours differ after rounding to float32 (values denser than float32 resolution, such as raw prices
 * spread over a few float32 steps, can split differently on float32 input).
 */
export interface FeatureBinning {
  readonly upperBounds: readonly Float64Array[];
}

/** A binned {@link FeatureMatrix}, column-major: the bin of (row, col) is `bins[col * nRows + row]`. */
export interface BinnedMatrix {
  readonly bins: Uint8Array;
  readonly nRows: number;
  readonly nCols: number;
}

export interface BinningOptions {
  /** Bins per feature including the missing bin, 2 to 256; default 256 (255 value bins). */
  readonly maxBins?: number;
  /** Rows whose values place the bounds (a seeded random subset when there are more), default 200,000. */
  readonly sampleSize?: number;
  /** Seed of the row subset, default 0. */
  readonly seed?: number;
}

const float32Scratch = new Float32Array(1);
const float32Bits = new Uint32Array(float32Scratch.buffer);

/** The largest float32 strictly below the float32 `value` (finite or +Infinity, not -Infinity or NaN). */
function float32Below(value: number): number {
  if (value === 0) return -1.401298464324817e-45;
  float32Scratch[0] = value;
  float32Bits[0] = value > 0 ? (float32Bits[0] ?? 0) - 1 : (float32Bits[0] ?? 0) + 1;
  return float32Scratch[0] ?? Number.NaN;
}

/**
 * The float32 bound of a cut between neighbouring training values `below` < `above`, finite so that a model holding
 * it survives JSON. Preferred: a bound with `below <= u < above` and also `fround(below) <= u < fround(above)`, so
 * float32 input splits like float64 input (the rounded midpoint, clamped to the float32 range, else the largest
 * float32 below `above`). When float32 cannot separate the pair, the largest float32 below `above` still splits
 * float64 input exactly; undefined when no float32 lies in [below, above).
 */
function cutBound(below: number, above: number): number | undefined {
  const above32 = Math.fround(above);
  const highest = above32 < above ? above32 : float32Below(above32);
  const midpoint = Math.min(FLOAT32_MAX, Math.max(-FLOAT32_MAX, Math.fround(below / 2 + above / 2)));
  for (const bound of [midpoint, highest]) {
    if (Number.isFinite(bound) && below <= bound && bound < above && bound < above32) return bound;
  }
  return Number.isFinite(highest) && below <= highest ? highest : undefined;
}

/** Index of the first value strictly greater than `value` in ascending `sorted`. */
function firstAbove(sorted: Float64Array, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] ?? Number.POSITIVE_INFINITY) <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Upper bounds of at most `valueBins` quantile bins of ascending, NaN-free `sorted`. Cut `j` aims after rank
 * `j × n / valueBins`; it moves forward to the end of a run of equal values (so a value repeated often gets a bin of
 * its own, and fewer distinct values than bins get one bin each), and on to the next pair of neighbours when no
 * float32 number lies between the two there.
 */
function quantileBounds(sorted: Float64Array, valueBins: number): Float64Array {
  const bounds: number[] = [];
  let leftCount = 0;
  for (let cut = 1; cut < valueBins; cut += 1) {
    const target = Math.max(Math.floor((cut * sorted.length) / valueBins), leftCount + 1);
    if (target >= sorted.length) break;
    leftCount = firstAbove(sorted, sorted[target - 1]!);
    while (leftCount < sorted.length) {
      const bound = cutBound(sorted[leftCount - 1]!, sorted[leftCount]!);
      if (bound !== undefined) {
        bounds.push(bound);
        break;
      }
      leftCount = firstAbove(sorted, sorted[leftCount]!);
    }
    if (leftCount >= sorted.length) break;
  }
  return Float64Array.from(bounds);
}

/**
 * Learns the bins of every feature from the training rows: at most `maxBins − 1` value bins per feature with about
 * as many rows each (quantiles of the sorted present values), plus the missing bin. ±Infinity are values (they
 * fall in the first and last bins).
 * @example
 * const binning = fitBinning(trainMatrix); // binning.upperBounds[f].length + 1 value bins for feature f
 * const binned = binMatrix(binning, trainMatrix);
 */
export function fitBinning(matrix: FeatureMatrix, options: BinningOptions = {}): FeatureBinning {
  const maxBins = options.maxBins ?? MAX_BINS;
  const sampleSize = options.sampleSize ?? 200_000;
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > MAX_BINS) {
    throw new RangeError(`fitBinning: maxBins must be an integer in [2, ${MAX_BINS}], got ${maxBins}`);
  }
  if (!Number.isInteger(sampleSize) || sampleSize < 1) {
    throw new RangeError(`fitBinning: sampleSize must be a positive integer, got ${sampleSize}`);
  }
  const { values, nRows, nCols } = matrix;
  let rows: Int32Array = Int32Array.from({ length: nRows }, (_, row) => row);
  if (nRows > sampleSize) rows = drawWithoutReplacement(rows, nRows, sampleSize, mulberry32(options.seed ?? 0));
  const columns = Array.from({ length: nCols }, () => new Float64Array(rows.length));
  const present = new Int32Array(nCols);
  for (const row of rows) {
    const offset = row * nCols;
    for (let col = 0; col < nCols; col += 1) {
      const value = values[offset + col]!;
      if (!Number.isNaN(value)) columns[col]![present[col]!++] = value;
    }
  }
  const valueBins = maxBins - 1;
  const upperBounds = columns.map((column, col) => quantileBounds(column.subarray(0, present[col]).sort(), valueBins));
  return { upperBounds };
}

/**
 * The bin of `value` given a feature's upper bounds: {@link MISSING_BIN} for NaN, else the first bin whose bound is
 * at or above the value (binary search).
 * @example
 * binOf(Float64Array.of(1.5, 2.5), 2); // 1
 */
export function binOf(upperBounds: Float64Array, value: number): number {
  if (Number.isNaN(value)) return MISSING_BIN;
  let low = 0;
  let high = upperBounds.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (value <= upperBounds[middle]!) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * Bins a matrix (training, validation or any later rows) with bounds learned by {@link fitBinning}: the same bins
 * as {@link binOf}, found by a branch-free search over the bounds padded to 255 with +Infinity (the bin is the count
 * of bounds below the value), several times faster than a branching binary search on unpredictable values.
 * @example
 * const validationBins = binMatrix(binning, validationMatrix);
 */
export function binMatrix(binning: FeatureBinning, matrix: FeatureMatrix): BinnedMatrix {
  const { values, nRows, nCols } = matrix;
  if (binning.upperBounds.length !== nCols) {
    throw new RangeError(`binMatrix: the binning has ${binning.upperBounds.length} features, the matrix ${nCols}`);
  }
  if (binning.upperBounds.some((bounds) => bounds.length > MAX_BINS - 2)) {
    throw new RangeError(`binMatrix: a feature has more than ${MAX_BINS - 1} value bins`);
  }
  const bins = new Uint8Array(nRows * nCols);
  const padded = new Float64Array(MAX_BINS * nCols).fill(Number.POSITIVE_INFINITY);
  binning.upperBounds.forEach((bounds, col) => padded.set(bounds, col * MAX_BINS));
  for (let row = 0; row < nRows; row += 1) {
    const offset = row * nCols;
    for (let col = 0; col < nCols; col += 1) {
      const value = values[offset + col]!;
      const base = col * MAX_BINS;
      let bin = 0;
      for (let step = 128; step >= 1; step >>= 1) bin += step * +(value > padded[base + bin + step - 1]!);
      bins[col * nRows + row] = Number.isNaN(value) ? MISSING_BIN : bin;
    }
  }
  return { bins, nRows, nCols };
}
