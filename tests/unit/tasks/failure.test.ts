/**
 * Failure classes: timeouts, permanent failures (PermanentTaskError, invalid data, 4xx application errors other than
 * 408/409/429) and retryable ones (5xx, drills, plain errors, anything thrown); describeFailure's name and message.
 */
import { describe, expect, it } from "vitest";
import { z, type ZodError } from "zod";
import {
  AppError,
  ConfigError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  PromotionRefusedError,
  RateLimitedError,
  RiskDeniedError,
  UnauthorizedError,
  UnavailableError,
  UnprocessableError,
  UpgradeRequiredError,
  UpstreamError,
  ValidationError,
  type RiskDenial,
} from "../../../core/errors/app-error.js";
import {
  classifyFailure,
  describeFailure,
  InjectedFaultError,
  PermanentTaskError,
  TaskTimeoutError,
} from "../../../core/tasks/failure.js";
import type { PromotionDecision } from "../../../core/ml/promotion.js";

/** A refusal of the promotion rule, as registry-service throws it. */
const REFUSAL: PromotionDecision = {
  code: "NOT_BETTER_THAN_CHAMPION",
  promote: false,
  refusals: [{ code: "NOT_BETTER_THAN_CHAMPION", message: "log-loss 0.69 is not 0.0005 better than the champion's 0.68" }],
  evidence: { heldOutRows: 5_000, logLoss: 0.69, priorLogLoss: 0.7, championLogLoss: 0.68, gainOverPrior: 0.01, gainOverChampion: -0.01 },
};

/** A risk denial, as the portfolio route throws it. */
const DENIAL: RiskDenial = { approved: false, requestId: "req-1", code: "MAX_DAILY_LOSS", message: "daily loss limit reached", context: { lossUsd: 500 } };

/** A real ZodError, as a processor parsing bad data would throw it. */
function zodError(): ZodError {
  const parsed = z.object({ modelId: z.number().int() }).safeParse({ modelId: "seven" });
  if (parsed.success) throw new Error("the parse was expected to fail");
  return parsed.error;
}

describe("classifyFailure", () => {
  it("classifies a timeout as timeout", () => {
    const error = new TaskTimeoutError(30_000);
    expect(classifyFailure(error)).toBe("timeout");
    expect(error.timeoutMs).toBe(30_000);
    expect(error.message).toContain("30000 ms");
  });

  it("classifies PermanentTaskError as permanent and keeps its cause", () => {
    const cause = new Error("model 7 not found in R2");
    const error = new PermanentTaskError("no model file", { cause });
    expect(classifyFailure(error)).toBe("permanent");
    expect(error.cause).toBe(cause);
    expect(error.name).toBe("PermanentTaskError");
  });

  it("classifies invalid data (ZodError) as permanent", () => {
    expect(classifyFailure(zodError())).toBe("permanent");
  });

  it.each([
    ["ValidationError", new ValidationError("bad"), 400],
    ["UnauthorizedError", new UnauthorizedError(), 401],
    ["ForbiddenError", new ForbiddenError(), 403],
    ["NotFoundError", new NotFoundError("no such model"), 404],
    ["PayloadTooLargeError", new PayloadTooLargeError("too big"), 413],
    ["UnprocessableError", new UnprocessableError("cannot"), 422],
    ["RiskDeniedError", new RiskDeniedError(DENIAL), 422],
    ["UpgradeRequiredError", new UpgradeRequiredError(), 426],
    ["a bare AppError 418", new AppError("INTERNAL", 418, "teapot"), 418],
  ] as const)("classifies %s (%i) as permanent", (_name, error, status) => {
    expect(error.status).toBe(status);
    expect(classifyFailure(error)).toBe("permanent");
  });

  it.each([
    ["a bare AppError 408", new AppError("INTERNAL", 408, "request timeout"), 408],
    ["ConflictError", new ConflictError("changed under you"), 409],
    ["RateLimitedError", new RateLimitedError(30), 429],
    ["ConfigError", new ConfigError("misconfigured"), 500],
    ["UpstreamError", new UpstreamError("upstream failed"), 502],
    ["UnavailableError", new UnavailableError("not now"), 503],
    ["a bare AppError 504", new AppError("INTERNAL", 504, "gateway timeout"), 504],
  ] as const)("classifies %s (%i) as retryable", (_name, error, status) => {
    expect(error.status).toBe(status);
    expect(classifyFailure(error)).toBe("retryable");
  });

  // The promotion rule refuses the same model the same way every time: retrying cannot help.
  it("classifies a refused promotion (409 PROMOTION_REFUSED) as permanent", () => {
    const error = new PromotionRefusedError(REFUSAL);
    expect(error.status).toBe(409);
    expect(classifyFailure(error)).toBe("permanent");
  });

  it("classifies an injected fault (drill) as retryable", () => {
    const error = new InjectedFaultError();
    expect(classifyFailure(error)).toBe("retryable");
    expect(describeFailure(error)).toEqual({ name: "InjectedFaultError", message: "fault injected by the drill" });
  });

  it.each([
    ["a plain Error", new Error("D1 hiccup")],
    ["a TypeError", new TypeError("fetch failed")],
    ["an AbortError", new DOMException("aborted", "AbortError")],
  ])("classifies %s as retryable", (_name, error) => {
    expect(classifyFailure(error)).toBe("retryable");
  });

  it.each([["a string", "boom"], ["undefined", undefined], ["null", null], ["a number", 42], ["an object", { status: 400 }]])(
    "classifies a thrown non-Error (%s) as retryable",
    (_name, thrown) => {
      expect(classifyFailure(thrown)).toBe("retryable");
    },
  );
});

describe("describeFailure", () => {
  it("gives the name and message of an Error, subclass names included", () => {
    expect(describeFailure(new Error("plain"))).toEqual({ name: "Error", message: "plain" });
    expect(describeFailure(new NotFoundError("no such model"))).toEqual({ name: "NotFoundError", message: "no such model" });
    expect(describeFailure(new TaskTimeoutError(1_000))).toEqual({ name: "TaskTimeoutError", message: "the run took longer than its timeout of 1000 ms" });
    expect(describeFailure(zodError()).name).toBe("ZodError");
  });

  it("names anything else Error and prints it", () => {
    expect(describeFailure("boom")).toEqual({ name: "Error", message: "boom" });
    expect(describeFailure(undefined)).toEqual({ name: "Error", message: "undefined" });
    expect(describeFailure(null)).toEqual({ name: "Error", message: "null" });
    expect(describeFailure(42)).toEqual({ name: "Error", message: "42" });
    expect(describeFailure({ a: 1 })).toEqual({ name: "Error", message: "[object Object]" });
  });

  it("truncates messages to 2,000 characters", () => {
    expect(describeFailure(new Error("x".repeat(2_000))).message).toHaveLength(2_000);
    expect(describeFailure(new Error("y".repeat(2_001))).message).toBe("y".repeat(2_000));
    expect(describeFailure("z".repeat(10_000)).message).toBe("z".repeat(2_000));
  });

  // String() throws for a value without a primitive conversion: recording the failure must not fail with it.
  it("describes a thrown value that cannot be converted to a string", () => {
    expect(describeFailure(Object.create(null))).toEqual({ name: "Error", message: "[object Object]" });
  });
});
