/** Gradient-boosted trees: a hand-checked split, interactions, missing values, multiclass, early stopping, sampling. */
import { describe, expect, it } from "vitest";
import { fitBinning, FLOAT32_MAX } from "../../../../training/models/binning.js";
import { featureMatrix } from "../../../../training/models/feature-matrix.js";
import {
  type DecisionTree,
  fitGbdt,
  GBDT_DEFAULTS,
  predictProba,
  predictScores,
  type TreeBranch,
  type TreeEnsembleModel,
} from "../../../../training/models/gbdt.js";
import { fitLogistic, predictProba as predictLogisticProba } from "../../../../training/models/logistic.js";
import { probabilityLogLoss, sigmoid } from "../../../../training/models/objectives.js";
import {
  accuracy,
  blobData,
  type Dataset,
  missingDirectionData,
  missingnessData,
  noisyData,
  xorData,
} from "./synthetic-data.js";

function rootOf(tree: DecisionTree | undefined): TreeBranch {
  const root = tree?.nodes[0];
  if (root?.kind !== "branch") throw new Error("the tree has no root split");
  return root;
}

/** The trees without their gains (which may differ in the last bits when histograms are subtracted). */
function withoutGains(model: TreeEnsembleModel) {
  return model.trees.map((tree) => ({
    classIndex: tree.classIndex,
    nodes: tree.nodes.map((node) => (node.kind === "leaf" ? node : { ...node, gain: 0 })),
  }));
}

function gains(model: TreeEnsembleModel): number[] {
  return model.trees.flatMap((tree) => tree.nodes.map((node) => (node.kind === "branch" ? node.gain : 0)));
}

function labelsOf(data: Dataset): number[] {
  return Array.from(data.labels);
}

describe("fitGbdt on a hand-checkable set", () => {
  // x0 = 1,1,2,2,3,3,4,4 separates the labels 0,0,0,0,1,1,1,1 at x0 <= 2; x1 alternates 1,2 and carries nothing.
  const features = featureMatrix(Float64Array.from([1, 1, 1, 2, 2, 1, 2, 2, 3, 1, 3, 2, 4, 1, 4, 2]), 2);
  const labels = [0, 0, 0, 0, 1, 1, 1, 1];
  const model = fitGbdt({ features, labels }, { nRounds: 1, maxDepth: 1, learningRate: 0.5 });

  it("chooses feature 0 at bin 1 with gain 4 and leaf values ∓0.5", () => {
    // Prior p = 0.5 (margin 0): g = p − y = ±0.5, h = 0.25. Left: G = 2, H = 1; right: G = −2, H = 1; λ = 1.
    // Gain = 2²/(1+1) + (−2)²/(1+1) − 0²/(2+1) = 4; leaves −G/(H+λ) × 0.5 = −0.5 and +0.5.
    // x0 ≤ 1 or x0 ≤ 3 would leave a child with H = 0.5 < minChildWeight 1; x1 has gain 0.
    const bin1Bound = fitBinning(features).upperBounds[0]?.[1];
    expect(bin1Bound).toBe(2.5);
    expect(model.baseScores).toEqual([0]);
    expect(model.trees).toEqual([
      {
        classIndex: 0,
        nodes: [
          {
            kind: "branch",
            feature: 0,
            threshold: bin1Bound,
            left: 1,
            right: 2,
            missingGoesLeft: true,
            gain: 4,
            cover: 2,
          },
          { kind: "leaf", value: -0.5, cover: 1 },
          { kind: "leaf", value: 0.5, cover: 1 },
        ],
      },
    ]);
    expect(model.featureImportance).toEqual([4, 0]);
    expect(model.postTransform).toBe("LOGISTIC");
  });

  it("predicts sigmoid of the base score plus the leaf", () => {
    const rows = [Float64Array.of(1.7, 9), Float64Array.of(2.6, Number.NaN), Float64Array.of(Number.NaN, 0)];
    const p = predictProba(model, rows);
    expect(Array.from(p)).toEqual([sigmoid(-0.5), sigmoid(0.5), sigmoid(-0.5)]);
  });

  it("gives the same predictions for rows, a flat array and a matrix, and after a JSON round trip", () => {
    const rows = [Float64Array.of(1.2, 0), Float64Array.of(3.9, 1), Float64Array.of(Number.NaN, 2)];
    const flat = Float64Array.from(rows.flatMap((row) => Array.from(row)));
    const expected = predictProba(model, rows);
    expect(predictProba(model, flat, 2)).toEqual(expected);
    expect(predictProba(model, featureMatrix(flat, 2))).toEqual(expected);
    const restored = JSON.parse(JSON.stringify(model)) as TreeEnsembleModel;
    expect(restored).toEqual(model);
    expect(predictProba(restored, rows)).toEqual(expected);
    expect(() => predictProba(model, flat, 3)).toThrow(RangeError);
  });
});

describe("fitGbdt learning", () => {
  it("learns XOR with depth-2 trees, which logistic regression cannot", () => {
    const train = xorData(2_000, 1);
    const test = xorData(2_000, 2);
    const model = fitGbdt(train, { maxDepth: 2, nRounds: 200, learningRate: 0.3 });
    expect(accuracy(predictProba(model, test.features), test.labels, 2)).toBeGreaterThan(0.97);
    const linear = fitLogistic(train);
    expect(accuracy(predictLogisticProba(linear, test.features), test.labels, 2)).toBeLessThan(0.6);
  });

  it("separates three blobs with softmax trees, one per class per round, probabilities summing to 1", () => {
    const train = blobData(900, 3);
    const test = blobData(900, 4);
    const model = fitGbdt(train, { objective: "multiclass", nRounds: 60, maxDepth: 3, learningRate: 0.2 });
    expect(model.nClasses).toBe(3);
    expect(model.postTransform).toBe("SOFTMAX");
    expect(model.treesPerRound).toBe(3);
    expect(model.trees.map((tree) => tree.classIndex)).toEqual(Array.from({ length: 180 }, (_, index) => index % 3));
    const p = predictProba(model, test.features);
    expect(p).toHaveLength(900 * 3);
    for (let row = 0; row < 900; row += 1) {
      expect((p[3 * row] ?? 0) + (p[3 * row + 1] ?? 0) + (p[3 * row + 2] ?? 0)).toBeCloseTo(1, 12);
    }
    expect(accuracy(p, test.labels, 3)).toBeGreaterThan(0.95);
    expect(probabilityLogLoss(p, test.labels, 3)).toBeLessThan(0.2);
    expect(model.featureImportance[2]).toBeLessThan(0.05 * (model.featureImportance[0] ?? 0));
  });

  it("lowers the training log-loss below the prior's on a noisy non-linear target", () => {
    const data = noisyData(3_000, 6, 9);
    const model = fitGbdt(data, { nRounds: 100 });
    const prior = { ...model, trees: [] };
    const loss = probabilityLogLoss(predictProba(model, data.features), data.labels, 2);
    expect(loss).toBeLessThan(probabilityLogLoss(predictProba(prior, data.features), data.labels, 2) - 0.05);
  });
});

describe("fitGbdt with missing values", () => {
  it("splits on missingness itself when it is what predicts the label", () => {
    const data = missingnessData(4_000, 5);
    const stump = fitGbdt(data, { nRounds: 1, maxDepth: 1, learningRate: 1 });
    const root = rootOf(stump.trees[0]);
    expect(root).toMatchObject({ feature: 0, threshold: FLOAT32_MAX, missingGoesLeft: false });
    const model = fitGbdt(data, { nRounds: 100, maxDepth: 2, learningRate: 0.1 });
    const p = predictProba(model, [Float64Array.of(Number.NaN, 0.5), Float64Array.of(0.5, 0.5)]);
    expect(p[0]).toBeGreaterThan(0.85);
    expect(p[1]).toBeLessThan(0.15);
  });

  it.each([
    { missingLabel: 1, missingGoesLeft: false },
    { missingLabel: 0, missingGoesLeft: true },
  ])("sends missing values with the side they resemble (label $missingLabel)", ({ missingLabel, missingGoesLeft }) => {
    const data = missingDirectionData(4_000, 6, 0.2, missingLabel);
    const stump = fitGbdt(data, { nRounds: 1, maxDepth: 1, learningRate: 1 });
    const root = rootOf(stump.trees[0]);
    expect(root.feature).toBe(0);
    expect(Math.abs(root.threshold)).toBeLessThan(0.02);
    expect(root.missingGoesLeft).toBe(missingGoesLeft);
    const rows = [Float64Array.of(Number.NaN, 0), Float64Array.of(-0.5, 0), Float64Array.of(0.5, 0)];
    const [pMissing, pLow, pHigh] = predictProba(stump, rows);
    expect(pMissing).toBe(missingLabel === 1 ? pHigh : pLow);
  });

  it.each([
    { zeros: 350, missingGoesLeft: true },
    { zeros: 150, missingGoesLeft: false },
  ])("sends missing values the heavier way at a node that saw none ($zeros zeros)", ({ zeros, missingGoesLeft }) => {
    const values = Float64Array.from({ length: 500 }, (_, row) => (row < zeros ? 0 : 1));
    const data = { features: featureMatrix(values, 1), labels: Array.from(values) };
    const stump = fitGbdt(data, { nRounds: 1, maxDepth: 1 });
    const root = rootOf(stump.trees[0]);
    expect(root.threshold).toBe(0.5);
    expect(root.missingGoesLeft).toBe(missingGoesLeft);
  });
});

describe("fitGbdt early stopping", () => {
  // Deep trees at a high learning rate on 600 noisy rows: the validation loss bottoms out after a few rounds.
  const train = noisyData(600, 4, 13);
  const validation = noisyData(600, 4, 14);
  const patience = 10;
  const model = fitGbdt(train, { nRounds: 300, learningRate: 0.3, earlyStoppingRounds: patience }, validation);

  it("stops `earlyStoppingRounds` rounds after the best round and keeps the rounds up to it", () => {
    const losses = model.validationLoss;
    const best = losses.indexOf(Math.min(...losses));
    expect(best).toBeGreaterThan(0);
    expect(losses.length).toBeLessThan(300);
    expect(losses).toHaveLength(best + 1 + patience);
    expect(model.rounds).toBe(best + 1);
    expect(model.trees).toHaveLength(best + 1);
  });

  it("reports validation losses the returned model reproduces from raw features", () => {
    const p = predictProba(model, validation.features);
    const bestLoss = model.validationLoss[model.rounds - 1] ?? Number.NaN;
    expect(probabilityLogLoss(p, labelsOf(validation), 2)).toBeCloseTo(bestLoss, 12);
  });

  it("trains every round without a validation set", () => {
    expect(fitGbdt(train, { nRounds: 30, learningRate: 0.3 }).trees).toHaveLength(30);
  });
});

describe("fitGbdt sampling", () => {
  const data = noisyData(2_000, 6, 15);
  const params = { nRounds: 20, rowSubsample: 0.7, colSubsample: 0.5, maxDepth: 3 };

  it("is deterministic for a seed and differs across seeds", () => {
    const first = fitGbdt(data, { ...params, seed: 1 });
    expect(fitGbdt(data, { ...params, seed: 1 })).toEqual(first);
    const other = fitGbdt(data, { ...params, seed: 2 });
    expect(other.trees).not.toEqual(first.trees);
  });

  it("grows each tree on about rowSubsample of the rows and on colSubsample of the features", () => {
    const model = fitGbdt(data, { ...params, seed: 3 });
    const full = fitGbdt(data, { ...params, rowSubsample: 1, colSubsample: 1 });
    model.trees.forEach((tree, index) => {
      const share = (tree.nodes[0]?.cover ?? 0) / (full.trees[index]?.nodes[0]?.cover ?? 1);
      expect(share).toBeGreaterThan(0.6);
      expect(share).toBeLessThan(0.8);
      const used = new Set(tree.nodes.flatMap((node) => (node.kind === "branch" ? [node.feature] : [])));
      expect(used.size).toBeLessThanOrEqual(3);
    });
  });
});

describe("histogram subtraction", () => {
  it.each([
    { objective: "binary" as const, nClasses: 2 },
    { objective: "multiclass" as const, nClasses: 3 },
  ])("grows exactly the trees of building both children ($objective)", ({ objective, nClasses }) => {
    const data = noisyData(3_000, 5, 16, nClasses);
    const sampling = { rowSubsample: 0.8, colSubsample: 0.8, seed: 4 };
    const params = { objective, nRounds: 15, maxDepth: 5, minChildWeight: 0.5, ...sampling };
    const subtracted = fitGbdt(data, { ...params, histogramSubtraction: true });
    const built = fitGbdt(data, { ...params, histogramSubtraction: false });
    expect(withoutGains(subtracted)).toEqual(withoutGains(built));
    const builtGains = gains(built);
    gains(subtracted).forEach((gain, index) => expect(gain).toBeCloseTo(builtGains[index] ?? Number.NaN, 9));
    expect(predictScores(subtracted, data.features)).toEqual(predictScores(built, data.features));
  });
});

describe("fitGbdt parameters", () => {
  it("has the documented defaults", () => {
    expect(GBDT_DEFAULTS).toEqual({
      objective: "binary",
      learningRate: 0.05,
      maxDepth: 6,
      minChildWeight: 1,
      l2: 1,
      minSplitGain: 0,
      rowSubsample: 1,
      colSubsample: 1,
      nRounds: 300,
      earlyStoppingRounds: 50,
      seed: 0,
      maxBins: 256,
      histogramSubtraction: true,
    });
  });

  it("refuses bad parameters and labels", () => {
    const data = xorData(50, 1);
    expect(() => fitGbdt(data, { learningRate: 0 })).toThrow(RangeError);
    expect(() => fitGbdt(data, { maxDepth: 17 })).toThrow(RangeError);
    expect(() => fitGbdt(data, { rowSubsample: 1.5 })).toThrow(RangeError);
    expect(() => fitGbdt(data, { objective: "multiclass" })).toThrow(/at least 3/);
    expect(() => fitGbdt({ features: data.features, labels: [...labelsOf(data).slice(1), 2] })).toThrow(/label 49/);
    expect(() => fitGbdt({ features: data.features, labels: [1, 0] })).toThrow(/2 labels for 50 rows/);
  });

  it("keeps a single leaf at maxDepth 0 and reaches no deeper than maxDepth", () => {
    const data = noisyData(1_000, 4, 17);
    expect(fitGbdt(data, { nRounds: 2, maxDepth: 0 }).trees.every((tree) => tree.nodes.length === 1)).toBe(true);
    const depthOf = (tree: DecisionTree, node: number): number => {
      const at = tree.nodes[node];
      return at?.kind === "branch" ? 1 + Math.max(depthOf(tree, at.left), depthOf(tree, at.right)) : 0;
    };
    const model = fitGbdt(data, { nRounds: 5, maxDepth: 3, minChildWeight: 0 });
    expect(Math.max(...model.trees.map((tree) => depthOf(tree, 0)))).toBe(3);
  });
});
