/** Fitters that record every fit and prediction (rows and context) before calling the real models. */
import type { RowRange } from "../../../../core/ml/index.js";
import type { TrainingDataset } from "../../../../training/pipeline/dataset.js";
import {
  DEFAULT_FITTERS,
  type FitContext,
  type LabelledSlice,
  type PipelineFitters,
  type RowSlice,
} from "../../../../training/pipeline/fitters.js";

/** One call the pipeline made. */
export interface RecordedCall {
  readonly call: "fit" | "predict";
  readonly context: FitContext;
  /** Rows fit on, or rows predicted. */
  readonly rows: RowRange;
  /** GBDT fits: the rows early stopping read; else null. */
  readonly earlyStopping: RowRange | null;
}

/** Throws unless the slice's data are views of exactly its rows of `dataset` (so its range cannot lie). */
function requireViewOf(dataset: TrainingDataset, slice: RowSlice | LabelledSlice): RowRange {
  const { from, to } = slice.range;
  const { values } = slice.features;
  const sameRows =
    values.buffer === dataset.features.buffer &&
    values.byteOffset === dataset.features.byteOffset + from * dataset.nCols * Float64Array.BYTES_PER_ELEMENT &&
    values.length === (to - from) * dataset.nCols &&
    slice.features.nRows === to - from;
  const labels = "labels" in slice ? slice.labels : undefined;
  const sameLabels =
    labels === undefined ||
    (labels.buffer === dataset.labels.buffer &&
      labels.byteOffset === dataset.labels.byteOffset + from * Int32Array.BYTES_PER_ELEMENT &&
      labels.length === to - from);
  if (!sameRows || !sameLabels) throw new Error(`slice [${from}, ${to}) does not hold those rows of the data set`);
  return slice.range;
}

/** Real fitters that push every call onto `calls`, checking that each slice's data is the rows it claims. */
export function recordingFitters(dataset: TrainingDataset, calls: RecordedCall[]): PipelineFitters {
  const range = (slice: RowSlice | LabelledSlice) => requireViewOf(dataset, slice);
  return {
    fitGbdt(train, params, earlyStopping, context) {
      const stopping = earlyStopping === undefined ? null : range(earlyStopping);
      calls.push({ call: "fit", context, rows: range(train), earlyStopping: stopping });
      return DEFAULT_FITTERS.fitGbdt(train, params, earlyStopping, context);
    },
    fitLogistic(train, params, context) {
      calls.push({ call: "fit", context, rows: range(train), earlyStopping: null });
      return DEFAULT_FITTERS.fitLogistic(train, params, context);
    },
    predictGbdt(model, rows, context) {
      calls.push({ call: "predict", context, rows: range(rows), earlyStopping: null });
      return DEFAULT_FITTERS.predictGbdt(model, rows, context);
    },
    predictLogistic(model, rows, context) {
      calls.push({ call: "predict", context, rows: range(rows), earlyStopping: null });
      return DEFAULT_FITTERS.predictLogistic(model, rows, context);
    },
  };
}
