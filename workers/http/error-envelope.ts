/** The one error envelope: every failure of the API becomes `{ ok: false, error: { code, message, details? } }`. */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";
import { AppError, NotFoundError, RateLimitedError, ValidationError } from "../../core/errors/app-error.js";
import { errorEnvelope } from "../../core/schemas/common.js";
import { createLogger, describeError } from "../log.js";
import type { AppEnv } from "./app-env.js";

/** Maps anything thrown to an AppError (unknown errors become a 500 that hides internals). */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ZodError) {
    return new ValidationError("request validation failed", { details: issuesOf(error), cause: error });
  }
  if (error instanceof HTTPException) {
    return new AppError(codeForStatus(error.status), error.status, error.message || "request failed", { cause: error });
  }
  return new AppError("INTERNAL", 500, "internal error", { cause: error });
}

/** Field-level details of a zod failure: where and why. */
export function issuesOf(error: ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
}

function codeForStatus(status: number): AppError["code"] {
  if (status === 400) return "VALIDATION_FAILED";
  if (status === 401) return "UNAUTHORIZED";
  if (status === 403) return "FORBIDDEN";
  if (status === 404) return "NOT_FOUND";
  if (status === 409) return "CONFLICT";
  if (status === 413) return "PAYLOAD_TOO_LARGE";
  if (status === 415) return "UNSUPPORTED_MEDIA_TYPE";
  if (status === 422) return "UNPROCESSABLE";
  if (status === 429) return "RATE_LIMITED";
  if (status === 502) return "UPSTREAM_FAILED";
  if (status === 503) return "UNAVAILABLE";
  return "INTERNAL";
}

/** Builds the envelope response for an error. */
export function errorResponse(c: Context<AppEnv>, error: AppError): Response {
  const body = errorEnvelope(error.code, error.message, error.details, c.get("requestId"));
  if (error instanceof RateLimitedError) c.header("Retry-After", String(Math.ceil(error.retryAfterS)));
  return c.json(body, error.status as ContentfulStatusCode);
}

export const onError: ErrorHandler<AppEnv> = (thrown, c) => {
  const error = toAppError(thrown);
  const log = c.get("log") ?? createLogger("info", { requestId: c.get("requestId") });
  if (error.status >= 500) log.error("request failed", { path: c.req.path, code: error.code, ...describeError(thrown) });
  else log.info("request refused", { path: c.req.path, code: error.code, message: error.message });
  return errorResponse(c, error);
};

export const onNotFound: NotFoundHandler<AppEnv> = (c) =>
  errorResponse(c, new NotFoundError(`no route for ${c.req.method} ${c.req.path}`));
