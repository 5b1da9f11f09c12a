/**
 * ONNX classifiers inside Durable Objects: loads a model from its bytes into onnxruntime-web's wasm backend and
 * predicts class probabilities and labels for rows of features. `onnxruntime-web/wasm` resolves to the patched
 * build of `npm run ort` (wrangler `[alias]`, vitest `resolve.alias`), which instantiates the precompiled wasm.
 */
import { env as ortEnv, InferenceSession, Tensor } from "onnxruntime-web/wasm";
import { ConfigError, UnavailableError, UnprocessableError, ValidationError } from "../../core/errors/app-error.js";

/** The input a model is fed when it has several; a model with a single input may name it anything. */
export const DEFAULT_INPUT_NAME = "features";
/** The float tensor output holding one probability per class and row. */
export const DEFAULT_PROBABILITIES_NAME = "probabilities";
/** The tensor output holding the predicted label of each row. */
export const DEFAULT_LABEL_NAME = "label";

/** The predictions for `rows` rows. */
export interface Prediction {
  /** Row-major, `rows × classes`. */
  probabilities: Float32Array;
  /** One per row: int64 labels as `BigInt64Array`, string labels as `string[]`. */
  labels: BigInt64Array | string[];
  /** Columns of `probabilities`. */
  classes: number;
}

/** A loaded model. Sessions of one isolate share one ORT instance: their calls run one at a time. */
export interface ModelSession {
  /** The input the features are fed to. */
  readonly inputName: string;
  /** Features per row the model takes; null when the model leaves the width symbolic. */
  readonly width: number | null;
  readonly probabilitiesName: string;
  readonly labelName: string;
  /** Predicts `rows` rows of `width` features each, laid out row-major in `features`. */
  predict(features: Float32Array, rows: number, width: number): Promise<Prediction>;
  /** Frees the session's wasm memory; later `predict` calls fail. Idempotent. */
  release(): Promise<void>;
}

const LABEL_TYPES: ReadonlySet<string> = new Set(["int64", "string"]);

let ortConfigured = false;
/** The tail of the per-isolate queue of ORT calls. */
let ortQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs `task` after every ORT call queued before it. The wasm backend keeps per-call state on one shared wasm
 * stack and awaits inside `run`, so interleaved calls (two requests to one object, or two objects of one isolate)
 * must not overlap.
 */
function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const result = ortQueue.then(task);
  ortQueue = result.catch(() => undefined);
  return result;
}

/**
 * Settings for workerd, applied before the first session of the isolate initialises ORT: no worker threads or
 * proxy worker (workerd has neither), and a placeholder wasm path, without which ORT looks for its script URL
 * (`import.meta.url` is undefined in Workers) and fails; the patched `instantiateWasm` hook ignores the path.
 */
function configureOrt(): void {
  if (ortConfigured) return;
  ortEnv.wasm.numThreads = 1;
  ortEnv.wasm.proxy = false;
  ortEnv.wasm.wasmPaths = { wasm: "embedded" };
  ortConfigured = true;
}

/** The tensor metadata of `name`, or undefined when the value is missing or not a tensor. */
function tensorMeta(list: readonly InferenceSession.ValueMetadata[], name: string): InferenceSession.TensorValueMetadata | undefined {
  const meta = list.find((m) => m.name === name);
  return meta?.isTensor ? meta : undefined;
}

/** The default name when the model has it, else the one tensor output whose type fits; throws otherwise. */
function pickOutput(session: InferenceSession, defaultName: string, fits: (type: string) => boolean, what: string): string {
  if (session.outputNames.includes(defaultName)) {
    const meta = tensorMeta(session.outputMetadata, defaultName);
    if (meta !== undefined && fits(meta.type)) return defaultName;
    throw new UnprocessableError(`model output "${defaultName}" is not a ${what} tensor (a ZipMap output cannot be read)`);
  }
  const candidates = session.outputMetadata.filter((m) => m.isTensor && fits(m.type));
  if (candidates.length === 1) return candidates[0]!.name;
  throw new UnprocessableError(`model has no output "${defaultName}" and ${candidates.length} ${what} tensor outputs`, {
    details: { outputs: session.outputNames },
  });
}

function pickInput(session: InferenceSession): string {
  if (session.inputNames.includes(DEFAULT_INPUT_NAME)) return DEFAULT_INPUT_NAME;
  if (session.inputNames.length === 1) return session.inputNames[0]!;
  throw new UnprocessableError(`model has no input "${DEFAULT_INPUT_NAME}" and ${session.inputNames.length} inputs`, {
    details: { inputs: session.inputNames },
  });
}

/** The fixed last dimension of a float `[N, width]` input, or null when it is symbolic. */
function inputWidth(session: InferenceSession, inputName: string): number | null {
  const meta = tensorMeta(session.inputMetadata, inputName);
  if (meta === undefined || meta.type !== "float32") {
    throw new UnprocessableError(`model input "${inputName}" is not a float32 tensor`);
  }
  if (meta.shape.length !== 2) {
    throw new UnprocessableError(`model input "${inputName}" must be 2-D [rows, width], is [${meta.shape.join(", ")}]`);
  }
  const width = meta.shape[1];
  return typeof width === "number" ? width : null;
}

class OrtModelSession implements ModelSession {
  readonly inputName: string;
  readonly width: number | null;
  readonly probabilitiesName: string;
  readonly labelName: string;
  private released = false;

  constructor(private readonly session: InferenceSession) {
    this.inputName = pickInput(session);
    this.width = inputWidth(session, this.inputName);
    this.probabilitiesName = pickOutput(session, DEFAULT_PROBABILITIES_NAME, (type) => type === "float32", "float32");
    this.labelName = pickOutput(session, DEFAULT_LABEL_NAME, (type) => LABEL_TYPES.has(type), "int64 or string");
  }

  async predict(features: Float32Array, rows: number, width: number): Promise<Prediction> {
    if (this.released) throw new UnavailableError("the model session was released");
    if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(width) || width < 1) {
      throw new ValidationError(`rows and width must be positive integers, got rows ${rows}, width ${width}`);
    }
    if (this.width !== null && width !== this.width) {
      throw new ValidationError(`the model takes ${this.width} features per row, got width ${width}`, {
        details: { expected: this.width, got: width },
      });
    }
    if (features.length !== rows * width) {
      throw new ValidationError(`features holds ${features.length} values, rows × width is ${rows * width}`);
    }
    const input = new Tensor("float32", features, [rows, width]);
    const output = await exclusive(() => this.session.run({ [this.inputName]: input }, [this.probabilitiesName, this.labelName]));
    const probabilities = output[this.probabilitiesName]!;
    const labels = output[this.labelName]!;
    return {
      probabilities: probabilities.data as Float32Array,
      labels: labels.data as BigInt64Array | string[],
      classes: probabilities.dims.length === 2 ? probabilities.dims[1]! : probabilities.data.length / rows,
    };
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await exclusive(() => this.session.release());
  }
}

/**
 * Creates a session from ONNX bytes (the first call of an isolate also initialises ORT, a few hundred ms). The
 * model must take float32 `[rows, width]` and give tensor outputs: `probabilities` (float32) and `label` (int64 or
 * string), or a single tensor output of each kind under other names.
 */
export async function loadModel(bytes: Uint8Array): Promise<ModelSession> {
  configureOrt();
  let session: InferenceSession;
  try {
    session = await exclusive(() => InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" }));
  } catch (error) {
    const message = (error as Error).message;
    // ORT initialises its backend inside the first create and reports a failure there with this prefix.
    if (message.startsWith("no available backend found")) {
      throw new ConfigError(`onnxruntime-web could not start (is build/ort from \`npm run ort\` current?): ${message}`, { cause: error });
    }
    throw new UnprocessableError(`the model cannot be loaded: ${message}`, { cause: error });
  }
  try {
    return new OrtModelSession(session);
  } catch (error) {
    await exclusive(() => session.release());
    throw error;
  }
}
