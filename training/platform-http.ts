/**
 * What the trainer's platform clients (trainer-client.ts: training hand-off and bars; registry-client.ts: model
 * registry) share: the platform's error envelope read into a {@link PlatformError}, and one request helper that
 * retries network failures, 5xx and 429 (after its Retry-After) with backoff, never another 4xx.
 */
import { z } from "zod";

/** The platform's error envelope `{ ok: false, error: { code, message, details? } }`. */
const ErrorEnvelopeSchema = z.looseObject({
  ok: z.literal(false),
  error: z.looseObject({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/** Code of a {@link PlatformError} when no answer came back (after every retry). */
export const PLATFORM_UNREACHABLE = "PLATFORM_UNREACHABLE";

/** Code of a {@link PlatformError} when an answer is not what the contract says. */
export const PLATFORM_BAD_RESPONSE = "PLATFORM_BAD_RESPONSE";

/**
 * A failed platform call: the envelope's code and message (or {@link PLATFORM_UNREACHABLE} /
 * {@link PLATFORM_BAD_RESPONSE}, or `HTTP_<status>` for an answer without an envelope), the HTTP status (null
 * without an answer) and the envelope's details.
 */
export class PlatformError extends Error {
  override name = "PlatformError";
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

/** Where the platform is, the credential, and how calls are retried. */
export interface PlatformHttpOptions {
  /** Platform base URL, e.g. http://127.0.0.1:8787 (a trailing slash is ignored). */
  readonly baseUrl: string;
  /** Credential sent as `Authorization: Bearer …`: an API key (ak_…) or an access token. */
  readonly apiKey: string;
  /** Attempts per call when the network fails or the platform answers 5xx or 429; default 4. */
  readonly maxAttempts?: number;
  /** Wait before the first retry, doubled for each further one, ms; default 250. */
  readonly retryDelayMs?: number;
  /** Longest wait a 429's Retry-After may impose before a retry, ms; default 60,000 (the rate-limit window). */
  readonly maxRetryAfterMs?: number;
  /** Time one attempt may take before it is abandoned (and retried), ms; default 60,000. */
  readonly attemptTimeoutMs?: number;
  /** Told about each retry, e.g. to print it on stderr. */
  readonly onRetry?: (message: string) => void;
}

/** One answer read to the end. */
export interface PlatformAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

/**
 * A request body, built anew for every attempt: a string is sent as `application/json`, a FormData as
 * `multipart/form-data`.
 */
export type PlatformBody = () => string | FormData;

/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts.
 * @example
 * await sleep(10_000, stop);
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Delay a 429 asks for: Retry-After as seconds or an HTTP date, relative to now; null when absent or unreadable.
 * @example
 * retryAfterMs(new Headers({ "retry-after": "3" }), Date.now()); // 3000
 */
export function retryAfterMs(headers: Headers, nowMs: number): number | null {
  const value = headers.get("retry-after")?.trim();
  if (value === undefined || value === "") return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1_000);
  const atMs = Date.parse(value);
  return Number.isNaN(atMs) ? null : Math.max(0, atMs - nowMs);
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}

/**
 * Authenticated calls to the platform over the global `fetch`, retried on network failures, 5xx and 429.
 * @example
 * const http = new PlatformHttp({ baseUrl: "http://127.0.0.1:8787", apiKey: process.env.AURUM_KEY ?? "" });
 * const page = expectAnswer(await http.request("GET", "/api/v1/models?symbol=XAUUSD"), 200, ModelPageSchema);
 */
export class PlatformHttp {
  readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly onRetry: ((message: string) => void) | undefined;

  constructor(options: PlatformHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.apiKey = options.apiKey;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 60_000;
    this.onRetry = options.onRetry;
  }

  /**
   * One call, retried with backoff on network failures, 5xx and 429 (waiting at least its Retry-After, at most
   * `maxRetryAfterMs`); any other answer is returned as is. When `signal` aborts, the call (and any wait for a
   * retry) rejects at once with its reason. After the last attempt it throws the last answer's
   * {@link PlatformError}, or {@link PLATFORM_UNREACHABLE} when no answer came back.
   * @example
   * const answer = await http.request("POST", "/api/v1/training/claim", () => JSON.stringify(claim), signal);
   */
  async request(method: "GET" | "POST", path: string, body?: PlatformBody, signal?: AbortSignal): Promise<PlatformAnswer> {
    const url = `${this.baseUrl}${path}`;
    for (let attempt = 1; ; attempt += 1) {
      signal?.throwIfAborted();
      let failure: string;
      let lastError: unknown;
      let waitMs = this.retryDelayMs * 2 ** (attempt - 1);
      try {
        const payload = body?.();
        const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}` };
        if (typeof payload === "string") headers["content-type"] = "application/json";
        const timeout = AbortSignal.timeout(this.attemptTimeoutMs);
        const response = await fetch(url, {
          method,
          headers,
          body: payload,
          signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
        });
        const answer: PlatformAnswer = {
          status: response.status,
          headers: response.headers,
          body: new Uint8Array(await response.arrayBuffer()),
        };
        if (answer.status < 500 && answer.status !== 429) return answer;
        lastError = errorOf(answer);
        failure = `HTTP ${answer.status}`;
        if (answer.status === 429) {
          const askedMs = retryAfterMs(answer.headers, Date.now());
          if (askedMs !== null) waitMs = Math.min(this.maxRetryAfterMs, Math.max(waitMs, askedMs));
        }
      } catch (error: unknown) {
        if (signal?.aborted) throw signal.reason;
        lastError = error;
        failure = describeError(error);
      }
      if (attempt >= this.maxAttempts) {
        if (lastError instanceof PlatformError) throw lastError;
        throw new PlatformError(PLATFORM_UNREACHABLE, `${method} ${url} failed after ${attempt} attempts: ${failure}`, null, undefined, {
          cause: lastError,
        });
      }
      this.onRetry?.(`${method} ${path}: ${failure}; retry ${attempt}/${this.maxAttempts - 1} in ${waitMs} ms`);
      await sleep(waitMs, signal);
    }
  }
}

/**
 * Base of the platform's API clients: the {@link PlatformHttp} they call through, and the base URL it calls.
 * @example
 * class ModelLister extends PlatformClient {
 *   async page() { return expectAnswer(await this.http.request("GET", "/api/v1/models?symbol=XAUUSD"), 200, ModelPageSchema); }
 * }
 */
export abstract class PlatformClient {
  /** The platform base URL, without a trailing slash. */
  readonly baseUrl: string;
  protected readonly http: PlatformHttp;

  constructor(options: PlatformHttpOptions) {
    this.http = new PlatformHttp(options);
    this.baseUrl = this.http.baseUrl;
  }
}

/**
 * The answer's JSON body parsed by `schema` when its status is `status`; else the platform's error, or
 * {@link PLATFORM_BAD_RESPONSE} when the body breaks the contract.
 * @example
 * const { model } = expectAnswer(answer, 201, ModelUploadedSchema);
 */
export function expectAnswer<T extends z.ZodType>(answer: PlatformAnswer, status: number, schema: T): z.infer<T> {
  if (answer.status !== status) throw errorOf(answer);
  const parsed = schema.safeParse(jsonOf(answer));
  if (!parsed.success) {
    throw new PlatformError(
      PLATFORM_BAD_RESPONSE,
      `the platform answered ${answer.status} with an unexpected body: ${z.prettifyError(parsed.error)}`,
      answer.status,
    );
  }
  return parsed.data;
}

function jsonOf(answer: PlatformAnswer): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(answer.body));
  } catch {
    return undefined;
  }
}

/**
 * The error an answer stands for: the envelope's code, message and details, or `HTTP_<status>` and a body excerpt.
 * @example
 * if (answer.status !== 200) throw errorOf(answer);
 */
export function errorOf(answer: PlatformAnswer): PlatformError {
  const envelope = ErrorEnvelopeSchema.safeParse(jsonOf(answer));
  if (envelope.success) {
    const { code, message, details } = envelope.data.error;
    return new PlatformError(code, message, answer.status, details);
  }
  const excerpt = new TextDecoder().decode(answer.body.subarray(0, 200)).trim();
  return new PlatformError(`HTTP_${answer.status}`, excerpt === "" ? `HTTP ${answer.status}` : excerpt, answer.status);
}
