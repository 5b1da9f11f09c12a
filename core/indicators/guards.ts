/** Argument and snapshot checks shared by the indicators; every failure is a RangeError naming the indicator. */
import type { HlcBar } from "./indicator.js";

/** Largest period TA-Lib accepts, kept here so the parameter ranges match TA-Lib's. */
export const MAX_PERIOD = 100_000;

/**
 * Returns `value` when it is an integer period in `[min, MAX_PERIOD]`, and throws a RangeError otherwise.
 * @example
 * const period = requirePeriod("SimpleMovingAverage", "period", options.period ?? 20, 1);
 */
export function requirePeriod(indicator: string, name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min || value > MAX_PERIOD) {
    throw new RangeError(`${indicator}: ${name} must be an integer in [${min}, ${MAX_PERIOD}], got ${value}`);
  }
  return value;
}

/**
 * Throws a RangeError unless `value` is finite: one NaN would otherwise poison every later value.
 * @example
 * requireFiniteInput("SimpleMovingAverage", close);
 */
export function requireFiniteInput(indicator: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${indicator}: input must be a finite number, got ${value}`);
}

/**
 * Throws a RangeError unless the bar's high, low and close are all finite.
 * @example
 * requireFiniteBar("AverageTrueRange", bar);
 */
export function requireFiniteBar(indicator: string, bar: HlcBar): void {
  if (!Number.isFinite(bar.high) || !Number.isFinite(bar.low) || !Number.isFinite(bar.close)) {
    throw new RangeError(
      `${indicator}: bar high/low/close must be finite numbers, got ${bar.high}/${bar.low}/${bar.close}`,
    );
  }
}

/**
 * Throws a RangeError that says why a snapshot cannot be restored when `condition` is false.
 * @example
 * requireSnapshot(state.kind === "sma", "SimpleMovingAverage", `kind is ${state.kind}`);
 */
export function requireSnapshot(condition: boolean, indicator: string, problem: string): asserts condition {
  if (!condition) throw new RangeError(`${indicator}: cannot restore snapshot: ${problem}`);
}

/**
 * True when `value` is an integer counter in `[0, max]`, the shape every snapshot counter must have.
 * @example
 * requireSnapshot(isCount(state.seedCount, period), "ExponentialMovingAverage", "bad seedCount");
 */
export function isCount(value: unknown, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max;
}

/**
 * True for a finite number, or for `null` when `nullable` (a value not computed yet).
 * @example
 * requireSnapshot(isStoredNumber(state.current, true), "SimpleMovingAverage", "bad current value");
 */
export function isStoredNumber(value: unknown, nullable = false): value is number | null {
  return (nullable && value === null) || (typeof value === "number" && Number.isFinite(value));
}
