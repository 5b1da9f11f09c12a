/** Helpers to describe responses in route definitions: JSON bodies and the error envelope per status. */
import type { z } from "zod";
import { ErrorEnvelopeSchema } from "../../core/schemas/common.js";

const DESCRIPTIONS: Record<number, string> = {
  400: "Malformed request (field details in error.details)",
  401: "Missing, expired, revoked or invalid credential",
  403: "Role or scope too low, or CSRF token missing",
  404: "Not found",
  409: "Conflict with the current state",
  413: "Body or batch too large",
  422: "Well-formed but not acceptable",
  426: "WebSocket upgrade required",
  429: "Rate limited (see Retry-After)",
  500: "Internal or configuration error",
  503: "Temporarily unavailable",
};

/** The error envelope for each status. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: DESCRIPTIONS[status] ?? "Error", content: { "application/json": { schema: ErrorEnvelopeSchema } } }]),
  );
}

/** A JSON body described by a schema. */
export function json<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** Statuses every protected route can answer. */
export const PROTECTED_ERRORS = [400, 401, 403, 429, 500] as const;
