/**
 * HTTP client of the model registry (`/api/v1/models`): list models, download a model's ONNX file, upload a trained
 * model (manifest + model.onnx as multipart/form-data) and deploy it. Used by the trainer (`--upload`) and by
 * `npm start` (the demo model). Network failures and 5xx answers are retried with backoff; 4xx answers are not.
 */
import { z } from "zod";
import { MODEL_FILE_NAME, type ModelManifest } from "../core/ml/index.js";
import {
  DeployedSchema,
  type DeployRequest,
  type ModelRecord,
  ModelPageSchema,
  type ModelStatus,
  ModelUploadedSchema,
  PromotionDecisionSchema,
} from "../core/schemas/registry.js";

export type { DeployRequest, ModelRecord } from "../core/schemas/registry.js";

/** The registry id of a model. */
export type ModelId = ModelRecord["id"];

/** A promotion decision as the registry answers it (core/schemas/registry `PromotionDecisionSchema`). */
export type DeployDecision = z.infer<typeof PromotionDecisionSchema>;

/** The platform's error envelope `{ ok: false, error: { code, message, details? } }`. */
const ErrorEnvelopeSchema = z.looseObject({
  ok: z.literal(false),
  error: z.looseObject({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/** Code of a {@link RegistryError} when no answer came back (after every retry). */
export const REGISTRY_UNREACHABLE = "REGISTRY_UNREACHABLE";

/** Code of a {@link RegistryError} when an answer is not what the contract says. */
export const REGISTRY_BAD_RESPONSE = "REGISTRY_BAD_RESPONSE";

/**
 * A failed registry call: the registry's error code and message (or {@link REGISTRY_UNREACHABLE} /
 * {@link REGISTRY_BAD_RESPONSE}), the HTTP status (null without an answer) and the envelope's details.
 */
export class RegistryError extends Error {
  override name = "RegistryError";
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | null,
    readonly details: unknown = undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What a {@link RegistryClient} needs. */
export interface RegistryClientOptions {
  /** Platform base URL, e.g. http://127.0.0.1:8787 (a trailing slash is ignored). */
  readonly baseUrl: string;
  /** Credential sent as `Authorization: Bearer …`: an API key (ak_…) or an access token. */
  readonly apiKey: string;
  /** Attempts per call when the network fails or the registry answers 5xx; default 4. */
  readonly maxAttempts?: number;
  /** Wait before the first retry, doubled for each further one, ms; default 250. */
  readonly retryDelayMs?: number;
  /** Time one attempt may take before it is abandoned (and retried), ms; default 60,000. */
  readonly attemptTimeoutMs?: number;
  /** Told about each retry, e.g. to print it on stderr. */
  readonly onRetry?: (message: string) => void;
}

/** What a deploy call came to: deployed (PROMOTE or FORCED), or refused by the promotion gate. */
export type DeployOutcome =
  | { readonly deployed: true; readonly model: ModelRecord; readonly decision: DeployDecision }
  | { readonly deployed: false; readonly decision: DeployDecision; readonly message: string };

/** One answer read to the end: status and body bytes. */
interface Answer {
  readonly status: number;
  readonly body: Uint8Array;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}

/**
 * The model registry's API, over the global `fetch`.
 * @example
 * const registry = new RegistryClient({ baseUrl: "http://127.0.0.1:8787", apiKey: process.env.AURUM_KEY ?? "" });
 * const [champion] = await registry.listModels({ symbol: "XAUUSD", status: "champion" });
 */
export class RegistryClient {
  readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly onRetry: ((message: string) => void) | undefined;

  constructor(options: RegistryClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.apiKey = options.apiKey;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 60_000;
    this.onRetry = options.onRetry;
  }

  /**
   * `GET /api/v1/models?symbol=…[&status=…]`: the symbol's models, newest first, optionally of one status (every
   * page, following `next`).
   * @example
   * const champions = await registry.listModels({ symbol: "XAUUSD", status: "champion" });
   */
  async listModels(query: { readonly symbol: string; readonly status?: ModelStatus }): Promise<ModelRecord[]> {
    const models: ModelRecord[] = [];
    let before: number | null = null;
    do {
      const search = new URLSearchParams({ symbol: query.symbol });
      if (query.status !== undefined) search.set("status", query.status);
      if (before !== null) search.set("before", String(before));
      const page = this.expect(await this.call("GET", `/api/v1/models?${search.toString()}`), 200, ModelPageSchema);
      models.push(...page.models);
      if (page.next !== null && before !== null && page.next >= before) {
        throw new RegistryError(REGISTRY_BAD_RESPONSE, `the model list's next page ${page.next} does not move back`, 200);
      }
      before = page.next;
    } while (before !== null);
    return models;
  }

  /**
   * `GET /api/v1/models/{id}/model.onnx`: the model's ONNX bytes.
   * @example
   * const bytes = await registry.downloadModel(champion.id);
   */
  async downloadModel(id: ModelId): Promise<Uint8Array> {
    const answer = await this.call("GET", `${modelPath(id)}/${MODEL_FILE_NAME}`);
    if (answer.status !== 200) throw errorOf(answer);
    return answer.body;
  }

  /**
   * `POST /api/v1/models` (multipart: `manifest` = the manifest JSON, `model` = model.onnx): registers a trained
   * model and returns its record (201). A retried upload the registry had already taken answers with its refusal
   * (a version is unique), never a second copy.
   * @example
   * const record = await registry.uploadModel(manifest, readFileSync("model.onnx"));
   */
  async uploadModel(manifest: ModelManifest, onnx: Uint8Array): Promise<ModelRecord> {
    const manifestJson = JSON.stringify(manifest);
    const answer = await this.call("POST", "/api/v1/models", () => {
      const form = new FormData();
      form.set("manifest", manifestJson);
      form.set("model", new Blob([onnx], { type: "application/octet-stream" }), MODEL_FILE_NAME);
      return form;
    });
    return this.expect(answer, 201, ModelUploadedSchema).model;
  }

  /**
   * `POST /api/v1/models/{id}/deploy`: asks the promotion gate to make the model its symbol's champion. A refusal
   * (409 `PROMOTION_REFUSED` with `details.decision`) is an answer, returned as `deployed: false`; other failures
   * throw a {@link RegistryError}.
   * @example
   * const outcome = await registry.deployModel(record.id);
   * if (!outcome.deployed) console.log(outcome.decision.refusals.map((r) => r.code));
   */
  async deployModel(id: ModelId, request: Partial<DeployRequest> = {}): Promise<DeployOutcome> {
    const body = JSON.stringify(request);
    const answer = await this.call("POST", `${modelPath(id)}/deploy`, () => body);
    if (answer.status === 409) {
      const error = errorOf(answer);
      const refused = z.object({ decision: PromotionDecisionSchema }).safeParse(error.details);
      if (error.code === "PROMOTION_REFUSED" && refused.success) {
        return { deployed: false, decision: refused.data.decision, message: error.message };
      }
      throw error;
    }
    const { model, decision } = this.expect(answer, 200, DeployedSchema);
    return { deployed: true, model, decision };
  }

  /** One call with retries on network failures and 5xx; `body` is rebuilt for every attempt. */
  private async call(method: "GET" | "POST", path: string, body?: () => string | FormData): Promise<Answer> {
    const url = `${this.baseUrl}${path}`;
    for (let attempt = 1; ; attempt += 1) {
      let failure: string;
      let lastError: unknown;
      try {
        const payload = body?.();
        const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}` };
        if (typeof payload === "string") headers["content-type"] = "application/json";
        const response = await fetch(url, {
          method,
          headers,
          body: payload,
          signal: AbortSignal.timeout(this.attemptTimeoutMs),
        });
        const answer: Answer = {
          status: response.status,
          body: new Uint8Array(await response.arrayBuffer()),
        };
        if (answer.status < 500) return answer;
        lastError = errorOf(answer);
        failure = `HTTP ${answer.status}`;
      } catch (error: unknown) {
        lastError = error;
        failure = describeError(error);
      }
      if (attempt >= this.maxAttempts) {
        if (lastError instanceof RegistryError) throw lastError;
        throw new RegistryError(
          REGISTRY_UNREACHABLE,
          `${method} ${url} failed after ${attempt} attempts: ${failure}`,
          null,
          undefined,
          { cause: lastError },
        );
      }
      const delayMs = this.retryDelayMs * 2 ** (attempt - 1);
      this.onRetry?.(`${method} ${path}: ${failure}; retry ${attempt}/${this.maxAttempts - 1} in ${delayMs} ms`);
      await sleep(delayMs);
    }
  }

  /** The answer's JSON body parsed by `schema` when its status is `status`, else the registry's error. */
  private expect<T extends z.ZodType>(answer: Answer, status: number, schema: T): z.infer<T> {
    if (answer.status !== status) throw errorOf(answer);
    const parsed = schema.safeParse(jsonOf(answer));
    if (!parsed.success) {
      throw new RegistryError(
        REGISTRY_BAD_RESPONSE,
        `the registry answered ${answer.status} with an unexpected body: ${z.prettifyError(parsed.error)}`,
        answer.status,
      );
    }
    return parsed.data;
  }
}

function modelPath(id: ModelId): string {
  return `/api/v1/models/${id}`;
}

function jsonOf(answer: Answer): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(answer.body));
  } catch {
    return undefined;
  }
}

/** The error an answer stands for: the envelope's code, message and details, or the status and a body excerpt. */
function errorOf(answer: Answer): RegistryError {
  const envelope = ErrorEnvelopeSchema.safeParse(jsonOf(answer));
  if (envelope.success) {
    const { code, message, details } = envelope.data.error;
    return new RegistryError(code, message, answer.status, details);
  }
  const excerpt = new TextDecoder().decode(answer.body.subarray(0, 200)).trim();
  return new RegistryError(`HTTP_${answer.status}`, excerpt === "" ? `HTTP ${answer.status}` : excerpt, answer.status);
}
