/** Walk-forward splits: exact layout, no overlap, purge gaps of at least the horizon, an untouched held-out tail. */
import { describe, expect, it } from "vitest";
import { type RowRange, type WalkForwardConfig, walkForwardSplits } from "../../../core/ml/index.js";

const SMALL: WalkForwardConfig = {
  nRows: 100,
  nFolds: 3,
  minTrainRows: 20,
  validationRows: 10,
  purgeRows: 5,
  horizonBars: 5,
  heldOutFraction: 0.2,
};

function intersects(a: RowRange, b: RowRange): boolean {
  return a.from < b.to && b.from < a.to;
}

function length(range: RowRange): number {
  return range.to - range.from;
}

const CONFIGS: WalkForwardConfig[] = [
  SMALL,
  { ...SMALL, purgeRows: 9, horizonBars: 4 },
  { nRows: 100_000, nFolds: 5, minTrainRows: 20_000, validationRows: 10_000, purgeRows: 15, horizonBars: 15, heldOutFraction: 0.2 },
  { nRows: 63_230, nFolds: 8, minTrainRows: 10_000, validationRows: 4_000, purgeRows: 60, horizonBars: 15, heldOutFraction: 0.15 },
  { nRows: 50, nFolds: 1, minTrainRows: 1, validationRows: 1, purgeRows: 1, horizonBars: 1, heldOutFraction: 0.02 },
];

describe("walkForwardSplits", () => {
  it("lays out 100 rows as three expanding folds, a purge and a 20-row held-out tail", () => {
    expect(walkForwardSplits(SMALL)).toEqual({
      folds: [
        { fold: 0, train: { from: 0, to: 40 }, purge: { from: 40, to: 45 }, validation: { from: 45, to: 55 } },
        { fold: 1, train: { from: 0, to: 50 }, purge: { from: 50, to: 55 }, validation: { from: 55, to: 65 } },
        { fold: 2, train: { from: 0, to: 60 }, purge: { from: 60, to: 65 }, validation: { from: 65, to: 75 } },
      ],
      finalTrain: { from: 0, to: 75 },
      heldOutPurge: { from: 75, to: 80 },
      heldOut: { from: 80, to: 100 },
    });
  });

  it.each(CONFIGS)("keeps every fold in time order, purged, apart from the held-out tail (%o)", (config) => {
    const splits = walkForwardSplits(config);
    const { folds, heldOut, heldOutPurge, finalTrain } = splits;
    expect(folds).toHaveLength(config.nFolds);
    expect(heldOut.to).toBe(config.nRows);
    expect(length(heldOut)).toBe(Math.round(config.nRows * config.heldOutFraction));
    expect(length(heldOutPurge)).toBe(config.purgeRows);
    expect(heldOutPurge.to).toBe(heldOut.from);
    expect(finalTrain).toEqual({ from: 0, to: heldOutPurge.from });
    folds.forEach((fold, index) => {
      expect(fold.fold).toBe(index);
      expect(fold.train.from).toBe(0);
      expect(length(fold.train)).toBeGreaterThanOrEqual(config.minTrainRows);
      expect(length(fold.validation)).toBe(config.validationRows);
      expect(fold.purge).toEqual({ from: fold.train.to, to: fold.validation.from });
      expect(fold.validation.from - fold.train.to).toBeGreaterThanOrEqual(config.horizonBars);
      for (const range of [fold.train, fold.purge, fold.validation]) {
        expect(intersects(range, heldOut)).toBe(false);
        expect(intersects(range, heldOutPurge)).toBe(false);
      }
      expect(intersects(fold.train, fold.validation)).toBe(false);
      expect(heldOut.from - fold.validation.to).toBeGreaterThanOrEqual(config.purgeRows);
      const previous = folds[index - 1];
      if (previous !== undefined) {
        expect(fold.validation.from).toBe(previous.validation.to);
        expect(fold.train.to).toBeGreaterThan(previous.train.to);
        expect(fold.train.to).toBeLessThanOrEqual(fold.validation.from - config.horizonBars);
      }
    });
    expect(intersects(finalTrain, heldOut)).toBe(false);
    expect(heldOut.from - finalTrain.to).toBeGreaterThanOrEqual(config.horizonBars);
    expect(folds.at(-1)?.validation.to).toBe(heldOutPurge.from);
  });

  it("labels of training rows never reach the validation or held-out rows (row i's label reads row i + h)", () => {
    for (const config of CONFIGS) {
      const { folds, finalTrain, heldOut } = walkForwardSplits(config);
      for (const fold of folds) expect(fold.train.to - 1 + config.horizonBars).toBeLessThan(fold.validation.from);
      expect(finalTrain.to - 1 + config.horizonBars).toBeLessThan(heldOut.from);
    }
  });

  it("fits exactly the rows it needs, and refuses one row fewer", () => {
    const exact = { ...SMALL, nRows: 70, heldOutFraction: 1 / 7 };
    expect(walkForwardSplits(exact).folds[0]?.train).toEqual({ from: 0, to: 20 });
    expect(() => walkForwardSplits({ ...exact, minTrainRows: 21 })).toThrow(/needs at least 71/);
  });

  it.each([
    ["a purge shorter than the horizon", { purgeRows: 4 }, /purgeRows \(4\) must be >= horizonBars \(5\)/],
    ["no folds", { nFolds: 0 }, /nFolds/],
    ["a fractional row count", { nRows: 99.5 }, /nRows/],
    ["an empty validation window", { validationRows: 0 }, /validationRows/],
    ["no training rows", { minTrainRows: 0 }, /minTrainRows/],
    ["horizon 0", { horizonBars: 0, purgeRows: 0 }, /horizonBars/],
    ["a held-out fraction of 0", { heldOutFraction: 0 }, /heldOutFraction/],
    ["a held-out fraction of 1", { heldOutFraction: 1 }, /heldOutFraction/],
    ["a NaN held-out fraction", { heldOutFraction: Number.NaN }, /heldOutFraction/],
    ["a held-out tail that rounds to no row", { heldOutFraction: 0.004 }, /no held-out row/],
    ["too few rows", { nRows: 60 }, /do not fit/],
    ["too many folds", { nFolds: 6 }, /do not fit/],
  ])("throws a RangeError on %s", (_name, change, message) => {
    expect(() => walkForwardSplits({ ...SMALL, ...change })).toThrow(RangeError);
    expect(() => walkForwardSplits({ ...SMALL, ...change })).toThrow(message);
  });
});
