/** onnxruntime-web in workerd: the fixture classifiers give onnxruntime-node's outputs, inside a Durable Object too. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { UnprocessableError, ValidationError } from "../../core/errors/app-error.js";
import { loadModel, type ModelSession, type Prediction } from "../../durable-objects/onnx/model-session.js";
import expectedJson from "../fixtures/models/expected.json";
import { MODEL_BASE64 } from "../fixtures/models/model-bytes.js";

type ModelName = keyof typeof MODEL_BASE64;

interface Expected {
  classes: number;
  inputs: number[][];
  labels: number[];
  probabilities: number[][];
}

const EXPECTED = expectedJson as Record<ModelName, Expected>;
const MODELS = Object.keys(MODEL_BASE64) as ModelName[];
const TOLERANCE = 1e-6;

function modelBytes(name: ModelName): Uint8Array {
  return Uint8Array.from(atob(MODEL_BASE64[name]), (c) => c.charCodeAt(0));
}

async function predictFixture(session: ModelSession, name: ModelName): Promise<Prediction> {
  const { inputs } = EXPECTED[name];
  return session.predict(Float32Array.from(inputs.flat()), inputs.length, inputs[0]!.length);
}

/** Compares a prediction with onnxruntime-node's, value by value within TOLERANCE. */
function expectMatches(prediction: Prediction, name: ModelName): void {
  const expected = EXPECTED[name];
  expect(prediction.classes).toBe(expected.classes);
  expect(Array.from(prediction.labels, Number)).toEqual(expected.labels);
  expect(prediction.probabilities).toHaveLength(expected.inputs.length * expected.classes);
  expected.probabilities.flat().forEach((value, i) => {
    expect(Math.abs(prediction.probabilities[i]! - value), `${name} probability ${i}`).toBeLessThanOrEqual(TOLERANCE);
  });
}

describe("onnxruntime-web in workerd", () => {
  it("gives onnxruntime-node's outputs for every fixture model inside a Durable Object", async () => {
    const stub = env.INSTRUMENT_DO.get(env.INSTRUMENT_DO.idFromName("onnx-runtime-test"));
    const results = await runInDurableObject(stub, async () => {
      const predictions: Array<[ModelName, Prediction]> = [];
      for (const name of MODELS) {
        const session = await loadModel(modelBytes(name));
        predictions.push([name, await predictFixture(session, name)]);
        await session.release();
      }
      return predictions;
    });
    expect(results.map(([name]) => name)).toEqual(MODELS);
    for (const [name, prediction] of results) expectMatches(prediction, name);
  });

  it("reads input and output names and the width from the model", async () => {
    const session = await loadModel(modelBytes("treeEnsemble"));
    expect(session).toMatchObject({ inputName: "features", width: 3, probabilitiesName: "probabilities", labelName: "label" });
    expect(typeof (await predictFixture(session, "treeEnsemble")).labels[0]).toBe("bigint");
    await session.release();
  });

  it("refuses a wrong input width and inconsistent sizes with a clear error", async () => {
    const session = await loadModel(modelBytes("linearSoftmax"));
    const wide = session.predict(new Float32Array(8), 2, 4);
    await expect(wide).rejects.toBeInstanceOf(ValidationError);
    await expect(wide).rejects.toThrow("the model takes 3 features per row, got width 4");
    await expect(session.predict(new Float32Array(5), 2, 3)).rejects.toThrow("features holds 5 values, rows × width is 6");
    await expect(session.predict(new Float32Array(0), 0, 3)).rejects.toBeInstanceOf(ValidationError);
    // The refusals left the session usable.
    expectMatches(await predictFixture(session, "linearSoftmax"), "linearSoftmax");
    await session.release();
    await expect(predictFixture(session, "linearSoftmax")).rejects.toThrow("the model session was released");
  });

  it("refuses bytes that are not a model", async () => {
    await expect(loadModel(new TextEncoder().encode("not an onnx model"))).rejects.toBeInstanceOf(UnprocessableError);
  });

  it("runs 1,000 single-row predictions on one session, and concurrent ones on several", async () => {
    const session = await loadModel(modelBytes("treeEnsemble"));
    const { inputs, probabilities } = EXPECTED.treeEnsemble;
    for (let i = 0; i < 1_000; i++) {
      const row = i % inputs.length;
      const prediction = await session.predict(Float32Array.from(inputs[row]!), 1, 3);
      expect(Math.abs(prediction.probabilities[2]! - probabilities[row]![2]!)).toBeLessThanOrEqual(TOLERANCE);
    }
    const others = await Promise.all([loadModel(modelBytes("linearSoftmax")), loadModel(modelBytes("linearLogistic"))]);
    const concurrent = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const name = MODELS[i % MODELS.length]!;
        const target = name === "treeEnsemble" ? session : others[name === "linearSoftmax" ? 0 : 1];
        return predictFixture(target, name).then((prediction) => [name, prediction] as const);
      }),
    );
    for (const [name, prediction] of concurrent) expectMatches(prediction, name);
    await Promise.all([session, ...others].map((s) => s.release()));
  });
});
