/**
 * The pipeline's only door to the models: fit and predict on contiguous row ranges of the data set. Injected into
 * {@link trainAndEvaluate} so that a test can record exactly which rows every fit and every prediction was given.
 */
import type { RowRange } from "../../core/ml/index.js";
import type { FeatureMatrix } from "../models/feature-matrix.js";
import { fitGbdt, type GbdtParams, predictProba as predictTrees, type TreeEnsembleModel } from "../models/gbdt.js";
import {
  fitLogistic,
  type LinearModel,
  type LogisticParams,
  predictProba as predictLinear,
} from "../models/logistic.js";
import type { TrainingDataset } from "./dataset.js";

/** The two model families the pipeline fits (an ensemble is one of each). */
export type BaseModelKind = "gbdt" | "logistic";

/** Rows [range.from, range.to) of the data set: their features as a zero-copy view. */
export interface RowSlice {
  readonly range: RowRange;
  readonly features: FeatureMatrix;
}

/** A {@link RowSlice} with its labels (a zero-copy view too). */
export interface LabelledSlice extends RowSlice {
  readonly labels: Int32Array;
}

/** Why a fit or a prediction is made: during the search (a fold of a trial) or for the final model. */
export interface FitContext {
  readonly phase: "search" | "final";
  readonly model: BaseModelKind;
  /** Search trial, null for the final model. */
  readonly trial: number | null;
  /** Walk-forward fold, null for the final model. */
  readonly fold: number | null;
}

/** Fit and predict functions of both families; {@link DEFAULT_FITTERS} calls training/models. */
export interface PipelineFitters {
  /** Fits trees on `train`; with `earlyStopping`, stops on (and keeps the best round of) those rows' log-loss. */
  fitGbdt(
    train: LabelledSlice,
    params: Partial<GbdtParams>,
    earlyStopping: LabelledSlice | undefined,
    context: FitContext,
  ): TreeEnsembleModel;
  fitLogistic(train: LabelledSlice, params: Partial<LogisticParams>, context: FitContext): LinearModel;
  /** P(class 1) per row. */
  predictGbdt(model: TreeEnsembleModel, rows: RowSlice, context: FitContext): Float64Array;
  /** P(class 1) per row. */
  predictLogistic(model: LinearModel, rows: RowSlice, context: FitContext): Float64Array;
}

/** The real models. */
export const DEFAULT_FITTERS: PipelineFitters = Object.freeze({
  fitGbdt: (train: LabelledSlice, params: Partial<GbdtParams>, earlyStopping: LabelledSlice | undefined) =>
    fitGbdt(train, params, earlyStopping),
  fitLogistic: (train: LabelledSlice, params: Partial<LogisticParams>) => fitLogistic(train, params),
  predictGbdt: (model: TreeEnsembleModel, rows: RowSlice) => predictTrees(model, rows.features),
  predictLogistic: (model: LinearModel, rows: RowSlice) => predictLinear(model, rows.features),
});

function requireRange(dataset: TrainingDataset, range: RowRange): void {
  if (!(Number.isInteger(range.from) && Number.isInteger(range.to) && range.from >= 0 && range.from < range.to)) {
    throw new RangeError(`row range [${range.from}, ${range.to}) is empty or invalid`);
  }
  if (range.to > dataset.nRows) {
    throw new RangeError(`row range [${range.from}, ${range.to}) passes the data set's ${dataset.nRows} rows`);
  }
}

/**
 * The features of rows `range` as a view (no copy: rows are contiguous in the row-major matrix).
 * @example
 * const rows = rowSlice(dataset, splits.heldOut);
 */
export function rowSlice(dataset: TrainingDataset, range: RowRange): RowSlice {
  requireRange(dataset, range);
  const { nCols } = dataset;
  const values = dataset.features.subarray(range.from * nCols, range.to * nCols);
  return { range: { from: range.from, to: range.to }, features: { values, nRows: range.to - range.from, nCols } };
}

/**
 * Features and labels of rows `range`, as views.
 * @example
 * const train = labelledSlice(dataset, splits.finalTrain);
 */
export function labelledSlice(dataset: TrainingDataset, range: RowRange): LabelledSlice {
  return { ...rowSlice(dataset, range), labels: dataset.labels.subarray(range.from, range.to) };
}
