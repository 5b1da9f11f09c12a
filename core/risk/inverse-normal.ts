/** The standard normal quantile (inverse CDF) by Acklam's rational approximation, for parametric VaR's z-values. */

const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** Below this probability (and above 1 minus it) the tail formula applies. */
const TAIL_PROBABILITY = 0.02425;

/**
 * z such that P(Z ≤ z) = `probability` for a standard normal Z, by Peter Acklam's algorithm (relative error below
 * 1.15 × 10⁻⁹ over the whole range). Throws a RangeError outside the open interval (0, 1).
 * @example
 * inverseNormalCdf(0.95); // 1.6448536…
 * inverseNormalCdf(0.99); // 2.3263478…
 */
export function inverseNormalCdf(probability: number): number {
  if (!(probability > 0 && probability < 1)) throw new RangeError(`inverseNormalCdf: probability must be in (0, 1), got ${probability}`);
  if (probability < TAIL_PROBABILITY) return lowerTail(probability);
  if (probability > 1 - TAIL_PROBABILITY) return -lowerTail(1 - probability);
  const q = probability - 0.5;
  const r = q * q;
  const numerator = (((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q;
  const denominator = ((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1;
  return numerator / denominator;
}

/** The lower-tail branch, for probabilities below {@link TAIL_PROBABILITY}. */
function lowerTail(probability: number): number {
  const q = Math.sqrt(-2 * Math.log(probability));
  const numerator = ((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!;
  const denominator = (((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1;
  return numerator / denominator;
}
