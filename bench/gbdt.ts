/**
 * Training benchmark: one GBDT fit (200 trees, depth 6) on the real feature matrix of the shipped XAUUSD data
 * (29 features × every labelled bar), beside a trivial baseline measured in the same run: one pass over the same
 * matrix summing every column.
 */
import { featureBarFromSource, buildFeatures } from "../core/features/feature-builder.js";
import { XAU_M1_CORE_SPEC } from "../core/features/feature-spec.js";
import { DEFAULT_LABEL_DEFINITION, labelBars } from "../core/ml/labels.js";
import { demoBars } from "../tests/support/node/demo-data.js";
import { fitGbdt } from "../training/models/gbdt.js";

const TREES = 200;
const DEPTH = 6;

/** Feature rows of ready bars with a defined label, row-major. */
function featureMatrix(): { values: Float64Array; labels: Int32Array; nCols: number } {
  const bars = demoBars();
  const rows = buildFeatures(bars.map(featureBarFromSource), XAU_M1_CORE_SPEC);
  const labels = labelBars(
    bars.map((b) => ({ tsMs: b.tsMs, close: b.close, spreadAvgPoints: b.spreadPoints })),
    DEFAULT_LABEL_DEFINITION,
    { pointSize: 0.01, timeframe: "M1" },
  );
  const nCols = XAU_M1_CORE_SPEC.features.length;
  const kept: number[] = [];
  rows.forEach((row, i) => {
    if (row.ready && labels[i]?.label !== undefined) kept.push(i);
  });
  const values = new Float64Array(kept.length * nCols);
  const y = new Int32Array(kept.length);
  kept.forEach((index, r) => {
    const row = rows[index];
    if (row?.ready) values.set(row.features, r * nCols);
    y[r] = labels[index]?.label ?? 0;
  });
  return { values, labels: y, nCols };
}

export function benchGbdt(): string[] {
  const { values, labels, nCols } = featureMatrix();
  const nRows = labels.length;

  const baselineStartMs = performance.now();
  const sums = new Float64Array(nCols);
  for (let pass = 0; pass < 10; pass++) for (let i = 0; i < values.length; i++) sums[i % nCols] = (sums[i % nCols] ?? 0) + (values[i] ?? 0);
  const passMs = (performance.now() - baselineStartMs) / 10;

  const fitStartMs = performance.now();
  const model = fitGbdt({ features: { values, nRows, nCols }, labels }, { nRounds: TREES, maxDepth: DEPTH, seed: 1 });
  const fitMs = performance.now() - fitStartMs;

  return [
    `GBDT fit — ${nRows.toLocaleString("en-US")} labelled bars × ${nCols} features (the shipped XAUUSD data), ${TREES} trees, depth ${DEPTH}, one thread`,
    `  baseline: one pass summing the matrix        ${passMs.toFixed(2).padStart(9)} ms`,
    `  fit                                          ${(fitMs / 1000).toFixed(2).padStart(9)} s   = ${Math.round(fitMs / passMs).toLocaleString("en-US")} x the pass; ${model.trees.length} trees`,
  ];
}
