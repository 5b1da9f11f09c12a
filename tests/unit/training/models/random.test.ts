/** The seeded generator and the draw without replacement: reproducible, in range, and without repeats. */
import { describe, expect, it } from "vitest";
import { toFeatureMatrix } from "../../../../training/models/feature-matrix.js";
import { drawWithoutReplacement, mulberry32 } from "../../../../training/models/random.js";

describe("mulberry32", () => {
  it("repeats its sequence for a seed, differs across seeds and stays in [0, 1)", () => {
    const first = Array.from({ length: 1_000 }, mulberry32(42));
    expect(Array.from({ length: 1_000 }, mulberry32(42))).toEqual(first);
    expect(Array.from({ length: 1_000 }, mulberry32(43))).not.toEqual(first);
    expect(first.every((value) => value >= 0 && value < 1)).toBe(true);
    const mean = first.reduce((sum, value) => sum + value, 0) / first.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe("drawWithoutReplacement", () => {
  it("draws distinct members of the pool", () => {
    const pool = Int32Array.from({ length: 50 }, (_, index) => index);
    const drawn = Array.from(drawWithoutReplacement(pool, 50, 20, mulberry32(1)));
    expect(new Set(drawn).size).toBe(20);
    expect(drawn.every((value) => value >= 0 && value < 50)).toBe(true);
    expect(Array.from(pool).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, index) => index));
  });
});

describe("toFeatureMatrix", () => {
  it("copies rows, wraps a flat array and refuses ragged or unsized input", () => {
    const expected = { values: Float64Array.of(1, 2, 3, Number.NaN), nRows: 2, nCols: 2 };
    expect(toFeatureMatrix([[1, 2], [3, Number.NaN]])).toEqual(expected);
    expect(toFeatureMatrix(Float64Array.of(1, 2, 3), 3).nRows).toBe(1);
    expect(() => toFeatureMatrix([[1, 2], [3]])).toThrow(/row 1 has 1 values/);
    expect(() => toFeatureMatrix(Float64Array.of(1, 2, 3), 2)).toThrow(RangeError);
    expect(() => toFeatureMatrix(Float64Array.of(1, 2))).toThrow(/needs nCols/);
    expect(() => toFeatureMatrix([])).toThrow(/needs nCols/);
    expect(toFeatureMatrix([], 4)).toEqual({ values: new Float64Array(0), nRows: 0, nCols: 4 });
  });
});
