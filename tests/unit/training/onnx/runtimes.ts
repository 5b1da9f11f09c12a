/** Both JS runtimes of ONNX models behind one interface: onnxruntime-node (native) and onnxruntime-web (wasm). */
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";

// One wasm thread, no proxy worker: as in the Worker.
ortWeb.env.wasm.numThreads = 1;
ortWeb.env.wasm.proxy = false;

/** What a test reads back from a session. */
export interface SessionInfo {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Per output: whether the runtime sees a tensor, its element type and shape. */
  readonly outputs: readonly { readonly name: string; readonly isTensor: boolean; readonly type?: string }[];
}

/** A loaded model. */
export interface LoadedModel extends SessionInfo {
  /** Runs a row-major float32 batch; returns every output's data as numbers (int64 converted). */
  run(values: Float32Array, nRows: number, nCols: number, inputName?: string): Promise<Record<string, Float64Array>>;
  release(): Promise<void>;
}

/** One runtime. */
export interface Runtime {
  readonly name: "onnxruntime-node" | "onnxruntime-web";
  load(bytes: Uint8Array): Promise<LoadedModel>;
}

type Ort = typeof ortNode;

function toNumbers(data: unknown): Float64Array {
  if (data instanceof BigInt64Array) return Float64Array.from(data, (value) => Number(value));
  if (data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array) {
    return Float64Array.from(data);
  }
  throw new Error("unexpected output data type");
}

function runtime(name: Runtime["name"], ort: Ort): Runtime {
  return {
    name,
    async load(bytes) {
      const session = await ort.InferenceSession.create(bytes);
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        outputs: session.outputMetadata.map((meta) =>
          meta.isTensor ? { name: meta.name, isTensor: true, type: meta.type } : { name: meta.name, isTensor: false },
        ),
        async run(values, nRows, nCols, inputName = "features") {
          const input = new ort.Tensor("float32", values, [nRows, nCols]);
          const results = await session.run({ [inputName]: input });
          return Object.fromEntries(Object.entries(results).map(([key, tensor]) => [key, toNumbers(tensor.data)]));
        },
        release: () => session.release(),
      };
    },
  };
}

/** onnxruntime-node and onnxruntime-web (its Node build, loading the wasm from node_modules). */
export const RUNTIMES: readonly Runtime[] = [
  runtime("onnxruntime-node", ortNode),
  runtime("onnxruntime-web", ortWeb as unknown as Ort),
];
