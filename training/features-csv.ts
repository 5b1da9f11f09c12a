/** File side of the features CLI: reads an MT5 M1 export (plain or gzip) and writes feature rows as CSV. */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import {
  canonicalFeatureSpecJson,
  type FeatureBar,
  featureBarFromSource,
  type FeatureRow,
  type FeatureSpec,
  RAW_INDICATOR_KEYS,
} from "../core/features/index.js";
import { isMt5BarHeader, parseMt5BarsCsv } from "../core/market/csv.js";

/** The two bytes every gzip stream starts with. */
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Rows written per `writeSync` call: keeps memory flat on the 63,230-bar file. */
const ROWS_PER_WRITE = 2_000;

/**
 * Reads an MT5 M1 bar export (`time,open,high,low,close,tick_volume,spread,…`, plain or gzip, told apart by the
 * gzip magic bytes rather than the file name) whose times are `offsetMinutes` east of UTC, as feature bars.
 * The MT5 `spread` (points) stands in for the bar's mean spread.
 * @example
 * const bars = readMt5BarsFile("data/xauusd-m1-2026-03-24--2026-05-28.csv.gz", 180);
 */
export function readMt5BarsFile(path: string, offsetMinutes: number): FeatureBar[] {
  const raw = readFileSync(path);
  const text = (raw[0] === GZIP_MAGIC[0] && raw[1] === GZIP_MAGIC[1] ? gunzipSync(raw) : raw).toString("utf8");
  const newline = text.indexOf("\n");
  const headerLine = newline < 0 ? text : text.slice(0, newline);
  if (!isMt5BarHeader(headerLine)) {
    throw new Error(`${path}: not an MT5 bar export (header '${headerLine.trim().slice(0, 80)}')`);
  }
  return parseMt5BarsCsv(text, offsetMinutes).map(featureBarFromSource);
}

/**
 * Column names of the features CSV: `time`, the raw indicator columns, then the model features, in spec order.
 * @example
 * featureCsvHeader(XAU_M1_CORE_SPEC).slice(0, 3); // ["time", "sma_20", "ema_20"]
 */
export function featureCsvHeader(spec: FeatureSpec): string[] {
  return ["time", ...spec.rawColumns, ...spec.features];
}

/** A number as its shortest round-trip text, so that reading the CSV back gives the same double. */
function cell(value: number | undefined): string {
  return value === undefined ? "" : String(value);
}

/**
 * One CSV line (no newline) for a row: ISO-8601 UTC open time, raw values (empty in their warm-up), features
 * (empty until the row is ready), `featureCount` of them.
 * @example
 * featureCsvLine(rows[0], spec.features.length); // "2026-03-24T14:00:00.000Z,,,…"
 */
export function featureCsvLine(row: FeatureRow, featureCount: number): string {
  const raw = RAW_INDICATOR_KEYS.map((key) => cell(row.raw[key]));
  const features = row.ready
    ? Array.from(row.features, (value) => cell(value))
    : new Array<string>(featureCount).fill("");
  return [new Date(row.tsMs).toISOString(), ...raw, ...features].join(",");
}

/**
 * Writes the header and every row to `path` (replacing it), in chunks.
 * @example
 * writeFeatureCsv("features.csv", XAU_M1_CORE_SPEC, buildFeatures(bars));
 */
export function writeFeatureCsv(path: string, spec: FeatureSpec, rows: readonly FeatureRow[]): void {
  const descriptor = openSync(path, "w");
  try {
    writeSync(descriptor, `${featureCsvHeader(spec).join(",")}\n`);
    for (let start = 0; start < rows.length; start += ROWS_PER_WRITE) {
      const lines = rows.slice(start, start + ROWS_PER_WRITE).map((row) => featureCsvLine(row, spec.features.length));
      writeSync(descriptor, `${lines.join("\n")}\n`);
    }
  } finally {
    closeSync(descriptor);
  }
}

/**
 * SHA-256 of the spec's canonical JSON, in hex: what the runtime computes with WebCrypto to pin a model to its spec.
 * @example
 * featureSpecSha256(XAU_M1_CORE_SPEC).slice(0, 12);
 */
export function featureSpecSha256(spec: FeatureSpec): string {
  return createHash("sha256").update(canonicalFeatureSpecJson(spec), "utf8").digest("hex");
}
