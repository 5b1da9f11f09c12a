/**
 * The training data set: bars → ready feature rows with their direction labels, aligned by bar, as flat typed
 * arrays the models read without copying, with the hashes that pin a model to its data and its feature spec.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import {
  buildFeatures,
  type FeatureBar,
  featureBarFromSource,
  type FeatureSpec,
  XAU_M1_CORE_SPEC,
} from "../../core/features/index.js";
import { isMt5BarHeader, parseMt5BarsCsv } from "../../core/market/csv.js";
import type { Timeframe } from "../../core/market/timeframe.js";
import {
  DEFAULT_LABEL_DEFINITION,
  labelBars,
  type LabelDefinition,
  type LabelExclusion,
  LabelDefinitionSchema,
} from "../../core/ml/index.js";
import { featureSpecSha256 } from "../features-csv.js";

/**
 * Rows of a data set, oldest first: one per bar whose features are ready and whose label is defined. Row r is
 * `features[r × nCols … (r + 1) × nCols)`, label `labels[r]`, bar open time `timestampsMs[r]`, and it is bar
 * `barIndex[r]` of the input. Dropped bars (warm-up, excluded labels) only widen, in bars, any gap counted in rows.
 */
export interface TrainingDataset {
  /** Upper-case instrument symbol the bars are of, e.g. "XAUUSD". */
  readonly symbol: string;
  /** The feature spec the rows were built with. */
  readonly spec: FeatureSpec;
  /** Column names, in the order of a row: the spec's features. */
  readonly featureNames: readonly string[];
  /** How the labels were computed (binary only, see {@link buildDataset}). */
  readonly label: LabelDefinition;
  /** Timeframe of the bars (the spec's). */
  readonly timeframe: Timeframe;
  readonly nRows: number;
  readonly nCols: number;
  /** Row-major `nRows × nCols` feature values. */
  readonly features: Float64Array;
  /** Class index per row: 0 = down (or flat), 1 = up. */
  readonly labels: Int32Array;
  /** Bar open time per row, epoch ms UTC, strictly increasing. */
  readonly timestampsMs: Float64Array;
  /** Index of the row's bar among the input bars, strictly increasing. */
  readonly barIndex: Int32Array;
  /** SHA-256 (hex) of the input bytes the bars were read from (the file as stored, gzip or not). */
  readonly dataSha256: string;
  /** SHA-256 (hex) of the spec's canonical JSON: what the runtime checks a model against. */
  readonly featureSpecSha256: string;
  /**
   * Minutes east of UTC the input's times were read in (it moves every time-of-day feature); null when the bars
   * were given already in UTC to {@link buildDataset}.
   */
  readonly sourceUtcOffsetMinutes: number | null;
  /** How the input bars became rows. */
  readonly summary: DatasetSummary;
}

/** Where the input bars went. */
export interface DatasetSummary {
  /** Bars read. */
  readonly bars: number;
  /** Bars before the feature builder was warm. */
  readonly warmUpBars: number;
  /** Ready bars without a label, by reason (a bar still in warm-up is counted in `warmUpBars` only). */
  readonly excluded: Readonly<Record<LabelExclusion, number>>;
  /** Rows per class index. */
  readonly byClass: readonly number[];
}

/** What {@link buildDataset} needs besides the bars. */
export interface DatasetOptions {
  /** Upper-case instrument symbol of the bars, e.g. "XAUUSD" (3-12 letters or digits). */
  readonly symbol: string;
  /** Feature spec; default {@link XAU_M1_CORE_SPEC}. Its timeframe and point size also label the bars. */
  readonly spec?: FeatureSpec;
  /** Label; default {@link DEFAULT_LABEL_DEFINITION} (binary direction over 15 bars, no band). Must be binary. */
  readonly label?: LabelDefinition;
  /** SHA-256 of the input the bars came from (see {@link sha256Hex}). */
  readonly dataSha256: string;
}

/**
 * SHA-256 of bytes (or UTF-8 text), in lower-case hex.
 * @example
 * sha256Hex(readFileSync(path)); // what `sha256sum path` prints
 */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Builds the rows of `bars` (strictly increasing in time): features by {@link buildFeatures} (the streaming
 * builder's exact rows), labels by {@link labelBars} on the same bars, then keeps the bars that have both. Only
 * binary labels are supported (the pipeline's metrics and ensemble are binary). Throws a RangeError on a
 * three-class label, on bars the builder or the labeller refuses, or when no row is left.
 * @example
 * const dataset = buildDataset(bars, { symbol: "XAUUSD", dataSha256: sha256Hex(fileBytes) });
 * dataset.nRows; // bars − warm-up − excluded labels
 */
export function buildDataset(bars: readonly FeatureBar[], options: DatasetOptions): TrainingDataset {
  const spec = options.spec ?? XAU_M1_CORE_SPEC;
  const label = LabelDefinitionSchema.parse(options.label ?? DEFAULT_LABEL_DEFINITION);
  if (label.classes !== "binary") {
    throw new RangeError(`buildDataset: only binary labels are supported, got ${label.classes}`);
  }
  if (!/^[A-Z0-9]{3,12}$/.test(options.symbol)) {
    throw new RangeError(`buildDataset: symbol must be 3-12 upper-case letters or digits, got '${options.symbol}'`);
  }
  if (!/^[0-9a-f]{64}$/.test(options.dataSha256)) {
    throw new RangeError(`buildDataset: dataSha256 must be 64 lower-case hex digits, got '${options.dataSha256}'`);
  }
  const { timeframe, pointSize } = spec.parameters;
  const rows = buildFeatures(bars, spec);
  const labelled = labelBars(bars, label, { pointSize, timeframe });
  const nCols = spec.features.length;
  const kept: number[] = [];
  const excluded: Record<LabelExclusion, number> = { NO_FORWARD_BAR: 0, GAP: 0, IN_NO_TRADE_BAND: 0 };
  let warmUpBars = 0;
  rows.forEach((row, index) => {
    if (!row.ready) {
      warmUpBars += 1;
      return;
    }
    const target = labelled[index];
    if (target?.label === undefined) {
      if (target?.exclusion !== undefined) excluded[target.exclusion] += 1;
      return;
    }
    kept.push(index);
  });
  if (kept.length === 0) {
    throw new RangeError(`buildDataset: none of ${bars.length} bars has ready features and a label`);
  }
  const features = new Float64Array(kept.length * nCols);
  const labels = new Int32Array(kept.length);
  const timestampsMs = new Float64Array(kept.length);
  const barIndex = Int32Array.from(kept);
  const byClass = [0, 0];
  kept.forEach((index, row) => {
    const featureRow = rows[index];
    const target = labelled[index]?.label;
    if (featureRow?.features === undefined || target === undefined) throw new Error("buildDataset: rows drifted");
    features.set(featureRow.features, row * nCols);
    labels[row] = target;
    timestampsMs[row] = featureRow.tsMs;
    byClass[target] = (byClass[target] ?? 0) + 1;
  });
  return {
    symbol: options.symbol,
    spec,
    featureNames: [...spec.features],
    label,
    timeframe,
    nRows: kept.length,
    nCols,
    features,
    labels,
    timestampsMs,
    barIndex,
    dataSha256: options.dataSha256,
    featureSpecSha256: featureSpecSha256(spec),
    sourceUtcOffsetMinutes: null,
    summary: { bars: bars.length, warmUpBars, excluded, byClass },
  };
}

/** What {@link readDatasetBytes} and {@link readDatasetFile} need besides the input. */
export interface ReadDatasetOptions {
  /** Upper-case instrument symbol of the bars, e.g. "XAUUSD". */
  readonly symbol: string;
  /** Minutes east of UTC of the export's times (180 for an MT5 server at UTC+3). */
  readonly offsetMinutes: number;
  readonly spec?: FeatureSpec;
  readonly label?: LabelDefinition;
}

/**
 * The data set of an MT5 bar export given as bytes (plain CSV or gzip, told apart by the magic bytes); its
 * `dataSha256` is the SHA-256 of exactly these bytes. Throws when the header is not an MT5 bar export.
 * @example
 * const dataset = readDatasetBytes(readFileSync("bars.csv.gz"), { symbol: "XAUUSD", offsetMinutes: 180 });
 */
export function readDatasetBytes(bytes: Uint8Array, options: ReadDatasetOptions): TrainingDataset {
  const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const text = Buffer.from(gzip ? gunzipSync(bytes) : bytes).toString("utf8");
  const newline = text.indexOf("\n");
  const headerLine = newline < 0 ? text : text.slice(0, newline);
  if (!isMt5BarHeader(headerLine)) {
    throw new RangeError(`not an MT5 bar export (header '${headerLine.trim().slice(0, 80)}')`);
  }
  const bars = parseMt5BarsCsv(text, options.offsetMinutes).map(featureBarFromSource);
  const dataset = buildDataset(bars, { ...options, dataSha256: sha256Hex(bytes) });
  return { ...dataset, sourceUtcOffsetMinutes: options.offsetMinutes };
}

/**
 * The data set of an MT5 bar export file (plain or gzip); `dataSha256` is what `sha256sum <path>` prints.
 * @example
 * const path = "data/xauusd-m1-2026-03-24--2026-05-28.csv.gz";
 * const dataset = readDatasetFile(path, { symbol: "XAUUSD", offsetMinutes: 180 });
 */
export function readDatasetFile(path: string, options: ReadDatasetOptions): TrainingDataset {
  const bytes = readFileSync(path);
  try {
    return readDatasetBytes(bytes, options);
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    throw new RangeError(`${path}: ${message}`);
  }
}
