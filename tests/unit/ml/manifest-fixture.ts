/** A valid binary XAUUSD M1 manifest whose row ranges come from walkForwardSplits, for the manifest and promotion tests. */
import { DEFAULT_LABEL_DEFINITION, type ModelManifest, walkForwardSplits } from "../../../core/ml/index.js";

export const SPEC_SHA256 = "05f605399d07cb10f0f7562b94a19ec288ca387bdd3c49e9d538f6daa828390b";
export const DATA_SHA256 = "9f2c1e0d8b7a69584736251403f2e1d0c9b8a79685746352413f2e1d0c9b8a79";

/** 20,000 rows: three folds of 2,000, 15-row purges, a 3,000-row held-out tail. */
export const SPLITS = walkForwardSplits({
  nRows: 20_000,
  nFolds: 3,
  minTrainRows: 5_000,
  validationRows: 2_000,
  purgeRows: 15,
  horizonBars: 15,
  heldOutFraction: 0.15,
});

/** A fresh copy of the fixture: version "v2", child of champion "v1", better than both the prior and "v1". */
export function manifestFixture(change: (manifest: ModelManifest) => void = () => undefined): ModelManifest {
  const manifest: ModelManifest = {
    symbol: "XAUUSD",
    timeframe: "M1",
    modelKind: "gbdt",
    version: "v2",
    featureSpec: { name: "xau-m1-core", version: 1, sha256: SPEC_SHA256 },
    label: { ...DEFAULT_LABEL_DEFINITION },
    inputWidth: 29,
    classLabels: ["down", "up"],
    trainingWindow: { fromMs: Date.UTC(2026, 0, 5, 0, 0), toMs: Date.UTC(2026, 1, 20, 12, 0), rows: 16_500 },
    dataSha256: DATA_SHA256,
    hyperParameters: { learningRate: 0.05, numLeaves: 31, objective: "binary", features: { drop: ["dow_sin"] } },
    metrics: {
      folds: SPLITS.folds.map((fold) => ({
        fold: fold.fold,
        train: fold.train,
        validation: fold.validation,
        rows: 1_900,
        logLoss: 0.689,
        auc: 0.54,
        brier: 0.248,
        accuracy: 0.53,
        prior: { logLoss: 0.6925, auc: 0.5, brier: 0.2497, accuracy: 0.51 },
      })),
      heldOut: {
        range: SPLITS.heldOut,
        rows: 2_800,
        logLoss: 0.68,
        auc: 0.55,
        brier: 0.246,
        accuracy: 0.54,
        prior: { logLoss: 0.6931, auc: 0.5, brier: 0.25, accuracy: 0.5 },
        champion: { version: "v1", logLoss: 0.685, auc: 0.53, brier: 0.247, accuracy: 0.52 },
      },
    },
    parentVersion: "v1",
    createdAtMs: Date.UTC(2026, 1, 21, 3, 0),
    trainerVersion: "aurum-trainer 0.3.1",
  };
  change(manifest);
  return manifest;
}

/** The champion "v1" the fixture was compared with. */
export function championFixture(change: (manifest: ModelManifest) => void = () => undefined): ModelManifest {
  return manifestFixture((manifest) => {
    manifest.version = "v1";
    manifest.parentVersion = null;
    manifest.metrics.heldOut.champion = null;
    change(manifest);
  });
}
