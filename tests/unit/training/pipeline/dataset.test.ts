/** Bars to rows: ready features and defined labels, aligned by bar, with the hashes of the input and the spec. */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { buildFeatures, featureBarFromSource, XAU_M1_CORE_SPEC } from "../../../../core/features/index.js";
import { parseMt5BarsCsv } from "../../../../core/market/csv.js";
import { DEFAULT_LABEL_DEFINITION, labelBars } from "../../../../core/ml/index.js";
import { featureSpecSha256 } from "../../../../training/features-csv.js";
import { buildDataset, readDatasetBytes, sha256Hex } from "../../../../training/pipeline/dataset.js";
import { DEMO_UTC_OFFSET_MINUTES } from "../../../support/node/demo-data.js";
import { demoCsvHead } from "./pipeline-data.js";

describe("readDatasetBytes / buildDataset", () => {
  const text = demoCsvHead(3_000);
  const bytes = Buffer.from(text, "utf8");
  const dataset = readDatasetBytes(bytes, { symbol: "XAUUSD", offsetMinutes: DEMO_UTC_OFFSET_MINUTES });
  const bars = parseMt5BarsCsv(text, DEMO_UTC_OFFSET_MINUTES).map(featureBarFromSource);
  const rows = buildFeatures(bars);
  const labels = labelBars(bars, DEFAULT_LABEL_DEFINITION, { pointSize: 0.01, timeframe: "M1" });

  it("keeps exactly the bars with ready features and a label, in order", () => {
    const expected = rows.flatMap((row, index) => (row.ready && labels[index]?.label !== undefined ? [index] : []));
    expect(Array.from(dataset.barIndex)).toEqual(expected);
    expect(dataset.nRows).toBe(expected.length);
    const { summary } = dataset;
    const excluded = summary.excluded.NO_FORWARD_BAR + summary.excluded.GAP + summary.excluded.IN_NO_TRADE_BAND;
    expect(summary.bars).toBe(3_000);
    expect(summary.warmUpBars + excluded + dataset.nRows).toBe(3_000);
    expect(summary.excluded.NO_FORWARD_BAR).toBe(DEFAULT_LABEL_DEFINITION.horizonBars);
    expect(summary.byClass[0]! + summary.byClass[1]!).toBe(dataset.nRows);
  });

  it("aligns each row's features, label and time on its bar", () => {
    expect(dataset.nCols).toBe(XAU_M1_CORE_SPEC.features.length);
    expect(dataset.features.length).toBe(dataset.nRows * dataset.nCols);
    for (let row = 0; row < dataset.nRows; row += 1) {
      const bar = dataset.barIndex[row] ?? -1;
      const features = rows[bar]?.features;
      expect(features).toBeDefined();
      expect(Array.from(dataset.features.subarray(row * dataset.nCols, (row + 1) * dataset.nCols))).toEqual(
        Array.from(features ?? []),
      );
      expect(dataset.labels[row]).toBe(labels[bar]?.label);
      expect(dataset.timestampsMs[row]).toBe(bars[bar]?.tsMs);
    }
  });

  it("hashes the input bytes as given, and the spec's canonical JSON", () => {
    expect(dataset.dataSha256).toBe(sha256Hex(bytes));
    expect(dataset.sourceUtcOffsetMinutes).toBe(DEMO_UTC_OFFSET_MINUTES);
    expect(dataset.featureSpecSha256).toBe(featureSpecSha256(XAU_M1_CORE_SPEC));
    const gzip = gzipSync(bytes);
    const fromGzip = readDatasetBytes(gzip, { symbol: "XAUUSD", offsetMinutes: DEMO_UTC_OFFSET_MINUTES });
    expect(fromGzip.dataSha256).toBe(sha256Hex(gzip));
    expect(fromGzip.features).toEqual(dataset.features);
    expect(fromGzip.labels).toEqual(dataset.labels);
  });

  it("refuses three-class labels, a bad symbol and a file that is not an MT5 export", () => {
    const dataSha256 = sha256Hex("x");
    const label = { ...DEFAULT_LABEL_DEFINITION, classes: "three-class" } as const;
    expect(() => buildDataset(bars, { symbol: "XAUUSD", dataSha256, label })).toThrow(/binary/);
    expect(() => buildDataset(bars, { symbol: "xauusd", dataSha256 })).toThrow(/symbol/);
    expect(() => readDatasetBytes(Buffer.from("a,b\n1,2\n"), { symbol: "XAUUSD", offsetMinutes: 0 })).toThrow(/MT5/);
  });
});
