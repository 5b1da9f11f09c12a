/**
 * ONNX export: the exported graphs, run by onnxruntime-node and onnxruntime-web, reproduce the trainer's own
 * probabilities (NaN rows and rows exactly at thresholds included); the blend, graph shape, metadata, refusals,
 * and a round trip through a file.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FLOAT32_MAX } from "../../../../training/models/binning.js";
import { featureMatrix } from "../../../../training/models/feature-matrix.js";
import { fitGbdt, type TreeBranch, type TreeEnsembleModel } from "../../../../training/models/gbdt.js";
import { fitLogistic, type LinearModel, predictProba as linearProba } from "../../../../training/models/logistic.js";
import { predictProba as treeProba, type TreeEnsemble } from "../../../../training/models/tree-ensemble.js";
import {
  exportEnsemble,
  exportLinear,
  exportTreeEnsemble,
  type ExportMetadata,
  METADATA_KEYS,
} from "../../../../training/onnx/export.js";
import { FLOAT, INT64, readModelOutline } from "../../../../training/onnx/proto.js";
import { mulberry32 } from "../../../../training/models/random.js";
import { noisyData } from "../models/synthetic-data.js";
import { RUNTIMES } from "./runtimes.js";

const TOLERANCE = 1e-6;
const N_COLS = 6;

/** Largest |Δ| seen per runtime and model kind, printed at the end (for the report). */
const observed = new Map<string, number>();
function record(key: string, delta: number): void {
  observed.set(key, Math.max(observed.get(key) ?? 0, delta));
}
afterAll(() => {
  const lines = [...observed.entries()].map(([key, delta]) => `${key}: max |Δ| = ${delta.toExponential(2)}`);
  console.info(`ONNX export agreement\n${lines.join("\n")}`);
});

/** Rows of {@link noisyData} with every value rounded to float32 (what the float input tensor carries). */
function float32Data(nRows: number, seed: number, nClasses: number) {
  const data = noisyData(nRows, N_COLS, seed, nClasses);
  const values = Float64Array.from(data.features.values, (value) => Math.fround(value));
  return { features: featureMatrix(values, N_COLS), labels: data.labels };
}

/**
 * Evaluation rows: fresh data (about 5 % NaN per value), all-NaN rows, and for each of the model's first splits a
 * row exactly at its threshold, one a float32 step above, and one with that feature missing.
 */
function evaluationRows(models: readonly TreeEnsemble[], seed: number): Float64Array {
  const rows: number[][] = [];
  const fresh = float32Data(400, seed, 2).features.values;
  for (let row = 0; row < 400; row += 1) rows.push(Array.from(fresh.subarray(row * N_COLS, (row + 1) * N_COLS)));
  rows.push(new Array<number>(N_COLS).fill(Number.NaN), new Array<number>(N_COLS).fill(Number.NaN));
  const random = mulberry32(seed + 1);
  for (const model of models) {
    const branches = model.trees
      .flatMap((tree) => tree.nodes)
      .filter((node): node is TreeBranch => node.kind === "branch");
    // Splits at FLOAT32_MAX (every present value left) are left to the stump tests: a feature of 3.4e38 overflows
    // the linear models' float32 arithmetic.
    for (const branch of branches.filter((node) => Math.abs(node.threshold) < 1e6).slice(0, 60)) {
      const base = Array.from({ length: N_COLS }, () => Math.fround(random() * 4 - 2));
      const at = [...base];
      at[branch.feature] = branch.threshold;
      const above = [...base];
      above[branch.feature] = nextFloat32(branch.threshold);
      const missing = [...base];
      missing[branch.feature] = Number.NaN;
      rows.push(at, above, missing);
    }
  }
  return Float64Array.from(rows.flat());
}

function nextFloat32(value: number): number {
  const scratch = new Float32Array([value]);
  const bits = new Int32Array(scratch.buffer);
  bits[0] = (bits[0] ?? 0) + (value >= 0 ? 1 : -1);
  return scratch[0] ?? value;
}

/** The trainer's probabilities as the graph lays them out: binary P(1) becomes [P(0), P(1)]. */
function asColumns(probabilities: Float64Array, nClasses: number, nRows: number): Float64Array {
  if (nClasses > 2 || probabilities.length === nRows * 2) return probabilities;
  const out = new Float64Array(nRows * 2);
  probabilities.forEach((p, row) => {
    out[2 * row] = 1 - p;
    out[2 * row + 1] = p;
  });
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let largest = 0;
  for (let i = 0; i < a.length; i += 1) {
    const delta = Math.abs((a[i] ?? Number.NaN) - (b[i] ?? Number.NaN));
    largest = Number.isNaN(delta) ? Number.POSITIVE_INFINITY : Math.max(largest, delta);
  }
  return largest;
}

/** Labels must be the most probable class wherever the top two are clearly apart. */
function expectLabels(labels: Float64Array, probabilities: Float64Array, nClasses: number): void {
  labels.forEach((label, row) => {
    const p = Array.from(probabilities.subarray(row * nClasses, (row + 1) * nClasses));
    const sorted = [...p].sort((x, y) => y - x);
    if ((sorted[0] ?? 0) - (sorted[1] ?? 0) < 1e-5) return;
    expect(label).toBe(p.indexOf(sorted[0] ?? 0));
  });
}

async function runEverywhere(bytes: Uint8Array, values: Float64Array, nCols: number) {
  const input = Float32Array.from(values);
  expect(Float64Array.from(input)).toEqual(values); // the rows are float32 already: no rounding on the way in
  const nRows = values.length / nCols;
  const results = [];
  for (const runtime of RUNTIMES) {
    const session = await runtime.load(bytes);
    const outputs = await session.run(input, nRows, nCols);
    await session.release();
    results.push({ runtime: runtime.name, probabilities: outputs.probabilities!, label: outputs.label! });
  }
  return results;
}

const METADATA: ExportMetadata = {
  featureSpec: { name: "xauusd-m1-core", version: 3, sha256: "a".repeat(40) + "0123456789ABCDEF01234567" },
  modelVersion: "2025-06-01.gbdt.7",
  labelDefinition: { kind: "triple-barrier", horizonMinutes: 30, classes: ["down", "flat", "up"], barrier: 0.0015 },
  extra: { trainer_commit: "abc123" },
};

// Small models, fitted once: binary and three-class trees, binary and multinomial logistic.
const binaryTrain = float32Data(1500, 11, 2);
const multiTrain = float32Data(1500, 12, 3);
const binaryTrees = fitGbdt(binaryTrain, { nRounds: 40, maxDepth: 4, learningRate: 0.2, rowSubsample: 0.8 });
const multiTrees = fitGbdt(multiTrain, { objective: "multiclass", nRounds: 20, maxDepth: 3, learningRate: 0.3 });
const binaryLinear = fitLogistic(binaryTrain, { l2: 1e-3 });
const multiLinear = fitLogistic(multiTrain, { objective: "multiclass", l2: 1e-3 });
const rows = evaluationRows([binaryTrees, multiTrees], 99);
const nRows = rows.length / N_COLS;

describe("the fitted models exercise NaN routing", () => {
  it("have splits sending missing values both ways, and evaluation rows with NaN", () => {
    for (const model of [binaryTrees, multiTrees]) {
      const branches = model.trees.flatMap((tree) => tree.nodes).filter((node) => node.kind === "branch");
      expect(branches.some((node) => node.missingGoesLeft)).toBe(true);
      expect(branches.some((node) => !node.missingGoesLeft)).toBe(true);
    }
    expect(rows.filter(Number.isNaN).length).toBeGreaterThan(200);
  });
});

describe.each([
  { name: "binary GBDT", model: binaryTrees as TreeEnsembleModel | LinearModel },
  { name: "3-class GBDT", model: multiTrees },
  { name: "binary logistic", model: binaryLinear },
  { name: "multinomial logistic", model: multiLinear },
])("$name exported to ONNX", ({ name, model }) => {
  const bytes = model.kind === "gbdt" ? exportTreeEnsemble(model, { metadata: METADATA }) : exportLinear(model);
  const reference = asColumns(
    model.kind === "gbdt" ? treeProba(model, rows, N_COLS) : linearProba(model, rows, N_COLS),
    model.nClasses,
    nRows,
  );

  it("gives the trainer's probabilities within 1e-6 in both runtimes, and the most probable class", async () => {
    for (const result of await runEverywhere(bytes, rows, N_COLS)) {
      const delta = maxAbsDiff(result.probabilities, reference);
      record(`${name} / ${result.runtime}`, delta);
      expect(delta, result.runtime).toBeLessThanOrEqual(TOLERANCE);
      expect(result.label).toHaveLength(nRows);
      expectLabels(result.label, reference, model.nClasses);
    }
  });

  it("has one float input, and only tensor outputs: probabilities [N, nClasses] float, label [N] int64", async () => {
    const outline = readModelOutline(bytes);
    expect(outline.operators.some((op) => op.endsWith(":ZipMap"))).toBe(false);
    expect(outline.inputs).toEqual([{ name: "features", elemType: FLOAT, shape: ["N", N_COLS] }]);
    expect(outline.outputs).toEqual([
      { name: "probabilities", kind: "tensorType", elemType: FLOAT, shape: ["N", model.nClasses] },
      { name: "label", kind: "tensorType", elemType: INT64, shape: ["N"] },
    ]);
    for (const runtime of RUNTIMES) {
      const session = await runtime.load(bytes);
      expect(session.inputNames).toEqual(["features"]);
      expect(session.outputs).toEqual([
        { name: "probabilities", isTensor: true, type: "float32" },
        { name: "label", isTensor: true, type: "int64" },
      ]);
      await session.release();
    }
  });
});

describe("graph structure", () => {
  it("trees: TreeEnsembleRegressor then Neg/Concat/Sigmoid (binary) or Softmax (multiclass), then ArgMax", () => {
    expect(readModelOutline(exportTreeEnsemble(binaryTrees)).operators).toEqual([
      "ai.onnx.ml:TreeEnsembleRegressor",
      ":Neg",
      ":Concat",
      ":Sigmoid",
      ":ArgMax",
    ]);
    expect(readModelOutline(exportTreeEnsemble(multiTrees)).operators).toEqual([
      "ai.onnx.ml:TreeEnsembleRegressor",
      ":Softmax",
      ":ArgMax",
    ]);
  });

  it("linear: Imputer then LinearClassifier then ArgMax; the ensemble joins both with Mul, Mul, Add", () => {
    expect(readModelOutline(exportLinear(multiLinear)).operators).toEqual([
      "ai.onnx.ml:Imputer",
      "ai.onnx.ml:LinearClassifier",
      ":ArgMax",
    ]);
    const outline = readModelOutline(exportEnsemble(binaryTrees, binaryLinear, { weightGbdt: 0.5 }));
    expect(outline.operators).toEqual([
      "ai.onnx.ml:TreeEnsembleRegressor",
      ":Neg",
      ":Concat",
      ":Sigmoid",
      "ai.onnx.ml:Imputer",
      "ai.onnx.ml:LinearClassifier",
      ":Mul",
      ":Mul",
      ":Add",
      ":ArgMax",
    ]);
    expect(outline.opsets).toEqual({ "": 17, "ai.onnx.ml": 3 });
    expect(outline.irVersion).toBe(8);
  });
});

describe("exportEnsemble", () => {
  it.each([
    { name: "binary", trees: binaryTrees, linear: binaryLinear, weightGbdt: 0.7 },
    { name: "3-class", trees: multiTrees, linear: multiLinear, weightGbdt: 0.35 },
    { name: "binary, trees only", trees: binaryTrees, linear: binaryLinear, weightGbdt: 1 },
  ])("$name: w · P_gbdt + (1 − w) · P_linear, in both runtimes", async ({ name, trees, linear, weightGbdt }) => {
    const bytes = exportEnsemble(trees, linear, { weightGbdt, metadata: METADATA });
    const fromTrees = asColumns(treeProba(trees, rows, N_COLS), trees.nClasses, nRows);
    const fromLinear = asColumns(linearProba(linear, rows, N_COLS), linear.nClasses, nRows);
    const blended = fromTrees.map((p, at) => weightGbdt * p + (1 - weightGbdt) * (fromLinear[at] ?? Number.NaN));
    const separate = {
      trees: await runEverywhere(exportTreeEnsemble(trees), rows, N_COLS),
      linear: await runEverywhere(exportLinear(linear), rows, N_COLS),
    };
    const results = await runEverywhere(bytes, rows, N_COLS);
    results.forEach((result, index) => {
      const delta = maxAbsDiff(result.probabilities, blended);
      record(`ensemble ${name} / ${result.runtime}`, delta);
      expect(delta, result.runtime).toBeLessThanOrEqual(TOLERANCE);
      expectLabels(result.label, blended, trees.nClasses);
      // The same blend of the two single-model graphs' own outputs, up to float32 rounding of the sum.
      const treesOut = separate.trees[index]!.probabilities;
      const linearOut = separate.linear[index]!.probabilities;
      const onnxBlend = treesOut.map((p, at) => weightGbdt * p + (1 - weightGbdt) * (linearOut[at] ?? Number.NaN));
      expect(maxAbsDiff(result.probabilities, onnxBlend)).toBeLessThanOrEqual(2e-7);
    });
  });

  it("refuses models that read different features or predict different classes, and weights outside [0, 1]", () => {
    expect(() => exportEnsemble(binaryTrees, multiLinear, { weightGbdt: 0.5 })).toThrow(/disagree/);
    expect(() => exportEnsemble(binaryTrees, binaryLinear, { weightGbdt: 1.5 })).toThrow(/weightGbdt/);
    expect(() => exportEnsemble(binaryTrees, binaryLinear, { weightGbdt: Number.NaN })).toThrow(/weightGbdt/);
  });
});

describe("missing values follow missingGoesLeft", () => {
  /** One split on feature 0 at `threshold`: left leaf −1, right leaf +2. */
  function stump(missingGoesLeft: boolean, threshold = 0.5): TreeEnsemble {
    return {
      nClasses: 2,
      nFeatures: 2,
      baseScores: [0.25],
      postTransform: "LOGISTIC",
      trees: [
        {
          classIndex: 0,
          nodes: [
            { kind: "branch", feature: 0, threshold, left: 1, right: 2, missingGoesLeft, gain: 1, cover: 1 },
            { kind: "leaf", value: -1, cover: 1 },
            { kind: "leaf", value: 2, cover: 1 },
          ],
        },
      ],
    };
  }
  const sigmoid = (margin: number) => 1 / (1 + Math.exp(-margin));

  it.each([true, false])("missingGoesLeft %s: NaN goes there; x = threshold left, above it right", async (left) => {
    const stumpRows = Float64Array.from([Number.NaN, 0, 0.5, Number.NaN, nextFloat32(0.5), 1, Number.NaN, Number.NaN]);
    const nanMargin = left ? -0.75 : 2.25;
    const expectedP1 = [sigmoid(nanMargin), sigmoid(-0.75), sigmoid(2.25), sigmoid(nanMargin)];
    for (const result of await runEverywhere(exportTreeEnsemble(stump(left)), stumpRows, 2)) {
      const p1 = result.probabilities.filter((_, at) => at % 2 === 1);
      expect(maxAbsDiff(p1, expectedP1), result.runtime).toBeLessThanOrEqual(1e-7);
      expect(Array.from(result.label)).toEqual(expectedP1.map((p) => (p > 0.5 ? 1 : 0)));
    }
  });

  it("a split at FLOAT32_MAX sends every present value left (up to 3.4e38), +Infinity and NaN right", async () => {
    const huge = Math.fround(1e38);
    const stumpRows = Float64Array.from([huge, 0, FLOAT32_MAX, 0, Number.POSITIVE_INFINITY, 0, Number.NaN, 0]);
    const model = stump(false, FLOAT32_MAX);
    const reference = asColumns(treeProba(model, stumpRows, 2), 2, 4);
    expect(Array.from(reference.filter((_, at) => at % 2 === 1), (p) => p > 0.5)).toEqual([false, false, true, true]);
    for (const result of await runEverywhere(exportTreeEnsemble(model), stumpRows, 2)) {
      expect(maxAbsDiff(result.probabilities, reference), result.runtime).toBeLessThanOrEqual(1e-7);
    }
  });

  it("a gbdt learns where missing rows go, and the ONNX graph agrees row by row", async () => {
    // Missing feature-0 rows are class 1 in one set and class 0 in the other: the root must route NaN differently.
    for (const missingLabel of [0, 1]) {
      const random = mulberry32(5 + missingLabel);
      const values: number[] = [];
      const labels: number[] = [];
      for (let row = 0; row < 600; row += 1) {
        const missing = random() < 0.25;
        const x = Math.fround(2 * random() - 1);
        values.push(missing ? Number.NaN : x, Math.fround(random()));
        labels.push(missing ? missingLabel : x > 0 ? 1 : 0);
      }
      const model = fitGbdt({ features: featureMatrix(Float64Array.from(values), 2), labels }, { nRounds: 5 });
      const probe = Float64Array.from([Number.NaN, 0.5, -0.5, 0.5, 0.5, 0.5]);
      const reference = asColumns(treeProba(model, probe, 2), 2, 3);
      expect((reference[1] ?? 0) > 0.5).toBe(missingLabel === 1);
      for (const result of await runEverywhere(exportTreeEnsemble(model), probe, 2)) {
        expect(maxAbsDiff(result.probabilities, reference)).toBeLessThanOrEqual(TOLERANCE);
        expect(result.label[0]).toBe(missingLabel);
      }
    }
  });
});

describe("metadata", () => {
  it("round-trips feature spec, model version, label definition and extras; producer and kind are set", () => {
    const outline = readModelOutline(exportEnsemble(multiTrees, multiLinear, { weightGbdt: 0.25, metadata: METADATA }));
    expect(outline.producerName).toBe("aurum-edge-training");
    expect(outline.producerVersion).not.toBe("");
    expect(outline.metadata).toEqual({
      [METADATA_KEYS.featureSpecName]: "xauusd-m1-core",
      [METADATA_KEYS.featureSpecVersion]: "3",
      [METADATA_KEYS.featureSpecSha256]: METADATA.featureSpec.sha256.toLowerCase(),
      [METADATA_KEYS.modelVersion]: "2025-06-01.gbdt.7",
      [METADATA_KEYS.labelDefinition]: JSON.stringify(METADATA.labelDefinition),
      [METADATA_KEYS.modelKind]: "ensemble",
      [METADATA_KEYS.nFeatures]: String(N_COLS),
      [METADATA_KEYS.nClasses]: "3",
      [METADATA_KEYS.weightGbdt]: "0.25",
      trainer_commit: "abc123",
    });
    expect(JSON.parse(outline.metadata[METADATA_KEYS.labelDefinition] ?? "")).toEqual(METADATA.labelDefinition);
  });

  it("takes the producer from the options and refuses a malformed hash or a reserved extra key", () => {
    const outline = readModelOutline(exportLinear(binaryLinear, { producerName: "p", producerVersion: "9.9" }));
    expect([outline.producerName, outline.producerVersion]).toEqual(["p", "9.9"]);
    expect(outline.metadata[METADATA_KEYS.modelKind]).toBe("logistic");
    const badHash = { ...METADATA, featureSpec: { ...METADATA.featureSpec, sha256: "abc" } };
    expect(() => exportLinear(binaryLinear, { metadata: badHash })).toThrow(/sha256/);
    const reserved = { ...METADATA, extra: { model_version: "x" } };
    expect(() => exportLinear(binaryLinear, { metadata: reserved })).toThrow(/reserved/);
    const notJson = { ...METADATA, labelDefinition: "{horizon: 30" };
    expect(() => exportLinear(binaryLinear, { metadata: notJson })).toThrow(/not JSON/);
    const jsonText = { ...METADATA, labelDefinition: '{"horizon":30}' };
    expect(readModelOutline(exportLinear(binaryLinear, { metadata: jsonText })).metadata.label_definition).toBe(
      '{"horizon":30}',
    );
  });
});

describe("refusals", () => {
  function withRootThreshold(model: TreeEnsembleModel, threshold: number): TreeEnsembleModel {
    const [first, ...rest] = model.trees;
    const root = first?.nodes[0];
    if (first === undefined || root?.kind !== "branch") throw new Error("no root split");
    return { ...model, trees: [{ ...first, nodes: [{ ...root, threshold }, ...first.nodes.slice(1)] }, ...rest] };
  }

  it("refuses a threshold that is not a float32 number (or NaN)", () => {
    expect(() => exportTreeEnsemble(withRootThreshold(binaryTrees, 0.1))).toThrow(/tree 0 node 0 .*not a float32/);
    expect(() => exportTreeEnsemble(withRootThreshold(binaryTrees, Number.NaN))).toThrow(/not a float32/);
    expect(() => exportTreeEnsemble(withRootThreshold(binaryTrees, Math.fround(0.1)))).not.toThrow();
    const ensembleWithBadThreshold = withRootThreshold(binaryTrees, 1 / 3);
    expect(() => exportEnsemble(ensembleWithBadThreshold, binaryLinear, { weightGbdt: 0.5 })).toThrow(/float32/);
  });

  it("refuses malformed trees, linear models and options", () => {
    expect(() => exportTreeEnsemble({ ...binaryTrees, baseScores: [0, 0] })).toThrow(/base scores/);
    expect(() => exportTreeEnsemble({ ...binaryTrees, trees: [] })).toThrow(/no trees/);
    expect(() => exportTreeEnsemble({ ...binaryTrees, postTransform: "SOFTMAX" })).toThrow(/LOGISTIC/);
    expect(() => exportTreeEnsemble({ ...binaryTrees, nFeatures: 2 })).toThrow(/feature/);
    expect(() => exportLinear({ ...binaryLinear, imputeValues: [1] })).toThrow(/impute values/);
    expect(() => exportLinear({ ...binaryLinear, intercepts: [Number.NaN] })).toThrow(/not finite/);
    expect(() => exportLinear(binaryLinear, { opset: 12 })).toThrow(/opset/);
    expect(() => exportLinear(binaryLinear, { opsetMl: 5 })).toThrow(/opsetMl/);
  });
});

describe("options", () => {
  it("names the input as asked and runs at opsets 13 and 21, ai.onnx.ml 3 and 4", async () => {
    for (const [opset, opsetMl] of [
      [13, 3],
      [21, 4],
    ] as const) {
      const bytes = exportTreeEnsemble(multiTrees, { opset, opsetMl, inputName: "x" });
      expect(readModelOutline(bytes).opsets).toEqual({ "": opset, "ai.onnx.ml": opsetMl });
      const reference = treeProba(multiTrees, rows.subarray(0, 60), N_COLS);
      for (const runtime of RUNTIMES) {
        const session = await runtime.load(bytes);
        expect(session.inputNames).toEqual(["x"]);
        const outputs = await session.run(Float32Array.from(rows.subarray(0, 60)), 10, N_COLS, "x");
        expect(maxAbsDiff(outputs.probabilities!, reference)).toBeLessThanOrEqual(TOLERANCE);
        await session.release();
      }
    }
  });
});

describe("bytes through a file", () => {
  it("writes the model, reads it back byte for byte, and the loaded copy predicts the same", async () => {
    const dir = await mkdtemp(join(tmpdir(), "onnx-export-"));
    try {
      const bytes = exportEnsemble(binaryTrees, binaryLinear, { weightGbdt: 0.6, metadata: METADATA });
      const path = join(dir, "model.onnx");
      await writeFile(path, bytes);
      const loaded = new Uint8Array(await readFile(path));
      expect(loaded).toEqual(bytes);
      expect(readModelOutline(loaded).metadata[METADATA_KEYS.modelVersion]).toBe(METADATA.modelVersion);
      const [before, after] = [await runEverywhere(bytes, rows, N_COLS), await runEverywhere(loaded, rows, N_COLS)];
      after.forEach((result, index) => expect(result.probabilities).toEqual(before[index]?.probabilities));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
