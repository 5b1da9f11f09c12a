/**
 * Checks of an uploaded model.onnx before anything is stored: it loads in onnxruntime-web (the runtime the
 * InstrumentDO serves it with), takes the manifest's width and answers one probability per class label (422).
 */
import { UnprocessableError } from "../../core/errors/app-error.js";
import type { ModelManifest } from "../../core/ml/manifest.js";
import { loadModel } from "../../durable-objects/onnx/model-session.js";

/** How far the zero row's probabilities may sum from 1 (float32 softmax/sigmoid outputs). */
const PROBABILITY_SUM_TOLERANCE = 1e-3;

/**
 * Loads `onnx` in onnxruntime-web (422 when it is not a model ORT can run with tensor outputs), checks that its input
 * width is the manifest's `inputWidth` and that one prediction of a zero row gives `classLabels.length` finite
 * probabilities summing to 1; the session is released whatever happens.
 */
export async function checkOnnxModel(onnx: Uint8Array, manifest: ModelManifest): Promise<void> {
  const session = await loadModel(onnx);
  try {
    if (session.width !== manifest.inputWidth) {
      throw new UnprocessableError(
        `the model takes ${session.width === null ? "a symbolic number of" : session.width} features per row; the manifest says ${manifest.inputWidth}`,
        { details: { field: "inputWidth", expected: manifest.inputWidth, got: session.width } },
      );
    }
    let probabilities: Float32Array;
    let classes: number;
    try {
      ({ probabilities, classes } = await session.predict(new Float32Array(manifest.inputWidth), 1, manifest.inputWidth));
    } catch (error: unknown) {
      throw new UnprocessableError(`the model fails to predict a row of zeros: ${(error as Error).message}`, { cause: error });
    }
    if (classes !== manifest.classLabels.length) {
      throw new UnprocessableError(`the model gives ${classes} probability columns; the manifest names ${manifest.classLabels.length} classes`, {
        details: { field: "classLabels", expected: manifest.classLabels.length, got: classes },
      });
    }
    const values = Array.from(probabilities);
    const sum = values.reduce((total, p) => total + p, 0);
    if (!values.every((p) => Number.isFinite(p) && p >= 0 && p <= 1) || Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
      throw new UnprocessableError(`the model's probabilities for a row of zeros are not a distribution: [${values.join(", ")}]`);
    }
  } finally {
    await session.release();
  }
}
