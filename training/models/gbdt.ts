/** Histogram gradient-boosted trees of our own (no npm package trains them at this size): log-loss and softmax. */
import {
  type BinnedMatrix,
  binMatrix,
  FLOAT32_MAX,
  type FeatureBinning,
  fitBinning,
  MAX_BINS,
  MISSING_BIN,
} from "./binning.js";
import { type FeatureInput, requireClassLabels, toFeatureMatrix } from "./feature-matrix.js";
import { binaryGradients, meanMarginLogLoss, softmaxGradients } from "./objectives.js";
import { drawWithoutReplacement, mulberry32, type RandomSource } from "./random.js";
import { type ClassObjective, classCount, requireSettings, withDefaults } from "./settings.js";
import type { DecisionTree, TreeEnsemble, TreeNode } from "./tree-ensemble.js";

export {
  applyPostTransform,
  type DecisionTree,
  predictProba,
  predictScores,
  type PostTransform,
  type TreeBranch,
  type TreeEnsemble,
  type TreeLeaf,
  type TreeNode,
} from "./tree-ensemble.js";

/** What the trees predict: class 1 against class 0 (LOGISTIC), or one of three or more classes (SOFTMAX). */
export type GbdtObjective = ClassObjective;

/** Hyper-parameters of {@link fitGbdt}; every one but `nClasses` has a default in {@link GBDT_DEFAULTS}. */
export interface GbdtParams {
  /**
   * "binary": labels 0/1, one tree per round, LOGISTIC. "multiclass": labels 0..nClasses−1, one tree per class per
   * round, SOFTMAX. Default "binary".
   */
  readonly objective: GbdtObjective;
  /** Classes of the multiclass objective (at least 3; use "binary" for 2); default the largest label + 1. */
  readonly nClasses?: number;
  /** Shrinkage applied to every leaf value, in (0, 1]; default 0.05. */
  readonly learningRate: number;
  /** Depth of the deepest leaf (0 = a single leaf), at most 16; default 6. */
  readonly maxDepth: number;
  /** Least hessian sum a child may have; default 1. */
  readonly minChildWeight: number;
  /** L2 penalty λ on leaf values, ≥ 0; default 1. */
  readonly l2: number;
  /** A split is kept only when its gain (see `TreeBranch.gain`) is above this; default 0. */
  readonly minSplitGain: number;
  /** Share of rows drawn (Bernoulli, per round) to grow the round's trees, in (0, 1]; default 1. */
  readonly rowSubsample: number;
  /** Share of features drawn (without replacement, per tree) that the tree may split on, in (0, 1]; default 1. */
  readonly colSubsample: number;
  /** Boosting rounds, at most; default 300. */
  readonly nRounds: number;
  /** With a validation set: stop after this many rounds without a lower validation log-loss; default 50. */
  readonly earlyStoppingRounds: number;
  /** Seed of the row and column draws (and of the binning sample); default 0. */
  readonly seed: number;
  /** Bins per feature including the missing bin, 2 to 256; default 256. */
  readonly maxBins: number;
  /** Larger child's histogram as parent − smaller child; false builds both (slower, for tests). Default true. */
  readonly histogramSubtraction: boolean;
}

/** The defaults of {@link GbdtParams}. */
export const GBDT_DEFAULTS: Readonly<Omit<GbdtParams, "nClasses">> = Object.freeze({
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
  maxBins: MAX_BINS,
  histogramSubtraction: true,
});

/** Rows with their class labels. */
export interface LabelledRows {
  readonly features: FeatureInput;
  readonly labels: ArrayLike<number>;
}

/** A fitted boosted model: the {@link TreeEnsemble} to predict with or export, and how it was trained. */
export interface TreeEnsembleModel extends TreeEnsemble {
  readonly kind: "gbdt";
  readonly objective: GbdtObjective;
  /** Rounds kept: the best validation round + 1 with a validation set, else every round. */
  readonly rounds: number;
  /** Trees per round: 1 for binary, `nClasses` for multiclass (tree `r × treesPerRound + k` is class k of round r). */
  readonly treesPerRound: number;
  /** Total split gain per feature over the kept trees. */
  readonly featureImportance: readonly number[];
  /** Validation log-loss after each round trained (kept or not); empty without a validation set. */
  readonly validationLoss: readonly number[];
  readonly params: GbdtParams & { readonly nClasses: number };
}

/** Per bin of a histogram: gradient sum, hessian sum, row count (counts are exact, so emptiness is too). */
const BIN_STRIDE = 3;
const FEATURE_STRIDE = MAX_BINS * BIN_STRIDE;
const MAX_DEPTH_LIMIT = 16;
/** Base-score probabilities are clipped to [eps, 1 − eps] so a class absent from training gets a finite margin. */
const PRIOR_EPSILON = 1e-12;

interface GrowerSettings {
  readonly maxDepth: number;
  readonly minChildWeight: number;
  readonly l2: number;
  readonly minSplitGain: number;
  readonly learningRate: number;
  readonly histogramSubtraction: boolean;
}

/** A node waiting to be split: its rows are `rowIndex[start..end)`, in ascending row order. */
interface OpenNode {
  readonly id: number;
  readonly start: number;
  readonly end: number;
  readonly depth: number;
  readonly gradSum: number;
  readonly hessSum: number;
  histogram: Float64Array | undefined;
}

interface Split {
  feature: number;
  bin: number;
  missingGoesLeft: boolean;
  gain: number;
}

/** A tree as grown on bins: parallel arrays by node id; `feature` −1 marks a leaf. */
interface BinnedTree {
  readonly feature: number[];
  readonly bin: number[];
  readonly left: number[];
  readonly right: number[];
  readonly missingGoesLeft: boolean[];
  readonly value: number[];
  readonly gain: number[];
  readonly cover: number[];
  /** Per leaf: node id, then its rows' `rowIndex` range (start, end), flattened. */
  readonly leafRanges: number[];
}

/**
 * Grows one tree on binned rows from given gradients and hessians. Buffers (row order, ordered gradients,
 * histograms) live as long as the grower, so growing allocates almost nothing. Depth-wise: every node is split
 * (when a split passes the constraints) until `maxDepth`; a node's split depends only on its own rows, so nodes
 * are expanded depth-first, which keeps at most `maxDepth + 1` histograms alive.
 */
class TreeGrower {
  /** Rows of the tree, partitioned node by node. */
  readonly rowIndex: Int32Array;
  private readonly partitionScratch: Int32Array;
  /** The gradient and hessian of the node's rows, interleaved, in the node's row order. */
  private readonly orderedGradHess: Float64Array;
  private readonly freeHistograms: Float64Array[] = [];
  private grad: Float64Array = new Float64Array(0);
  private hess: Float64Array = new Float64Array(0);
  private features: Int32Array = new Int32Array(0);

  constructor(
    private readonly binned: BinnedMatrix,
    private readonly valueBins: Int32Array,
    private readonly settings: GrowerSettings,
  ) {
    this.rowIndex = new Int32Array(binned.nRows);
    this.partitionScratch = new Int32Array(binned.nRows);
    this.orderedGradHess = new Float64Array(2 * binned.nRows);
  }

  /** Grows a tree on `rows` (ascending) using only `features` (ascending). */
  grow(grad: Float64Array, hess: Float64Array, rows: Int32Array, features: Int32Array): BinnedTree {
    this.grad = grad;
    this.hess = hess;
    this.features = features;
    this.rowIndex.set(rows);
    const tree: BinnedTree = {
      feature: [],
      bin: [],
      left: [],
      right: [],
      missingGoesLeft: [],
      value: [],
      gain: [],
      cover: [],
      leafRanges: [],
    };
    let gradSum = 0;
    let hessSum = 0;
    for (const row of rows) {
      gradSum += grad[row]!;
      hessSum += hess[row]!;
    }
    const root = this.openNode(tree, 0, rows.length, 0, gradSum, hessSum);
    if (this.mayBeSplit(root)) root.histogram = this.buildHistogram(root);
    const stack = [root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      const split = node.histogram === undefined ? undefined : this.bestSplit(node, node.histogram);
      if (split === undefined) {
        this.release(node.histogram);
        this.closeAsLeaf(tree, node);
        continue;
      }
      const [left, right] = this.partition(tree, node, split);
      tree.feature[node.id] = split.feature;
      tree.bin[node.id] = split.bin;
      tree.left[node.id] = left.id;
      tree.right[node.id] = right.id;
      tree.missingGoesLeft[node.id] = split.missingGoesLeft;
      tree.gain[node.id] = split.gain;
      this.childHistograms(node, left, right);
      stack.push(right, left);
    }
    return tree;
  }

  private openNode(
    tree: BinnedTree,
    start: number,
    end: number,
    depth: number,
    gradSum: number,
    hessSum: number,
  ): OpenNode {
    const id = tree.feature.length;
    tree.feature.push(-1);
    tree.bin.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.missingGoesLeft.push(false);
    tree.value.push(0);
    tree.gain.push(0);
    tree.cover.push(hessSum);
    return { id, start, end, depth, gradSum, hessSum, histogram: undefined };
  }

  private closeAsLeaf(tree: BinnedTree, node: OpenNode): void {
    const { l2, learningRate } = this.settings;
    const denominator = node.hessSum + l2;
    tree.value[node.id] = denominator > 0 ? (-node.gradSum / denominator) * learningRate : 0;
    tree.leafRanges.push(node.id, node.start, node.end);
  }

  /** True when the node is shallower than `maxDepth` and has the rows and hessian for two children to be valid. */
  private mayBeSplit(node: OpenNode): boolean {
    return (
      node.depth < this.settings.maxDepth &&
      node.end - node.start >= 2 &&
      node.hessSum >= 2 * this.settings.minChildWeight
    );
  }

  private acquire(): Float64Array {
    return this.freeHistograms.pop() ?? new Float64Array(this.binned.nCols * FEATURE_STRIDE);
  }

  private release(histogram: Float64Array | undefined): void {
    if (histogram !== undefined) this.freeHistograms.push(histogram);
  }

  /**
   * Gradient, hessian and count histograms of the node's rows, for the tree's features. The node's gradients and
   * hessians are first gathered in row order, then four features are filled per pass over the rows (one load of
   * the row, gradient and hessian serves four bins: about 1.6 times faster than one feature per pass).
   */
  private buildHistogram(node: OpenNode): Float64Array {
    const histogram = this.acquire();
    const { bins, nRows } = this.binned;
    const { rowIndex, orderedGradHess, grad, hess, features } = this;
    const { start } = node;
    const count = node.end - start;
    for (let i = 0; i < count; i += 1) {
      const row = rowIndex[start + i]!;
      orderedGradHess[2 * i] = grad[row]!;
      orderedGradHess[2 * i + 1] = hess[row]!;
    }
    for (const feature of features) histogram.fill(0, feature * FEATURE_STRIDE, (feature + 1) * FEATURE_STRIDE);
    let at = 0;
    for (; at + 4 <= features.length; at += 4) {
      const base0 = features[at]! * FEATURE_STRIDE;
      const base1 = features[at + 1]! * FEATURE_STRIDE;
      const base2 = features[at + 2]! * FEATURE_STRIDE;
      const base3 = features[at + 3]! * FEATURE_STRIDE;
      const column0 = features[at]! * nRows;
      const column1 = features[at + 1]! * nRows;
      const column2 = features[at + 2]! * nRows;
      const column3 = features[at + 3]! * nRows;
      for (let i = 0; i < count; i += 1) {
        const row = rowIndex[start + i]!;
        const g = orderedGradHess[2 * i]!;
        const h = orderedGradHess[2 * i + 1]!;
        let slot = base0 + bins[column0 + row]! * BIN_STRIDE;
        histogram[slot]! += g;
        histogram[slot + 1]! += h;
        histogram[slot + 2]! += 1;
        slot = base1 + bins[column1 + row]! * BIN_STRIDE;
        histogram[slot]! += g;
        histogram[slot + 1]! += h;
        histogram[slot + 2]! += 1;
        slot = base2 + bins[column2 + row]! * BIN_STRIDE;
        histogram[slot]! += g;
        histogram[slot + 1]! += h;
        histogram[slot + 2]! += 1;
        slot = base3 + bins[column3 + row]! * BIN_STRIDE;
        histogram[slot]! += g;
        histogram[slot + 1]! += h;
        histogram[slot + 2]! += 1;
      }
    }
    for (; at < features.length; at += 1) {
      const base = features[at]! * FEATURE_STRIDE;
      const column = features[at]! * nRows;
      for (let i = 0; i < count; i += 1) {
        const slot = base + bins[column + rowIndex[start + i]!]! * BIN_STRIDE;
        histogram[slot]! += orderedGradHess[2 * i]!;
        histogram[slot + 1]! += orderedGradHess[2 * i + 1]!;
        histogram[slot + 2]! += 1;
      }
    }
    return histogram;
  }

  /** Turns `parent` into `parent − child`, clearing the sums of bins left empty (their counts are exact). */
  private subtractInPlace(parent: Float64Array, child: Float64Array): void {
    for (const feature of this.features) {
      const end = (feature + 1) * FEATURE_STRIDE;
      for (let slot = feature * FEATURE_STRIDE; slot < end; slot += BIN_STRIDE) {
        const count = parent[slot + 2]! - child[slot + 2]!;
        parent[slot + 2] = count;
        parent[slot] = count === 0 ? 0 : parent[slot]! - child[slot]!;
        parent[slot + 1] = count === 0 ? 0 : parent[slot + 1]! - child[slot + 1]!;
      }
    }
  }

  /**
   * Gives the children that may be split their histograms: with subtraction, the child with fewer rows is built
   * from its rows and the other is the parent's histogram minus it (in the parent's buffer).
   */
  private childHistograms(parent: OpenNode, left: OpenNode, right: OpenNode): void {
    const parentHistogram = parent.histogram;
    parent.histogram = undefined;
    const leftNeeded = this.mayBeSplit(left);
    const rightNeeded = this.mayBeSplit(right);
    if (parentHistogram === undefined || (!leftNeeded && !rightNeeded)) {
      this.release(parentHistogram);
      return;
    }
    if (!this.settings.histogramSubtraction) {
      if (leftNeeded) left.histogram = this.buildHistogram(left);
      if (rightNeeded) right.histogram = this.buildHistogram(right);
      this.release(parentHistogram);
      return;
    }
    const leftIsSmaller = left.end - left.start <= right.end - right.start;
    const [smaller, larger] = leftIsSmaller ? [left, right] : [right, left];
    const smallerHistogram = this.buildHistogram(smaller);
    this.subtractInPlace(parentHistogram, smallerHistogram);
    if (this.mayBeSplit(smaller)) smaller.histogram = smallerHistogram;
    else this.release(smallerHistogram);
    if (this.mayBeSplit(larger)) larger.histogram = parentHistogram;
    else this.release(parentHistogram);
  }

  /**
   * The best split of the node over its features and bin thresholds, trying missing values on each side; undefined
   * when no split has a gain above `minSplitGain` with both children meeting `minChildWeight`. Ties keep the first
   * (lowest feature, then lowest bin, then missing right). Missing values alone on the left are not tried: that is
   * the mirror of present values left and missing values right, which is tried, and the two would only tie.
   */
  private bestSplit(node: OpenNode, histogram: Float64Array): Split | undefined {
    const { l2, minChildWeight } = this.settings;
    const totalGrad = node.gradSum;
    const totalHess = node.hessSum;
    const totalCount = node.end - node.start;
    const parentScore = (totalGrad * totalGrad) / (totalHess + l2);
    const best: Split = { feature: -1, bin: 0, missingGoesLeft: false, gain: this.settings.minSplitGain };
    for (const feature of this.features) {
      const base = feature * FEATURE_STRIDE;
      const missingSlot = base + MISSING_BIN * BIN_STRIDE;
      const missingGrad = histogram[missingSlot]!;
      const missingHess = histogram[missingSlot + 1]!;
      const missingCount = histogram[missingSlot + 2]!;
      const binCount = this.valueBins[feature]!;
      let leftGrad = 0;
      let leftHess = 0;
      let leftCount = 0;
      for (let bin = 0; bin < binCount; bin += 1) {
        const slot = base + bin * BIN_STRIDE;
        leftGrad += histogram[slot]!;
        leftHess += histogram[slot + 1]!;
        leftCount += histogram[slot + 2]!;
        for (let missingLeft = 0; missingLeft < (missingCount > 0 ? 2 : 1); missingLeft += 1) {
          const lGrad = missingLeft === 1 ? leftGrad + missingGrad : leftGrad;
          const lHess = missingLeft === 1 ? leftHess + missingHess : leftHess;
          const lCount = missingLeft === 1 ? leftCount + missingCount : leftCount;
          const rGrad = totalGrad - lGrad;
          const rHess = totalHess - lHess;
          if (leftCount === 0 || lCount === totalCount || lHess < minChildWeight || rHess < minChildWeight) continue;
          if (!(lHess + l2 > 0 && rHess + l2 > 0)) continue;
          const gain = (lGrad * lGrad) / (lHess + l2) + (rGrad * rGrad) / (rHess + l2) - parentScore;
          if (gain > best.gain) {
            best.feature = feature;
            best.bin = bin;
            best.gain = gain;
            best.missingGoesLeft = missingCount > 0 ? missingLeft === 1 : lHess >= rHess;
          }
        }
      }
    }
    return best.feature < 0 ? undefined : best;
  }

  /** Splits the node's rows in place (stably: each side stays in ascending order) and opens both children. */
  private partition(tree: BinnedTree, node: OpenNode, split: Split): [OpenNode, OpenNode] {
    const { bins, nRows } = this.binned;
    const { rowIndex, partitionScratch, grad, hess } = this;
    const columnOffset = split.feature * nRows;
    const missingGoesLeft = split.missingGoesLeft;
    let leftEnd = node.start;
    let rightCount = 0;
    let leftGrad = 0;
    let leftHess = 0;
    let rightGrad = 0;
    let rightHess = 0;
    for (let i = node.start; i < node.end; i += 1) {
      const row = rowIndex[i]!;
      const bin = bins[columnOffset + row]!;
      if (bin === MISSING_BIN ? missingGoesLeft : bin <= split.bin) {
        rowIndex[leftEnd++] = row;
        leftGrad += grad[row]!;
        leftHess += hess[row]!;
      } else {
        partitionScratch[rightCount++] = row;
        rightGrad += grad[row]!;
        rightHess += hess[row]!;
      }
    }
    rowIndex.set(partitionScratch.subarray(0, rightCount), leftEnd);
    const depth = node.depth + 1;
    const left = this.openNode(tree, node.start, leftEnd, depth, leftGrad, leftHess);
    const right = this.openNode(tree, leftEnd, node.end, depth, rightGrad, rightHess);
    return [left, right];
  }
}

/** The leaf a binned row reaches. */
function binnedLeaf(tree: BinnedTree, binned: BinnedMatrix, row: number): number {
  let node = 0;
  let feature = tree.feature[node]!;
  while (feature >= 0) {
    const bin = binned.bins[feature * binned.nRows + row]!;
    const goesLeft = bin === MISSING_BIN ? tree.missingGoesLeft[node]! : bin <= tree.bin[node]!;
    node = goesLeft ? tree.left[node]! : tree.right[node]!;
    feature = tree.feature[node]!;
  }
  return node;
}

/** The tree on raw values: a bin threshold becomes its upper bound, the last value bin {@link FLOAT32_MAX}. */
function toDecisionTree(tree: BinnedTree, binning: FeatureBinning, classIndex: number): DecisionTree {
  const nodes: TreeNode[] = tree.feature.map((feature, id) => {
    const cover = tree.cover[id]!;
    if (feature < 0) return { kind: "leaf", value: tree.value[id]!, cover };
    const bounds = binning.upperBounds[feature]!;
    const bin = tree.bin[id]!;
    return {
      kind: "branch",
      feature,
      threshold: bin < bounds.length ? bounds[bin]! : FLOAT32_MAX,
      left: tree.left[id]!,
      right: tree.right[id]!,
      missingGoesLeft: tree.missingGoesLeft[id]!,
      gain: tree.gain[id]!,
      cover,
    };
  });
  return { classIndex, nodes };
}

function resolveParams(params: Partial<GbdtParams>, labels: ArrayLike<number>): GbdtParams & { nClasses: number } {
  const merged = withDefaults<GbdtParams>(GBDT_DEFAULTS, params);
  const nClasses = classCount("fitGbdt", merged.objective, merged.nClasses, labels);
  const { learningRate, maxDepth, minChildWeight, l2, minSplitGain, rowSubsample, colSubsample } = merged;
  const { nRounds, earlyStoppingRounds } = merged;
  const isCount = (value: number) => Number.isInteger(value) && value >= 1;
  const depthIsValid = Number.isInteger(maxDepth) && maxDepth >= 0 && maxDepth <= MAX_DEPTH_LIMIT;
  requireSettings("fitGbdt", [
    ["learningRate", learningRate, learningRate > 0 && learningRate <= 1, "in (0, 1]"],
    ["maxDepth", maxDepth, depthIsValid, `an integer in [0, ${MAX_DEPTH_LIMIT}]`],
    ["minChildWeight", minChildWeight, minChildWeight >= 0, ">= 0"],
    ["l2", l2, l2 >= 0, ">= 0"],
    ["minSplitGain", minSplitGain, minSplitGain >= 0, ">= 0"],
    ["rowSubsample", rowSubsample, rowSubsample > 0 && rowSubsample <= 1, "in (0, 1]"],
    ["colSubsample", colSubsample, colSubsample > 0 && colSubsample <= 1, "in (0, 1]"],
    ["nRounds", nRounds, isCount(nRounds), "a positive integer"],
    ["earlyStoppingRounds", earlyStoppingRounds, isCount(earlyStoppingRounds), "a positive integer"],
  ]);
  return { ...merged, nClasses };
}

/** Margins of the constant model: the log-odds of class 1 (binary) or the log class shares (multiclass). */
function priorMargins(labels: Int32Array, nClasses: number): number[] {
  const counts = new Float64Array(nClasses);
  for (const label of labels) counts[label]! += 1;
  const share = (k: number) => Math.min(1 - PRIOR_EPSILON, Math.max(PRIOR_EPSILON, counts[k]! / labels.length));
  if (nClasses === 2) return [Math.log(share(1) / (1 - share(1)))];
  return Array.from({ length: nClasses }, (_, k) => Math.log(share(k)));
}

function repeatedMargins(nRows: number, baseScores: readonly number[]): Float64Array {
  const margins = new Float64Array(nRows * baseScores.length);
  for (let row = 0; row < nRows; row += 1) margins.set(baseScores, row * baseScores.length);
  return margins;
}

/** The features a tree may use: all, or a seeded draw of `colSubsample × nCols` (at least 1), ascending. */
function drawFeatures(pool: Int32Array, nCols: number, colSubsample: number, random: RandomSource): Int32Array {
  if (colSubsample >= 1) return Int32Array.from({ length: nCols }, (_, col) => col);
  const count = Math.max(1, Math.round(colSubsample * nCols));
  return Int32Array.from(drawWithoutReplacement(pool, nCols, count, random)).sort();
}

/**
 * Fits gradient-boosted trees. Features are binned once (quantiles of the training rows, NaN in its own bin); each
 * round computes the objective's gradients and hessians at the current margins and grows one tree per margin on a
 * seeded row draw, each tree on a seeded feature draw. A leaf's value is −G/(H+λ) × learningRate; splits maximise
 * GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ), with missing values tried on both sides. With `validation`, the validation
 * log-loss is tracked every round, training stops after `earlyStoppingRounds` rounds without improvement, and the
 * model keeps the rounds up to the best one. Deterministic for fixed inputs and `seed`; single-threaded.
 * @example
 * const validation = { features: validRows, labels: validLabels };
 * const model = fitGbdt({ features: trainRows, labels: trainLabels }, { nRounds: 500 }, validation);
 * const pUp = predictProba(model, testRows);
 */
export function fitGbdt(
  train: LabelledRows,
  params: Partial<GbdtParams> = {},
  validation?: LabelledRows,
): TreeEnsembleModel {
  const resolved = resolveParams(params, train.labels);
  const { nClasses } = resolved;
  const matrix = toFeatureMatrix(train.features);
  const { nRows, nCols } = matrix;
  if (nRows < 1) throw new RangeError("fitGbdt: needs at least one training row");
  const labels = requireClassLabels(train.labels, nRows, nClasses, "fitGbdt");
  const binning = fitBinning(matrix, { maxBins: resolved.maxBins, seed: resolved.seed });
  const binned = binMatrix(binning, matrix);
  const valueBins = Int32Array.from(binning.upperBounds, (bounds) => bounds.length + 1);
  const margins = nClasses === 2 ? 1 : nClasses;
  const baseScores = priorMargins(labels, nClasses);
  const trainMargins = repeatedMargins(nRows, baseScores);

  const validationMatrix = validation === undefined ? undefined : toFeatureMatrix(validation.features, nCols);
  if (validationMatrix !== undefined && validationMatrix.nCols !== nCols) {
    throw new RangeError(`fitGbdt: validation rows have ${validationMatrix.nCols} features, training rows ${nCols}`);
  }
  if (validationMatrix?.nRows === 0) throw new RangeError("fitGbdt: the validation set is empty");
  const validationBinned = validationMatrix === undefined ? undefined : binMatrix(binning, validationMatrix);
  const validationLabels =
    validation === undefined || validationMatrix === undefined
      ? undefined
      : requireClassLabels(validation.labels, validationMatrix.nRows, nClasses, "fitGbdt (validation)");
  const validationMargins =
    validationMatrix === undefined ? undefined : repeatedMargins(validationMatrix.nRows, baseScores);

  const grower = new TreeGrower(binned, valueBins, resolved);
  const random = mulberry32(resolved.seed);
  const grad = new Float64Array(nRows * margins);
  const hess = new Float64Array(nRows * margins);
  const allRows = Int32Array.from({ length: nRows }, (_, row) => row);
  const sampledRows = new Int32Array(nRows);
  const inSample = new Uint8Array(nRows).fill(1);
  const featurePool = Int32Array.from({ length: nCols }, (_, col) => col);
  const trees: DecisionTree[] = [];
  const validationLoss: number[] = [];
  let bestRound = -1;
  let bestLoss = Number.POSITIVE_INFINITY;

  for (let round = 0; round < resolved.nRounds; round += 1) {
    if (margins === 1) binaryGradients(trainMargins, labels, grad, hess);
    else softmaxGradients(trainMargins, labels, margins, grad, hess);
    let rows = allRows;
    if (resolved.rowSubsample < 1) {
      let count = 0;
      for (let row = 0; row < nRows; row += 1) {
        const drawn = random() < resolved.rowSubsample;
        inSample[row] = drawn ? 1 : 0;
        if (drawn) sampledRows[count++] = row;
      }
      rows = sampledRows.subarray(0, count);
    }
    for (let k = 0; k < margins; k += 1) {
      const features = drawFeatures(featurePool, nCols, resolved.colSubsample, random);
      const classGrad = grad.subarray(k * nRows, (k + 1) * nRows);
      const tree = grower.grow(classGrad, hess.subarray(k * nRows, (k + 1) * nRows), rows, features);
      const { leafRanges, value } = tree;
      for (let at = 0; at < leafRanges.length; at += 3) {
        const leafValue = value[leafRanges[at]!]!;
        for (let i = leafRanges[at + 1]!; i < leafRanges[at + 2]!; i += 1) {
          trainMargins[grower.rowIndex[i]! * margins + k]! += leafValue;
        }
      }
      if (rows.length < nRows) {
        for (let row = 0; row < nRows; row += 1) {
          if (inSample[row] === 0) trainMargins[row * margins + k]! += value[binnedLeaf(tree, binned, row)]!;
        }
      }
      if (validationBinned !== undefined && validationMargins !== undefined) {
        for (let row = 0; row < validationBinned.nRows; row += 1) {
          validationMargins[row * margins + k]! += value[binnedLeaf(tree, validationBinned, row)]!;
        }
      }
      trees.push(toDecisionTree(tree, binning, k));
    }
    if (validationMargins === undefined || validationLabels === undefined) continue;
    const loss = meanMarginLogLoss(validationMargins, validationLabels, nClasses);
    validationLoss.push(loss);
    if (loss < bestLoss) {
      bestLoss = loss;
      bestRound = round;
    } else if (round - bestRound >= resolved.earlyStoppingRounds) {
      break;
    }
  }

  const rounds = validationLoss.length > 0 ? bestRound + 1 : trees.length / margins;
  const kept = trees.slice(0, rounds * margins);
  const featureImportance = new Array<number>(nCols).fill(0);
  for (const tree of kept) {
    for (const node of tree.nodes) if (node.kind === "branch") featureImportance[node.feature]! += node.gain;
  }
  return {
    kind: "gbdt",
    objective: resolved.objective,
    nClasses,
    nFeatures: nCols,
    baseScores,
    postTransform: nClasses === 2 ? "LOGISTIC" : "SOFTMAX",
    trees: kept,
    rounds,
    treesPerRound: margins,
    featureImportance,
    validationLoss,
    params: resolved,
  };
}
