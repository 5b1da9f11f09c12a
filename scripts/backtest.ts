/**
 * `npm run backtest -- --data <csv> --symbol XAUUSD --strategy ema-cross|model --out <dir> [options]`: runs the
 * platform's own strategy, risk and execution code (core/backtest) over the standard tick path of an M1 file and
 * writes report.json and a self-contained report.html. With `--walk-forward <folds>` the bars are traded fold by fold
 * out of sample (scripts/lib/walk-forward-backtest.ts), the model strategy with a model trained before each fold.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { computeMetrics, downsampleEquity } from "../core/backtest/metrics.js";
import { pathBar } from "../core/backtest/path-bar.js";
import { runBacktest } from "../core/backtest/run-backtest.js";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../core/instruments/catalog.js";
import type { Instrument } from "../core/instruments/instrument.js";
import type { SourceBar } from "../core/market/tick-path.js";
import { MAX_HORIZON_BARS, MODEL_KINDS, type ModelKind } from "../core/ml/index.js";
import { ModelManifestSchema } from "../core/ml/manifest.js";
import {
  InstrumentTradingConfigSchema,
  RiskLimitsSchema,
  type ExecutionConfig,
  type InstrumentTradingConfig,
  type InstrumentTradingConfigInput,
  type RiskLimits,
  type RiskLimitsInput,
} from "../core/schemas/trading.js";
import { numberFlag, parseFlags, runMain, UsageError } from "./lib/args.js";
import { parseSlippage, readBars } from "./lib/backtest-data.js";
import { renderBacktestReportHtml } from "./lib/backtest-report-html.js";
import { modelSignals } from "./lib/model-signals.js";
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
    data: { type: "string" },
    symbol: { type: "string" },
    tz: { type: "string", default: "+00:00" },
    strategy: { type: "string", default: "ema-cross" },
    model: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    spread: { type: "string", default: "file" },
    commission: { type: "string" },
    slippage: { type: "string" },
    balance: { type: "string" },
    config: { type: "string" },
    out: { type: "string" },
    "walk-forward": { type: "string" },
    "train-model": { type: "string" },
    "train-trials": { type: "string" },
    "train-horizon": { type: "string" },
    help: { type: "boolean" },
  });
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  if (!flags.data || !flags.symbol || !flags.out) throw new UsageError("--data, --symbol and --out are required");
  const symbol = flags.symbol.toUpperCase();
  const instrument = InstrumentCatalog.parse(DEFAULT_INSTRUMENTS).find(symbol);
  if (!instrument) throw new UsageError(`unknown symbol ${symbol}`);
  if (flags.strategy !== "ema-cross" && flags.strategy !== "model") throw new UsageError("--strategy must be ema-cross or model");
  const walkForwardFolds = flags["walk-forward"] === undefined ? undefined : integerFlag(flags["walk-forward"], "walk-forward", 1, 100);
  if (walkForwardFolds !== undefined && flags.model) throw new UsageError("--walk-forward trains its own model for each fold: drop --model");
  if (walkForwardFolds === undefined && (flags["train-model"] ?? flags["train-trials"] ?? flags["train-horizon"]) !== undefined) {
    throw new UsageError("--train-model, --train-trials and --train-horizon go with --walk-forward");
  }
  if (flags.strategy === "model" && !flags.model && walkForwardFolds === undefined) throw new UsageError("--strategy model needs --model <model.onnx>");

  const overrides = flags.config ? (JSON.parse(readFileSync(flags.config, "utf8")) as { trading?: Partial<InstrumentTradingConfigInput>; limits?: RiskLimitsInput }) : {};
  const execution: Partial<ExecutionConfig> = { ...(overrides.trading?.execution as Partial<ExecutionConfig> | undefined) };
  if (flags.commission !== undefined) execution.commissionPerLotUsd = numberFlag(flags.commission, "commission", 0, 0, 10_000);
  if (flags.slippage !== undefined) execution.slippage = parseSlippage(flags.slippage);
  const trading = InstrumentTradingConfigSchema.parse({
    strategy: { kind: flags.strategy },
    ...overrides.trading,
    symbol,
    execution,
  });
  const limits = RiskLimitsSchema.parse(overrides.limits ?? {});
  const initialBalanceUsd = numberFlag(flags.balance, "balance", 100_000, 1, 1e12);

  const bars = readBars(flags.data, flags.tz, flags.spread, flags.from, flags.to);
  if (bars.length === 0) throw new UsageError("no bars in the chosen range");
  if (walkForwardFolds !== undefined) {
    const training: FoldTrainingOptions = {
      ...DEFAULT_FOLD_TRAINING,
      model: parseModelKind(flags["train-model"] ?? DEFAULT_FOLD_TRAINING.model),
      trials: integerFlag(flags["train-trials"] ?? String(DEFAULT_FOLD_TRAINING.trials), "train-trials", 1, 10_000),
      horizonBars: integerFlag(flags["train-horizon"] ?? String(DEFAULT_FOLD_TRAINING.horizonBars), "train-horizon", 1, MAX_HORIZON_BARS),
    };
    await walkForwardMode({ bars, instrument, trading, limits, initialBalanceUsd, nFolds: walkForwardFolds, training, out: flags.out, data: flags.data, tz: flags.tz, spread: flags.spread });
    return;
  }
  let signalAt: ((index: number) => ReturnType<Parameters<typeof runBacktest>[0]["signalAt"] & {}>) | undefined;
  let modelVersion: string | null = null;
  if (trading.strategy.kind === "model" && flags.model) {
    const manifest = ModelManifestSchema.parse(JSON.parse(readFileSync(join(dirname(flags.model), "manifest.json"), "utf8")));
    modelVersion = manifest.version;
    const started = performance.now();
    const signals = await modelSignals(bars.map((bar) => pathBar(bar, instrument)), { version: manifest.version, classLabels: manifest.classLabels, onnx: readFileSync(flags.model) });
    console.error(`model ${manifest.version}: ${signals.filter((s) => s !== null).length.toLocaleString("en-US")} signals in ${Math.round(performance.now() - started)} ms`);
    signalAt = (index) => signals[index] ?? null;
  }

  const progress = progressBar(`${symbol} ${trading.strategy.kind}`, bars.length);
  const started = performance.now();
  const result = runBacktest({ bars, instrument, trading, limits, initialBalanceUsd, signalAt, onProgress: (done) => progress.update(done), progressEveryBars: 10_000 });
  const elapsedMs = performance.now() - started;
  progress.finish(`${result.trades.length} trades`);
  const metrics = computeMetrics(result.trades, result.equity, initialBalanceUsd);
  const config = {
    symbol,
    data: resolve(flags.data),
    tz: flags.tz,
    from: new Date(bars[0]!.tsMs).toISOString(),
    to: new Date(bars[bars.length - 1]!.tsMs).toISOString(),
    spread: flags.spread,
    initialBalanceUsd,
    modelVersion,
    trading,
    limits,
  };
  const equity = downsampleEquity(result.equity, 5_000);
  const report = {
    generatedAt: new Date().toISOString(),
    config,
    metrics,
    deniedByCode: result.deniedByCode,
    riskEvents: result.riskEvents,
    run: { bars: result.bars, ticks: result.ticks, elapsedMs: Math.round(elapsedMs), barsPerSecond: Math.round(result.bars / (elapsedMs / 1000)) },
    trades: result.trades,
    equity,
  };
  mkdirSync(flags.out, { recursive: true });
  writeFileSync(join(flags.out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  const title = `${symbol} ${trading.strategy.kind} backtest, ${config.from.slice(0, 10)} to ${config.to.slice(0, 10)}`;
  writeFileSync(join(flags.out, "report.html"), renderBacktestReportHtml({ title, generatedAt: report.generatedAt, config, metrics, equity, trades: result.trades }));
  console.log(
    JSON.stringify(
      {
        out: resolve(flags.out),
        trades: metrics.trades,
        netPnlUsd: round2(metrics.netPnlUsd),
        returnPct: round2(metrics.returnPct),
        maxDrawdownPct: round2(metrics.maxDrawdownPct),
        winRatePct: metrics.winRatePct === null ? null : round2(metrics.winRatePct),
        profitFactor: metrics.profitFactor === null ? null : round2(metrics.profitFactor),
        sharpe: metrics.sharpe === null ? null : round2(metrics.sharpe),
        barsPerSecond: report.run.barsPerSecond,
      },
      null,
      2,
    ),
  );
}


const round2 = (value: number) => Math.round(value * 100) / 100;

function integerFlag(value: string, name: string, min: number, max: number): number {
  const parsed = numberFlag(value, name, min, min, max);
  if (!Number.isInteger(parsed)) throw new UsageError(`--${name} must be an integer, got '${value}'`);
  return parsed;
}

function parseModelKind(value: string): ModelKind {
  const kind = MODEL_KINDS.find((candidate) => candidate === value);
  if (kind === undefined) throw new UsageError(`--train-model must be one of ${MODEL_KINDS.join(", ")}, got '${value}'`);
  return kind;
}

/** --walk-forward: the folds out of sample, chained into one report.json / report.html, plus each fold's model. */
async function walkForwardMode(input: {
  bars: SourceBar[];
  instrument: Instrument;
  trading: InstrumentTradingConfig;
  limits: RiskLimits;
  initialBalanceUsd: number;
  nFolds: number;
  training: FoldTrainingOptions;
  out: string;
  data: string;
  tz: string;
  spread: string;
}): Promise<void> {
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
  const equity = downsampleEquity(chain.equity, 5_000);
  const report = {
    generatedAt: new Date().toISOString(),
    config,
    metrics: chain.metrics,
    deniedByCode: chain.deniedByCode,
    riskEvents: chain.riskEvents,
    run: { bars: chain.bars, ticks: chain.ticks, elapsedMs: Math.round(elapsedMs), barsPerSecond: Math.round(chain.bars / (elapsedMs / 1000)) },
    walkForward,
    trades: chain.trades,
    equity,
  };
  mkdirSync(input.out, { recursive: true });
  result.models.forEach((model, fold) => {
    const directory = join(input.out, "models", `fold-${fold}`);
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, "model.onnx"), model.onnx);
    writeFileSync(join(directory, "manifest.json"), `${JSON.stringify(model.manifest, null, 2)}\n`);
  });
  writeFileSync(join(input.out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  const title = `${instrument.symbol} ${kind} walk-forward backtest (${nFolds} folds), ${config.from.slice(0, 10)} to ${config.to.slice(0, 10)}`;
  writeFileSync(
    join(input.out, "report.html"),
    renderBacktestReportHtml({ title, generatedAt: report.generatedAt, config: { ...config, walkForward }, metrics: chain.metrics, equity, trades: chain.trades }),
  );
  const metrics = chain.metrics;
  console.log(
    JSON.stringify(
      {
        out: resolve(input.out),
        folds: walkForward.perFold.map((fold) => ({
          fold: fold.fold,
          from: fold.outOfSample.fromTime,
          to: fold.outOfSample.toTime,
          model: fold.model?.version ?? null,
          trades: fold.trades,
          returnPct: fold.returnPct === null ? null : round2(fold.returnPct),
          deniedByCode: fold.deniedByCode,
        })),
        trades: metrics.trades,
        netPnlUsd: round2(metrics.netPnlUsd),
        returnPct: round2(metrics.returnPct),
        maxDrawdownPct: round2(metrics.maxDrawdownPct),
        winRatePct: metrics.winRatePct === null ? null : round2(metrics.winRatePct),
        profitFactor: metrics.profitFactor === null ? null : round2(metrics.profitFactor),
        sharpe: metrics.sharpe === null ? null : round2(metrics.sharpe),
        elapsedMs: report.run.elapsedMs,
      },
      null,
      2,
    ),
  );
}

runMain(main, USAGE);
