/** The pipeline's baselines, determinism and verdicts on synthetic data with and without a signal. */
import { describe, expect, it } from "vitest";
import { binaryMetrics, binaryPriorMetrics, ModelManifestSchema } from "../../../../core/ml/index.js";
import { completeManifest } from "../../../../training/pipeline/manifest.js";
import { renderTextReport, type TrainingReport } from "../../../../training/pipeline/report.js";
import {
  earlyStoppingSplit,
  planSplits,
  predictFinal,
  type TrainOptions,
  trainAndEvaluate,
} from "../../../../training/pipeline/train.js";
import { rowSlice } from "../../../../training/pipeline/fitters.js";
import { syntheticDataset } from "./pipeline-data.js";

const NOW_MS = Date.UTC(2026, 4, 29, 12, 0);

/** The report without its wall-clock timings. */
function timeless(report: TrainingReport): Omit<TrainingReport, "timings"> {
  const { timings: _timings, ...rest } = report;
  return rest;
}

function labelsOf(labels: Int32Array, from: number, to: number): number[] {
  return Array.from(labels.subarray(from, to));
}

describe("planSplits", () => {
  it("keeps 30 % held out, 4 folds of 10 %, purges of the horizon and the rest for the first fold", () => {
    const { splits, report } = planSplits(62_272, 15, {});
    expect(splits.heldOut).toEqual({ from: 43_590, to: 62_272 });
    expect(splits.folds).toHaveLength(4);
    expect(report.validationRows).toBe(6_227);
    expect(report.purgeRows).toBe(15);
    expect(splits.folds[0]?.train).toEqual({ from: 0, to: report.minTrainRows });
    expect(splits.finalTrain.to).toBe(splits.heldOut.from - 15);
  });

  it("refuses a purge shorter than the horizon and too few rows", () => {
    expect(() => planSplits(10_000, 15, { purgeRows: 14 })).toThrow(/purgeRows/);
    expect(() => planSplits(100, 15, {})).toThrow(/too few/);
  });

  it("splits a fold's training rows into fit rows, a purge and an early-stopping tail", () => {
    expect(earlyStoppingSplit({ from: 0, to: 1_000 }, 0.15, 15)).toEqual({
      fit: { from: 0, to: 835 },
      earlyStopping: { from: 850, to: 1_000 },
    });
  });
});

describe("trainAndEvaluate: the prior comes from each split's training rows only", () => {
  // Class shares drift: 70 % up in the first 60 % of rows, 30 % up afterwards (the whole held-out tail).
  const dataset = syntheticDataset({ nRows: 2_500, seed: 11, signal: 0, upShare: (row) => (row < 1_500 ? 0.7 : 0.3) });
  const result = trainAndEvaluate({ dataset, model: "logistic", trials: 2, seed: 1, now: () => NOW_MS });
  const { splits, report } = result;

  it("scores the held-out prior with the final training rows' class share", () => {
    const train = labelsOf(dataset.labels, splits.finalTrain.from, splits.finalTrain.to);
    const heldOut = labelsOf(dataset.labels, splits.heldOut.from, splits.heldOut.to);
    expect(report.heldOut.prior).toEqual(binaryPriorMetrics(train, heldOut));
    expect(report.heldOut.priorUp).toBeCloseTo(train.filter((label) => label === 1).length / train.length, 12);
    expect(report.heldOut.prior).not.toEqual(binaryPriorMetrics(heldOut, heldOut));
    expect(report.heldOut.priorUp).toBeGreaterThan(0.5);
  });

  it("scores each fold's prior with that fold's training rows", () => {
    for (const fold of report.folds) {
      const train = labelsOf(dataset.labels, fold.train.from, fold.train.to);
      const validation = labelsOf(dataset.labels, fold.validation.from, fold.validation.to);
      expect(fold.prior).toEqual(binaryPriorMetrics(train, validation));
      expect(fold.rows).toBe(validation.length);
    }
  });

  it("reports the model's held-out scores as the returned model gives them", () => {
    const heldOut = labelsOf(dataset.labels, splits.heldOut.from, splits.heldOut.to);
    const p = predictFinal(result.model, rowSlice(dataset, splits.heldOut).features);
    expect(report.heldOut.model).toEqual(binaryMetrics(heldOut, Array.from(p)));
  });
});

describe("trainAndEvaluate: determinism", () => {
  const dataset = syntheticDataset({ nRows: 2_000, seed: 5, signal: 0.8 });
  const options: TrainOptions = {
    dataset,
    model: "ensemble",
    trials: 3,
    seed: 42,
    now: () => NOW_MS,
    boosting: { maxRounds: 80 },
  };

  it("gives the same report, manifest draft and model for the same seed", () => {
    const first = trainAndEvaluate(options);
    const second = trainAndEvaluate(options);
    expect(timeless(second.report)).toEqual(timeless(first.report));
    expect(second.manifestDraft).toEqual(first.manifestDraft);
    expect(JSON.stringify(second.model)).toBe(JSON.stringify(first.model));
  });

  it("draws other settings for another seed", () => {
    const first = trainAndEvaluate({ ...options, trials: 2, model: "gbdt" });
    const other = trainAndEvaluate({ ...options, trials: 2, model: "gbdt", seed: 43 });
    expect(other.report.search.gbdt?.trials[1]?.params).not.toEqual(first.report.search.gbdt?.trials[1]?.params);
    expect(other.report.search.gbdt?.trials[0]?.params).toEqual(first.report.search.gbdt?.trials[0]?.params);
  });
});

describe("trainAndEvaluate: verdicts", () => {
  // 7,000 rows: a 2,100-row held-out tail, over the promotion rule's 2,000.
  const signal = syntheticDataset({ nRows: 7_000, seed: 21, signal: 1 });
  const noise = syntheticDataset({ nRows: 4_000, seed: 22, signal: 0 });

  it.each(["gbdt", "logistic", "ensemble"] as const)("%s beats the prior out of sample on a real signal", (model) => {
    const { report, manifestDraft } = trainAndEvaluate({
      dataset: signal,
      model,
      trials: 2,
      seed: 1,
      now: () => NOW_MS,
      boosting: { maxRounds: 100 },
    });
    expect(report.verdict.beatsPrior).toBe(true);
    expect(report.verdict.text).toMatch(/^beats the prior out of sample by 0\.\d{5} log-loss/);
    expect(report.verdict.gain).toBeGreaterThan(report.verdict.zScore * report.verdict.standardError);
    expect(report.heldOut.gain.logLoss).toBeGreaterThan(0.05);
    expect(report.heldOut.model.auc).toBeGreaterThan(0.7);
    expect(report.folds.every((fold) => fold.gain.logLoss > 0)).toBe(true);
    expect(renderTextReport(report)).toContain(`VERDICT: ${model} beats the prior out of sample by`);
    const manifest = completeManifest(manifestDraft, { version: "2026-05-29.1" });
    expect(ModelManifestSchema.parse(manifest).modelKind).toBe(model);
    expect(report.promotion.code).toBe("PROMOTE");
  });

  it.each(["gbdt", "logistic", "ensemble"] as const)("%s does NOT beat the prior on pure noise", (model) => {
    const { report } = trainAndEvaluate({ dataset: noise, model, trials: 2, seed: 1, now: () => NOW_MS });
    expect(report.verdict.beatsPrior).toBe(false);
    expect(report.verdict.text).toMatch(/^does NOT beat the prior out of sample/);
    expect(report.verdict.standardError).toBeGreaterThan(0);
    expect(renderTextReport(report)).toContain(`VERDICT: ${model} does NOT beat the prior out of sample`);
    expect(report.promotion.code).not.toBe("PROMOTE");
  });

  it("ranks GBDT features by gain, the signal's two features first", () => {
    const boosting = { maxRounds: 100 };
    const { report } = trainAndEvaluate({ dataset: signal, model: "gbdt", trials: 1, seed: 1, boosting });
    const top = report.featureImportance?.slice(0, 2).map((entry) => entry.feature);
    expect(top?.sort()).toEqual([signal.featureNames[0], signal.featureNames[1]].sort());
    const shares = report.featureImportance?.reduce((sum, entry) => sum + entry.share, 0);
    expect(shares).toBeCloseTo(1, 9);
  });

  it("refuses a horizon other than the data set's", () => {
    expect(() => trainAndEvaluate({ dataset: noise, model: "gbdt", horizon: 5, trials: 1 })).toThrow(/horizon 5/);
  });
});
