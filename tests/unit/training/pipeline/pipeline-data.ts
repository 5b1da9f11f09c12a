/** Data sets for the pipeline tests: seeded synthetic rows with or without a signal, and the first demo bars. */
import { XAU_M1_CORE_SPEC } from "../../../../core/features/index.js";
import { DEFAULT_LABEL_DEFINITION } from "../../../../core/ml/index.js";
import { featureSpecSha256 } from "../../../../training/features-csv.js";
import { mulberry32 } from "../../../../training/models/random.js";
import { type TrainingDataset, readDatasetBytes, sha256Hex } from "../../../../training/pipeline/dataset.js";
import { DEMO_UTC_OFFSET_MINUTES, readDemoCsvText } from "../../../support/node/demo-data.js";

const MINUTE_MS = 60_000;
const START_MS = Date.UTC(2026, 2, 24, 18, 0);

/** A standard normal draw (Box–Muller). */
function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** How a synthetic set is made. */
export interface SyntheticOptions {
  readonly nRows: number;
  readonly seed: number;
  /**
   * Weight of features 0 and 1 in the label's log-odds: label 1 when `signal × (x0 − 0.5 x1) + ε > 0`, ε standard
   * logistic noise. 0 is pure noise.
   */
  readonly signal: number;
  /** Optional P(up) per row, overriding the signal (for drifting class shares). */
  readonly upShare?: (row: number) => number;
}

/**
 * `nRows` rows of the 29-column XAU spec, standard normal features, labels from {@link SyntheticOptions}; bars are
 * a minute apart except every 50th row, which follows a 20-minute hole (as rows dropped for gaps would).
 */
export function syntheticDataset(options: SyntheticOptions): TrainingDataset {
  const { nRows, seed, signal } = options;
  const spec = XAU_M1_CORE_SPEC;
  const nCols = spec.features.length;
  const random = mulberry32(seed);
  const features = new Float64Array(nRows * nCols);
  const labels = new Int32Array(nRows);
  const timestampsMs = new Float64Array(nRows);
  const barIndex = new Int32Array(nRows);
  let bar = 0;
  for (let row = 0; row < nRows; row += 1) {
    for (let col = 0; col < nCols; col += 1) features[row * nCols + col] = gaussian(random);
    const u = Math.min(1 - 1e-12, Math.max(1e-12, random()));
    const logistic = Math.log(u / (1 - u));
    const x0 = features[row * nCols] ?? 0;
    const x1 = features[row * nCols + 1] ?? 0;
    const share = options.upShare?.(row);
    labels[row] = share === undefined ? (signal * (x0 - 0.5 * x1) + logistic > 0 ? 1 : 0) : random() < share ? 1 : 0;
    bar += row > 0 && row % 50 === 0 ? 20 : 1;
    barIndex[row] = bar;
    timestampsMs[row] = START_MS + bar * MINUTE_MS;
  }
  const up = labels.reduce((sum, label) => sum + label, 0);
  return {
    symbol: "XAUUSD",
    spec,
    featureNames: [...spec.features],
    label: { ...DEFAULT_LABEL_DEFINITION },
    timeframe: "M1",
    nRows,
    nCols,
    features,
    labels,
    timestampsMs,
    barIndex,
    dataSha256: sha256Hex(`synthetic ${nRows} ${seed} ${signal}`),
    featureSpecSha256: featureSpecSha256(spec),
    sourceUtcOffsetMinutes: null,
    summary: {
      bars: bar + 1,
      warmUpBars: 0,
      excluded: { NO_FORWARD_BAR: 0, GAP: 0, IN_NO_TRADE_BAND: 0 },
      byClass: [nRows - up, up],
    },
  };
}

/** The header and first `bars` bars of the demo export, as CSV text. */
export function demoCsvHead(bars: number): string {
  return `${readDemoCsvText().split("\n").slice(0, bars + 1).join("\n")}\n`;
}

/** The data set of the first `bars` demo bars (UTC+3 server times). */
export function demoDataset(bars: number): TrainingDataset {
  return readDatasetBytes(Buffer.from(demoCsvHead(bars), "utf8"), {
    symbol: "XAUUSD",
    offsetMinutes: DEMO_UTC_OFFSET_MINUTES,
  });
}
