/**
 * `npm run optimize -- --data <csv> --symbol XAUUSD --out <dir> [options]`: walk-forward search of stopAtr × targetAtr
 * × riskPct (core/backtest/optimizer.ts) with the platform's own strategy, risk and execution code; writes
 * optimize.json and prints a summary table.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathBar } from "../core/backtest/path-bar.js";
import { DEFAULT_RISK_GRID, normaliseGrid, optimizeRiskParameters, type RiskGridSpec } from "../core/backtest/optimizer.js";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../core/instruments/catalog.js";
import { ModelManifestSchema } from "../core/ml/manifest.js";
import {
  InstrumentTradingConfigSchema,
  RiskLimitsSchema,
  type ExecutionConfig,
  type InstrumentTradingConfigInput,
  type RiskLimitsInput,
} from "../core/schemas/trading.js";
import type { ModelSignalInput } from "../core/trading/instrument-trader.js";
import { numberFlag, parseFlags, runMain, UsageError } from "./lib/args.js";
import { parseSlippage, readBars } from "./lib/backtest-data.js";
import { modelSignals } from "./lib/model-signals.js";
import { progressBar } from "./lib/progress.js";
import { OPTIMIZE_DEFINITIONS, optimizeReport, renderOptimizeSummary } from "./lib/walk-forward-backtest.js";

const DEFAULT_FOLDS = 5;
/** Smallest fold block: the strategy's indicators warm up on each run's first bars (EMA 26, ATR 14). */
const MIN_BLOCK_BARS = 500;

const list = (values: readonly (number | null)[]) => values.map((value) => value ?? "none").join(",");

const USAGE = `usage: npm run optimize -- --data <csv[.gz]> --symbol XAUUSD --out <dir> [options]

  --data        MT5 M1 export (time,open,high,low,close,tick_volume,spread)
  --symbol      instrument symbol (shipped catalogue)
  --tz          UTC offset of the file's times, e.g. +03:00 (default +00:00)
  --strategy    ema-cross (default) or model (needs --model)
  --model       model.onnx of the model strategy; its manifest.json must sit beside it
  --from, --to  first and last bar time (ISO date or date-time, UTC), inclusive
  --spread      'file' (the file's spread column, default) or a fixed spread in points
  --commission  commission per lot per fill, USD (default 0)
  --slippage    adverse slippage per fill: points (e.g. 5) or an ATR fraction (e.g. atr:0.05); default none
  --balance     initial balance of every run, USD (default 100000)
  --config      JSON file { trading?: <instrument trading config>, limits?: <risk limits> } overriding defaults
  --folds       out-of-sample folds (default ${DEFAULT_FOLDS}); the bars are cut into folds + 1 blocks
  --stop        stopAtr values, ATR multiples (default ${list(DEFAULT_RISK_GRID.stopAtr)})
  --target      targetAtr values, ATR multiples, 'none' for no target (default ${list(DEFAULT_RISK_GRID.targetAtr)})
  --risk        riskPct values of fixed-fractional sizing, percent of equity (default ${list(DEFAULT_RISK_GRID.riskPct)})
  --out         directory for optimize.json

Folds: ${OPTIMIZE_DEFINITIONS.folds}
Objective: ${OPTIMIZE_DEFINITIONS.objective}
Walk-forward path: ${OPTIMIZE_DEFINITIONS.walkForward}
Robust choice: ${OPTIMIZE_DEFINITIONS.robustChoice}
Limits: ${OPTIMIZE_DEFINITIONS.limits}
Progress goes to stderr, the summary table to stdout.`;

/** A comma-separated list of numbers within bounds ('none' allowed where `allowNone`). */
function valuesFlag(text: string | undefined, name: string, fallback: readonly (number | null)[], max: number, allowNone: boolean): (number | null)[] {
  if (text === undefined) return [...fallback];
  return text.split(",").map((part) => {
    const trimmed = part.trim();
    if (allowNone && trimmed === "none") return null;
    const value = Number(trimmed);
    if (trimmed === "" || !Number.isFinite(value) || value <= 0 || value > max) {
      throw new UsageError(`--${name} takes comma-separated numbers in (0, ${max}]${allowNone ? " or 'none'" : ""}, got '${part}'`);
    }
    return value;
  });
}


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
    folds: { type: "string" },
    stop: { type: "string" },
    target: { type: "string" },
    risk: { type: "string" },
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
  const nFolds = numberFlag(flags.folds, "folds", DEFAULT_FOLDS, 1, 100);
  if (!Number.isInteger(nFolds)) throw new UsageError(`--folds must be an integer, got '${flags.folds}'`);
  let grid: RiskGridSpec;
  try {
    grid = normaliseGrid({
      stopAtr: valuesFlag(flags.stop, "stop", DEFAULT_RISK_GRID.stopAtr, 100, false) as number[],
      targetAtr: valuesFlag(flags.target, "target", DEFAULT_RISK_GRID.targetAtr, 100, true),
      riskPct: valuesFlag(flags.risk, "risk", DEFAULT_RISK_GRID.riskPct, 10, false) as number[],
    });
  } catch (error: unknown) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }

  const overrides = flags.config ? (JSON.parse(readFileSync(flags.config, "utf8")) as { trading?: Partial<InstrumentTradingConfigInput>; limits?: RiskLimitsInput }) : {};
  const execution: Partial<ExecutionConfig> = { ...(overrides.trading?.execution as Partial<ExecutionConfig> | undefined) };
  if (flags.commission !== undefined) execution.commissionPerLotUsd = numberFlag(flags.commission, "commission", 0, 0, 10_000);
  if (flags.slippage !== undefined) execution.slippage = parseSlippage(flags.slippage);
  const trading = InstrumentTradingConfigSchema.parse({ strategy: { kind: flags.strategy }, ...overrides.trading, symbol, execution });
  const limits = RiskLimitsSchema.parse(overrides.limits ?? {});
  const initialBalanceUsd = numberFlag(flags.balance, "balance", 100_000, 1, 1e12);

  const bars = readBars(flags.data, flags.tz, flags.spread, flags.from, flags.to);
  if (bars.length === 0) throw new UsageError("no bars in the chosen range");
  const nBlocks = nFolds + 1;
  if (Math.floor(bars.length / nBlocks) < MIN_BLOCK_BARS) {
    throw new UsageError(`${bars.length} bars in ${nBlocks} blocks leave fewer than ${MIN_BLOCK_BARS} bars per block: use fewer --folds or more data`);
  }

  let signals: (ModelSignalInput | null)[] | undefined;
  let modelVersion: string | null = null;
  if (trading.strategy.kind === "model" && flags.model) {
    const manifest = ModelManifestSchema.parse(JSON.parse(readFileSync(join(dirname(flags.model), "manifest.json"), "utf8")));
    modelVersion = manifest.version;
    const startedMs = performance.now();
    signals = await modelSignals(bars.map((bar) => pathBar(bar, instrument)), { version: manifest.version, classLabels: manifest.classLabels, onnx: readFileSync(flags.model) });
    console.error(`model ${manifest.version}: ${signals.filter((s) => s !== null).length.toLocaleString("en-US")} signals in ${Math.round(performance.now() - startedMs)} ms (exits and sizing do not change them: scored once)`);
  }
  const modelSignalsOf = signals;

  const points = grid.stopAtr.length * grid.targetAtr.length * grid.riskPct.length;
  let progress: ReturnType<typeof progressBar> | undefined;
  console.error(`optimize: ${points} grid points × (full period + ${nFolds} in-sample + ${nFolds} out-of-sample runs) on ${bars.length.toLocaleString("en-US")} bars`);
  const startedMs = performance.now();
  const result = optimizeRiskParameters({
    bars,
    instrument,
    trading,
    limits,
    initialBalanceUsd,
    grid,
    nFolds,
    minBlockBars: MIN_BLOCK_BARS,
    signalAt: modelSignalsOf === undefined ? undefined : (index) => modelSignalsOf[index] ?? null,
    onProgress: (done, total, label) => {
      progress ??= progressBar("optimize", total);
      progress.update(done, label);
    },
  });
  const elapsedMs = performance.now() - startedMs;
  progress?.finish(`${result.work.backtests} backtests`);

  const report = optimizeReport(result, {
    generatedAt: new Date().toISOString(),
    bars,
    elapsedMs,
    config: {
      symbol,
      strategy: trading.strategy.kind,
      data: resolve(flags.data),
      tz: flags.tz,
      spread: flags.spread,
      modelVersion,
      initialBalanceUsd,
      trading,
      limits,
    },
  });
  mkdirSync(flags.out, { recursive: true });
  const path = join(flags.out, "optimize.json");
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(renderOptimizeSummary(report));
  console.log(`wrote ${resolve(path)}`);
}

runMain(main, USAGE);
