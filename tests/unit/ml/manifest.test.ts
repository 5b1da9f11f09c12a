/** The model manifest: strict at every level, and refusing manifests whose folds, held-out tail or classes do not add up. */
import { describe, expect, it } from "vitest";
import {
  binaryMetrics,
  binaryPriorMetrics,
  type MetricSet,
  MetricSetSchema,
  type ModelManifest,
  ModelManifestSchema,
  multiclassMetrics,
} from "../../../core/ml/index.js";
import { manifestFixture } from "./manifest-fixture.js";

function issues(manifest: unknown): string[] {
  const result = ModelManifestSchema.safeParse(manifest);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

function withExtraKey(path: readonly (string | number)[]): unknown {
  const manifest = structuredClone(manifestFixture()) as unknown as Record<string | number, unknown>;
  let target = manifest;
  for (const key of path) target = target[key] as Record<string | number, unknown>;
  target.extra = 1;
  return manifest;
}

describe("ModelManifestSchema", () => {
  it("accepts the fixture, unchanged, also after a JSON round trip", () => {
    const manifest = manifestFixture();
    expect(issues(manifest)).toEqual([]);
    expect(ModelManifestSchema.parse(JSON.parse(JSON.stringify(manifest)))).toEqual(manifest);
  });

  it("accepts a first model (no parent, no champion) and a three-class model without AUCs", () => {
    const first = manifestFixture((manifest) => {
      manifest.parentVersion = null;
      manifest.metrics.heldOut.champion = null;
    });
    expect(issues(first)).toEqual([]);
    const threeClass = manifestFixture((manifest) => {
      manifest.label = { kind: "direction", horizonBars: 15, classes: "three-class", noTradeBandSpreads: 1 };
      manifest.classLabels = ["sell", "hold", "buy"];
      manifest.metrics.heldOut.auc = null;
      manifest.metrics.heldOut.prior.auc = null;
    });
    expect(issues(threeClass)).toEqual([]);
  });

  it("takes the metrics functions' output as they are", () => {
    const scores: MetricSet[] = [
      binaryMetrics([1, 0, 1, 0], [0.9, 0.2, 0.6, 0.6]),
      binaryPriorMetrics([0, 1, 1], [1, 0]),
      multiclassMetrics([2, 0], [[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]),
    ];
    for (const score of scores) expect(MetricSetSchema.parse(score)).toEqual(score);
  });

  it.each([
    [[]],
    [["featureSpec"]],
    [["label"]],
    [["trainingWindow"]],
    [["metrics"]],
    [["metrics", "folds", 0]],
    [["metrics", "folds", 1, "train"]],
    [["metrics", "folds", 2, "prior"]],
    [["metrics", "heldOut"]],
    [["metrics", "heldOut", "range"]],
    [["metrics", "heldOut", "prior"]],
    [["metrics", "heldOut", "champion"]],
  ])("refuses an unknown key at %j", (path) => {
    expect(issues(manifestFixture())).toEqual([]);
    expect(issues(withExtraKey(path)).join("\n")).toMatch(/extra/);
  });

  it.each<[string, (manifest: ModelManifest) => void, RegExp]>([
    ["an upper-case feature spec hash", (m) => void (m.featureSpec.sha256 = m.featureSpec.sha256.toUpperCase()), /featureSpec\.sha256/],
    ["a 63-digit data hash", (m) => void (m.dataSha256 = m.dataSha256.slice(1)), /dataSha256/],
    ["an unknown model kind", (m) => void ((m as { modelKind: string }).modelKind = "transformer"), /modelKind/],
    ["a lower-case symbol", (m) => void (m.symbol = "xauusd"), /symbol/],
    ["an unknown timeframe", (m) => void ((m as { timeframe: string }).timeframe = "D1"), /timeframe/],
    ["a version with a slash", (m) => void (m.version = "v2/../v1"), /version/],
    ["a missing trainer version", (m) => void (m.trainerVersion = ""), /trainerVersion/],
    ["a NaN log-loss", (m) => void (m.metrics.heldOut.logLoss = Number.NaN), /heldOut\.logLoss/],
    ["an AUC above 1", (m) => void (m.metrics.folds[0] = { ...m.metrics.folds[0]!, auc: 1.2 }), /folds\.0\.auc/],
    ["an empty row range", (m) => void (m.metrics.heldOut.range = { from: 17_000, to: 17_000 }), /heldOut\.range/],
    ["no folds", (m) => void (m.metrics.folds = []), /folds/],
    ["three class labels on a binary label", (m) => void (m.classLabels = ["sell", "hold", "buy"]), /classLabels: the label has 2/],
    ["a repeated class label", (m) => void (m.classLabels = ["up", "up"]), /classLabels: class labels repeat/],
    ["a model that is its own parent", (m) => void (m.parentVersion = m.version), /parentVersion/],
    ["a model that is its own champion", (m) => void (m.metrics.heldOut.champion!.version = m.version), /champion\.version/],
    ["a training window that ends before it starts", (m) => void (m.trainingWindow.toMs = m.trainingWindow.fromMs - 1), /trainingWindow\.toMs/],
    ["folds numbered out of order", (m) => void (m.metrics.folds[1]!.fold = 2), /folds\.1\.fold/],
    [
      "a purge shorter than the 15-bar horizon",
      (m) => void (m.metrics.folds[0]!.train = { from: 0, to: m.metrics.folds[0]!.validation.from - 14 }),
      /folds\.0\.validation: validation must start at least 15 rows/,
    ],
    [
      "training rows inside the validation window",
      (m) => void (m.metrics.folds[2]!.train = { from: 0, to: m.metrics.folds[2]!.validation.to }),
      /folds\.2\.validation/,
    ],
    [
      "overlapping validation windows",
      (m) => void (m.metrics.folds[1]!.validation = { ...m.metrics.folds[1]!.validation, from: m.metrics.folds[0]!.validation.to - 1 }),
      /folds\.1\.validation: validation windows must not overlap/,
    ],
    [
      "a held-out tail 14 rows after the last fold",
      (m) => void (m.metrics.heldOut.range = { ...m.metrics.heldOut.range, from: m.metrics.folds[2]!.validation.to + 14 }),
      /heldOut\.range: the held-out tail must start at least 15 rows/,
    ],
    ["more scored rows than a fold holds", (m) => void (m.metrics.folds[0]!.rows = 2_001), /folds\.0\.rows/],
    ["more scored rows than the held-out tail holds", (m) => void (m.metrics.heldOut.rows = 3_001), /heldOut\.rows/],
    ["a final fit on held-out rows", (m) => void (m.trainingWindow.rows = 20_000), /trainingWindow\.rows/],
    ["a binary fold without its AUC", (m) => void (m.metrics.folds[1]!.auc = null), /folds\.1\.auc/],
    ["a binary prior without its AUC", (m) => void (m.metrics.heldOut.prior.auc = null), /heldOut\.prior\.auc/],
    ["a binary champion without its AUC", (m) => void (m.metrics.heldOut.champion!.auc = null), /heldOut\.champion\.auc/],
    ["a label with an unknown key", (m) => void Object.assign(m.label, { lookAhead: true }), /label/],
  ])("refuses %s", (_name, change, message) => {
    expect(issues(manifestFixture())).toEqual([]);
    expect(issues(manifestFixture(change)).join("\n")).toMatch(message);
  });

  it("accepts the edges: a purge of exactly the horizon, a final fit up to the held-out purge", () => {
    const edges = manifestFixture((m) => {
      const fold = m.metrics.folds[0]!;
      fold.train = { from: 0, to: fold.validation.from - 15 };
      m.trainingWindow.rows = m.metrics.heldOut.range.from - 15;
      m.metrics.heldOut.rows = 3_000;
    });
    expect(issues(edges)).toEqual([]);
  });
});
