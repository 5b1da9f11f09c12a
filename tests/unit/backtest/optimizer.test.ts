/**
 * The risk-parameter optimizer: fold splits without overlap or look-ahead, the grid, the objective, the robust
 * choice and the distance on hand-made tables, and a small end-to-end search over real demo bars (in process and
 * through `npm run optimize`).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  anchoredFolds,
  chooseRobust,
  enumerateGrid,
  limitsFor,
  median,
  normaliseGrid,
  optimizeRiskParameters,
  parameterDistance,
  rankIndices,
  rankOf,
  returnOverDrawdown,
  runSegment,
  selectWalkForward,
  summariseRun,
  tradingFor,
  type OptimizeResult,
  type RiskGridSpec,
} from "../../../core/backtest/optimizer.js";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../../../core/instruments/catalog.js";
import { InstrumentTradingConfigSchema, RiskLimitsSchema } from "../../../core/schemas/trading.js";
import { optimizeReport, renderOptimizeSummary, type OptimizeReport } from "../../../scripts/lib/walk-forward-backtest.js";
import { DEMO_CSV_PATH, demoBars } from "../../support/node/demo-data.js";
import { runCli } from "../../support/node/run-cli.js";

const XAUUSD = InstrumentCatalog.parse(DEFAULT_INSTRUMENTS).find("XAUUSD")!;

describe("anchoredFolds", () => {
  it("cuts folds + 1 equal blocks: fold k chooses on blocks 0..k and is scored on block k + 1", () => {
    expect(anchoredFolds(600, 2)).toEqual([
      { fold: 0, inSample: { from: 0, to: 200 }, outOfSample: { from: 200, to: 400 } },
      { fold: 1, inSample: { from: 0, to: 400 }, outOfSample: { from: 400, to: 600 } },
    ]);
  });

  it.each([
    [63_230, 5],
    [6_000, 2],
    [1_001, 7],
    [10, 9],
  ])("%i bars, %i folds: anchored at 0, no overlap, out of sample strictly after in sample, every later bar out of sample once", (nBars, nFolds) => {
    const folds = anchoredFolds(nBars, nFolds);
    expect(folds).toHaveLength(nFolds);
    const sizes = [folds[0]!.inSample.to, ...folds.map((fold) => fold.outOfSample.to - fold.outOfSample.from)];
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    folds.forEach((fold, k) => {
      expect(fold.fold).toBe(k);
      expect(fold.inSample.from).toBe(0);
      expect(fold.inSample.to).toBeGreaterThan(fold.inSample.from);
      expect(fold.outOfSample.from).toBe(fold.inSample.to);
      expect(fold.outOfSample.to).toBeGreaterThan(fold.outOfSample.from);
      if (k > 0) {
        expect(fold.inSample.to).toBe(folds[k - 1]!.outOfSample.to);
        expect(fold.outOfSample.from).toBe(folds[k - 1]!.outOfSample.to);
      }
    });
    expect(folds[nFolds - 1]!.outOfSample.to).toBe(nBars);
  });

  it("refuses blocks smaller than minBlockBars and bad fold counts", () => {
    expect(() => anchoredFolds(999, 2, 500)).toThrow(/333 bars per block, fewer than 500/);
    expect(() => anchoredFolds(1_000, 0)).toThrow(RangeError);
    expect(() => anchoredFolds(1_000, 1.5)).toThrow(RangeError);
    expect(() => anchoredFolds(2, 2)).toThrow(RangeError);
  });
});

describe("grid", () => {
  it("enumerates the Cartesian product, stopAtr outermost and riskPct innermost", () => {
    const points = enumerateGrid({ stopAtr: [1, 2], targetAtr: [3, null], riskPct: [0.25, 0.5, 1] });
    expect(points).toHaveLength(12);
    expect(points.map((point) => point.index)).toEqual([...Array(12).keys()]);
    expect(points.slice(0, 4)).toEqual([
      { index: 0, stopAtr: 1, targetAtr: 3, riskPct: 0.25 },
      { index: 1, stopAtr: 1, targetAtr: 3, riskPct: 0.5 },
      { index: 2, stopAtr: 1, targetAtr: 3, riskPct: 1 },
      { index: 3, stopAtr: 1, targetAtr: null, riskPct: 0.25 },
    ]);
    expect(new Set(points.map((p) => `${p.stopAtr}/${p.targetAtr}/${p.riskPct}`)).size).toBe(12);
  });

  it("sorts each dimension ascending with 'no target' last", () => {
    expect(normaliseGrid({ stopAtr: [3, 1, 2], targetAtr: [null, 4, 1.5], riskPct: [1, 0.25] })).toEqual({
      stopAtr: [1, 2, 3],
      targetAtr: [1.5, 4, null],
      riskPct: [0.25, 1],
    });
  });

  it.each<[string, RiskGridSpec]>([
    ["an empty dimension", { stopAtr: [], targetAtr: [2], riskPct: [1] }],
    ["a duplicate", { stopAtr: [1, 1], targetAtr: [2], riskPct: [1] }],
    ["a zero stop", { stopAtr: [0], targetAtr: [2], riskPct: [1] }],
    ["a risk above 10 %", { stopAtr: [1], targetAtr: [2], riskPct: [11] }],
    ["a non-finite target", { stopAtr: [1], targetAtr: [Number.NaN], riskPct: [1] }],
  ])("refuses %s", (_name, spec) => {
    expect(() => enumerateGrid(spec)).toThrow(RangeError);
  });
});

describe("objective and ranking", () => {
  it("is return over max drawdown, the drawdown floored at one stop-out (riskPct)", () => {
    expect(returnOverDrawdown(6, 3, 0.5)).toBe(2);
    expect(returnOverDrawdown(2, 0.1, 0.5)).toBe(4);
    expect(returnOverDrawdown(-5, 10, 1)).toBe(-0.5);
    expect(returnOverDrawdown(0, 0, 0.25)).toBe(0);
    expect(() => returnOverDrawdown(1, 1, 0)).toThrow(RangeError);
  });

  it("is unchanged when every trade is scaled with the risk", () => {
    expect(returnOverDrawdown(3, 2, 0.5)).toBeCloseTo(returnOverDrawdown(6, 4, 1), 12);
  });

  it("ranks best first, ties to the lower index, and shares ranks on ties", () => {
    expect(rankIndices([0.5, 2, 0.5, -1])).toEqual([1, 0, 2, 3]);
    expect(rankOf([0.5, 2, 0.5, -1], 2)).toBe(2);
    expect(rankOf([0.5, 2, 0.5, -1], 3)).toBe(4);
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(median([5, -1, 2])).toBe(2);
  });
});

describe("robust choice", () => {
  // [fold][point]: point 1 has the best mean (one lucky fold), point 2 the best median.
  const TABLE = [
    [0.1, 5.0, 0.6, -0.2],
    [0.2, -0.9, 0.5, 0.4],
    [0.3, -0.8, 0.4, 0.5],
  ];

  it("is the best median out-of-sample score, not the best mean", () => {
    const robust = chooseRobust(TABLE);
    expect(robust.index).toBe(2);
    expect(robust).toEqual({ index: 2, perFold: [0.6, 0.5, 0.4], median: 0.5, mean: 0.5, worst: 0.4, positiveFolds: 3 });
  });

  it("breaks a median tie by the mean, then by the worst fold, then by the lower index", () => {
    expect(chooseRobust([[1, 1], [2, 2], [3, 9]]).index).toBe(1);
    expect(chooseRobust([[0, -1], [2, 2], [4, 5]]).index).toBe(0);
    expect(chooseRobust([[1, 1], [2, 2]]).index).toBe(0);
  });

  it("refuses ragged or non-finite tables", () => {
    expect(() => chooseRobust([[1, 2], [1]])).toThrow(RangeError);
    expect(() => chooseRobust([[1, Number.NaN]])).toThrow(RangeError);
    expect(() => chooseRobust([])).toThrow(RangeError);
  });
});

describe("parameterDistance", () => {
  const SPEC: RiskGridSpec = { stopAtr: [1, 2, 3], targetAtr: [2, 4, null], riskPct: [0.5, 1] };

  it("is 0 for the same point", () => {
    const point = { stopAtr: 2, targetAtr: 4, riskPct: 1 };
    expect(parameterDistance(point, point, SPEC)).toEqual({
      steps: { stopAtr: 0, targetAtr: 0, riskPct: 0 },
      delta: { stopAtr: 0, targetAtr: 0, riskPct: 0 },
      normalized: 0,
    });
  });

  it("counts grid steps per dimension and normalises each by its span", () => {
    const distance = parameterDistance({ stopAtr: 3, targetAtr: 2, riskPct: 0.5 }, { stopAtr: 2, targetAtr: null, riskPct: 1 }, SPEC);
    expect(distance.steps).toEqual({ stopAtr: -1, targetAtr: 2, riskPct: 1 });
    expect(distance.delta).toEqual({ stopAtr: -1, targetAtr: null, riskPct: 0.5 });
    expect(distance.normalized).toBeCloseTo(Math.sqrt(0.25 + 1 + 1), 12);
  });

  it("is 1 from one end of one dimension to the other; single-valued dimensions do not count", () => {
    const spec = { stopAtr: [1, 1.5, 2, 2.5, 3], targetAtr: [3], riskPct: [1] };
    expect(parameterDistance({ stopAtr: 1, targetAtr: 3, riskPct: 1 }, { stopAtr: 3, targetAtr: 3, riskPct: 1 }, spec).normalized).toBe(1);
    expect(() => parameterDistance({ stopAtr: 1.2, targetAtr: 3, riskPct: 1 }, { stopAtr: 3, targetAtr: 3, riskPct: 1 }, spec)).toThrow(/not a grid value/);
  });
});

describe("selectWalkForward on hand-made tables", () => {
  const grid: RiskGridSpec = { stopAtr: [1, 2], targetAtr: [3], riskPct: [0.5, 1] };
  const points = enumerateGrid(grid);
  const selection = selectWalkForward({
    grid,
    points,
    inSample: [
      [0.9, 0.1, 0.3, 0.2],
      [0.2, 0.1, 0.8, 0.8],
    ],
    outOfSample: [
      [-0.5, 0.4, 0.3, 0.2],
      [0.1, 0.6, 0.7, -0.3],
    ],
    fullPeriod: [0.2, 0.1, 1.5, 0.4],
  });

  it("chooses each fold's in-sample best (ties: lower index) and scores that choice out of sample", () => {
    expect(selection.folds.map((fold) => fold.chosenIndex)).toEqual([0, 2]);
    expect(selection.folds[1]!.inSampleRanking).toEqual([2, 3, 0, 1]);
    expect(selection.folds.map((fold) => fold.outOfSampleScore)).toEqual([-0.5, 0.7]);
    expect(selection.folds.map((fold) => fold.outOfSampleRank)).toEqual([4, 1]);
    expect(selection.folds.map((fold) => fold.outOfSamplePercentile)).toEqual([0, 1]);
  });

  it("takes the robust choice by median OOS score and measures how far the full-period best is", () => {
    // medians -0.2, 0.5, 0.5, -0.05; points 1 and 2 also share the mean 0.5; point 1 has the better worst fold
    expect(selection.robustChoice.index).toBe(1);
    expect(selection.fullPeriodBest).toMatchObject({ index: 2, score: 1.5 });
    expect(selection.distance.steps).toEqual({ stopAtr: -1, targetAtr: 0, riskPct: 1 });
    expect(selection.distance.normalized).toBeCloseTo(Math.SQRT2, 12);
    expect(selection.optimism.fullPeriodScoreGap).toBeCloseTo(1.4, 12);
    expect(selection.optimism.oosMedianGap).toBeCloseTo(0, 12);
    expect(selection.optimism.meanOosRankOfInSampleBest).toBe(2.5);
    expect(selection.optimism.foldsInWorseHalf).toBe(0.5);
  });
});

describe("optimizeRiskParameters over 6,000 real XAUUSD M1 bars (2 × 2 × 1 grid, 2 folds)", () => {
  const bars = demoBars().slice(0, 6_000);
  const trading = InstrumentTradingConfigSchema.parse({ symbol: "XAUUSD", strategy: { kind: "ema-cross" } });
  const limits = RiskLimitsSchema.parse({});
  const grid: RiskGridSpec = { stopAtr: [1.5, 2.5], targetAtr: [2, 3], riskPct: [0.5] };
  let result: OptimizeResult;
  let report: OptimizeReport;
  const progress: number[] = [];

  beforeAll(() => {
    result = optimizeRiskParameters({
      bars,
      instrument: XAUUSD,
      trading,
      limits,
      initialBalanceUsd: 100_000,
      grid,
      nFolds: 2,
      onProgress: (done) => progress.push(done),
    });
    report = JSON.parse(JSON.stringify(optimizeReport(result, { generatedAt: "2026-06-01T00:00:00.000Z", bars, elapsedMs: 1_000, config: { symbol: "XAUUSD", strategy: "ema-cross" } }))) as OptimizeReport;
  });

  it("writes the report's sections, one entry per fold and one run per grid point and segment", () => {
    expect(Object.keys(report)).toEqual([
      "format", "generatedAt", "config", "definitions", "grid", "folds", "walkForward", "robustChoice", "fullPeriodBest",
      "distance", "optimism", "denials", "runs", "run",
    ]);
    expect(report.grid).toHaveLength(4);
    expect(report.folds).toHaveLength(2);
    expect(report.runs.fullPeriod).toHaveLength(4);
    for (const table of [report.runs.inSample, report.runs.outOfSample]) {
      expect(table).toHaveLength(2);
      for (const row of table) expect(row).toHaveLength(4);
    }
    expect(report.run.backtests).toBe(4 * 5 + 2);
    expect(report.config).toMatchObject({ bars: 6_000, folds: 2, foldMode: "anchored" });
    expect(report.denials.runs).toBe(20);
    for (const run of [...report.runs.fullPeriod, ...report.runs.inSample.flat(), ...report.runs.outOfSample.flat()]) {
      expect(run.denied).toBe(Object.values(run.deniedByCode).reduce((sum, count) => sum + count, 0));
      expect(Number.isFinite(run.score)).toBe(true);
    }
    expect(progress[progress.length - 1]).toBe(result.work.bars);
    expect(renderOptimizeSummary(report)).toMatch(/robust choice .* OOS median/);
  });

  it("scores every fold's choice out of sample, and that choice is the top of its in-sample ranking", () => {
    report.folds.forEach((fold, k) => {
      const inSampleScores = report.runs.inSample[k]!.map((run) => run.score);
      const best = Math.max(...inSampleScores);
      expect(fold.inSampleRanking).toHaveLength(4);
      expect(fold.inSampleRanking[0]).toBe(fold.chosen.index);
      expect(fold.chosen.index).toBe(inSampleScores.indexOf(best));
      const ranked = fold.inSampleRanking.map((index) => inSampleScores[index]!);
      expect(ranked).toEqual([...ranked].sort((a, b) => b - a));
      expect(fold.inSampleScore).toBe(best);
      expect(fold.outOfSampleScore).toBe(report.runs.outOfSample[k]![fold.chosen.index]!.score);
      expect(fold.chosen).toMatchObject({ ...report.grid[fold.chosen.index], index: fold.chosen.index });
      expect(fold.inSampleRun!.range).toEqual({ from: 0, to: fold.inSample.to });
      expect(fold.outOfSampleRun!.range).toEqual({ from: fold.outOfSample.from, to: fold.outOfSample.to });
      expect(Date.parse(fold.outOfSample.fromTime)).toBeGreaterThan(Date.parse(fold.inSample.toTime));
    });
  });

  it("sees no bar after the in-sample window when choosing", () => {
    const fold = result.folds[1]!;
    const point = result.points[result.selection.folds[1]!.chosenIndex]!;
    const alone = runSegment({
      bars: bars.slice(0, fold.inSample.to),
      range: { from: 0, to: fold.inSample.to },
      instrument: XAUUSD,
      trading: tradingFor(trading, point),
      limits: limitsFor(limits, point),
      initialBalanceUsd: 100_000,
    });
    expect(summariseRun(fold.inSample, alone, point.riskPct)).toEqual(result.inSample[1]![point.index]);
  });

  it("chains the folds' choices into the walk-forward path, trading only out-of-sample bars", () => {
    const chain = result.walkForward;
    expect(chain.folds).toHaveLength(2);
    expect(chain.folds[0]!.startBalanceUsd).toBe(100_000);
    expect(chain.folds[1]!.startBalanceUsd).toBe(chain.folds[0]!.endBalanceUsd);
    expect(chain.metrics.finalEquityUsd).toBeCloseTo(chain.folds[1]!.endBalanceUsd, 6);
    const firstOosMs = bars[result.folds[0]!.outOfSample.from]!.tsMs;
    for (const trade of chain.trades) expect(trade.entryTsMs).toBeGreaterThanOrEqual(firstOosMs);
    expect(new Set(chain.trades.map((trade) => trade.id)).size).toBe(chain.trades.length);
    expect(chain.trades.length).toBe(chain.folds.reduce((sum, fold) => sum + fold.metrics.trades, 0));
    // fold 0 trades from the initial balance, as its out-of-sample table entry does
    expect(chain.folds[0]!.metrics.returnPct).toBeCloseTo(report.folds[0]!.outOfSampleRun!.returnPct, 9);
  });

  it("reports the robust choice and the full-period best from the run tables", () => {
    const medians = result.selection.oosByPoint.map((summary) => summary.median);
    expect(report.robustChoice.oos.median).toBe(Math.max(...medians));
    const fullScores = report.runs.fullPeriod.map((run) => run.score);
    expect(report.fullPeriodBest.index).toBe(fullScores.indexOf(Math.max(...fullScores)));
    expect(report.optimism.fullPeriodScoreGap).toBeGreaterThanOrEqual(0);
    expect(report.optimism.oosMedianGap).toBeGreaterThanOrEqual(0);
  });

  it("is deterministic", () => {
    const again = optimizeRiskParameters({ bars, instrument: XAUUSD, trading, limits, initialBalanceUsd: 100_000, grid, nFolds: 2 });
    expect(again.selection).toEqual(result.selection);
    expect(again.walkForward.metrics).toEqual(result.walkForward.metrics);
  });
});

describe("npm run optimize", () => {
  let directory: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), "aurum-optimize-"));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("writes optimize.json and prints the summary table", async () => {
    const run = await runCli("scripts/optimize.ts", [
      "--data", DEMO_CSV_PATH, "--symbol", "XAUUSD", "--tz", "+03:00", "--to", "2026-03-30",
      "--folds", "2", "--stop", "2.5,1.5", "--target", "2,none", "--risk", "0.5", "--out", directory,
    ]);
    expect(run.stderr).toContain("optimize");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^fold +in-sample/m);
    expect(run.stdout).toMatch(/walk-forward path/);
    const report = JSON.parse(readFileSync(join(directory, "optimize.json"), "utf8")) as OptimizeReport;
    expect(report.grid.map((point) => [point.stopAtr, point.targetAtr])).toEqual([[1.5, 2], [1.5, null], [2.5, 2], [2.5, null]]);
    expect(report.folds).toHaveLength(2);
  });

  it("refuses a bad grid with the usage", async () => {
    const run = await runCli("scripts/optimize.ts", ["--data", DEMO_CSV_PATH, "--symbol", "XAUUSD", "--risk", "0", "--out", directory]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--risk takes comma-separated numbers/);
  });
});
