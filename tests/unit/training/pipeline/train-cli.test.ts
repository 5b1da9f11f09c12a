/** The training CLI end to end on the first 6,000 demo bars with 2 trials: files, report, manifest, model. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryMetrics } from "../../../../core/ml/index.js";
import type { ModelFile } from "../../../../training/pipeline/artifacts.js";
import { readDatasetBytes } from "../../../../training/pipeline/dataset.js";
import { rowSlice } from "../../../../training/pipeline/fitters.js";
import { completeManifest, type ManifestDraft } from "../../../../training/pipeline/manifest.js";
import type { TrainingReport } from "../../../../training/pipeline/report.js";
import { predictFinal } from "../../../../training/pipeline/train.js";
import * as ort from "onnxruntime-node";
import { readModelOutline } from "../../../../training/onnx/proto.js";
import { ModelManifestSchema } from "../../../../core/ml/index.js";
import { demoCsvHead } from "./pipeline-data.js";
import { runCli, type CliRun } from "../../../support/node/run-cli.js";

const CLI = "training/train-cli.ts";

describe("npx tsx training/train-cli.ts", () => {
  const directory = mkdtempSync(join(tmpdir(), "aurum-train-"));
  const dataPath = join(directory, "bars.csv.gz");
  const outDir = join(directory, "out");
  const bytes = gzipSync(Buffer.from(demoCsvHead(6_000), "utf8"));
  const common = ["--data", dataPath, "--symbol", "XAUUSD", "--timeframe", "M1", "--horizon", "15", "--tz", "+03:00"];
  let runs: { ok: CliRun; noSymbol: CliRun; wrongTimeframe: CliRun; badModel: CliRun };

  beforeAll(async () => {
    writeFileSync(dataPath, bytes);
    const [ok, noSymbol, wrongTimeframe, badModel] = await Promise.all([
      runCli(CLI, [...common, "--model", "ensemble", "--trials", "2", "--seed", "3", "--out", outDir]),
      runCli(CLI, ["--data", dataPath, "--timeframe", "M1"]),
      runCli(CLI, [...common.slice(0, 4), "--timeframe", "M5"]),
      runCli(CLI, [...common, "--model", "forest"]),
    ]);
    runs = { ok, noSymbol, wrongTimeframe, badModel };
  });

  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("exits 0, shows progress on stderr and prints the text report ending with the verdict", () => {
    expect(runs.ok.status, runs.ok.stderr).toBe(0);
    expect(runs.ok.stderr).toMatch(/train \[#+/);
    expect(runs.ok.stdout).toContain("XAUUSD M1 ensemble");
    expect(runs.ok.stdout).toContain("HELD-OUT");
    expect(runs.ok.stdout).toMatch(/\nVERDICT: ensemble (beats|does NOT beat) the prior out of sample/);
    expect(readFileSync(join(outDir, "report.txt"), "utf8")).toBe(runs.ok.stdout);
  });

  it("writes a report, a manifest draft that completes into a valid manifest, and the model", () => {
    for (const file of ["report.json", "report.txt", "model.json", "model.onnx", "manifest.json", "manifest-draft.json"]) {
      expect(existsSync(join(outDir, file))).toBe(true);
    }
    const report = JSON.parse(readFileSync(join(outDir, "report.json"), "utf8")) as TrainingReport;
    const draft = JSON.parse(readFileSync(join(outDir, "manifest-draft.json"), "utf8")) as ManifestDraft;
    const manifest = completeManifest(draft, { version: "smoke.1" });
    expect(manifest.modelKind).toBe("ensemble");
    expect(manifest.metrics.heldOut.logLoss).toBe(report.heldOut.model.logLoss);
    expect(manifest.metrics.heldOut.prior).toEqual(report.heldOut.prior);
    expect(report.search.trials).toBe(2);
    expect(report.search.gbdt?.trials).toHaveLength(2);
    expect(report.search.logistic?.trials).toHaveLength(2);
  });

  it("saves a model that reproduces the held-out scores from the same bytes", () => {
    const file = JSON.parse(readFileSync(join(outDir, "model.json"), "utf8")) as ModelFile;
    const report = JSON.parse(readFileSync(join(outDir, "report.json"), "utf8")) as TrainingReport;
    const dataset = readDatasetBytes(bytes, { symbol: "XAUUSD", offsetMinutes: 180 });
    expect(dataset.dataSha256).toBe(report.dataSha256);
    expect(file.featureNames).toEqual(dataset.featureNames);
    const { range } = report.heldOut;
    const p = predictFinal(file.model, rowSlice(dataset, range).features);
    const labels = Array.from(dataset.labels.subarray(range.from, range.to));
    expect(binaryMetrics(labels, Array.from(p))).toEqual(report.heldOut.model);
  });

  it("exports model.onnx, which onnxruntime runs to the same held-out probabilities, with its manifest", async () => {
    const file = JSON.parse(readFileSync(join(outDir, "model.json"), "utf8")) as ModelFile;
    const report = JSON.parse(readFileSync(join(outDir, "report.json"), "utf8")) as TrainingReport;
    const manifest = ModelManifestSchema.parse(JSON.parse(readFileSync(join(outDir, "manifest.json"), "utf8")));
    const dataset = readDatasetBytes(bytes, { symbol: "XAUUSD", offsetMinutes: 180 });
    const { range } = report.heldOut;
    const rows = rowSlice(dataset, range).features;
    const expected = predictFinal(file.model, rows);
    const session = await ort.InferenceSession.create(readFileSync(join(outDir, "model.onnx")));
    const input = new ort.Tensor("float32", Float32Array.from(rows.values), [rows.nRows, rows.nCols]);
    const output = await session.run({ features: input });
    const probabilities = output["probabilities"]?.data as Float32Array;
    let maxDelta = 0;
    for (let i = 0; i < rows.nRows; i++) maxDelta = Math.max(maxDelta, Math.abs((probabilities[i * 2 + 1] ?? Number.NaN) - (expected[i] ?? Number.NaN)));
    // Float32 inputs and float32 arithmetic in the runtime against the trainer's float64.
    expect(maxDelta).toBeLessThan(1e-5);
    const { metadata } = readModelOutline(new Uint8Array(readFileSync(join(outDir, "model.onnx"))));
    expect(metadata).toMatchObject({ model_version: manifest.version, feature_spec_sha256: manifest.featureSpec.sha256 });
    expect(manifest.version).toMatch(/^XAUUSD-M1-\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(manifest.featureSpec.sha256).toBe(dataset.featureSpecSha256);
    expect(manifest.inputWidth).toBe(rows.nCols);
  });

  it("exits 2 with the usage on a bad command line", () => {
    for (const run of [runs.noSymbol, runs.wrongTimeframe, runs.badModel]) {
      expect(run.status).toBe(2);
      expect(run.stderr).toContain("usage: npx tsx training/train-cli.ts");
    }
    expect(runs.wrongTimeframe.stderr).toContain("--timeframe must be M1");
    expect(runs.badModel.stderr).toContain("--model must be one of gbdt, logistic, ensemble");
  });
});
