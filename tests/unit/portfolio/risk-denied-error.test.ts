/** A risk denial at the HTTP boundary (core/errors/app-error.ts): 422 RISK_DENIED carrying the whole decision. */
import { describe, expect, it } from "vitest";
import { AppError, RiskDeniedError, type RiskDenial } from "../../../core/errors/app-error.js";
import { errorEnvelope } from "../../../core/schemas/common.js";
import { RiskDecisionSchema } from "../../../core/schemas/trading.js";

const DENIAL: RiskDenial = {
  approved: false,
  requestId: "XAUUSD-2",
  code: "MAX_DAILY_LOSS",
  message: "the day's P&L is 5.2 % below the day's start equity, the limit is 5 %",
  context: { dailyPnlUsd: -5_200, dayStartEquityUsd: 100_000, maxDailyLossPct: 5 },
};

describe("RiskDeniedError", () => {
  it("is a 422 RISK_DENIED AppError whose details carry the decision", () => {
    const error = new RiskDeniedError(DENIAL);
    expect(error).toBeInstanceOf(AppError);
    expect([error.name, error.code, error.status]).toEqual(["RiskDeniedError", "RISK_DENIED", 422]);
    expect(error.details).toEqual({ decision: DENIAL });
    expect(error.decision).toBe(DENIAL);
  });

  it("says the code and why in its message unless given one", () => {
    expect(new RiskDeniedError(DENIAL).message).toBe(`order denied: MAX_DAILY_LOSS: ${DENIAL.message}`);
    expect(new RiskDeniedError(DENIAL, "no").message).toBe("no");
  });

  it("keeps its cause and never lets options replace the decision", () => {
    const cause = new Error("underlying");
    const error = new RiskDeniedError(DENIAL, undefined, { cause, ...({ details: "overridden" } as object) });
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ decision: DENIAL });
  });

  it("round-trips through the envelope: a client reads the decision back with the shared schema", () => {
    const error = new RiskDeniedError(DENIAL);
    const wire = JSON.parse(JSON.stringify(errorEnvelope(error.code, error.message, error.details, "req-1"))) as { error: { code: string; details: { decision: unknown } } };
    expect(wire.error.code).toBe("RISK_DENIED");
    expect(RiskDecisionSchema.parse(wire.error.details.decision)).toEqual(DENIAL);
  });
});
