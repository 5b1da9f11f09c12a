/** Checks shared by the strategy layer's `restore` methods: persisted state is untrusted input, refused whole or taken whole. */

/**
 * Throws a RangeError that names the owner and says why its snapshot cannot be restored when `condition` is false.
 * @example
 * requireState(state.kind === "ema-cross", "EmaCrossStrategy", `kind is ${String(state.kind)}`);
 */
export function requireState(condition: boolean, owner: string, problem: string): asserts condition {
  if (!condition) throw new RangeError(`${owner}: cannot restore snapshot: ${problem}`);
}

/**
 * Narrows a snapshot read back from storage to a plain object with a `kind` equal to `kind`, or throws a RangeError.
 * @example
 * const state = requireStateObject(stored, "regime", "RegimeDetector");
 */
export function requireStateObject(value: unknown, kind: string, owner: string): Readonly<Record<string, unknown>> {
  requireState(typeof value === "object" && value !== null && !Array.isArray(value), owner, "not an object");
  const state = value as Readonly<Record<string, unknown>>;
  requireState(state.kind === kind, owner, `expected kind '${kind}', got '${String(state.kind)}'`);
  return state;
}

/**
 * Narrows a nested indicator snapshot to an object (the indicator's own `restore` checks its fields), or throws.
 * @example
 * const atrState = requireNestedObject(state.atr, "atr", "RegimeDetector") as AverageTrueRangeState;
 */
export function requireNestedObject(value: unknown, field: string, owner: string): object {
  requireState(typeof value === "object" && value !== null && !Array.isArray(value), owner, `${field} is not an object`);
  return value;
}

/**
 * True for a finite number, or for `null` when `nullable`.
 * @example
 * requireState(isFiniteOrNull(state.previousFast), "EmaCrossStrategy", "bad previousFast");
 */
export function isFiniteOrNull(value: unknown, nullable = true): value is number | null {
  return (nullable && value === null) || (typeof value === "number" && Number.isFinite(value));
}
