/**
 * JSON API reads from a dashboard page: same-origin with the session cookie, answers validated with the API's own
 * response schema. An expired session sends the page through the refresh (and, failing that, the login page).
 */
import type { z } from "zod";
import { ErrorEnvelopeSchema } from "../../../../core/schemas/common.js";

/** A failed API call: its status and the envelope's message. */
export class ApiReadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiReadError";
  }
}

/**
 * `path` with its query, read and parsed with `schema`.
 * @example await getJson("/api/v1/market/data", BarsResponseSchema, { symbol: "XAUUSD", timeframe: "M1" })
 */
export async function getJson<S extends z.ZodType>(path: string, schema: S, query: Record<string, string | number | undefined> = {}): Promise<z.output<S>> {
  const url = new URL(path, window.location.href);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
  const response = await fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } });
  if (response.status === 401) {
    window.location.assign(`/auth/resume?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
    throw new ApiReadError(401, "the session has ended");
  }
  if (!response.ok) {
    const envelope = ErrorEnvelopeSchema.safeParse(await response.json().catch(() => null));
    throw new ApiReadError(response.status, envelope.success ? envelope.data.error.message : `the API answered ${response.status}`);
  }
  const parsed = schema.safeParse(await response.json());
  if (!parsed.success) throw new ApiReadError(response.status, "the API answered in an unexpected shape");
  return parsed.data;
}
