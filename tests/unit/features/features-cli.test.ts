/** The features CLI end to end on the first 5,000 lines of the demo export, checked cell by cell against the batch. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildFeatures,
  featureBarFromSource,
  type FeatureRow,
  RAW_INDICATOR_KEYS,
  XAU_M1_CORE_SPEC,
} from "../../../core/features/index.js";
import { parseMt5BarsCsv } from "../../../core/market/csv.js";
import { featureCsvHeader, readMt5BarsFile } from "../../../training/features-csv.js";
import { DEMO_UTC_OFFSET_MINUTES, readDemoCsvText } from "../../support/node/demo-data.js";
import { runCli, type CliRun } from "../../support/node/run-cli.js";

const CLI = "training/features-cli.ts";

/** What a cell must read for a value: empty when undefined, else text that parses back to the same double. */
function cellMatches(text: string | undefined, value: number | undefined): boolean {
  if (value === undefined) return text === "";
  return text !== undefined && text !== "" && Number(text) === value;
}

describe("npm run features (training/features-cli.ts)", () => {
  const directory = mkdtempSync(join(tmpdir(), "aurum-features-"));
  const text = `${readDemoCsvText().split("\n").slice(0, 5_000).join("\n")}\n`;
  const gzipPath = join(directory, "bars.csv.gz");
  const plainPath = join(directory, "bars.csv");
  const outPath = join(directory, "features.csv");
  const rows: FeatureRow[] = buildFeatures(parseMt5BarsCsv(text, DEMO_UTC_OFFSET_MINUTES).map(featureBarFromSource));
  let runs: { ok: CliRun; missingOut: CliRun };

  beforeAll(async () => {
    writeFileSync(gzipPath, gzipSync(text));
    writeFileSync(plainPath, text);
    const [ok, missingOut] = await Promise.all([
      runCli(CLI, ["--data", gzipPath, "--tz", "+03:00", "--out", outPath]),
      runCli(CLI, ["--data", gzipPath, "--tz", "+03:00"]),
    ]);
    runs = { ok, missingOut };
  });

  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("exits 0 with a one-line summary on stderr: rows, warm-up rows, spec id", () => {
    expect(rows).toHaveLength(4_999);
    expect(runs.ok.status).toBe(0);
    expect(runs.ok.stdout).toBe("");
    const lines = runs.ok.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^features: 4999 rows, 253 warm-up rows .*spec xau-m1-core@1 sha256 [0-9a-f]{64}/);
  });

  it("writes time, the 16 raw columns and the model features, each cell as the batch function gives it", () => {
    const lines = readFileSync(outPath, "utf8").trimEnd().split("\n");
    const header = lines[0]?.split(",");
    expect(header).toEqual(featureCsvHeader(XAU_M1_CORE_SPEC));
    expect(header?.slice(0, 18)).toEqual([
      "time",
      "sma_20",
      "ema_20",
      "rsi_14",
      "macd_12_26_9",
      "macd_signal_12_26_9",
      "macd_hist_12_26_9",
      "atr_14",
      "natr_14",
      "bb_upper_20_2",
      "bb_middle_20_2",
      "bb_lower_20_2",
      "stoch_k_14_3_3",
      "stoch_d_14_3_3",
      "adx_14",
      "cci_20",
      "willr_14",
      "dist_sma20_atr",
    ]);
    expect(lines).toHaveLength(rows.length + 1);
    const mismatches: string[] = [];
    rows.forEach((row, index) => {
      const cells = lines[index + 1]?.split(",") ?? [];
      const features = XAU_M1_CORE_SPEC.features.map((_, at) => row.features?.[at]);
      const expected = [...RAW_INDICATOR_KEYS.map((key) => row.raw[key]), ...features];
      const timeOk = cells[0] === new Date(row.tsMs).toISOString();
      const valuesOk =
        cells.length === expected.length + 1 && expected.every((value, at) => cellMatches(cells[at + 1], value));
      if (!timeOk || !valuesOk) mismatches.push(`line ${index + 2}`);
    });
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it("puts the bars in UTC and leaves the warm-up empty", () => {
    const lines = readFileSync(outPath, "utf8").split("\n");
    const cells = (line: number) => lines[line]?.split(",") ?? [];
    expect(cells(1)[0]).toBe("2026-03-24T14:00:00.000Z");
    expect(cells(1).slice(1).every((cell) => cell === "")).toBe(true);
    expect(cells(19)[1]).toBe("");
    expect(Number(cells(20)[1])).toBe(rows[19]?.raw.sma);
    const featureStart = 1 + RAW_INDICATOR_KEYS.length;
    expect(cells(253).slice(featureStart).every((cell) => cell === "")).toBe(true);
    expect(cells(254).slice(featureStart).every((cell) => cell !== "" && Number.isFinite(Number(cell)))).toBe(true);
  });

  it("reads a plain file as it reads the gzip one", () => {
    const plain = readMt5BarsFile(plainPath, DEMO_UTC_OFFSET_MINUTES);
    expect(plain).toEqual(readMt5BarsFile(gzipPath, DEMO_UTC_OFFSET_MINUTES));
    expect(plain).toHaveLength(4_999);
  });

  it("exits 2 with the message and the usage on a usage error", () => {
    expect(runs.missingOut.status).toBe(2);
    expect(runs.missingOut.stderr).toMatch(/^error: --data and --out are required\n\nusage: npm run features /);
  });
});
