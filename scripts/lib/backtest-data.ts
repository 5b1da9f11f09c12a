/**
 * The inputs every backtest-like command shares (`npm run backtest`, `npm run optimize`): their flags, the bars (file,
 * time zone, spread choice, date range), the instrument, the trading configuration and limits with their overrides,
 * and a model's signals for the model strategy.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { pathBar } from "../../core/backtest/path-bar.js";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../../core/instruments/catalog.js";
import type { Instrument } from "../../core/instruments/instrument.js";
import { parseMt5BarsCsv, parseUtcOffsetMinutes } from "../../core/market/csv.js";
import type { SourceBar } from "../../core/market/tick-path.js";
import { ModelManifestSchema } from "../../core/ml/manifest.js";
import {
  InstrumentTradingConfigSchema,
  RiskLimitsSchema,
  type ExecutionConfig,
  type InstrumentTradingConfig,
  type InstrumentTradingConfigInput,
  type RiskLimits,
  type RiskLimitsInput,
} from "../../core/schemas/trading.js";
import type { ModelSignalInput } from "../../core/trading/instrument-trader.js";
import { numberFlag, UsageError } from "./args.js";
import { modelSignals } from "./model-signals.js";

/** The flags both commands take (each adds its own). */
export const BACKTEST_INPUT_FLAGS = {
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
} as const;

/** The parsed values of {@link BACKTEST_INPUT_FLAGS}. */
export interface BacktestInputFlags {
  data?: string;
  symbol?: string;
  tz: string;
  strategy: string;
  from?: string;
  to?: string;
  spread: string;
  commission?: string;
  slippage?: string;
  balance?: string;
  config?: string;
  out?: string;
}

export interface BacktestInputs {
  readonly symbol: string;
  readonly instrument: Instrument;
  readonly trading: InstrumentTradingConfig;
  readonly limits: RiskLimits;
  readonly initialBalanceUsd: number;
  /** The bars of the chosen range (never empty). */
  readonly bars: SourceBar[];
  readonly data: string;
  readonly out: string;
}

/**
 * Checks the shared flags and builds the inputs: the instrument from the shipped catalogue, the trading configuration
 * (`--config`'s `trading`, then `--commission` / `--slippage`), the limits (`--config`'s `limits`) and the bars.
 */
export function backtestInputs(flags: BacktestInputFlags): BacktestInputs {
  if (!flags.data || !flags.symbol || !flags.out) throw new UsageError("--data, --symbol and --out are required");
  const symbol = flags.symbol.toUpperCase();
  const instrument = InstrumentCatalog.parse(DEFAULT_INSTRUMENTS).find(symbol);
  if (!instrument) throw new UsageError(`unknown symbol ${symbol}`);
  if (flags.strategy !== "ema-cross" && flags.strategy !== "model") throw new UsageError("--strategy must be ema-cross or model");
  const overrides = flags.config ? (JSON.parse(readFileSync(flags.config, "utf8")) as { trading?: Partial<InstrumentTradingConfigInput>; limits?: RiskLimitsInput }) : {};
  const execution: Partial<ExecutionConfig> = { ...(overrides.trading?.execution as Partial<ExecutionConfig> | undefined) };
  if (flags.commission !== undefined) execution.commissionPerLotUsd = numberFlag(flags.commission, "commission", 0, 0, 10_000);
  if (flags.slippage !== undefined) execution.slippage = parseSlippage(flags.slippage);
  const trading = InstrumentTradingConfigSchema.parse({ strategy: { kind: flags.strategy }, ...overrides.trading, symbol, execution });
  const limits = RiskLimitsSchema.parse(overrides.limits ?? {});
  const initialBalanceUsd = numberFlag(flags.balance, "balance", 100_000, 1, 1e12);
  const bars = readBars(flags.data, flags.tz, flags.spread, flags.from, flags.to);
  if (bars.length === 0) throw new UsageError("no bars in the chosen range");
  return { symbol, instrument, trading, limits, initialBalanceUsd, bars, data: flags.data, out: flags.out };
}

/**
 * The model strategy's signal for each bar from `model.onnx` (its manifest.json beside it), scored in batches; logs
 * how many and how long on stderr.
 */
export async function loadModelSignals(modelPath: string, bars: readonly SourceBar[], instrument: Instrument): Promise<{ version: string; signals: (ModelSignalInput | null)[] }> {
  const manifest = ModelManifestSchema.parse(JSON.parse(readFileSync(join(dirname(modelPath), "manifest.json"), "utf8")));
  const startedMs = performance.now();
  const signals = await modelSignals(bars.map((bar) => pathBar(bar, instrument)), { version: manifest.version, classLabels: manifest.classLabels, onnx: readFileSync(modelPath) });
  console.error(`model ${manifest.version}: ${signals.filter((s) => s !== null).length.toLocaleString("en-US")} signals in ${Math.round(performance.now() - startedMs)} ms`);
  return { version: manifest.version, signals };
}

/** Reads the M1 file, applies the spread choice and the date range. */
export function readBars(path: string, tz: string, spread: string, from: string | undefined, to: string | undefined): SourceBar[] {
  let offsetMinutes: number;
  try {
    offsetMinutes = parseUtcOffsetMinutes(tz);
  } catch (error: unknown) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const raw = readFileSync(path);
  const text = (path.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
  const fixedSpread = spread === "file" ? undefined : numberFlag(spread, "spread", 0, 0, 1_000_000);
  const bars = parseMt5BarsCsv(text, offsetMinutes, fixedSpread).map((bar) => (fixedSpread === undefined ? bar : { ...bar, spreadPoints: fixedSpread }));
  const fromMs = from === undefined ? -Infinity : parseDate(from, "from");
  const toMs = to === undefined ? Infinity : parseDate(to, "to", true);
  return bars.filter((bar) => bar.tsMs >= fromMs && bar.tsMs <= toMs);
}

export function parseDate(text: string, name: string, endOfDay = false): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const ms = Date.parse(dateOnly ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(ms)) throw new UsageError(`--${name} must be an ISO date or date-time, got '${text}'`);
  return dateOnly && endOfDay ? ms + 86_400_000 - 1 : ms;
}


/** `--slippage`: points (e.g. 5) or an ATR fraction (e.g. atr:0.05). */
export function parseSlippage(text: string): ExecutionConfig["slippage"] {
  if (text.startsWith("atr:")) return { kind: "volatility", atrFraction: numberFlag(text.slice(4), "slippage", 0, 0, 10) };
  return { kind: "fixed", points: numberFlag(text, "slippage", 0, 0, 100_000) };
}
