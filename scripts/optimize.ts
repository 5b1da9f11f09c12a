/**
 * `npm run optimize -- --data <csv> --symbol XAUUSD --out <dir> [options]`: walk-forward search of stopAtr × targetAtr
 * × riskPct (core/backtest/optimizer.ts) with the platform's own strategy, risk and execution code; writes
 * optimize.json and prints a summary table.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_RISK_GRID, normaliseGrid, optimizeRiskParameters, type RiskGridSpec } from "../core/backtest/optimizer.js";
import { integerFlag, parseFlags, runMain, UsageError } from "./lib/args.js";
import { BACKTEST_INPUT_FLAGS, backtestInputs, loadModelSignals } from "./lib/backtest-data.js";
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
    ...BACKTEST_INPUT_FLAGS,
    folds: { type: "string" },
    stop: { type: "string" },
    target: { type: "string" },
    risk: { type: "string" },
  });
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  if (flags.strategy === "model" && !flags.model) throw new UsageError("--strategy model needs --model <model.onnx>");
  const nFolds = integerFlag(flags.folds, "folds", DEFAULT_FOLDS, 1, 100);
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

  const { symbol, instrument, trading, limits, initialBalanceUsd, bars, data, out } = backtestInputs(flags);
  const nBlocks = nFolds + 1;
  if (Math.floor(bars.length / nBlocks) < MIN_BLOCK_BARS) {
    throw new UsageError(`${bars.length} bars in ${nBlocks} blocks leave fewer than ${MIN_BLOCK_BARS} bars per block: use fewer --folds or more data`);
  }

  // Exits and sizing do not change a model's signals: they are scored once for every run.
  const model = trading.strategy.kind === "model" && flags.model ? await loadModelSignals(flags.model, bars, instrument) : null;
  const modelVersion = model?.version ?? null;

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
    signalAt: model === null ? undefined : (index) => model.signals[index] ?? null,
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
      data: resolve(data),
      tz: flags.tz,
      spread: flags.spread,
      modelVersion,
      initialBalanceUsd,
      trading,
      limits,
    },
  });
  mkdirSync(out, { recursive: true });
  const path = join(out, "optimize.json");
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(renderOptimizeSummary(report));
  console.log(`wrote ${resolve(path)}`);
}

runMain(main, USAGE);
