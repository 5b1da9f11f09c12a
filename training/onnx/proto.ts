/**
 * Small builders over `onnx-proto` (protobufjs bindings of onnx.proto, ONNX 1.10 schema): attributes, tensors,
 * value infos, nodes, the model, and reading a serialised model back (metadata, operators, outputs).
 */
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";

/** The protobufjs message classes and enums of `onnx.proto` (the package is CommonJS: no named ESM export). */
export const onnx = onnxProto.onnx;

export type NodeProto = OnnxTypes.INodeProto;
export type AttributeProto = OnnxTypes.IAttributeProto;
export type TensorProto = OnnxTypes.ITensorProto;
export type ValueInfoProto = OnnxTypes.IValueInfoProto;
export type ModelProto = OnnxTypes.IModelProto;

/** Domain of the classical-ML operators (`TreeEnsembleRegressor`, `LinearClassifier`, `Imputer`, …). */
export const ML_DOMAIN = "ai.onnx.ml";

/** ONNX tensor element types used here. */
export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An attribute value, tagged with its ONNX kind (a number alone cannot tell FLOAT from INT). */
export type AttributeValue =
  | { readonly float: number }
  | { readonly int: number }
  | { readonly string: string }
  | { readonly floats: readonly number[] }
  | { readonly ints: readonly number[] }
  | { readonly strings: readonly string[] };

/**
 * One attribute.
 * @example
 * attribute("axis", { int: 1 });
 */
export function attribute(name: string, value: AttributeValue): AttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if ("float" in value) return { name, type: AttributeType.FLOAT, f: value.float };
  if ("int" in value) return { name, type: AttributeType.INT, i: value.int };
  if ("string" in value) return { name, type: AttributeType.STRING, s: encoder.encode(value.string) };
  if ("floats" in value) return { name, type: AttributeType.FLOATS, floats: [...value.floats] };
  if ("ints" in value) return { name, type: AttributeType.INTS, ints: [...value.ints] };
  return { name, type: AttributeType.STRINGS, strings: value.strings.map((text) => encoder.encode(text)) };
}

/**
 * A node; `attributes` maps names to values.
 * @example
 * node("Softmax", ["margins"], ["probabilities"], { axis: { int: 1 } });
 */
export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Readonly<Record<string, AttributeValue>> = {},
  domain = "",
): NodeProto {
  return {
    opType,
    domain,
    name: outputs[0] ?? opType,
    input: [...inputs],
    output: [...outputs],
    attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
  };
}

/** A float tensor initializer of the given shape (a scalar when `dims` is empty). */
export function floatTensor(name: string, values: readonly number[], dims: readonly number[]): TensorProto {
  return { name, dataType: FLOAT, dims: [...dims], floatData: [...values] };
}

/** A dimension: a number is fixed, a string is a symbolic (dynamic) dimension such as the batch `"N"`. */
export type Dimension = number | string;

/** A tensor input or output with its element type and shape. */
export function tensorValueInfo(name: string, elemType: number, shape: readonly Dimension[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((dim) => (typeof dim === "number" ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

/** What {@link buildModel} needs besides the graph. */
export interface ModelHeader {
  readonly irVersion: number;
  readonly opset: number;
  readonly opsetMl: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString?: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A graph's parts. */
export interface GraphParts {
  readonly name: string;
  readonly nodes: readonly NodeProto[];
  readonly initializers: readonly TensorProto[];
  readonly inputs: readonly ValueInfoProto[];
  readonly outputs: readonly ValueInfoProto[];
}

/** Serialises a model: the graph, both opset imports, producer, metadata. */
export function buildModel(graph: GraphParts, header: ModelHeader): Uint8Array {
  const model: ModelProto = {
    irVersion: header.irVersion,
    opsetImport: [
      { domain: "", version: header.opset },
      { domain: ML_DOMAIN, version: header.opsetMl },
    ],
    producerName: header.producerName,
    producerVersion: header.producerVersion,
    docString: header.docString ?? "",
    graph: {
      name: graph.name,
      node: [...graph.nodes],
      initializer: [...graph.initializers],
      input: [...graph.inputs],
      output: [...graph.outputs],
    },
    metadataProps: Object.entries(header.metadata).map(([key, value]) => ({ key, value })),
  };
  const message = onnx.ModelProto.fromObject(model);
  const problem = onnx.ModelProto.verify(message);
  if (problem !== null) throw new Error(`ONNX export: invalid ModelProto (${problem})`);
  // protobufjs hands back a Node Buffer, often a view of a shared pool: copy into a Uint8Array of its own, so that
  // `bytes.buffer` holds the model and nothing else.
  return new Uint8Array(onnx.ModelProto.encode(message).finish());
}

/** A serialised model's outline: what tests and the loader check without running it. */
export interface ModelOutline {
  readonly irVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly opsets: Readonly<Record<string, number>>;
  /** `domain:opType` of every node in graph order (domain empty for the standard operators). */
  readonly operators: readonly string[];
  readonly inputs: readonly {
    readonly name: string;
    readonly elemType: number;
    readonly shape: readonly Dimension[];
  }[];
  readonly outputs: readonly {
    readonly name: string;
    /** "tensor", or the other TypeProto case (sequence, map, …) — never expected here. */
    readonly kind: string;
    readonly elemType: number;
    readonly shape: readonly Dimension[];
  }[];
  readonly metadata: Readonly<Record<string, string>>;
}

function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "number" ? value : value.toNumber();
}

function shapeOf(info: OnnxTypes.IValueInfoProto): Dimension[] {
  const dims = info.type?.tensorType?.shape?.dim ?? [];
  return dims.map((dim) => (dim.dimParam ? dim.dimParam : toNumber(dim.dimValue)));
}

/**
 * Decodes a serialised model's header, operators, inputs, outputs and metadata.
 * @example
 * const { metadata } = readModelOutline(bytes); // metadata.model_version
 */
export function readModelOutline(bytes: Uint8Array): ModelOutline {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!(graph instanceof onnx.GraphProto)) throw new Error("ONNX model without a graph");
  const opsets: Record<string, number> = {};
  for (const opset of model.opsetImport) opsets[opset.domain ?? ""] = toNumber(opset.version);
  const metadata: Record<string, string> = {};
  for (const entry of model.metadataProps) metadata[entry.key ?? ""] = entry.value ?? "";
  return {
    irVersion: toNumber(model.irVersion),
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    opsets,
    operators: graph.node.map((entry) => `${entry.domain ?? ""}:${entry.opType ?? ""}`),
    inputs: graph.input.map((info) => ({
      name: info.name ?? "",
      elemType: info.type?.tensorType?.elemType ?? 0,
      shape: shapeOf(info),
    })),
    outputs: graph.output.map((info) => ({
      name: info.name ?? "",
      kind: info.type instanceof onnx.TypeProto ? (info.type.value ?? "none") : "none",
      elemType: info.type?.tensorType?.elemType ?? 0,
      shape: shapeOf(info),
    })),
    metadata,
  };
}

/** Decodes a string attribute's bytes (for tests reading a node back). */
export function attributeText(value: Uint8Array | null | undefined): string {
  return value === null || value === undefined ? "" : decoder.decode(value);
}
