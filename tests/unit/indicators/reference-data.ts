/** Loads the XAUUSD M1 bars and TA-Lib 0.4.0's outputs on them (gzip CSV under data/) for the golden test. */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { HlcBar } from "../../../core/indicators/index.js";

const DATA_DIR = new URL("../../../data/", import.meta.url);

/** Columns of the TA-Lib reference file after `time`, in file order. */
export const REFERENCE_COLUMNS = [
  "sma20",
  "ema20",
  "rsi14",
  "macd",
  "macd_signal",
  "macd_hist",
  "atr14",
  "bb_upper",
  "bb_middle",
  "bb_lower",
  "stoch_k",
  "stoch_d",
  "adx14",
  "cci20",
  "willr14",
  "natr14",
] as const;
export type ReferenceColumn = (typeof REFERENCE_COLUMNS)[number];

/** One M1 bar of the input file, keyed by its open time as printed there. */
export interface ReferenceBar extends HlcBar {
  readonly time: string;
}

function readGzipCsv(fileName: string): string[][] {
  const text = gunzipSync(readFileSync(new URL(fileName, DATA_DIR))).toString("utf8");
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => line.split(","));
}

function requireHeader(rows: string[][], expected: readonly string[], fileName: string): string[][] {
  const header = rows[0]?.join(",");
  if (header !== expected.join(",")) throw new Error(`${fileName}: unexpected header ${header}`);
  return rows.slice(1);
}

function cell(row: string[], index: number): string {
  const value = row[index];
  if (value === undefined) throw new Error(`row ${row.join(",")} has no column ${index}`);
  return value;
}

/** The 63,230 bars of `data/xauusd-m1-2026-03-24--2026-05-28.csv.gz`, oldest first. */
export function loadBars(): ReferenceBar[] {
  const fileName = "xauusd-m1-2026-03-24--2026-05-28.csv.gz";
  const header = ["time", "open", "high", "low", "close", "tick_volume", "spread", "real_volume"];
  return requireHeader(readGzipCsv(fileName), header, fileName).map((row) => ({
    time: cell(row, 0),
    high: Number(cell(row, 2)),
    low: Number(cell(row, 3)),
    close: Number(cell(row, 4)),
  }));
}

/** TA-Lib's output per column and bar (`undefined` where the file is empty, i.e. during warm-up). */
export interface Reference {
  readonly times: string[];
  readonly columns: Record<ReferenceColumn, (number | undefined)[]>;
}

/** `data/talib-0.4.0-reference-xauusd-m1.csv.gz`: TA-Lib 0.4.0 printed with 10 significant digits. */
export function loadReference(): Reference {
  const fileName = "talib-0.4.0-reference-xauusd-m1.csv.gz";
  const rows = requireHeader(readGzipCsv(fileName), ["time", ...REFERENCE_COLUMNS], fileName);
  const columns = Object.fromEntries(
    REFERENCE_COLUMNS.map((column, index) => [
      column,
      rows.map((row) => {
        const text = cell(row, index + 1);
        return text === "" ? undefined : Number(text);
      }),
    ]),
  ) as Record<ReferenceColumn, (number | undefined)[]>;
  return { times: rows.map((row) => cell(row, 0)), columns };
}

/**
 * Tolerance. The reference was printed with 10 significant digits (`%.10g`), so a printed `b` stands for a true
 * value within half a unit of its 10th digit: if `10^e <= |b| < 10^(e+1)` that unit is `10^(e-9)`, and half of it is
 * `5e-10 * 10^e <= 5e-10 * |b|`. On top of that printing error we allow the 1e-9 relative computing error of the
 * brief, measured against `max(1, |b|)` so that values crossing zero (MACD histogram, CCI, %R) are held to 1e-9 in
 * absolute terms instead of an impossible relative bound.
 */
export function withinTolerance(ours: number, talib: number): boolean {
  return Math.abs(ours - talib) <= 5e-10 * Math.abs(talib) + 1e-9 * Math.max(1, Math.abs(talib));
}

/** Our value printed like the reference (`%.10g`, correctly rounded) gives back TA-Lib's printed text exactly. */
export function printsAsTaLib(ours: number, talib: number): boolean {
  return Number(ours.toPrecision(10)) === talib;
}
