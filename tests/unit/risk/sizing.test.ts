import { describe, expect, it } from "vitest";
import { roundLotsDown, sizeOrder } from "../../../core/risk/sizing.js";
import { makeLimits, makeRequest } from "./risk-builders.js";

describe("roundLotsDown", () => {
  it("rounds down to the lot step", () => {
    expect(roundLotsDown(0.079, 0.01)).toBe(0.07);
    expect(roundLotsDown(1.999, 0.1)).toBe(1.9);
    expect(roundLotsDown(7.5, 1)).toBe(7);
    expect(roundLotsDown(0.37, 0.05)).toBe(0.35);
  });

  it("forgives float noise just below a step", () => {
    expect(roundLotsDown(0.1 + 0.2, 0.1)).toBe(0.3);
    expect(roundLotsDown(0.3, 0.1)).toBe(0.3); // 0.3 / 0.1 = 2.9999999999999996
    expect(roundLotsDown(0.2999999999, 0.01)).toBe(0.3);
    expect(roundLotsDown(0.07, 0.01)).toBe(0.07);
    expect(roundLotsDown(0.29, 0.01)).toBe(0.29); // 0.29 / 0.01 = 28.999999999999996
    expect(roundLotsDown(4.35, 0.05)).toBe(4.35);
  });

  it("gives the clean decimal for every multiple of the step", () => {
    const wrong: number[] = [];
    for (let steps = 0; steps <= 10_000; steps++) {
      const clean = Number((steps / 100).toFixed(2));
      if (roundLotsDown(clean, 0.01) !== clean || roundLotsDown(steps * 0.01, 0.01) !== clean) wrong.push(steps);
    }
    expect(wrong).toEqual([]);
  });

  it("gives 0 for nothing", () => {
    expect(roundLotsDown(0, 0.01)).toBe(0);
    expect(roundLotsDown(-1, 0.01)).toBe(0);
    expect(roundLotsDown(Number.NaN, 0.01)).toBe(0);
    expect(roundLotsDown(0.009, 0.01)).toBe(0);
  });
});

describe("sizeOrder", () => {
  it("fixed-fractional: riskPct of equity between entry and stop", () => {
    // 1 % of 100,000 = 1,000 USD; 30.0 × 100 oz = 3,000 USD per lot → 0.333… → 0.33 lots.
    const limits = makeLimits({ sizing: { kind: "fixed-fractional", riskPct: 1 } });
    expect(sizeOrder(makeRequest({ stopDistance: 30 }), 100_000, limits)).toEqual({ ok: true, lots: 0.33 });
    // 0.5 % of 50,000 = 250 USD; a 0.0025 stop on 100,000 units = 250 USD per lot → exactly 1 lot.
    const eurusd = makeRequest({ symbol: "EURUSD", stopDistance: 0.0025 });
    expect(sizeOrder(eurusd, 50_000, makeLimits({ sizing: { kind: "fixed-fractional", riskPct: 0.5 } }))).toEqual({ ok: true, lots: 1 });
    // 0.7 % of 10,000 = 70 USD; 10 × 100 = 1,000 per lot → 0.07 (not 0.06999… or 0.07000000000000001).
    expect(sizeOrder(makeRequest({ stopDistance: 10 }), 10_000, makeLimits({ sizing: { kind: "fixed-fractional", riskPct: 0.7 } }))).toEqual({ ok: true, lots: 0.07 });
  });

  it("fixed-fractional needs a positive stop distance", () => {
    const limits = makeLimits({ sizing: { kind: "fixed-fractional", riskPct: 1 } });
    const result = sizeOrder(makeRequest({ stopDistance: null }), 100_000, limits);
    expect(result).toMatchObject({ ok: false, code: "INVALID_STOP", context: { stopDistance: null, riskPct: 1 } });
    expect(sizeOrder(makeRequest({ stopDistance: 0 }), 100_000, limits)).toMatchObject({ ok: false, code: "INVALID_STOP" });
  });

  it("fixed-lots uses the configured lots, rounded to the step", () => {
    expect(sizeOrder(makeRequest(), 100_000, makeLimits({ sizing: { kind: "fixed-lots", lots: 0.255 } }))).toEqual({ ok: true, lots: 0.25 });
    expect(sizeOrder(makeRequest({ stopDistance: null }), 100_000, makeLimits())).toEqual({ ok: true, lots: 1 });
  });

  it("manual orders use the lots asked for", () => {
    const limits = makeLimits({ sizing: { kind: "fixed-fractional", riskPct: 1 } });
    expect(sizeOrder(makeRequest({ requestedLots: 0.456, source: "manual", stopDistance: null }), 100_000, limits)).toEqual({ ok: true, lots: 0.45 });
  });

  it("caps at maxLots", () => {
    const limits = makeLimits({ sizing: { kind: "fixed-fractional", riskPct: 5 }, lots: { lotStep: 0.01, minLots: 0.01, maxLots: 2.5 } });
    expect(sizeOrder(makeRequest({ stopDistance: 1 }), 1_000_000, limits)).toEqual({ ok: true, lots: 2.5 });
    const offGrid = makeLimits({ lots: { lotStep: 0.1, minLots: 0.1, maxLots: 2.55 } });
    expect(sizeOrder(makeRequest({ requestedLots: 10 }), 100_000, offGrid)).toEqual({ ok: true, lots: 2.5 });
  });

  it("refuses sizes below minLots", () => {
    // 0.01 % of 100,000 = 10 USD; 50 × 100 = 5,000 per lot → 0.002 lots.
    const limits = makeLimits({ sizing: { kind: "fixed-fractional", riskPct: 0.01 } });
    const result = sizeOrder(makeRequest({ stopDistance: 50 }), 100_000, limits);
    expect(result).toMatchObject({ ok: false, code: "SIZE_BELOW_MINIMUM", context: { lots: 0, minLots: 0.01, rawLots: expect.closeTo(0.002, 12) } });
    const bigMinimum = makeLimits({ lots: { lotStep: 0.01, minLots: 0.5, maxLots: 100 } });
    expect(sizeOrder(makeRequest({ requestedLots: 0.49 }), 100_000, bigMinimum)).toMatchObject({ ok: false, code: "SIZE_BELOW_MINIMUM" });
    expect(sizeOrder(makeRequest({ requestedLots: 0.5 }), 100_000, bigMinimum)).toEqual({ ok: true, lots: 0.5 });
  });

  it("sizes nothing for a non-positive equity", () => {
    const limits = makeLimits({ sizing: { kind: "fixed-fractional", riskPct: 1 } });
    expect(sizeOrder(makeRequest(), -5_000, limits)).toMatchObject({ ok: false, code: "SIZE_BELOW_MINIMUM" });
  });
});
