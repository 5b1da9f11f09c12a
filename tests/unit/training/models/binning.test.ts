/** Quantile binning: bin sizes, ties, the missing bin, float32-exact bounds, and the fast binning against binOf. */
import { describe, expect, it } from "vitest";
import {
  binMatrix,
  binOf,
  fitBinning,
  FLOAT32_MAX,
  MISSING_BIN,
} from "../../../../training/models/binning.js";
import { featureMatrix } from "../../../../training/models/feature-matrix.js";
import { mulberry32 } from "../../../../training/models/random.js";
import { gaussian } from "./synthetic-data.js";

function column(values: readonly number[]) {
  return featureMatrix(Float64Array.from(values), 1);
}

function binCounts(bins: Uint8Array): Map<number, number> {
  const counts = new Map<number, number>();
  for (const bin of bins) counts.set(bin, (counts.get(bin) ?? 0) + 1);
  return counts;
}

describe("fitBinning", () => {
  it("gives few distinct values a bin each, bounded by the float32 midpoints", () => {
    const binning = fitBinning(column([3, 1, 4, 1, 2, 4, 3, 2]));
    expect(Array.from(binning.upperBounds[0] ?? [])).toEqual([1.5, 2.5, 3.5]);
    expect(Array.from(binMatrix(binning, column([1, 2, 3, 4, 0, 9])).bins)).toEqual([0, 1, 2, 3, 0, 3]);
  });

  it("cuts many distinct values into 255 bins of about equal size", () => {
    const random = mulberry32(11);
    const values = Array.from({ length: 25_500 }, () => gaussian(random) * 1_000);
    const binning = fitBinning(column(values));
    expect(binning.upperBounds[0]).toHaveLength(254);
    const counts = [...binCounts(binMatrix(binning, column(values)).bins).values()];
    expect(counts).toHaveLength(255);
    expect(Math.min(...counts)).toBe(100);
    expect(Math.max(...counts)).toBe(100);
  });

  it("honours maxBins (the missing bin counted)", () => {
    const values = Array.from({ length: 1_000 }, (_, index) => index);
    const binning = fitBinning(column(values), { maxBins: 16 });
    expect(binning.upperBounds[0]).toHaveLength(14);
    expect(() => fitBinning(column(values), { maxBins: 257 })).toThrow(RangeError);
    expect(() => fitBinning(column(values), { maxBins: 1 })).toThrow(RangeError);
  });

  it("gives a heavily repeated value a bin of its own", () => {
    const values = [...new Array<number>(600).fill(0), ...Array.from({ length: 400 }, (_, index) => index + 1)];
    const binning = fitBinning(column(values), { maxBins: 11 });
    const bins = binMatrix(binning, column(values)).bins;
    const zeroBin = bins[0] ?? -1;
    values.forEach((value, row) => expect(bins[row] === zeroBin).toBe(value === 0));
  });

  it("keeps NaN out of the bounds and in the missing bin; an all-missing feature has one value bin", () => {
    const matrix = featureMatrix(Float64Array.from([1, Number.NaN, Number.NaN, Number.NaN, 2, Number.NaN]), 2);
    const binning = fitBinning(matrix);
    expect(Array.from(binning.upperBounds[0] ?? [])).toEqual([1.5]);
    expect(binning.upperBounds[1]).toHaveLength(0);
    const missing = MISSING_BIN;
    expect(Array.from(binMatrix(binning, matrix).bins)).toEqual([0, missing, 1, missing, missing, missing]);
  });

  it("places every bound on a float32 number that splits the same on float32-rounded values", () => {
    const random = mulberry32(5);
    const values = Array.from({ length: 20_000 }, () => gaussian(random) * 1e-4);
    const bounds = fitBinning(column(values)).upperBounds[0] ?? new Float64Array(0);
    expect(bounds).toHaveLength(254);
    for (const bound of bounds) expect(Math.fround(bound)).toBe(bound);
    for (const value of values) expect(binOf(bounds, Math.fround(value))).toBe(binOf(bounds, value));
  });

  it("still cuts values denser than float32 resolution, on float32 bounds between neighbours", () => {
    const random = mulberry32(6);
    const values = Array.from({ length: 20_000 }, () => 2_300 + gaussian(random) * 1e-3).sort((a, b) => a - b);
    const bounds = fitBinning(column(values)).upperBounds[0] ?? new Float64Array(0);
    expect(bounds.length).toBeGreaterThan(25);
    for (const bound of bounds) {
      expect(Math.fround(bound)).toBe(bound);
      const below = values.filter((value) => value <= bound).at(-1) ?? Number.NaN;
      expect(bound - below).toBeLessThan(2.5e-4);
    }
  });

  it("merges neighbours with no float32 between them, and keeps bounds finite at ±Infinity", () => {
    expect(fitBinning(column([1 + 1e-12, 1 + 2e-12, 1 + 1e-12, 1 + 2e-12])).upperBounds[0]).toHaveLength(0);
    expect(Array.from(fitBinning(column([1, 1 + 1e-12])).upperBounds[0] ?? [])).toEqual([1]);
    const bounds = fitBinning(column([Number.NEGATIVE_INFINITY, 0, 1, Number.POSITIVE_INFINITY])).upperBounds[0];
    expect(Array.from(bounds ?? [])).toEqual([-FLOAT32_MAX, 0.5, FLOAT32_MAX]);
  });

  it("draws the same sample for the same seed when there are more rows than sampleSize", () => {
    const random = mulberry32(8);
    const values = column(Array.from({ length: 3_000 }, () => random()));
    const first = fitBinning(values, { sampleSize: 500, seed: 1 });
    expect(fitBinning(values, { sampleSize: 500, seed: 1 })).toEqual(first);
    expect(fitBinning(values, { sampleSize: 500, seed: 2 })).not.toEqual(first);
  });
});

describe("binMatrix", () => {
  it("is column-major and agrees with binOf on every cell, NaN and ±Infinity included", () => {
    const random = mulberry32(21);
    const nRows = 2_000;
    const nCols = 4;
    const values = new Float64Array(nRows * nCols);
    for (let at = 0; at < values.length; at += 1) {
      const draw = random();
      if (draw < 0.05) values[at] = Number.NaN;
      else if (draw < 0.06) values[at] = Number.POSITIVE_INFINITY;
      else if (draw < 0.07) values[at] = Number.NEGATIVE_INFINITY;
      else values[at] = gaussian(random);
    }
    const matrix = featureMatrix(values, nCols);
    const binning = fitBinning(matrix, { maxBins: 40 + Math.floor(random() * 10) });
    const binned = binMatrix(binning, matrix);
    expect(binned.bins).toHaveLength(nRows * nCols);
    for (let row = 0; row < nRows; row += 1) {
      for (let col = 0; col < nCols; col += 1) {
        const bounds = binning.upperBounds[col] ?? new Float64Array(0);
        expect(binned.bins[col * nRows + row]).toBe(binOf(bounds, values[row * nCols + col] ?? 0));
      }
    }
  });

  it("refuses a matrix of another width", () => {
    expect(() => binMatrix(fitBinning(column([1, 2])), featureMatrix(new Float64Array(4), 2))).toThrow(RangeError);
  });
});
