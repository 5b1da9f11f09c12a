/** TA-Lib 0.4.0's fixed zero tests (ta_utility.h), reproduced so every branch takes the same side as TA-Lib's. */

/** Half-width of TA-Lib's zero band: `TA_IS_ZERO(v)` is `-1e-8 < v < 1e-8`, in the units of `v`. */
export const TA_LIB_ZERO_EPSILON = 0.00000001;

/**
 * TA-Lib's `TA_IS_ZERO`: true when `|value| < 1e-8` (an absolute band, whatever the units).
 * @example
 * isTaLibZero(5e-9); // true
 */
export function isTaLibZero(value: number): boolean {
  return -TA_LIB_ZERO_EPSILON < value && value < TA_LIB_ZERO_EPSILON;
}

/**
 * TA-Lib's `TA_IS_ZERO_OR_NEG`: true when `value < 1e-8`.
 * @example
 * isTaLibZeroOrNegative(-3); // true
 */
export function isTaLibZeroOrNegative(value: number): boolean {
  return value < TA_LIB_ZERO_EPSILON;
}
