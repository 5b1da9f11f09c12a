/**
 * What onnxruntime 1.30 (node and web alike) does with binary classifiers that have one margin — the evidence for
 * the export's choices: TreeEnsembleRegressor + Sigmoid for binary trees, LinearClassifier as is.
 *
 * One stump on x: x <= 0.5 (or NaN) → leaf A, else leaf B; class labels [0, 1], post_transform LOGISTIC.
 */
import { describe, expect, it } from "vitest";
import {
  buildModel,
  FLOAT,
  INT64,
  ML_DOMAIN,
  node,
  type NodeProto,
  tensorValueInfo,
} from "../../../../training/onnx/proto.js";
import { RUNTIMES } from "./runtimes.js";

const sigmoid = (margin: number) => 1 / (1 + Math.exp(-margin));
/** Rows: x = −1 (leaf A), 2 (leaf B), NaN (leaf A). */
const ROWS = Float32Array.from([-1, 2, Number.NaN]);

function graph(classifier: NodeProto): Uint8Array {
  return buildModel(
    {
      name: "probe",
      nodes: [classifier],
      initializers: [],
      inputs: [tensorValueInfo("x", FLOAT, ["N", 1])],
      outputs: [tensorValueInfo("label", INT64, ["N"]), tensorValueInfo("scores", FLOAT, ["N", 2])],
    },
    { irVersion: 8, opset: 17, opsetMl: 3, producerName: "probe", producerVersion: "0", metadata: {} },
  );
}

function stumpClassifier(classIds: number[], classNodeIds: number[], weights: number[], baseValues: number[]) {
  return graph(
    node(
      "TreeEnsembleClassifier",
      ["x"],
      ["label", "scores"],
      {
        nodes_treeids: { ints: [0, 0, 0] },
        nodes_nodeids: { ints: [0, 1, 2] },
        nodes_featureids: { ints: [0, 0, 0] },
        nodes_values: { floats: [0.5, 0, 0] },
        nodes_modes: { strings: ["BRANCH_LEQ", "LEAF", "LEAF"] },
        nodes_truenodeids: { ints: [1, 0, 0] },
        nodes_falsenodeids: { ints: [2, 0, 0] },
        nodes_missing_value_tracks_true: { ints: [1, 0, 0] },
        class_treeids: { ints: classIds.map(() => 0) },
        class_nodeids: { ints: classNodeIds },
        class_ids: { ints: classIds },
        class_weights: { floats: weights },
        classlabels_int64s: { ints: [0, 1] },
        post_transform: { string: "LOGISTIC" },
        ...(baseValues.length > 0 ? { base_values: { floats: baseValues } } : {}),
      },
      ML_DOMAIN,
    ),
  );
}

async function runBoth(bytes: Uint8Array) {
  const results = [];
  for (const runtime of RUNTIMES) {
    const session = await runtime.load(bytes);
    const outputs = await session.run(ROWS, ROWS.length, 1, "x");
    await session.release();
    results.push({ runtime: runtime.name, scores: Array.from(outputs.scores!), label: Array.from(outputs.label!) });
  }
  expect(results[1]).toEqual({ ...results[0], runtime: "onnxruntime-web" }); // both runtimes agree exactly
  return results[0]!;
}

/** [σ(−m), σ(m)] per row for the margins of leaves A, B, A. */
function logisticPairs(a: number, b: number): number[] {
  return [a, b, a].flatMap((margin) => [sigmoid(-margin), sigmoid(margin)]);
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, index) => expect(value).toBeCloseTo(expected[index] ?? Number.NaN, 6));
}

describe("onnxruntime's binary TreeEnsembleClassifier (why the export uses TreeEnsembleRegressor)", () => {
  it("weights on class 1: column 0 is a constant σ(0) = 0.5 and a single base value is ignored", async () => {
    const { scores } = await runBoth(stumpClassifier([1, 1], [1, 2], [0.2, 0.4], [0.1]));
    // Correct would be [σ(−0.3), σ(0.3)] and [σ(−0.5), σ(0.5)]: instead no base value and no complement.
    expectClose(scores, [0.5, sigmoid(0.2), 0.5, sigmoid(0.4), 0.5, sigmoid(0.2)]);
  });

  it("weights on class 1 with base values [0, b]: the trees' sum is dropped, every row scores σ(b)", async () => {
    const { scores } = await runBoth(stumpClassifier([1, 1], [1, 2], [0.2, 0.4], [0, 0.1]));
    expectClose(scores, [0.5, sigmoid(0.1), 0.5, sigmoid(0.1), 0.5, sigmoid(0.1)]);
  });

  it("weights on class 0, one base value: right probabilities, a label depending on the weights' signs", async () => {
    const allPositive = await runBoth(stumpClassifier([0, 0], [1, 2], [0.2, 0.4], [0.1]));
    expectClose(allPositive.scores, logisticPairs(0.3, 0.5));
    // P(1) = σ(0.5) > 0.5, yet label 0: with no negative leaf weight the label compares the raw margin with 0.5.
    expect(allPositive.label).toEqual([0, 0, 0]);
    const mixed = await runBoth(stumpClassifier([0, 0], [1, 2], [-0.2, 0.4], [0.1]));
    expectClose(mixed.scores, logisticPairs(-0.1, 0.5));
    expect(mixed.label).toEqual([0, 1, 0]);
  });
});

describe("onnxruntime's binary LinearClassifier (one coefficient row, class labels [0, 1])", () => {
  function linear(postTransform: string): Uint8Array {
    return graph(
      node(
        "LinearClassifier",
        ["x"],
        ["label", "scores"],
        {
          coefficients: { floats: [1.5] },
          intercepts: { floats: [0.25] },
          classlabels_ints: { ints: [0, 1] },
          post_transform: { string: postTransform },
        },
        ML_DOMAIN,
      ),
    );
  }
  const margins = [-1.25, 3.25];

  it("LOGISTIC gives [1 − σ(m), σ(m)] (what exportLinear relies on); NONE gives [1 − m, m]", async () => {
    const logistic = await runBoth(linear("LOGISTIC"));
    expectClose(logistic.scores.slice(0, 4), margins.flatMap((m) => [1 - sigmoid(m), sigmoid(m)]));
    expect(logistic.label.slice(0, 2)).toEqual([0, 1]);
    const none = await runBoth(linear("NONE"));
    expectClose(none.scores.slice(0, 4), margins.flatMap((m) => [1 - m, m]));
  });
});
