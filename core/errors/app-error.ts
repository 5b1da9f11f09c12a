/**
 * The one error family. Subclasses are named for what the caller must do; each maps to one HTTP status and one
 * envelope `{ ok: false, error: { code, message, details? } }`.
 */
import type { PromotionDecision } from "../ml/promotion.js";
import type { RiskDecision } from "../schemas/trading.js";

/** Machine-readable error codes of the envelope. */
export type AppErrorCode =
  | "VALIDATION_FAILED"
  | "UNPROCESSABLE"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "PROMOTION_REFUSED"
  | "RISK_DENIED"
  | "PAYLOAD_TOO_LARGE"
  | "RATE_LIMITED"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "UPGRADE_REQUIRED"
  | "UPSTREAM_FAILED"
  | "UNAVAILABLE"
  | "CONFIG_INVALID"
  | "INTERNAL";

export interface AppErrorOptions {
  readonly details?: unknown;
  readonly cause?: unknown;
}

export class AppError extends Error {
  readonly details: unknown;

  constructor(
    readonly code: AppErrorCode,
    readonly status: number,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details;
  }
}

/** The request is malformed (400): fix the request. */
export class ValidationError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super("VALIDATION_FAILED", 400, message, options);
  }
}

/** The request is well-formed but cannot be carried out as asked (422): change the values. */
export class UnprocessableError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super("UNPROCESSABLE", 422, message, options);
  }
}

/** No valid credential (401): log in or send a key. */
export class UnauthorizedError extends AppError {
  constructor(message = "authentication required", options?: AppErrorOptions) {
    super("UNAUTHORIZED", 401, message, options);
  }
}

/** The credential lacks the role or scope (403): ask an admin. */
export class ForbiddenError extends AppError {
  constructor(message = "not allowed", options?: AppErrorOptions) {
    super("FORBIDDEN", 403, message, options);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super("NOT_FOUND", 404, message, options);
  }
}

/** The state changed under the caller (409): re-read and retry. */
export class ConflictError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super("CONFLICT", 409, message, options);
  }
}

/**
 * The promotion rule refused the candidate (409): train a better model, evaluate it against the current champion,
 * or (admin, forceable refusals only) force it. `details.decision` is the rule's whole decision.
 */
export class PromotionRefusedError extends AppError {
  constructor(readonly decision: PromotionDecision, message = `promotion refused: ${decision.code}`, options: Omit<AppErrorOptions, "details"> = {}) {
    super("PROMOTION_REFUSED", 409, message, { ...options, details: { decision } });
  }
}

/** A risk decision that refused an order: the closed denial code, why, and the values that decided. */
export type RiskDenial = Extract<RiskDecision, { approved: false }>;

/**
 * The account's risk checks denied the order (422): change the order (size, stop), wait (cooldown, a new UTC day),
 * or have an admin change the limits or reset the account. `details.decision` is the whole decision: its closed
 * `code` (e.g. MAX_DAILY_LOSS), `message` and `context` values. A denial is a value inside the risk engine; it becomes
 * this error only at the HTTP boundary, where the caller asked for an order and did not get one.
 */
export class RiskDeniedError extends AppError {
  constructor(readonly decision: RiskDenial, message = `order denied: ${decision.code}: ${decision.message}`, options: Omit<AppErrorOptions, "details"> = {}) {
    super("RISK_DENIED", 422, message, { ...options, details: { decision } });
  }
}

/** Body or batch too large (413): split it. */
export class PayloadTooLargeError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super("PAYLOAD_TOO_LARGE", 413, message, options);
  }
}

/** Too many requests (429): wait `retryAfterS` seconds. */
export class RateLimitedError extends AppError {
  constructor(readonly retryAfterS: number, message = "rate limit exceeded", options?: AppErrorOptions) {
    super("RATE_LIMITED", 429, message, options);
  }
}

/** The route speaks WebSocket only (426): open it with an Upgrade request. */
export class UpgradeRequiredError extends AppError {
  constructor(message = "this endpoint needs a WebSocket upgrade", options?: AppErrorOptions) {
    super("UPGRADE_REQUIRED", 426, message, options);
  }
}

/** A dependency failed (502): retrying later may succeed. */
export class UpstreamError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super("UPSTREAM_FAILED", 502, message, options);
  }
}

/** The service cannot answer now (503): retry later. */
export class UnavailableError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super("UNAVAILABLE", 503, message, options);
  }
}

/** The deployment is misconfigured (500): a human must fix the configuration. */
export class ConfigError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super("CONFIG_INVALID", 500, message, options);
  }
}
