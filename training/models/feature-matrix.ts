/** The row-major feature matrix every training model reads, and the conversions into it. */

/** `nRows` × `nCols` numbers, row-major: value (row, col) is `values[row * nCols + col]`; NaN means missing. */
export interface FeatureMatrix {
  readonly values: Float64Array;
  readonly nRows: number;
  readonly nCols: number;
}

/** What the fit and predict functions accept: a matrix, or one array of features per row (all the same length). */
export type FeatureInput = FeatureMatrix | readonly ArrayLike<number>[];

/**
 * A row-major matrix over `values` (not copied), checking that its length is a multiple of `nCols`.
 * @example
 * const matrix = featureMatrix(new Float64Array([1, 2, 3, 4, 5, 6]), 3); // 2 rows × 3 columns
 */
export function featureMatrix(values: Float64Array, nCols: number): FeatureMatrix {
  if (!Number.isInteger(nCols) || nCols < 1) {
    throw new RangeError(`featureMatrix: nCols must be a positive integer, got ${nCols}`);
  }
  if (values.length % nCols !== 0) {
    throw new RangeError(`featureMatrix: ${values.length} values do not fill rows of ${nCols} columns`);
  }
  return { values, nRows: values.length / nCols, nCols };
}

/**
 * The input as a {@link FeatureMatrix}: a matrix is returned as it is, a flat row-major `Float64Array` is wrapped
 * (it needs `nCols`), rows are copied into one (an empty row list needs `nCols`).
 * @example
 * const matrix = toFeatureMatrix([new Float64Array([1, 2]), new Float64Array([3, NaN])]); // 2 × 2
 * const same = toFeatureMatrix(new Float64Array([1, 2, 3, NaN]), 2);
 */
export function toFeatureMatrix(input: FeatureInput | Float64Array, nCols?: number): FeatureMatrix {
  if (input instanceof Float64Array) {
    if (nCols === undefined) throw new RangeError("toFeatureMatrix: a flat Float64Array needs nCols");
    return featureMatrix(input, nCols);
  }
  if ("nCols" in input) {
    if (input.values.length !== input.nRows * input.nCols) {
      throw new RangeError(`toFeatureMatrix: ${input.values.length} values for ${input.nRows} × ${input.nCols}`);
    }
    return input;
  }
  const rows = input;
  const width = nCols ?? rows[0]?.length;
  if (width === undefined) throw new RangeError("toFeatureMatrix: an empty row list needs nCols");
  const values = new Float64Array(rows.length * width);
  rows.forEach((row, index) => {
    if (row.length !== width) {
      throw new RangeError(`toFeatureMatrix: row ${index} has ${row.length} values, not ${width}`);
    }
    for (let col = 0; col < width; col += 1) values[index * width + col] = row[col] ?? Number.NaN;
  });
  return { values, nRows: rows.length, nCols: width };
}

/**
 * Class labels as integers in [0, `nClasses`), checked against the row count.
 * @example
 * const labels = requireClassLabels([0, 1, 1], 3, 2, "fitGbdt");
 */
export function requireClassLabels(
  labels: ArrayLike<number>,
  nRows: number,
  nClasses: number,
  caller: string,
): Int32Array {
  if (labels.length !== nRows) throw new RangeError(`${caller}: ${labels.length} labels for ${nRows} rows`);
  const checked = new Int32Array(nRows);
  for (let row = 0; row < nRows; row += 1) {
    const label = labels[row] ?? Number.NaN;
    if (!Number.isInteger(label) || label < 0 || label >= nClasses) {
      throw new RangeError(`${caller}: label ${row} must be an integer in [0, ${nClasses - 1}], got ${label}`);
    }
    checked[row] = label;
  }
  return checked;
}
