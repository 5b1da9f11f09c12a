/** Seeded synthetic classification sets for the model tests: XOR, Gaussian blobs, missingness, a noisy target. */
import type { FeatureMatrix } from "../../../../training/models/feature-matrix.js";
import { mulberry32, type RandomSource } from "../../../../training/models/random.js";

/** Features and class labels of a synthetic set. */
export interface Dataset {
  readonly features: FeatureMatrix;
  readonly labels: Int32Array;
}

/** A standard normal draw (Box–Muller). */
export function gaussian(random: RandomSource): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function dataset(nRows: number, nCols: number, fill: (row: Float64Array) => number): Dataset {
  const values = new Float64Array(nRows * nCols);
  const labels = new Int32Array(nRows);
  for (let row = 0; row < nRows; row += 1) {
    const features = values.subarray(row * nCols, (row + 1) * nCols);
    labels[row] = fill(features);
  }
  return { features: { values, nRows, nCols }, labels };
}

/** Two uniform features in [−1, 1]; the label is 1 when their signs differ (no linear model beats a coin). */
export function xorData(nRows: number, seed: number): Dataset {
  const random = mulberry32(seed);
  return dataset(nRows, 2, (row) => {
    row[0] = 2 * random() - 1;
    row[1] = 2 * random() - 1;
    return (row[0] > 0) !== (row[1] > 0) ? 1 : 0;
  });
}

/** Three Gaussian blobs (σ = 1) around (0, 0), (4, 0) and (0, 4), plus one noise feature; the label is the blob. */
export function blobData(nRows: number, seed: number): Dataset {
  const random = mulberry32(seed);
  const centres = [
    [0, 0],
    [4, 0],
    [0, 4],
  ] as const;
  return dataset(nRows, 3, (row) => {
    const label = Math.floor(random() * 3);
    const centre = centres[label] ?? centres[0];
    row[0] = centre[0] + gaussian(random);
    row[1] = centre[1] + gaussian(random);
    row[2] = gaussian(random);
    return label;
  });
}

/**
 * Feature 0 is uniform in [−1, 1] and the label is 1 when it is positive; a share `missingShare` of rows have
 * feature 0 missing and the label `missingLabel`. Feature 1 is noise.
 */
export function missingDirectionData(nRows: number, seed: number, missingShare: number, missingLabel: number): Dataset {
  const random = mulberry32(seed);
  return dataset(nRows, 2, (row) => {
    row[1] = random();
    if (random() < missingShare) {
      row[0] = Number.NaN;
      return missingLabel;
    }
    row[0] = 2 * random() - 1;
    return row[0] > 0 ? 1 : 0;
  });
}

/** Feature 0 is missing in 30 % of rows; missing rows are class 1 with probability 0.9, present rows 0.1. */
export function missingnessData(nRows: number, seed: number): Dataset {
  const random = mulberry32(seed);
  return dataset(nRows, 2, (row) => {
    const missing = random() < 0.3;
    row[0] = missing ? Number.NaN : random();
    row[1] = random();
    return random() < (missing ? 0.9 : 0.1) ? 1 : 0;
  });
}

/**
 * `nCols` features, some missing (about 5 %), with a label drawn from a non-linear function of the first three:
 * a realistic, learnable but noisy binary or three-class target.
 */
export function noisyData(nRows: number, nCols: number, seed: number, nClasses = 2): Dataset {
  const random = mulberry32(seed);
  return dataset(nRows, nCols, (row) => {
    for (let col = 0; col < nCols; col += 1) row[col] = random() < 0.05 ? Number.NaN : gaussian(random);
    const [x0, x1, x2] = [row[0] || 0, row[1] || 0, row[2] || 0];
    const signal = 1.2 * x0 * x1 + Math.sin(2 * x2) + (Number.isNaN(row[1] ?? 0) ? 0.8 : 0);
    const noisy = signal + gaussian(random);
    if (nClasses === 2) return noisy > 0 ? 1 : 0;
    return noisy < -0.5 ? 0 : noisy < 0.5 ? 1 : 2;
  });
}

/** Share of rows whose most probable class is the label (binary: P(1) > 0.5). */
export function accuracy(probabilities: Float64Array, labels: Int32Array, nClasses: number): number {
  let correct = 0;
  labels.forEach((label, row) => {
    let predicted = 0;
    if (nClasses === 2) {
      predicted = (probabilities[row] ?? 0) > 0.5 ? 1 : 0;
    } else {
      for (let k = 1; k < nClasses; k += 1) {
        if ((probabilities[row * nClasses + k] ?? 0) > (probabilities[row * nClasses + predicted] ?? 0)) predicted = k;
      }
    }
    if (predicted === label) correct += 1;
  });
  return correct / labels.length;
}
