/** Time-ordered walk-forward splits: expanding folds, purges of at least the label horizon, a held-out tail. */

/** Half-open range of row indices: rows `from` to `to − 1`. */
export interface RowRange {
  /** First row, inclusive. */
  readonly from: number;
  /** End row, exclusive. */
  readonly to: number;
}

/** One fold: fit on `train`, score on `validation`; the `purge` rows between them are used by neither. */
export interface WalkForwardFold {
  /** Fold number, 0 for the oldest validation window. */
  readonly fold: number;
  /** Rows the fold's model is fit on: always from row 0 (an expanding window). */
  readonly train: RowRange;
  /** Rows dropped between training and validation, `purgeRows` long. */
  readonly purge: RowRange;
  /** Rows the fold's model is scored on, `validationRows` long. */
  readonly validation: RowRange;
}

/** The whole plan, oldest rows first: folds, a purge, then the held-out tail. */
export interface WalkForwardSplits {
  readonly folds: readonly WalkForwardFold[];
  /** Rows the final model is fit on: everything before `heldOutPurge`. */
  readonly finalTrain: RowRange;
  /** Rows between the last validation window (and the final training rows) and the held-out tail. */
  readonly heldOutPurge: RowRange;
  /** The last rows: scored once, by the final model, the prior and the champion; never fit or tuned on. */
  readonly heldOut: RowRange;
}

/** What to split: rows are bars in time order, at most one row per bar (see {@link walkForwardSplits}). */
export interface WalkForwardConfig {
  /** Rows in the data set, oldest first. */
  readonly nRows: number;
  /** Validation windows, at least 1. */
  readonly nFolds: number;
  /** Rows the first fold must at least train on. */
  readonly minTrainRows: number;
  /** Rows in each validation window. */
  readonly validationRows: number;
  /** Rows dropped before each validation window and before the held-out tail; at least `horizonBars`. */
  readonly purgeRows: number;
  /** Label horizon in bars: the label of row i reads bar i + horizonBars, so a shorter purge would leak. */
  readonly horizonBars: number;
  /** Share of the rows kept as the held-out tail, in (0, 1), rounded to the nearest row (at least one row). */
  readonly heldOutFraction: number;
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`walkForwardSplits: ${name} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * Splits `nRows` time-ordered rows. The last `round(nRows × heldOutFraction)` rows are the held-out tail; before
 * it come `purgeRows` unused rows, and before those the `nFolds` validation windows, back to back, newest last.
 * Fold k trains on rows [0, start of its validation − purgeRows), so every fold's training set grows and ends
 * `purgeRows` before what it is scored on. The final model trains on every row before the held-out purge.
 *
 * Rows are bars in time order (or a time-ordered subset of them: dropping rows only widens a purge in bars). With
 * a label reading the bar `horizonBars` ahead, a purge of at least that many rows keeps the forward bar of every
 * training label out of the rows scored next. Several rows per bar would shorten the purge in bars: not allowed.
 * Throws a RangeError when a parameter is out of range or the rows do not fit (the message says how many are needed).
 * @example
 * const splits = walkForwardSplits({
 *   nRows: 100_000, nFolds: 5, minTrainRows: 20_000, validationRows: 10_000,
 *   purgeRows: 15, horizonBars: 15, heldOutFraction: 0.2,
 * });
 * splits.heldOut; // { from: 80_000, to: 100_000 }
 */
export function walkForwardSplits(config: WalkForwardConfig): WalkForwardSplits {
  const { nRows, nFolds, minTrainRows, validationRows, purgeRows, horizonBars, heldOutFraction } = config;
  requireInteger("nRows", nRows, 1);
  requireInteger("nFolds", nFolds, 1);
  requireInteger("minTrainRows", minTrainRows, 1);
  requireInteger("validationRows", validationRows, 1);
  requireInteger("horizonBars", horizonBars, 1);
  requireInteger("purgeRows", purgeRows, 0);
  if (purgeRows < horizonBars) {
    throw new RangeError(
      `walkForwardSplits: purgeRows (${purgeRows}) must be >= horizonBars (${horizonBars}), or training labels ` +
        "would read bars that are validated on",
    );
  }
  if (!(heldOutFraction > 0 && heldOutFraction < 1)) {
    throw new RangeError(`walkForwardSplits: heldOutFraction must be in (0, 1), got ${heldOutFraction}`);
  }
  const heldOutRows = Math.round(nRows * heldOutFraction);
  if (heldOutRows < 1) {
    throw new RangeError(
      `walkForwardSplits: heldOutFraction ${heldOutFraction} of ${nRows} rows leaves no held-out row`,
    );
  }
  const needed = minTrainRows + nFolds * validationRows + 2 * purgeRows + heldOutRows;
  const heldOutFrom = nRows - heldOutRows;
  const lastValidationTo = heldOutFrom - purgeRows;
  const firstValidationFrom = lastValidationTo - nFolds * validationRows;
  if (firstValidationFrom - purgeRows < minTrainRows) {
    throw new RangeError(
      `walkForwardSplits: ${nRows} rows do not fit ${minTrainRows} training + ${nFolds} × ${validationRows} ` +
        `validation + 2 × ${purgeRows} purge + ${heldOutRows} held-out rows (needs at least ${needed})`,
    );
  }
  const folds: WalkForwardFold[] = [];
  for (let fold = 0; fold < nFolds; fold += 1) {
    const validationFrom = firstValidationFrom + fold * validationRows;
    folds.push({
      fold,
      train: { from: 0, to: validationFrom - purgeRows },
      purge: { from: validationFrom - purgeRows, to: validationFrom },
      validation: { from: validationFrom, to: validationFrom + validationRows },
    });
  }
  return {
    folds,
    finalTrain: { from: 0, to: lastValidationTo },
    heldOutPurge: { from: lastValidationTo, to: heldOutFrom },
    heldOut: { from: heldOutFrom, to: nRows },
  };
}
