/** Shared handling of model settings: defaults under given values, range checks, the class count of an objective. */

/** What a classifier predicts: class 1 against class 0, or one of three or more classes. */
export type ClassObjective = "binary" | "multiclass";

/** One setting check: the setting's name, its value, whether the value is valid, and the valid values in words. */
export type SettingCheck = readonly [name: string, value: unknown, valid: boolean, expected: string];

/**
 * `defaults` with every given setting that is not `undefined` on top.
 * @example
 * const settings = withDefaults(GBDT_DEFAULTS, { maxDepth: 4, seed: undefined }); // seed stays the default
 */
export function withDefaults<T extends object>(defaults: T, given: Partial<T>): T {
  const defined = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  return { ...defaults, ...defined };
}

/**
 * Throws a RangeError naming the first failed check.
 * @example
 * requireSettings("fitGbdt", [["maxDepth", depth, Number.isInteger(depth) && depth >= 0, "an integer >= 0"]]);
 */
export function requireSettings(caller: string, checks: readonly SettingCheck[]): void {
  for (const [name, value, valid, expected] of checks) {
    if (!valid) throw new RangeError(`${caller}: ${name} must be ${expected}, got ${String(value)}`);
  }
}

/**
 * Classes of a classifier: 2 for binary; for multiclass `nClasses`, by default the largest label + 1, at least 3
 * (two classes are the binary objective, so that a layout of one margin per row always means binary).
 * @example
 * classCount("fitGbdt", "multiclass", undefined, [0, 2, 1]); // 3
 */
export function classCount(
  caller: string,
  objective: ClassObjective,
  nClasses: number | undefined,
  labels: ArrayLike<number>,
): number {
  if (objective !== "binary" && objective !== "multiclass") {
    throw new RangeError(`${caller}: objective must be "binary" or "multiclass", got ${String(objective)}`);
  }
  if (objective === "binary") {
    if (nClasses !== undefined && nClasses !== 2) {
      throw new RangeError(`${caller}: binary has 2 classes, not ${nClasses}`);
    }
    return 2;
  }
  let largestLabel = 0;
  for (let row = 0; row < labels.length; row += 1) largestLabel = Math.max(largestLabel, labels[row] ?? 0);
  const count = nClasses ?? largestLabel + 1;
  if (!Number.isInteger(count) || count < 3) {
    throw new RangeError(`${caller}: multiclass needs an integer nClasses of at least 3 (binary for 2), got ${count}`);
  }
  return count;
}
