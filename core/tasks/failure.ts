/** How task failures are told apart: retryable (retried with backoff), permanent (never retried) and timeout. */
import { ZodError } from "zod";
import { AppError, PromotionRefusedError } from "../errors/app-error.js";
import type { FailureClass } from "../schemas/tasks.js";

/** A failure no retry can fix (bad payload, missing model, refused by a rule). */
export class PermanentTaskError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PermanentTaskError";
  }
}

/** A run that took longer than its task's timeout. */
export class TaskTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the run took longer than its timeout of ${timeoutMs} ms`);
    this.name = "TaskTimeoutError";
  }
}

/** A failure a fault drill caused on purpose (TASK_FAULT_INJECTION_RATE). */
export class InjectedFaultError extends Error {
  constructor() {
    super("fault injected by the drill");
    this.name = "InjectedFaultError";
  }
}

/**
 * The class of a failure: timeouts; permanent for PermanentTaskError, invalid data (ZodError), a refused promotion
 * and 4xx application errors other than 408/409/429 (asking again gives the same answer); retryable for everything else (network, 5xx,
 * D1 or R2 hiccups, drills).
 */
export function classifyFailure(error: unknown): FailureClass {
  if (error instanceof TaskTimeoutError) return "timeout";
  // The promotion rule refuses the same model the same way every time, although its status is 409.
  if (error instanceof PermanentTaskError || error instanceof ZodError || error instanceof PromotionRefusedError) return "permanent";
  if (error instanceof AppError) return error.status >= 400 && error.status < 500 && ![408, 409, 429].includes(error.status) ? "permanent" : "retryable";
  return "retryable";
}

/** The name and message of anything thrown. */
export function describeFailure(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message.slice(0, 2_000) };
  let text: string;
  try {
    text = String(error);
  } catch {
    // Objects without a string form (Object.create(null)) must not make recording the failure fail.
    text = Object.prototype.toString.call(error);
  }
  return { name: "Error", message: text.slice(0, 2_000) };
}
