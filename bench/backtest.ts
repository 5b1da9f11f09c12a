/**
 * Backtest throughput on the shipped XAUUSD data (63k M1 bars, one core): the rule strategy through the full loop
 * (standard tick path → InstrumentTrader → AccountBook → fills), and the model strategy with the demo model (features
 * and one onnxruntime-node call per 8,192 bars, then the same loop). The baseline, measured in the same run, is the
 * least any backtest must do: build each bar's four path quotes and touch them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathBar } from "../core/backtest/path-bar.js";
import { runBacktest } from "../core/backtest/run-backtest.js";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../core/instruments/catalog.js";
import { roundTo } from "../core/market/tick.js";
import type { SourceBar } from "../core/market/tick-path.js";
import { ModelManifestSchema } from "../core/ml/manifest.js";
import { InstrumentTradingConfigSchema, RiskLimitsSchema } from "../core/schemas/trading.js";
import { modelSignals } from "../scripts/lib/model-signals.js";
import { demoBars } from "../tests/support/node/demo-data.js";

const RUNS = 7;
/** Runs before timing: a backtest of any length runs JIT-compiled code, so the figure is the warm loop's. */
const WARM_UP_RUNS = 3;
const DEMO_MODEL_DIR = join(import.meta.dirname, "..", "data", "models", "xauusd-m1-demo");

/** Median of `RUNS` timings of `work`, in ms (after the warm-up runs). */
function medianMs(work: () => void): number {
  for (let i = 0; i < WARM_UP_RUNS; i++) work();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)] as number;
}

/** The baseline: every bar's four path quotes built (ask rounded like the path) and summed. */
function touchPath(bars: readonly SourceBar[], pointSize: number, digits: number): number {
  let sum = 0;
  for (const bar of bars) {
    const spread = bar.spreadPoints * pointSize;
    const up = bar.close >= bar.open;
    sum += roundTo(bar.open + spread, digits) + roundTo((up ? bar.low : bar.high) + spread, digits);
    sum += roundTo((up ? bar.high : bar.low) + spread, digits) + roundTo(bar.close + spread, digits);
  }
  return sum;
}

const perSecond = (bars: number, ms: number) => Math.round(bars / (ms / 1000)).toLocaleString("en-US");

export async function benchBacktest(): Promise<string[]> {
  const bars = demoBars();
  const instrument = InstrumentCatalog.parse(DEFAULT_INSTRUMENTS).find("XAUUSD")!;
  // Limits that never stop the run: every cross trades, so the loop does its full work.
  const limits = RiskLimitsSchema.parse({ maxDrawdownPct: 100, maxDailyLossPct: 100 });
  const rule = InstrumentTradingConfigSchema.parse({ symbol: "XAUUSD", strategy: { kind: "ema-cross" } });
  const model = InstrumentTradingConfigSchema.parse({ symbol: "XAUUSD", strategy: { kind: "model" } });

  let checksum = 0;
  const baselineMs = medianMs(() => {
    checksum += touchPath(bars, instrument.pointSize, instrument.digits);
  });
  let ruleTrades = 0;
  const ruleMs = medianMs(() => {
    ruleTrades = runBacktest({ bars, instrument, trading: rule, limits, initialBalanceUsd: 1_000_000 }).trades.length;
  });

  const manifest = ModelManifestSchema.parse(JSON.parse(readFileSync(join(DEMO_MODEL_DIR, "manifest.json"), "utf8")));
  const onnx = readFileSync(join(DEMO_MODEL_DIR, "model.onnx"));
  const signalsStarted = performance.now();
  const signals = await modelSignals(bars.map((bar) => pathBar(bar, instrument)), { version: manifest.version, classLabels: manifest.classLabels, onnx });
  const signalsMs = performance.now() - signalsStarted;
  let modelTrades = 0;
  const modelLoopMs = medianMs(() => {
    modelTrades = runBacktest({ bars, instrument, trading: model, limits, initialBalanceUsd: 1_000_000, signalAt: (i) => signals[i] ?? null }).trades.length;
  });
  const modelMs = signalsMs + modelLoopMs;

  const n = bars.length;
  return [
    `Backtest throughput — ${n.toLocaleString("en-US")} XAUUSD M1 bars (${(n * 4).toLocaleString("en-US")} path quotes), one core, median of ${RUNS} runs after ${WARM_UP_RUNS} warm-up runs (checksum ${checksum.toExponential(3)})`,
    `  baseline: build and touch the path quotes      ${perSecond(n, baselineMs).padStart(13)} bars/s`,
    `  rule strategy (ema-cross), ${String(ruleTrades).padStart(5)} trades     ${perSecond(n, ruleMs).padStart(13)} bars/s = ${(baselineMs / ruleMs).toFixed(3)} x the baseline (target ≥ 1,000,000 bars/s)`,
    `  model strategy, demo model, ${String(modelTrades).padStart(5)} trades    ${perSecond(n, modelMs).padStart(13)} bars/s = ${(baselineMs / modelMs).toFixed(3)} x the baseline`,
    `    of which features + batched inference (8,192 rows per call) ${Math.round(signalsMs)} ms, trading loop ${perSecond(n, modelLoopMs)} bars/s`,
  ];
}
