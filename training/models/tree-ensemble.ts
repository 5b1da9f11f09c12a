/** Fitted tree ensembles shaped like ONNX `TreeEnsembleClassifier`, and their reference prediction on raw features. */
import { type FeatureInput, type FeatureMatrix, toFeatureMatrix } from "./feature-matrix.js";
import { sigmoid } from "./objectives.js";

/** ONNX `post_transform` from the summed margins to probabilities: LOGISTIC (binary) or SOFTMAX (multiclass). */
export type PostTransform = "LOGISTIC" | "SOFTMAX";

/**
 * A split node. ONNX: `nodes_modes` BRANCH_LEQ, `nodes_featureids` = `feature`, `nodes_values` = `threshold`,
 * `nodes_truenodeids` = `left`, `nodes_falsenodeids` = `right`, `nodes_missing_value_tracks_true` = `missingGoesLeft`.
 */
export interface TreeBranch {
  readonly kind: "branch";
  /** Column of the feature tested. */
  readonly feature: number;
  /** A float32 number: a value at or below it goes `left`, above it `right` (3.4e38 when all values go left). */
  readonly threshold: number;
  /** Index in the tree's `nodes` of the child taken when `value <= threshold`. */
  readonly left: number;
  /** Index in the tree's `nodes` of the child taken when `value > threshold`. */
  readonly right: number;
  /** Where a missing (NaN) value goes: learned in training, or the heavier side when the node saw none. */
  readonly missingGoesLeft: boolean;
  /** Split gain GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ), as XGBoost and LightGBM report it (feature importance). */
  readonly gain: number;
  /** Hessian sum of the training rows that reached the node. */
  readonly cover: number;
}

/** A leaf. ONNX: `nodes_modes` LEAF, and one `class_*` entry (tree, node, `classIndex` of the tree, `value`). */
export interface TreeLeaf {
  readonly kind: "leaf";
  /** Amount added to the tree's margin, learning rate included. */
  readonly value: number;
  /** Hessian sum of the training rows that reached the leaf. */
  readonly cover: number;
}

export type TreeNode = TreeBranch | TreeLeaf;

/** One tree: `nodes[0]` is the root; a branch's children come after it. */
export interface DecisionTree {
  /** Margin the leaves add to (ONNX `class_ids`): 0 for binary (the margin of class 1), else the class. */
  readonly classIndex: number;
  readonly nodes: readonly TreeNode[];
}

/**
 * What prediction and the ONNX export need from a boosted model. Margins: binary has one per row (the log-odds of
 * class 1), multiclass one per class; a row's margin is `baseScores[k]` plus the leaves its trees reach.
 */
export interface TreeEnsemble {
  /** 2 for binary, else the number of classes (at least 3). */
  readonly nClasses: number;
  /** Columns the trees read. */
  readonly nFeatures: number;
  /** ONNX `base_values`, one per margin. */
  readonly baseScores: readonly number[];
  readonly postTransform: PostTransform;
  readonly trees: readonly DecisionTree[];
}

/**
 * Margins per row: 1 for binary, `nClasses` for multiclass.
 * @example
 * marginCount({ nClasses: 3 }); // 3
 */
export function marginCount(model: Pick<TreeEnsemble, "nClasses">): number {
  return model.nClasses === 2 ? 1 : model.nClasses;
}

/** All trees in flat typed arrays, for a tight prediction loop. */
interface FlatEnsemble {
  readonly roots: Int32Array;
  readonly classIndex: Int32Array;
  /** −1 for a leaf. */
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly missingGoesLeft: Uint8Array;
  readonly value: Float64Array;
}

function flatten(model: TreeEnsemble): FlatEnsemble {
  const nodeCount = model.trees.reduce((sum, tree) => sum + tree.nodes.length, 0);
  const flat: FlatEnsemble = {
    roots: new Int32Array(model.trees.length),
    classIndex: new Int32Array(model.trees.length),
    feature: new Int32Array(nodeCount),
    threshold: new Float64Array(nodeCount),
    left: new Int32Array(nodeCount),
    right: new Int32Array(nodeCount),
    missingGoesLeft: new Uint8Array(nodeCount),
    value: new Float64Array(nodeCount),
  };
  let offset = 0;
  model.trees.forEach((tree, treeIndex) => {
    flat.roots[treeIndex] = offset;
    flat.classIndex[treeIndex] = tree.classIndex;
    tree.nodes.forEach((node, index) => {
      const at = offset + index;
      if (node.kind === "leaf") {
        flat.feature[at] = -1;
        flat.value[at] = node.value;
        return;
      }
      flat.feature[at] = node.feature;
      flat.threshold[at] = node.threshold;
      flat.left[at] = offset + node.left;
      flat.right[at] = offset + node.right;
      flat.missingGoesLeft[at] = node.missingGoesLeft ? 1 : 0;
    });
    offset += tree.nodes.length;
  });
  return flat;
}

/**
 * Raw margins (before the post-transform), row-major: `nRows` × 1 for binary, `nRows` × `nClasses` for multiclass.
 * Rows are a {@link FeatureInput} or a flat row-major `Float64Array` with its `nCols`; NaN is missing.
 * @example
 * const margins = predictScores(model, rows); // binary: margins[r] is the log-odds of class 1
 */
export function predictScores(model: TreeEnsemble, rows: FeatureInput): Float64Array;
export function predictScores(model: TreeEnsemble, values: Float64Array, nCols: number): Float64Array;
export function predictScores(model: TreeEnsemble, input: FeatureInput | Float64Array, nCols?: number): Float64Array {
  return marginsOf(model, toFeatureMatrix(input, nCols ?? model.nFeatures));
}

function marginsOf(model: TreeEnsemble, matrix: FeatureMatrix): Float64Array {
  if (matrix.nCols !== model.nFeatures) {
    throw new RangeError(`predict: the model reads ${model.nFeatures} features, the rows have ${matrix.nCols}`);
  }
  const margins = marginCount(model);
  const flat = flatten(model);
  const { values, nRows } = matrix;
  const scores = new Float64Array(nRows * margins);
  for (let row = 0; row < nRows; row += 1) {
    const rowOffset = row * matrix.nCols;
    const scoreOffset = row * margins;
    for (let k = 0; k < margins; k += 1) scores[scoreOffset + k] = model.baseScores[k] ?? 0;
    for (let tree = 0; tree < flat.roots.length; tree += 1) {
      let node = flat.roots[tree]!;
      let feature = flat.feature[node]!;
      while (feature >= 0) {
        const value = values[rowOffset + feature]!;
        const goesLeft = Number.isNaN(value) ? flat.missingGoesLeft[node] === 1 : value <= flat.threshold[node]!;
        node = goesLeft ? flat.left[node]! : flat.right[node]!;
        feature = flat.feature[node]!;
      }
      scores[scoreOffset + flat.classIndex[tree]!]! += flat.value[node]!;
    }
  }
  return scores;
}

/**
 * Turns margins into probabilities in place: LOGISTIC maps each to P(class 1), SOFTMAX normalises each row of
 * `nClasses`.
 * @example
 * applyPostTransform(scores, "SOFTMAX", 3);
 */
export function applyPostTransform(scores: Float64Array, postTransform: PostTransform, nClasses: number): Float64Array {
  if (postTransform === "LOGISTIC") {
    for (let index = 0; index < scores.length; index += 1) scores[index] = sigmoid(scores[index]!);
    return scores;
  }
  for (let offset = 0; offset < scores.length; offset += nClasses) {
    let largest = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < nClasses; k += 1) largest = Math.max(largest, scores[offset + k]!);
    let sum = 0;
    for (let k = 0; k < nClasses; k += 1) {
      const exp = Math.exp(scores[offset + k]! - largest);
      scores[offset + k] = exp;
      sum += exp;
    }
    for (let k = 0; k < nClasses; k += 1) scores[offset + k]! /= sum;
  }
  return scores;
}

/**
 * Class probabilities: binary gives P(class 1) per row (length `nRows`), multiclass `nClasses` probabilities per
 * row, row-major (length `nRows × nClasses`, each row summing to 1). The ONNX model's output, up to float32.
 * @example
 * const pUp = predictProba(binaryModel, rows); // pUp[r] = P(class 1 | row r)
 * const p = predictProba(threeClassModel, flatValues, 29); // p[3 * r + k] = P(class k | row r)
 */
export function predictProba(model: TreeEnsemble, rows: FeatureInput): Float64Array;
export function predictProba(model: TreeEnsemble, values: Float64Array, nCols: number): Float64Array;
export function predictProba(model: TreeEnsemble, input: FeatureInput | Float64Array, nCols?: number): Float64Array {
  const scores = marginsOf(model, toFeatureMatrix(input, nCols ?? model.nFeatures));
  return applyPostTransform(scores, model.postTransform, model.nClasses);
}
