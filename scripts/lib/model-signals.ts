/**
 * The model strategy's signals for a backtest: every bar's feature vector from core/features (the builder the
 * InstrumentDO runs), scored in large batches by onnxruntime-node, read like the InstrumentDO reads them.
 */
import * as ort from "onnxruntime-node";
import { FeatureBuilder, XAU_M1_CORE_SPEC } from "../../core/features/index.js";
import type { Bar } from "../../core/market/bar.js";
import { readProbabilities } from "../../core/ml/live.js";
import { toModelSignalInput, type ModelSignalInput } from "../../core/trading/instrument-trader.js";

/** Rows per onnxruntime call. */
const BATCH_ROWS = 8_192;

export interface ModelForSignals {
  readonly version: string;
  readonly classLabels: readonly string[];
  readonly onnx: Uint8Array;
}

/** One signal per bar (null while the features warm up), aligned with `bars`. */
export async function modelSignals(bars: readonly Bar[], model: ModelForSignals): Promise<(ModelSignalInput | null)[]> {
  const width = XAU_M1_CORE_SPEC.features.length;
  const builder = new FeatureBuilder(XAU_M1_CORE_SPEC);
  const readyIndexes: number[] = [];
  const rows: Float64Array[] = [];
  bars.forEach((bar, index) => {
    const row = builder.update(bar);
    if (row.ready) {
      readyIndexes.push(index);
      rows.push(row.features);
    }
  });
  const session = await ort.InferenceSession.create(model.onnx);
  const signals: (ModelSignalInput | null)[] = new Array<ModelSignalInput | null>(bars.length).fill(null);
  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    const count = Math.min(BATCH_ROWS, rows.length - start);
    const input = new Float32Array(count * width);
    for (let r = 0; r < count; r++) input.set(rows[start + r] as Float64Array, r * width);
    const outputs = await session.run({ [session.inputNames[0] as string]: new ort.Tensor("float32", input, [count, width]) });
    const probabilities = outputs.probabilities?.data as Float32Array | undefined;
    if (probabilities === undefined) throw new Error("the model has no 'probabilities' output");
    const classes = probabilities.length / count;
    for (let r = 0; r < count; r++) {
      const reading = readProbabilities(probabilities.subarray(r * classes, (r + 1) * classes), model.classLabels);
      signals[readyIndexes[start + r] as number] = toModelSignalInput({ modelVersion: model.version, ...reading });
    }
  }
  await session.release();
  return signals;
}
