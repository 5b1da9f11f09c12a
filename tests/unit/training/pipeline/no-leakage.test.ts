/** The search never sees held-out rows, and every purge holds in rows and in bars, end to end. */
import { beforeAll, describe, expect, it } from "vitest";
import type { RowRange } from "../../../../core/ml/index.js";
import { type TrainResult, trainAndEvaluate } from "../../../../training/pipeline/train.js";
import { demoDataset, syntheticDataset } from "./pipeline-data.js";
import { type RecordedCall, recordingFitters } from "./recording-fitters.js";

const HORIZON = 15;

function overlaps(a: RowRange, b: RowRange): boolean {
  return a.from < b.to && b.from < a.to;
}

describe("trainAndEvaluate: what the search and the final fit are given", () => {
  const dataset = syntheticDataset({ nRows: 3_000, seed: 7, signal: 1 });
  const calls: RecordedCall[] = [];
  let result: TrainResult;
  let splits: TrainResult["splits"];
  let searchCalls: RecordedCall[];
  let finalCalls: RecordedCall[];

  beforeAll(() => {
    result = trainAndEvaluate({
      dataset,
      model: "ensemble",
      horizon: HORIZON,
      trials: 3,
      seed: 3,
      fitters: recordingFitters(dataset, calls),
      boosting: { maxRounds: 60 },
    });
    splits = result.splits;
    searchCalls = calls.filter((call) => call.context.phase === "search");
    finalCalls = calls.filter((call) => call.context.phase === "final");
  });

  it("fits every search model on rows of its fold's training range only, never near the held-out tail", () => {
    const fits = searchCalls.filter((call) => call.call === "fit");
    expect(fits).toHaveLength(2 * 3 * splits.folds.length);
    for (const fit of fits) {
      const fold = splits.folds[fit.context.fold ?? -1];
      expect(fold).toBeDefined();
      for (const rows of [fit.rows, fit.earlyStopping].filter((range) => range !== null)) {
        expect(rows.from).toBeGreaterThanOrEqual(fold?.train.from ?? Number.NaN);
        expect(rows.to).toBeLessThanOrEqual(fold?.train.to ?? Number.NaN);
        expect(overlaps(rows, splits.heldOut)).toBe(false);
        expect(overlaps(rows, splits.heldOutPurge)).toBe(false);
        expect(rows.to).toBeLessThanOrEqual(splits.finalTrain.to);
      }
    }
  });

  it("predicts, during the search, the validation windows and nothing else", () => {
    const predictions = searchCalls.filter((call) => call.call === "predict");
    expect(predictions).toHaveLength(2 * 3 * splits.folds.length);
    for (const prediction of predictions) {
      expect(prediction.rows).toEqual(splits.folds[prediction.context.fold ?? -1]?.validation);
      expect(overlaps(prediction.rows, splits.heldOut)).toBe(false);
    }
  });

  it("touches the held-out tail only after the search, once per final model, with models fit before the purge", () => {
    const touching = calls
      .map((call, index) => ({ call, index }))
      .filter(({ call }) => overlaps(call.rows, splits.heldOut));
    expect(touching.map(({ call }) => [call.call, call.context.phase, call.context.model])).toEqual([
      ["predict", "final", "gbdt"],
      ["predict", "final", "logistic"],
    ]);
    const lastSearch = calls.findLastIndex((call) => call.context.phase === "search");
    expect(touching.every(({ index }) => index > lastSearch)).toBe(true);
    for (const call of touching) expect(call.call.rows).toEqual(splits.heldOut);
    const finalFits = finalCalls.filter((call) => call.call === "fit");
    expect(finalFits.map((call) => call.rows)).toEqual([splits.finalTrain, splits.finalTrain]);
    expect(finalFits.every((call) => call.earlyStopping === null)).toBe(true);
  });

  it("leaves a purge of at least the horizon in rows between each fit and what it is scored or stopped on", () => {
    for (const fold of splits.folds) expect(fold.validation.from - fold.train.to).toBeGreaterThanOrEqual(HORIZON);
    expect(splits.heldOut.from - splits.finalTrain.to).toBeGreaterThanOrEqual(HORIZON);
    for (const fit of searchCalls.filter((call) => call.earlyStopping !== null)) {
      expect((fit.earlyStopping?.from ?? 0) - fit.rows.to).toBeGreaterThanOrEqual(HORIZON);
    }
  });

  it("writes the same ranges into the manifest draft", () => {
    const draft = result.manifestDraft;
    expect(draft.metrics.heldOut.range).toEqual(splits.heldOut);
    expect(draft.metrics.folds.map((fold) => [fold.train, fold.validation])).toEqual(
      splits.folds.map((fold) => [fold.train, fold.validation]),
    );
    expect(draft.trainingWindow.rows).toBe(splits.finalTrain.to - splits.finalTrain.from);
  });
});

describe("trainAndEvaluate on real bars: purges hold in bars", () => {
  const dataset = demoDataset(6_000);
  const calls: RecordedCall[] = [];
  let result: TrainResult;

  beforeAll(() => {
    result = trainAndEvaluate({
      dataset,
      model: "gbdt",
      horizon: HORIZON,
      trials: 2,
      seed: 1,
      fitters: recordingFitters(dataset, calls),
    });
  });

  /** Bar index of a row: the label of the last training row reads this + the horizon. */
  const barOf = (row: number) => dataset.barIndex[row] ?? Number.NaN;

  it("drops rows (warm-up, gaps) so that a purge in rows is at least as long in bars", () => {
    expect(dataset.summary.excluded.GAP).toBeGreaterThan(0);
    expect(dataset.nRows).toBeLessThan(dataset.summary.bars - dataset.summary.warmUpBars);
  });

  it("keeps the forward bar of every training label before the first bar it is scored or stopped on", () => {
    const fits = calls.filter((call) => call.call === "fit");
    const predictions = calls.filter((call) => call.call === "predict");
    expect(fits.length).toBeGreaterThan(0);
    for (const fit of fits) {
      const lastLabelBar = barOf(fit.rows.to - 1) + HORIZON;
      const scored = predictions.filter(
        (call) => call.context.phase === fit.context.phase && call.context.fold === fit.context.fold,
      );
      expect(scored.length).toBeGreaterThan(0);
      for (const prediction of scored) expect(lastLabelBar).toBeLessThan(barOf(prediction.rows.from));
      if (fit.earlyStopping !== null) expect(lastLabelBar).toBeLessThan(barOf(fit.earlyStopping.from));
      if (fit.earlyStopping !== null) {
        const lastStopBar = barOf(fit.earlyStopping.to - 1) + HORIZON;
        for (const prediction of scored) expect(lastStopBar).toBeLessThan(barOf(prediction.rows.from));
      }
    }
    const lastFinalBar = barOf(result.splits.finalTrain.to - 1) + HORIZON;
    expect(lastFinalBar).toBeLessThan(barOf(result.splits.heldOut.from));
    const heldOutStartMs = dataset.timestampsMs[result.splits.heldOut.from] ?? 0;
    const lastTrainMs = dataset.timestampsMs[result.splits.finalTrain.to - 1] ?? 0;
    expect((heldOutStartMs - lastTrainMs) / 60_000).toBeGreaterThan(HORIZON);
  });
});
