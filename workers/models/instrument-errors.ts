/**
 * Errors crossing the Durable Object RPC boundary arrive as plain `Error`s whose message starts with the original
 * class name ("UnprocessableError: …"); this rebuilds the AppError the caller must act on.
 */
import {
  AppError,
  ConflictError,
  NotFoundError,
  UnavailableError,
  UnprocessableError,
  UpstreamError,
  type AppErrorOptions,
} from "../../core/errors/app-error.js";

/** AppErrors the object may refuse an assignment with, by class name, rebuilt on this side. */
const REBUILT: Record<string, new (message: string, options?: AppErrorOptions) => AppError> = {
  UnprocessableError,
  UnavailableError,
  ConflictError,
  NotFoundError,
};

/** "UnprocessableError: the message" → its class name and message. */
const NAMED_MESSAGE = /^([A-Za-z]+Error): ([\s\S]*)$/;

/**
 * The AppError for an error the object threw: the same class when it is one a caller can act on (422, 503, 409,
 * 404), else a 502 naming the object's message. An AppError of this isolate passes unchanged.
 * @example fromInstrumentError(new Error("UnprocessableError: model v3: sha256 differs"), "XAUUSD") // UnprocessableError, 422
 */
export function fromInstrumentError(error: unknown, symbol: string): AppError {
  if (error instanceof AppError) return error;
  const text = error instanceof Error ? error.message : String(error);
  const named = NAMED_MESSAGE.exec(text);
  const name = error instanceof Error && error.name !== "Error" ? error.name : (named?.[1] ?? "");
  const message = named !== null && named[1] === name ? (named[2] ?? text) : text;
  const rebuilt = REBUILT[name];
  if (rebuilt !== undefined) return new rebuilt(message, { cause: error });
  return new UpstreamError(`the ${symbol} Durable Object failed: ${text}`, { cause: error });
}
