/**
 * The `backtest` task: a small range (at most 14 days) backtested inside the Worker. The instrument's stored M1 bars
 * (its InstrumentDO, page by page) run through the platform's own backtester (core/backtest) with the instrument's
 * trading configuration (or the ema-cross default when it does not trade) and the account's current risk limits;
 * the model strategy reads the champion signals the instrument recorded for those bars. Longer ranges, reports and
 * walk-forward runs belong to `npm run backtest`.
 */
import { computeMetrics, type BacktestMetrics } from "../../../core/backtest/metrics.js";
import { runBacktest } from "../../../core/backtest/run-backtest.js";
import type { SourceBar } from "../../../core/market/tick-path.js";
import { DEFAULT_ACCOUNT_ID } from "../../../core/schemas/account.js";
import { MAX_BARS_PER_QUERY, type BarOutput } from "../../../core/schemas/market-data.js";
import { MAX_SIGNALS_PER_QUERY, type Signal } from "../../../core/schemas/serving.js";
import { InstrumentTradingConfigSchema, type InstrumentTradingConfig } from "../../../core/schemas/trading.js";
import { PermanentTaskError } from "../../../core/tasks/failure.js";
import { toModelSignalInput, type ModelSignalInput } from "../../../core/trading/instrument-trader.js";
import { instrumentStub, requireInstrument } from "../../instruments.js";
import { platformOf } from "../../platform.js";
import { accountStub } from "../../trading-rpc.js";
import type { TaskProcessor } from "../processor.js";

/** The closed M1 bars in [fromMs, toMs], oldest first, read a page at a time (the run's signal checked between pages). */
async function closedBars(stub: ReturnType<typeof instrumentStub>, symbol: string, fromMs: number, toMs: number, signal: AbortSignal): Promise<SourceBar[]> {
  const bars: SourceBar[] = [];
  let from: number | null = fromMs;
  while (from !== null) {
    signal.throwIfAborted();
    const page: { bars: BarOutput[]; next: number | null } = await stub.bars({ symbol, timeframe: "M1", fromMs: from, toMs, limit: MAX_BARS_PER_QUERY });
    for (const bar of page.bars) {
      // The stored spread is the bar's mean, rounded to 0.001 point; the backtester rounds asks to the price digits.
      if (bar.closed) bars.push({ tsMs: bar.ts, open: bar.open, high: bar.high, low: bar.low, close: bar.close, tickVolume: bar.tickVolume, spreadPoints: bar.spreadAvg });
    }
    from = page.next;
  }
  return bars;
}

/** The champion signals the instrument recorded for bars in [fromMs, toMs], by bar time (newest-first pages, walked back). */
async function championSignals(stub: ReturnType<typeof instrumentStub>, symbol: string, fromMs: number, toMs: number, signal: AbortSignal): Promise<Map<number, ModelSignalInput>> {
  const byBar = new Map<number, ModelSignalInput>();
  let upperMs = toMs;
  for (;;) {
    signal.throwIfAborted();
    const page: Signal[] = await stub.signals({ symbol, role: "champion", fromMs, toMs: upperMs, limit: MAX_SIGNALS_PER_QUERY });
    for (const recorded of page) byBar.set(recorded.ts, toModelSignalInput(recorded));
    const oldest = page.at(-1);
    if (page.length < MAX_SIGNALS_PER_QUERY || oldest === undefined) return byBar;
    upperMs = oldest.ts - 1;
  }
}

/** The headline figures a task result keeps (the full report is `npm run backtest`'s). */
function summary(metrics: BacktestMetrics) {
  return {
    trades: metrics.trades,
    wins: metrics.wins,
    losses: metrics.losses,
    netPnlUsd: metrics.netPnlUsd,
    returnPct: metrics.returnPct,
    finalEquityUsd: metrics.finalEquityUsd,
    maxDrawdownUsd: metrics.maxDrawdownUsd,
    maxDrawdownPct: metrics.maxDrawdownPct,
    profitFactor: metrics.profitFactor,
    winRatePct: metrics.winRatePct,
    expectancyUsd: metrics.expectancyUsd,
    sharpe: metrics.sharpe,
  };
}

/**
 * Result: `{ symbol, fromMs, toMs, strategy, bars, firstBarMs, lastBarMs, initialBalanceUsd, signals, metrics: { trades,
 * wins, losses, netPnlUsd, returnPct, finalEquityUsd, maxDrawdownUsd, maxDrawdownPct, profitFactor, winRatePct,
 * expectancyUsd, sharpe }, deniedByCode }`. No stored bar in the range fails the task permanently (a retry finds none
 * either); an undeclared instrument too (404).
 */
export const runBacktestTask: TaskProcessor<"backtest"> = async (run) => {
  const { env, payload } = run;
  const platform = platformOf(env);
  const instrument = requireInstrument(platform, payload.symbol);
  const { symbol } = instrument;
  const trading: InstrumentTradingConfig = platform.trading.get(symbol) ?? InstrumentTradingConfigSchema.parse({ symbol, strategy: { kind: "ema-cross" } });
  const stub = instrumentStub(env, symbol);
  const bars = await closedBars(stub, symbol, payload.fromMs, payload.toMs, run.signal);
  const first = bars[0];
  const last = bars.at(-1);
  if (first === undefined || last === undefined) {
    throw new PermanentTaskError(`${symbol} has no closed M1 bar between ${new Date(payload.fromMs).toISOString()} and ${new Date(payload.toMs).toISOString()}`);
  }
  const signals = trading.strategy.kind === "model" ? await championSignals(stub, symbol, first.tsMs, last.tsMs, run.signal) : null;
  const limits = await accountStub(env).limits(DEFAULT_ACCOUNT_ID);
  run.signal.throwIfAborted();
  const result = runBacktest({
    bars,
    instrument,
    trading,
    limits,
    initialBalanceUsd: payload.initialBalanceUsd,
    signalAt: signals === null ? undefined : (index) => signals.get(bars[index]?.tsMs ?? Number.NaN) ?? null,
  });
  const metrics = computeMetrics(result.trades, result.equity, payload.initialBalanceUsd);
  run.log.info("backtest done", { symbol, bars: bars.length, trades: metrics.trades, netPnlUsd: metrics.netPnlUsd });
  return {
    symbol,
    fromMs: payload.fromMs,
    toMs: payload.toMs,
    strategy: trading.strategy.kind,
    bars: bars.length,
    firstBarMs: first.tsMs,
    lastBarMs: last.tsMs,
    initialBalanceUsd: payload.initialBalanceUsd,
    signals: signals?.size ?? null,
    metrics: summary(metrics),
    deniedByCode: result.deniedByCode,
  };
};
