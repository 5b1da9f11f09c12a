/**
 * Walk-forward backtests over real demo bars: per fold a model trained by the project's trainer on the bars before
 * the fold only, scored on the fold, traded there, the folds chained; ema-cross without training; and the
 * `backtest --walk-forward` command line writing its reports and models.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anchoredFolds, runChained } from "../../../core/backtest/optimizer.js";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../../../core/instruments/catalog.js";
import { ModelManifestSchema } from "../../../core/ml/manifest.js";
import { InstrumentTradingConfigSchema, RiskLimitsSchema } from "../../../core/schemas/trading.js";
import {
  barsSha256,
  DEFAULT_FOLD_TRAINING,
  runWalkForwardBacktest,
  walkForwardSection,
  type WalkForwardBacktest,
} from "../../../scripts/lib/walk-forward-backtest.js";
import { DEMO_CSV_PATH, demoBars } from "../../support/node/demo-data.js";
import { runCli } from "../../support/node/run-cli.js";

const XAUUSD = InstrumentCatalog.parse(DEFAULT_INSTRUMENTS).find("XAUUSD")!;
const LIMITS = RiskLimitsSchema.parse({});
/** 2026-06-01T00:00:00Z: the manifests' createdAtMs, so that versions do not depend on the wall clock. */
const NOW_MS = Date.UTC(2026, 5, 1);

describe("walk-forward model backtest over 9,000 real XAUUSD M1 bars (2 folds, logistic)", () => {
  const bars = demoBars().slice(0, 9_000);
  const trading = InstrumentTradingConfigSchema.parse({ symbol: "XAUUSD", strategy: { kind: "model" } });
  const folds = anchoredFolds(bars.length, 2);
  let result: WalkForwardBacktest;
  const lines: string[] = [];

  beforeAll(async () => {
    result = await runWalkForwardBacktest({
      bars,
      instrument: XAUUSD,
      trading,
      limits: LIMITS,
      initialBalanceUsd: 100_000,
      nFolds: 2,
      training: { ...DEFAULT_FOLD_TRAINING, now: () => NOW_MS },
      log: (line) => lines.push(line),
    });
  });

  it("trains one model per fold with the trainer, on bars that all end before the fold", () => {
    expect(result.models).toHaveLength(2);
    result.models.forEach((model, k) => {
      const fold = folds[k]!;
      const manifest = ModelManifestSchema.parse(model.manifest);
      expect(manifest.modelKind).toBe("logistic");
      expect(manifest.dataSha256).toBe(barsSha256(bars.slice(0, fold.inSample.to)));
      expect(model.trainRange).toEqual(fold.inSample);
      expect(manifest.trainingWindow.toMs).toBeLessThan(bars[fold.outOfSample.from]!.tsMs);
      expect(manifest.metrics.heldOut.range.to).toBeLessThanOrEqual(fold.inSample.to);
      expect(model.onnx.byteLength).toBeGreaterThan(0);
    });
    expect(result.models[0]!.manifest.version).not.toBe(result.models[1]!.manifest.version);
    expect(lines).toHaveLength(2);
  });

  it("reports each fold's model: version, trainer verdict, signals and its scores on the fold", () => {
    result.folds.forEach((report, k) => {
      expect(report.fold).toEqual(folds[k]);
      const model = report.model!;
      expect(model.version).toBe(result.models[k]!.manifest.version);
      expect(model.trainBars).toBe(folds[k]!.inSample.to);
      expect(model.signals).toBe(folds[k]!.outOfSample.to - folds[k]!.outOfSample.from);
      expect(model.classification!.rows).toBeGreaterThan(0);
      expect(model.classification!.logLossGain).toBeCloseTo(model.classification!.prior.logLoss - model.classification!.model.logLoss, 12);
      expect(typeof model.verdict).toBe("string");
    });
  });

  it("trades each fold only on its out-of-sample bars, with that fold's model", () => {
    const { chain } = result;
    expect(chain.trades.length).toBeGreaterThan(0);
    for (const trade of chain.trades) {
      const k = Number(/^f(\d+):/.exec(trade.id)![1]);
      const range = folds[k]!.outOfSample;
      expect(trade.entryTsMs).toBeGreaterThan(bars[range.from]!.tsMs);
      expect(trade.exitTsMs).toBeLessThanOrEqual(bars[range.to - 1]!.tsMs + 60_000);
      expect(trade.modelVersion).toBe(result.models[k]!.manifest.version);
    }
    expect(new Set(chain.trades.map((trade) => trade.id)).size).toBe(chain.trades.length);
  });

  it("chains the folds: each starts with the balance the previous one ended with", () => {
    const { chain } = result;
    expect(chain.folds[0]!.startBalanceUsd).toBe(100_000);
    expect(chain.folds[1]!.startBalanceUsd).toBe(chain.folds[0]!.endBalanceUsd);
    expect(chain.metrics.finalEquityUsd).toBeCloseTo(chain.folds[1]!.endBalanceUsd, 6);
    expect(chain.metrics.netPnlUsd).toBeCloseTo(chain.folds[1]!.endBalanceUsd - 100_000, 6);
    expect(chain.bars).toBe(bars.length - folds[0]!.inSample.to);
    for (let i = 1; i < chain.equity.length; i++) expect(chain.equity[i]!.tsMs).toBeGreaterThanOrEqual(chain.equity[i - 1]!.tsMs);
    const section = walkForwardSection(bars, result);
    expect(section.perFold.map((fold) => fold.model?.version)).toEqual(result.models.map((model) => model.manifest.version));
    expect(section.perFold[1]).toMatchObject({ startBalanceUsd: chain.folds[1]!.startBalanceUsd, trades: chain.folds[1]!.metrics.trades });
  });
});

describe("walk-forward ema-cross backtest", () => {
  it("runs the folds without training, as a chained run of the same config", async () => {
    const bars = demoBars().slice(0, 6_000);
    const trading = InstrumentTradingConfigSchema.parse({ symbol: "XAUUSD", strategy: { kind: "ema-cross" } });
    const result = await runWalkForwardBacktest({ bars, instrument: XAUUSD, trading, limits: LIMITS, initialBalanceUsd: 100_000, nFolds: 3 });
    expect(result.models).toEqual([]);
    expect(result.folds.map((fold) => fold.model)).toEqual([null, null, null]);
    const direct = runChained({
      bars,
      instrument: XAUUSD,
      initialBalanceUsd: 100_000,
      folds: anchoredFolds(bars.length, 3).map((fold) => ({ range: fold.outOfSample, trading, limits: LIMITS })),
    });
    expect(result.chain.metrics).toEqual(direct.metrics);
    expect(result.chain.trades).toEqual(direct.trades);
  });
});

describe("npm run backtest -- --walk-forward", () => {
  let directory: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), "aurum-walk-forward-"));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("writes report.json, report.html and each fold's model", async () => {
    const run = await runCli("scripts/backtest.ts", [
      "--data", DEMO_CSV_PATH, "--symbol", "XAUUSD", "--tz", "+03:00", "--to", "2026-03-30",
      "--strategy", "model", "--walk-forward", "2", "--out", directory,
    ]);
    expect(run.stderr).toMatch(/fold 1: trained XAUUSD-M1-/);
    expect(run.status).toBe(0);
    const report = JSON.parse(readFileSync(join(directory, "report.json"), "utf8")) as {
      metrics: { trades: number };
      trades: unknown[];
      config: { modelVersions: string[]; walkForward: { folds: number } };
      walkForward: { perFold: { model: { version: string } }[] };
    };
    expect(report.metrics.trades).toBe(report.trades.length);
    expect(report.config.walkForward.folds).toBe(2);
    expect(report.walkForward.perFold.map((fold) => fold.model.version)).toEqual(report.config.modelVersions);
    for (const fold of [0, 1]) {
      expect(existsSync(join(directory, "models", `fold-${fold}`, "model.onnx"))).toBe(true);
      const manifest = ModelManifestSchema.parse(JSON.parse(readFileSync(join(directory, "models", `fold-${fold}`, "manifest.json"), "utf8")));
      expect(manifest.version).toBe(report.config.modelVersions[fold]);
    }
    expect(readFileSync(join(directory, "report.html"), "utf8")).toContain("walk-forward backtest (2 folds)");
  });

  it("refuses --model with --walk-forward", async () => {
    const run = await runCli("scripts/backtest.ts", [
      "--data", DEMO_CSV_PATH, "--symbol", "XAUUSD", "--strategy", "model", "--model", "x.onnx", "--walk-forward", "2", "--out", directory,
    ]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/drop --model/);
  });
});
