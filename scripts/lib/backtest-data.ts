/** Reading M1 bars for backtests and the optimizer: the file, its time zone, the spread choice and a date range. */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { parseMt5BarsCsv, parseUtcOffsetMinutes } from "../../core/market/csv.js";
import type { SourceBar } from "../../core/market/tick-path.js";
import type { ExecutionConfig } from "../../core/schemas/trading.js";
import { numberFlag, UsageError } from "./args.js";

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
