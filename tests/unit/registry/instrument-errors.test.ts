/** Refusals of the InstrumentDO, which cross RPC as plain Errors, become the AppError the caller must act on. */
import { describe, expect, it } from "vitest";
import { ConflictError, UnavailableError, UnprocessableError, UpstreamError } from "../../../core/errors/app-error.js";
import { fromInstrumentError } from "../../../workers/models/instrument-errors.js";

describe("fromInstrumentError", () => {
  it("rebuilds the refusals a caller can act on from the class name at the start of the message", () => {
    const unprocessable = fromInstrumentError(new Error("UnprocessableError: model v3: sha256 differs"), "XAUUSD");
    expect(unprocessable).toBeInstanceOf(UnprocessableError);
    expect([unprocessable.status, unprocessable.message]).toEqual([422, "model v3: sha256 differs"]);
    expect(fromInstrumentError(new Error("UnavailableError: models/XAUUSD/v3/model.onnx is not in the model bucket"), "XAUUSD")).toBeInstanceOf(UnavailableError);
    expect(fromInstrumentError(new Error("ConflictError: busy"), "XAUUSD")).toBeInstanceOf(ConflictError);
  });

  it("keeps an error whose class survived, and passes this isolate's AppErrors unchanged", () => {
    const named = Object.assign(new Error("no such model"), { name: "UnavailableError" });
    expect(fromInstrumentError(named, "XAUUSD")).toMatchObject({ status: 503, message: "no such model" });
    const own = new ConflictError("mine");
    expect(fromInstrumentError(own, "XAUUSD")).toBe(own);
  });

  it("turns anything else into a 502 naming the object and its message", () => {
    for (const thrown of [new Error("ValidationError: bad args"), new TypeError("x is undefined"), "a string"]) {
      const error = fromInstrumentError(thrown, "XAUUSD");
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error.message).toMatch(/^the XAUUSD Durable Object failed: /);
    }
  });
});
