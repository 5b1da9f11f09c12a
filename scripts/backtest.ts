/**
 * `npm run backtest -- --data <csv> --symbol XAUUSD --strategy ema-cross|model --out <dir> [options]`: runs the
 * platform's own strategy, risk and execution code (core/backtest) over the standard tick path of an M1 file and
 * writes report.json and a self-contained report.html.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { computeMetrics, downsampleEquity } from "../core/backtest/metrics.js";
import { pathBar } from "../core/backtest/path-bar.js";
import { runBacktest } from "../core/backtest/run-backtest.js";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../core/instruments/catalog.js";
import { ModelManifestSchema } from "../core/ml/manifest.js";
import {
  InstrumentTradingConfigSchema,
  RiskLimitsSchema,
  type ExecutionConfig,
  type InstrumentTradingConfigInput,
  type RiskLimitsInput,
} from "../core/schemas/trading.js";
import { numberFlag, parseFlags, runMain, UsageError } from "./lib/args.js";
import { readBars } from "./lib/backtest-data.js";
import { renderBacktestReportHtml } from "./lib/backtest-report-html.js";
import { modelSignals } from "./lib/model-signals.js";
import { progressBar } from "./lib/progress.js";

const USAGE = `usage: npm run backtest -- --data <csv[.gz]> --symbol XAUUSD --strategy ema-cross|model --out <dir> [options]

  --data        MT5 M1 export (time,open,high,low,close,tick_volume,spread)
  --symbol      instrument symbol (shipped catalogue)
  --tz          UTC offset of the file's times, e.g. +03:00 (default +00:00)
  --strategy    ema-cross (EMA 12/26 cross, stop 2 ATR, target 3 ATR) or model (needs --model)
  --model       model.onnx of the model strategy; its manifest.json must sit beside it
  --from, --to  first and last bar time to trade (ISO date or date-time, UTC), inclusive
  --spread      'file' (the file's spread column, default) or a fixed spread in points
  --commission  commission per lot per fill, USD (default 0)
  --slippage    adverse slippage per fill: points (e.g. 5) or an ATR fraction (e.g. atr:0.05); default none
  --balance     initial balance, USD (default 100000)
  --config      JSON file { trading?: <instrument trading config>, limits?: <risk limits> } overriding defaults
  --out         directory for report.json and report.html

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
  if (flags.strategy === "model" && !flags.model) throw new UsageError("--strategy model needs --model <model.onnx>");

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

function parseSlippage(text: string): ExecutionConfig["slippage"] {
  if (text.startsWith("atr:")) return { kind: "volatility", atrFraction: numberFlag(text.slice(4), "slippage", 0, 0, 10) };
  return { kind: "fixed", points: numberFlag(text, "slippage", 0, 0, 100_000) };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

runMain(main, USAGE);
