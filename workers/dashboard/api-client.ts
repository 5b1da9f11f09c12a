/**
 * The dashboard's only way to the platform: the JSON API, called in-process with the visitor's own session cookie
 * and CSRF header. A page therefore shows exactly what the API answers that user, and a form can do exactly what
 * the API allows them (same validation, access rules, audit entry). Answers are parsed with the API's response
 * schemas; a failure is the API's error envelope, rendered by the page instead of thrown.
 */
import type { Context } from "hono";
import type { z } from "zod";
import { ErrorEnvelopeSchema, type ErrorEnvelope } from "../../core/schemas/common.js";
import { CSRF_HEADER } from "../auth/cookies.js";
import type { AppEnv } from "../http/app-env.js";
import { markInternal } from "../http/internal-request.js";

/** The Worker's own fetch handler. */
export type AppFetch = (request: Request, env: Env, ctx: Context<AppEnv>["executionCtx"]) => Response | Promise<Response>;

export type ApiFailure = { readonly ok: false; readonly status: number; readonly error: ErrorEnvelope["error"] };
export type ApiResult<T> = { readonly ok: true; readonly value: T } | ApiFailure;

/** Query values; undefined, null and "" are left out. */
export type Query = Record<string, string | number | boolean | null | undefined>;

/** Headers of the page request that the API call carries on. */
const FORWARDED = ["cookie", CSRF_HEADER, "cf-connecting-ip", "user-agent"];

export class DashboardApi {
  constructor(
    private readonly c: Context<AppEnv>,
    private readonly appFetch: AppFetch,
  ) {}

  /** GET `path` and parse the answer with `schema`. */
  get<S extends z.ZodType>(path: string, schema: S, query: Query = {}): Promise<ApiResult<z.output<S>>> {
    return this.parsed(this.request("GET", withQuery(path, query)), schema) as Promise<ApiResult<z.output<S>>>;
  }

  /** A state-changing call with a JSON body (or none); `schema` null for answers without a body (204). */
  send<S extends z.ZodType>(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body: unknown, schema: S): Promise<ApiResult<z.output<S>>>;
  send(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body: unknown, schema: null): Promise<ApiResult<null>>;
  send(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body: unknown, schema: z.ZodType | null): Promise<ApiResult<unknown>> {
    return this.parsed(this.request(method, path, body), schema);
  }

  /** The raw answer (a CSV download, or an answer whose cookies the page passes on). */
  async request(method: string, path: string, body?: unknown): Promise<Response> {
    const headers = new Headers({ "x-request-id": this.c.get("requestId") });
    for (const name of FORWARDED) {
      const value = this.c.req.header(name);
      if (value !== undefined) headers.set(name, value);
    }
    if (body !== undefined) headers.set("content-type", "application/json");
    const url = new URL(path, this.c.req.url);
    const request = markInternal(new Request(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }));
    return this.appFetch(request, this.c.env, this.c.executionCtx);
  }

  private async parsed(pending: Promise<Response>, schema: z.ZodType | null): Promise<ApiResult<unknown>> {
    const response = await pending;
    if (!response.ok) return failureOf(response);
    if (schema === null) {
      await response.body?.cancel();
      return { ok: true, value: null };
    }
    const parsed = schema.safeParse(await response.json());
    if (!parsed.success) {
      return { ok: false, status: 500, error: { code: "INTERNAL", message: "the API answered in an unexpected shape", details: parsed.error.issues.slice(0, 5) } };
    }
    return { ok: true, value: parsed.data };
  }
}

/** The error envelope of a failed answer (any answer that is not one becomes a generic failure with its status). */
export async function failureOf(response: Response): Promise<ApiFailure> {
  const text = await response.text();
  let envelope: ErrorEnvelope | undefined;
  try {
    const parsed = ErrorEnvelopeSchema.safeParse(JSON.parse(text));
    if (parsed.success) envelope = parsed.data;
  } catch {
    envelope = undefined;
  }
  return { ok: false, status: response.status, error: envelope?.error ?? { code: "INTERNAL", message: `the API answered ${response.status}` } };
}

/**
 * `path` with the query's non-empty values appended.
 * @example withQuery("/api/v1/trades", { symbol: "XAUUSD", side: undefined }) // "/api/v1/trades?symbol=XAUUSD"
 */
export function withQuery(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
  }
  const text = params.toString();
  return text === "" ? path : `${path}${path.includes("?") ? "&" : "?"}${text}`;
}
