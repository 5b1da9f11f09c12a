/**
 * ONNX export of the trained classifiers, for onnxruntime-web in the Worker (and onnxruntime-node in tests).
 *
 * Every graph reads `features` (float [N, nFeatures], N dynamic, NaN = missing) and writes two tensors, no ZipMap:
 * `probabilities` (float [N, nClasses]; binary gives the two columns [P(0), P(1)]) and `label` (int64 [N], the most
 * probable class, the first on a tie).
 *
 * - Trees: `ai.onnx.ml.TreeEnsembleRegressor` (v3, SUM, post_transform NONE, `base_values` = the base scores) gives
 *   the raw margins, then plain ops: binary Neg → Concat → Sigmoid ([σ(−m), σ(m)]), multiclass Softmax. Not
 *   `TreeEnsembleClassifier` for the binary case: in onnxruntime 1.30, leaf weights on class 1 give column 0 a
 *   constant σ(0) = 0.5 and ignore a single base value (two base values drop the trees' sum altogether); weights on
 *   class 0 with one base value give correct probabilities but a label decided on the raw margin against 0.5 when
 *   no leaf weight is negative. The tests pin that behaviour.
 * - Linear: `ai.onnx.ml.Imputer` (NaN → the training means) → `ai.onnx.ml.LinearClassifier` with the model's
 *   post_transform (binary: one coefficient row and class labels [0, 1] give [1 − σ(m), σ(m)]; multiclass SOFTMAX).
 * - Ensemble: both branches in one graph, `probabilities = w · P_gbdt + (1 − w) · P_linear` (Mul, Mul, Add).
 * - `label` = ArgMax(probabilities, axis 1).
 */
import type { LinearModel } from "../models/logistic.js";
import { marginCount, type TreeEnsemble } from "../models/tree-ensemble.js";
import {
  buildModel,
  FLOAT,
  floatTensor,
  type GraphParts,
  INT64,
  ML_DOMAIN,
  node,
  type NodeProto,
  type TensorProto,
  tensorValueInfo,
} from "./proto.js";

/** Names of the graph's input and outputs. */
export const OUTPUT_PROBABILITIES = "probabilities";
export const OUTPUT_LABEL = "label";
export const DEFAULT_INPUT_NAME = "features";

/** Symbolic batch dimension. */
const BATCH = "N";

/** What the model was trained on and what it predicts; written to `metadata_props`. */
export interface ExportMetadata {
  /** The feature spec the model reads, its version, and the SHA-256 (64 hex digits) of its canonical form. */
  readonly featureSpec: { readonly name: string; readonly version: string | number; readonly sha256: string };
  /** Version of this model (as the registry names it). */
  readonly modelVersion: string;
  /** The label definition (horizon, thresholds, classes …): a JSON-serialisable value, or its JSON text. */
  readonly labelDefinition: unknown;
  /** Further entries, written as given (they may not reuse the keys of {@link METADATA_KEYS}). */
  readonly extra?: Readonly<Record<string, string>>;
}

/** The `metadata_props` keys this module writes. */
export const METADATA_KEYS = Object.freeze({
  featureSpecName: "feature_spec_name",
  featureSpecVersion: "feature_spec_version",
  featureSpecSha256: "feature_spec_sha256",
  modelVersion: "model_version",
  labelDefinition: "label_definition",
  modelKind: "model_kind",
  nFeatures: "n_features",
  nClasses: "n_classes",
  weightGbdt: "ensemble_weight_gbdt",
});

/** Options of every export. */
export interface ExportOptions {
  /** Name of the input tensor; default "features". */
  readonly inputName?: string;
  /** Version of the default ONNX opset, 13 to 21 (Softmax over one axis needs 13); default 17. */
  readonly opset?: number;
  /** Version of the ai.onnx.ml opset, 3 or 4 (TreeEnsembleRegressor v3); default 3. */
  readonly opsetMl?: number;
  /** Default "aurum-edge-training". */
  readonly producerName?: string;
  /** Default "0.1.0". */
  readonly producerVersion?: string;
  /** Feature spec, model version, label definition; without it no such `metadata_props` are written. */
  readonly metadata?: ExportMetadata;
}

/** Options of {@link exportEnsemble}. */
export interface EnsembleExportOptions extends ExportOptions {
  /** Weight w of the boosted trees' probabilities, in [0, 1]; the linear model gets 1 − w. */
  readonly weightGbdt: number;
}

interface ResolvedOptions {
  readonly inputName: string;
  readonly opset: number;
  readonly opsetMl: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly metadata: ExportMetadata | undefined;
}

/** A piece of graph computing one model's probabilities into the tensor `output`. */
interface Branch {
  readonly nodes: NodeProto[];
  readonly initializers: TensorProto[];
  readonly output: string;
}

function resolveOptions(options: ExportOptions): ResolvedOptions {
  const resolved = {
    inputName: options.inputName ?? DEFAULT_INPUT_NAME,
    opset: options.opset ?? 17,
    opsetMl: options.opsetMl ?? 3,
    producerName: options.producerName ?? "aurum-edge-training",
    producerVersion: options.producerVersion ?? "0.1.0",
    metadata: options.metadata,
  };
  if (!Number.isInteger(resolved.opset) || resolved.opset < 13 || resolved.opset > 21) {
    throw new RangeError(`ONNX export: opset must be an integer from 13 to 21, got ${resolved.opset}`);
  }
  if (resolved.opsetMl !== 3 && resolved.opsetMl !== 4) {
    throw new RangeError(`ONNX export: opsetMl must be 3 or 4, got ${resolved.opsetMl}`);
  }
  if (resolved.inputName === "" || [OUTPUT_PROBABILITIES, OUTPUT_LABEL].includes(resolved.inputName)) {
    throw new RangeError(`ONNX export: the input cannot be named "${resolved.inputName}"`);
  }
  return resolved;
}

/** IR version of the ONNX release bringing the opset (1.12–1.13: 8, 1.14–1.15: 9, 1.16: 10); ORT 1.30 reads all. */
function irVersionFor(opset: number): number {
  if (opset <= 18) return 8;
  return opset <= 20 ? 9 : 10;
}

function isFloat32(value: number): boolean {
  return Math.fround(value) === value;
}

function requireFinite(values: readonly number[], what: string): void {
  values.forEach((value, index) => {
    if (!Number.isFinite(value)) throw new RangeError(`ONNX export: ${what}[${index}] is ${value}, not finite`);
    if (Number.isFinite(Math.fround(value))) return;
    throw new RangeError(`ONNX export: ${what}[${index}] = ${value} overflows float32`);
  });
}

function requireShape(nClasses: number, nFeatures: number, what: string): void {
  if (!Number.isInteger(nClasses) || nClasses < 2) {
    throw new RangeError(`ONNX export: ${what} has nClasses ${nClasses}, expected an integer >= 2`);
  }
  if (!Number.isInteger(nFeatures) || nFeatures < 1) {
    throw new RangeError(`ONNX export: ${what} has nFeatures ${nFeatures}, expected an integer >= 1`);
  }
}

/**
 * Checks a tree ensemble against what the ONNX graph can represent exactly: every threshold a float32 number (the
 * ONNX attribute is float32, so another value would split differently), children after their parent and in range,
 * features and class indices in range, one base score per margin.
 */
function validateTreeEnsemble(model: TreeEnsemble): void {
  requireShape(model.nClasses, model.nFeatures, "the tree ensemble");
  const margins = marginCount(model);
  if (model.baseScores.length !== margins) {
    throw new RangeError(`ONNX export: ${model.baseScores.length} base scores for ${margins} margin(s)`);
  }
  requireFinite(model.baseScores, "baseScores");
  const expected = margins === 1 ? "LOGISTIC" : "SOFTMAX";
  if (model.postTransform !== expected) {
    throw new RangeError(`ONNX export: ${model.nClasses} classes need ${expected}, not ${model.postTransform}`);
  }
  if (model.trees.length === 0) throw new RangeError("ONNX export: the ensemble has no trees");
  model.trees.forEach((tree, treeIndex) => {
    const where = `tree ${treeIndex}`;
    if (!Number.isInteger(tree.classIndex) || tree.classIndex < 0 || tree.classIndex >= margins) {
      throw new RangeError(`ONNX export: ${where} has classIndex ${tree.classIndex}, outside 0..${margins - 1}`);
    }
    if (tree.nodes.length === 0) throw new RangeError(`ONNX export: ${where} has no nodes`);
    tree.nodes.forEach((treeNode, index) => {
      if (treeNode.kind === "leaf") {
        requireFinite([treeNode.value], `${where} leaf ${index} value`);
        return;
      }
      const { feature, threshold, left, right } = treeNode;
      if (!Number.isInteger(feature) || feature < 0 || feature >= model.nFeatures) {
        throw new RangeError(`ONNX export: ${where} node ${index} reads feature ${feature} of ${model.nFeatures}`);
      }
      if (!isFloat32(threshold)) {
        throw new RangeError(
          `ONNX export: ${where} node ${index} has threshold ${threshold}, not a float32 number ` +
            `(nearest float32 ${Math.fround(threshold)}); the ONNX graph would split differently`,
        );
      }
      for (const child of [left, right]) {
        if (!Number.isInteger(child) || child <= index || child >= tree.nodes.length) {
          throw new RangeError(`ONNX export: ${where} node ${index} has child ${child}, not a later node of the tree`);
        }
      }
    });
  });
}

/** The attributes of a `TreeEnsembleRegressor` computing the raw margins (no post-transform). */
function treeRegressorNode(model: TreeEnsemble, input: string, output: string): NodeProto {
  const nodesTreeIds: number[] = [];
  const nodesNodeIds: number[] = [];
  const nodesFeatureIds: number[] = [];
  const nodesValues: number[] = [];
  const nodesModes: string[] = [];
  const nodesTrueNodeIds: number[] = [];
  const nodesFalseNodeIds: number[] = [];
  const nodesMissingTracksTrue: number[] = [];
  const targetTreeIds: number[] = [];
  const targetNodeIds: number[] = [];
  const targetIds: number[] = [];
  const targetWeights: number[] = [];
  model.trees.forEach((tree, treeId) => {
    tree.nodes.forEach((treeNode, nodeId) => {
      nodesTreeIds.push(treeId);
      nodesNodeIds.push(nodeId);
      if (treeNode.kind === "leaf") {
        nodesFeatureIds.push(0);
        nodesValues.push(0);
        nodesModes.push("LEAF");
        nodesTrueNodeIds.push(0);
        nodesFalseNodeIds.push(0);
        nodesMissingTracksTrue.push(0);
        targetTreeIds.push(treeId);
        targetNodeIds.push(nodeId);
        targetIds.push(tree.classIndex);
        targetWeights.push(treeNode.value);
        return;
      }
      // BRANCH_LEQ: the true branch is taken when x <= threshold, i.e. the trainer's `left`; a NaN takes the true
      // branch when nodes_missing_value_tracks_true is 1, else (NaN <= t being false) the false branch.
      nodesFeatureIds.push(treeNode.feature);
      nodesValues.push(treeNode.threshold);
      nodesModes.push("BRANCH_LEQ");
      nodesTrueNodeIds.push(treeNode.left);
      nodesFalseNodeIds.push(treeNode.right);
      nodesMissingTracksTrue.push(treeNode.missingGoesLeft ? 1 : 0);
    });
  });
  return node(
    "TreeEnsembleRegressor",
    [input],
    [output],
    {
      n_targets: { int: marginCount(model) },
      aggregate_function: { string: "SUM" },
      post_transform: { string: "NONE" },
      base_values: { floats: model.baseScores },
      nodes_treeids: { ints: nodesTreeIds },
      nodes_nodeids: { ints: nodesNodeIds },
      nodes_featureids: { ints: nodesFeatureIds },
      nodes_values: { floats: nodesValues },
      nodes_modes: { strings: nodesModes },
      nodes_truenodeids: { ints: nodesTrueNodeIds },
      nodes_falsenodeids: { ints: nodesFalseNodeIds },
      nodes_missing_value_tracks_true: { ints: nodesMissingTracksTrue },
      target_treeids: { ints: targetTreeIds },
      target_nodeids: { ints: targetNodeIds },
      target_ids: { ints: targetIds },
      target_weights: { floats: targetWeights },
    },
    ML_DOMAIN,
  );
}

/**
 * Plain ops from margins to probabilities: binary [N, 1] → Concat(−m, m) → Sigmoid = [P(0), P(1)]; multiclass
 * [N, K] → Softmax over axis 1.
 */
function postTransformNodes(margins: number, input: string, output: string, prefix: string): NodeProto[] {
  if (margins > 1) return [node("Softmax", [input], [output], { axis: { int: 1 } })];
  const negated = `${prefix}negated_margin`;
  const pair = `${prefix}margin_pair`;
  return [
    node("Neg", [input], [negated]),
    node("Concat", [negated, input], [pair], { axis: { int: 1 } }),
    node("Sigmoid", [pair], [output]),
  ];
}

function treeBranch(model: TreeEnsemble, input: string, output: string, prefix: string): Branch {
  validateTreeEnsemble(model);
  const margins = `${prefix}margins`;
  return {
    nodes: [
      treeRegressorNode(model, input, margins),
      ...postTransformNodes(marginCount(model), margins, output, prefix),
    ],
    initializers: [],
    output,
  };
}

function validateLinear(model: LinearModel): void {
  requireShape(model.nClasses, model.nFeatures, "the linear model");
  const margins = marginCount(model);
  if (model.intercepts.length !== margins || model.coefficients.length !== margins) {
    throw new RangeError(
      `ONNX export: the linear model has ${model.coefficients.length} coefficient rows and ` +
        `${model.intercepts.length} intercepts for ${margins} margin(s)`,
    );
  }
  model.coefficients.forEach((row, k) => {
    if (row.length !== model.nFeatures) {
      throw new RangeError(`ONNX export: coefficient row ${k} has ${row.length} entries, not ${model.nFeatures}`);
    }
    requireFinite(row, `coefficients[${k}]`);
  });
  requireFinite(model.intercepts, "intercepts");
  if (model.imputeValues.length !== model.nFeatures) {
    throw new RangeError(`ONNX export: ${model.imputeValues.length} impute values for ${model.nFeatures} features`);
  }
  requireFinite(model.imputeValues, "imputeValues");
  const expected = margins === 1 ? "LOGISTIC" : "SOFTMAX";
  if (model.postTransform !== expected) {
    throw new RangeError(`ONNX export: ${model.nClasses} classes need ${expected}, not ${model.postTransform}`);
  }
}

function linearBranch(model: LinearModel, input: string, output: string, prefix: string): Branch {
  validateLinear(model);
  const imputed = `${prefix}imputed`;
  const classLabels = Array.from({ length: model.nClasses }, (_, k) => k);
  return {
    nodes: [
      node(
        "Imputer",
        [input],
        [imputed],
        { imputed_value_floats: { floats: model.imputeValues }, replaced_value_float: { float: Number.NaN } },
        ML_DOMAIN,
      ),
      // Scores with the model's post-transform: binary (one coefficient row, two class labels) gives
      // [1 − σ(m), σ(m)], multiclass the softmax of the K margins (pinned by the tests). Its label output is
      // unused: the graph's label is the ArgMax of the probabilities, as for the trees.
      node(
        "LinearClassifier",
        [imputed],
        [`${prefix}linear_label`, output],
        {
          coefficients: { floats: model.coefficients.flat() },
          intercepts: { floats: model.intercepts },
          classlabels_ints: { ints: classLabels },
          multi_class: { int: 0 },
          post_transform: { string: model.postTransform },
        },
        ML_DOMAIN,
      ),
    ],
    initializers: [],
    output,
  };
}

function labelNode(probabilities: string): NodeProto {
  return node("ArgMax", [probabilities], [OUTPUT_LABEL], { axis: { int: 1 }, keepdims: { int: 0 } });
}

function metadataEntries(
  metadata: ExportMetadata | undefined,
  summary: Readonly<Record<string, string>>,
): Record<string, string> {
  const entries: Record<string, string> = { ...summary };
  if (metadata === undefined) return entries;
  const { featureSpec, modelVersion, labelDefinition, extra } = metadata;
  if (!/^[0-9a-f]{64}$/i.test(featureSpec.sha256)) {
    throw new RangeError(`ONNX export: featureSpec.sha256 must be 64 hex digits, got "${featureSpec.sha256}"`);
  }
  if (featureSpec.name === "" || modelVersion === "") {
    throw new RangeError("ONNX export: featureSpec.name and modelVersion must not be empty");
  }
  const labelJson = typeof labelDefinition === "string" ? labelDefinition : JSON.stringify(labelDefinition);
  if (labelJson === undefined) throw new RangeError("ONNX export: labelDefinition is not JSON-serialisable");
  try {
    JSON.parse(labelJson);
  } catch {
    throw new RangeError("ONNX export: labelDefinition is a string but not JSON text");
  }
  entries[METADATA_KEYS.featureSpecName] = featureSpec.name;
  entries[METADATA_KEYS.featureSpecVersion] = String(featureSpec.version);
  entries[METADATA_KEYS.featureSpecSha256] = featureSpec.sha256.toLowerCase();
  entries[METADATA_KEYS.modelVersion] = modelVersion;
  entries[METADATA_KEYS.labelDefinition] = labelJson;
  const reserved = new Set<string>(Object.values(METADATA_KEYS));
  for (const [key, value] of Object.entries(extra ?? {})) {
    if (reserved.has(key)) throw new RangeError(`ONNX export: metadata.extra cannot set the reserved key "${key}"`);
    entries[key] = value;
  }
  return entries;
}

function finish(
  branchNodes: readonly NodeProto[],
  initializers: readonly TensorProto[],
  probabilities: string,
  shape: { readonly nFeatures: number; readonly nClasses: number; readonly kind: string },
  options: ResolvedOptions,
  summary: Readonly<Record<string, string>> = {},
): Uint8Array {
  const graph: GraphParts = {
    name: `${shape.kind}_classifier`,
    nodes: [...branchNodes, labelNode(probabilities)],
    initializers,
    inputs: [tensorValueInfo(options.inputName, FLOAT, [BATCH, shape.nFeatures])],
    outputs: [
      tensorValueInfo(OUTPUT_PROBABILITIES, FLOAT, [BATCH, shape.nClasses]),
      tensorValueInfo(OUTPUT_LABEL, INT64, [BATCH]),
    ],
  };
  const metadata = metadataEntries(options.metadata, {
    [METADATA_KEYS.modelKind]: shape.kind,
    [METADATA_KEYS.nFeatures]: String(shape.nFeatures),
    [METADATA_KEYS.nClasses]: String(shape.nClasses),
    ...summary,
  });
  return buildModel(graph, {
    irVersion: irVersionFor(options.opset),
    opset: options.opset,
    opsetMl: options.opsetMl,
    producerName: options.producerName,
    producerVersion: options.producerVersion,
    docString:
      `${shape.kind} classifier: ${options.inputName} float[N, ${shape.nFeatures}] → ` +
      `probabilities float[N, ${shape.nClasses}], label int64[N]`,
    metadata,
  });
}

/**
 * A boosted tree ensemble as ONNX bytes. Throws when a threshold is not a float32 number or the trees are malformed.
 * @example
 * const bytes = exportTreeEnsemble(model, { metadata }); // write to R2, load with InferenceSession.create(bytes)
 */
export function exportTreeEnsemble(model: TreeEnsemble, options: ExportOptions = {}): Uint8Array {
  const resolved = resolveOptions(options);
  const branch = treeBranch(model, resolved.inputName, OUTPUT_PROBABILITIES, "gbdt/");
  return finish(branch.nodes, branch.initializers, OUTPUT_PROBABILITIES, { ...model, kind: "gbdt" }, resolved);
}

/**
 * A logistic model as ONNX bytes: Imputer (NaN → `imputeValues`) → LinearClassifier → Sigmoid / Softmax.
 * @example
 * const bytes = exportLinear(model, { metadata });
 */
export function exportLinear(model: LinearModel, options: ExportOptions = {}): Uint8Array {
  const resolved = resolveOptions(options);
  const branch = linearBranch(model, resolved.inputName, OUTPUT_PROBABILITIES, "linear/");
  return finish(branch.nodes, branch.initializers, OUTPUT_PROBABILITIES, { ...model, kind: "logistic" }, resolved);
}

/**
 * One graph computing both models and `probabilities = w · P_gbdt + (1 − w) · P_linear` (w = `weightGbdt`); the
 * label is the most probable class of the blend. Both models must read the same features and predict the same
 * classes.
 * @example
 * const bytes = exportEnsemble(gbdt, logistic, { weightGbdt: 0.7, metadata });
 */
export function exportEnsemble(gbdt: TreeEnsemble, linear: LinearModel, options: EnsembleExportOptions): Uint8Array {
  const resolved = resolveOptions(options);
  const weight = options.weightGbdt;
  if (!(weight >= 0 && weight <= 1)) throw new RangeError(`ONNX export: weightGbdt must be in [0, 1], got ${weight}`);
  if (gbdt.nFeatures !== linear.nFeatures || gbdt.nClasses !== linear.nClasses) {
    throw new RangeError(
      `ONNX export: the ensemble's models disagree: trees read ${gbdt.nFeatures} features for ${gbdt.nClasses} ` +
        `classes, the linear model ${linear.nFeatures} for ${linear.nClasses}`,
    );
  }
  const trees = treeBranch(gbdt, resolved.inputName, "gbdt/probabilities", "gbdt/");
  const logistic = linearBranch(linear, resolved.inputName, "linear/probabilities", "linear/");
  const blend: NodeProto[] = [
    node("Mul", [trees.output, "ensemble/weight_gbdt"], ["ensemble/weighted_gbdt"]),
    node("Mul", [logistic.output, "ensemble/weight_linear"], ["ensemble/weighted_linear"]),
    node("Add", ["ensemble/weighted_gbdt", "ensemble/weighted_linear"], [OUTPUT_PROBABILITIES]),
  ];
  const initializers = [
    ...trees.initializers,
    ...logistic.initializers,
    floatTensor("ensemble/weight_gbdt", [weight], []),
    floatTensor("ensemble/weight_linear", [1 - weight], []),
  ];
  return finish(
    [...trees.nodes, ...logistic.nodes, ...blend],
    initializers,
    OUTPUT_PROBABILITIES,
    { nFeatures: gbdt.nFeatures, nClasses: gbdt.nClasses, kind: "ensemble" },
    resolved,
    { [METADATA_KEYS.weightGbdt]: String(weight) },
  );
}
