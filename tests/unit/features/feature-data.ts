/** Shared inputs and comparisons for the feature tests: the demo bars as feature bars, bit-exact row equality. */
import {
  featureBarFromSource,
  type FeatureBar,
  type FeatureRow,
  RAW_INDICATOR_KEYS,
} from "../../../core/features/index.js";
import { demoBars } from "../../support/node/demo-data.js";

let cached: FeatureBar[] | undefined;

/** The 63,230 demo bars (XAUUSD M1, times in UTC) as feature bars, oldest first. */
export function demoFeatureBars(): FeatureBar[] {
  cached ??= demoBars().map(featureBarFromSource);
  return cached;
}

/** Every number of a row (raw values, then features) with `undefined` kept, for bit-exact comparisons. */
function rowNumbers(row: FeatureRow): (number | undefined)[] {
  return [row.tsMs, ...RAW_INDICATOR_KEYS.map((key) => row.raw[key]), ...(row.features ?? [])];
}

/**
 * Indices (and a description of the first few) where two row lists differ: another length, readiness, or any number
 * that is not `Object.is`-identical (so -0 and 0 count as different, NaN as equal to itself).
 */
export function rowDifferences(actual: readonly FeatureRow[], expected: readonly FeatureRow[]): string[] {
  const differences: string[] = [];
  if (actual.length !== expected.length) differences.push(`length ${actual.length} vs ${expected.length}`);
  const count = Math.min(actual.length, expected.length);
  for (let index = 0; index < count; index += 1) {
    const a = actual[index];
    const b = expected[index];
    if (a === undefined || b === undefined) continue;
    const left = rowNumbers(a);
    const right = rowNumbers(b);
    const same =
      a.ready === b.ready && left.length === right.length && left.every((value, at) => Object.is(value, right[at]));
    if (!same) differences.push(`#${index} (${new Date(a.tsMs).toISOString()})`);
  }
  return differences;
}
