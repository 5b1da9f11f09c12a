/**
 * `npm run backtest -- --data <csv> --symbol XAUUSD --strategy ema-cross|model --out <dir> [options]`: runs the
 * platform's own strategy, risk and execution code (core/backtest) over the standard tick path of an M1 file and
 * writes report.json and a self-contained report.html. With `--walk-forward <folds>` the bars are traded fold by fold
 * out of sample (scripts/lib/walk-forward-backtest.ts), the model strategy with a model trained before each fold.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { computeMetrics, downsampleEquity } from "../core/backtest/metrics.js";
import type { ChainedRun } from "../core/backtest/optimizer.js";
import { runBacktest } from "../core/backtest/run-backtest.js";
import { MAX_HORIZON_BARS, MODEL_KINDS, type ModelKind } from "../core/ml/index.js";
import { integerFlag, parseFlags, runMain, UsageError } from "./lib/args.js";
import { BACKTEST_INPUT_FLAGS, backtestInputs, loadModelSignals, type BacktestInputs } from "./lib/backtest-data.js";
import { renderBacktestReportHtml } from "./lib/backtest-report-html.js";
import { progressBar } from "./lib/progress.js";
import { DEFAULT_FOLD_TRAINING, runWalkForwardBacktest, walkForwardSection, type FoldTrainingOptions } from "./lib/walk-forward-backtest.js";

const USAGE = `usage: npm run backtest -- --data <csv[.gz]> --symbol XAUUSD --strategy ema-cross|model --out <dir> [options]

  --data        MT5 M1 export (time,open,high,low,close,tick_volume,spread)
  --symbol      instrument symbol (shipped catalogue)
  --tz          UTC offset of the file's times, e.g. +03:00 (default +00:00)
  --strategy    ema-cross (EMA 12/26 cross, stop 2 ATR, target 3 ATR) or model (needs --model, or --walk-forward)
  --model       model.onnx of the model strategy; its manifest.json must sit beside it
  --from, --to  first and last bar time to trade (ISO date or date-time, UTC), inclusive
  --spread      'file' (the file's spread column, default) or a fixed spread in points
  --commission  commission per lot per fill, USD (default 0)
  --slippage    adverse slippage per fill: points (e.g. 5) or an ATR fraction (e.g. atr:0.05); default none
  --balance     initial balance, USD (default 100000)
  --config      JSON file { trading?: <instrument trading config>, limits?: <risk limits> } overriding defaults
  --out         directory for report.json and report.html
  --walk-forward <folds>
                walk-forward mode: the bars are cut into folds + 1 equal blocks; fold k trades block k + 1 out of
                sample, the folds chained into one report (each from a fresh strategy and account holding the
                previous fold's final balance; block 0 is never traded). --strategy model trains a model for each
                fold on every bar before it with the project's trainer (training/pipeline, as npm run train),
                scores the fold with it and writes models/fold-<k>/model.onnx + manifest.json; ema-cross simply
                runs the folds (nothing to train)
  --train-model walk-forward model family: logistic (default), gbdt or ensemble
  --train-trials walk-forward random-search trials per family (default ${DEFAULT_FOLD_TRAINING.trials}: the untuned defaults)
  --train-horizon walk-forward label horizon, bars (default ${DEFAULT_FOLD_TRAINING.horizonBars})

Same code path as the platform: each bar becomes four quotes (open, low/high, close at +0/15/30/45 s, ask = bid +
spread); a signal on a bar's close fills on the next bar's first quote; stops and targets are checked on every quote.`;

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    ...BACKTEST_INPUT_FLAGS,
    "walk-forward": { type: "string" },
    "train-model": { type: "string" },
    "train-trials": { type: "string" },
    "train-horizon": { type: "string" },
  });
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const walkForwardFolds = flags["walk-forward"] === undefined ? undefined : integerFlag(flags["walk-forward"], "walk-forward", 1, 1, 100);
  if (walkForwardFolds !== undefined && flags.model) throw new UsageError("--walk-forward trains its own model for each fold: drop --model");
  if (walkForwardFolds === undefined && (flags["train-model"] ?? flags["train-trials"] ?? flags["train-horizon"]) !== undefined) {
    throw new UsageError("--train-model, --train-trials and --train-horizon go with --walk-forward");
  }
  if (flags.strategy === "model" && !flags.model && walkForwardFolds === undefined) throw new UsageError("--strategy model needs --model <model.onnx>");
  const inputs = backtestInputs(flags);
  const { symbol, instrument, trading, limits, initialBalanceUsd, bars, out } = inputs;

  if (walkForwardFolds !== undefined) {
    const training: FoldTrainingOptions = {
      ...DEFAULT_FOLD_TRAINING,
      model: parseModelKind(flags["train-model"] ?? DEFAULT_FOLD_TRAINING.model),
      trials: integerFlag(flags["train-trials"], "train-trials", DEFAULT_FOLD_TRAINING.trials, 1, 10_000),
      horizonBars: integerFlag(flags["train-horizon"], "train-horizon", DEFAULT_FOLD_TRAINING.horizonBars, 1, MAX_HORIZON_BARS),
    };
    await walkForwardMode({ ...inputs, nFolds: walkForwardFolds, training, tz: flags.tz, spread: flags.spread });
    return;
  }
  const model = trading.strategy.kind === "model" && flags.model ? await loadModelSignals(flags.model, bars, instrument) : null;
  const signalAt = model === null ? undefined : (index: number) => model.signals[index] ?? null;
  const modelVersion = model?.version ?? null;

  const progress = progressBar(`${symbol} ${trading.strategy.kind}`, bars.length);
  const started = performance.now();
  const result = runBacktest({ bars, instrument, trading, limits, initialBalanceUsd, signalAt, onProgress: (done) => progress.update(done), progressEveryBars: 10_000 });
  const elapsedMs = performance.now() - started;
  progress.finish(`${result.trades.length} trades`);
  const metrics = computeMetrics(result.trades, result.equity, initialBalanceUsd);
  const config = {
    symbol,
    data: resolve(inputs.data),
    tz: flags.tz,
    from: new Date(bars[0]!.tsMs).toISOString(),
    to: new Date(bars[bars.length - 1]!.tsMs).toISOString(),
    spread: flags.spread,
    initialBalanceUsd,
    modelVersion,
    trading,
    limits,
  };
  writeReport(out, `${symbol} ${trading.strategy.kind} backtest`, config, { ...result, metrics, elapsedMs }, {});
}

/** What a backtest (or a walk-forward chain of them) gives the report: the chain's figures and how long it took. */
type ReportRun = Pick<ChainedRun, "trades" | "equity" | "metrics" | "deniedByCode" | "riskEvents" | "bars" | "ticks"> & { readonly elapsedMs: number };

/**
 * Writes report.json and report.html into `out` and prints the headline figures; `extra` goes into both the JSON
 * (beside the run) and the printed summary.
 */
function writeReport(out: string, titlePrefix: string, config: { from: string; to: string }, run: ReportRun, extra: { walkForward?: unknown; folds?: unknown }): void {
  const { metrics } = run;
  const equity = downsampleEquity(run.equity, 5_000);
  const elapsedMs = Math.round(run.elapsedMs);
  const barsPerSecond = Math.round(run.bars / (run.elapsedMs / 1000));
  const generatedAt = new Date().toISOString();
  const report = {
    generatedAt,
    config,
    metrics,
    deniedByCode: run.deniedByCode,
    riskEvents: run.riskEvents,
    run: { bars: run.bars, ticks: run.ticks, elapsedMs, barsPerSecond },
    ...(extra.walkForward === undefined ? {} : { walkForward: extra.walkForward }),
    trades: run.trades,
    equity,
  };
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  const title = `${titlePrefix}, ${config.from.slice(0, 10)} to ${config.to.slice(0, 10)}`;
  const htmlConfig = extra.walkForward === undefined ? config : { ...config, walkForward: extra.walkForward };
  writeFileSync(join(out, "report.html"), renderBacktestReportHtml({ title, generatedAt, config: htmlConfig, metrics, equity, trades: run.trades }));
  const rounded = (value: number | null) => (value === null ? null : round2(value));
  console.log(
    JSON.stringify(
      {
        out: resolve(out),
        ...(extra.folds === undefined ? {} : { folds: extra.folds }),
        trades: metrics.trades,
        netPnlUsd: round2(metrics.netPnlUsd),
        returnPct: round2(metrics.returnPct),
        maxDrawdownPct: round2(metrics.maxDrawdownPct),
        winRatePct: rounded(metrics.winRatePct),
        profitFactor: rounded(metrics.profitFactor),
        sharpe: rounded(metrics.sharpe),
        elapsedMs,
        barsPerSecond,
      },
      null,
      2,
    ),
  );
}

const round2 = (value: number) => Math.round(value * 100) / 100;

function parseModelKind(value: string): ModelKind {
  const kind = MODEL_KINDS.find((candidate) => candidate === value);
  if (kind === undefined) throw new UsageError(`--train-model must be one of ${MODEL_KINDS.join(", ")}, got '${value}'`);
  return kind;
}

/** --walk-forward: the folds out of sample, chained into one report.json / report.html, plus each fold's model. */
async function walkForwardMode(input: BacktestInputs & { nFolds: number; training: FoldTrainingOptions; tz: string; spread: string }): Promise<void> {
  const { bars, instrument, trading, limits, initialBalanceUsd, nFolds, training } = input;
  const kind = trading.strategy.kind;
  let progress: ReturnType<typeof progressBar> | undefined;
  const started = performance.now();
  const result = await runWalkForwardBacktest({
    bars,
    instrument,
    trading,
    limits,
    initialBalanceUsd,
    nFolds,
    training,
    log: (line) => console.error(line),
    onProgress: (done, total) => {
      progress ??= progressBar(`${instrument.symbol} ${kind} walk-forward`, total);
      progress.update(done);
    },
  });
  const elapsedMs = performance.now() - started;
  const { chain } = result;
  progress?.finish(`${chain.trades.length} trades`);
  const walkForward = walkForwardSection(bars, result);
  const first = walkForward.perFold[0];
  const config = {
    symbol: instrument.symbol,
    data: resolve(input.data),
    tz: input.tz,
    from: first?.outOfSample.fromTime ?? new Date(bars[0]!.tsMs).toISOString(),
    to: new Date(bars[bars.length - 1]!.tsMs).toISOString(),
    spread: input.spread,
    initialBalanceUsd,
    modelVersion: null,
    modelVersions: result.models.map((model) => model.manifest.version),
    walkForward: { folds: nFolds, mode: walkForward.mode, training: kind === "model" ? training : null },
    trading,
    limits,
  };
  mkdirSync(input.out, { recursive: true });
  result.models.forEach((model, fold) => {
    const directory = join(input.out, "models", `fold-${fold}`);
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, "model.onnx"), model.onnx);
    writeFileSync(join(directory, "manifest.json"), `${JSON.stringify(model.manifest, null, 2)}\n`);
  });
  const folds = walkForward.perFold.map((fold) => ({
    fold: fold.fold,
    from: fold.outOfSample.fromTime,
    to: fold.outOfSample.toTime,
    model: fold.model?.version ?? null,
    trades: fold.trades,
    returnPct: fold.returnPct === null ? null : round2(fold.returnPct),
    deniedByCode: fold.deniedByCode,
  }));
  writeReport(input.out, `${instrument.symbol} ${kind} walk-forward backtest (${nFolds} folds)`, config, { ...chain, elapsedMs }, { walkForward, folds });
}

runMain(main, USAGE);
