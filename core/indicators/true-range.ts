/** Wilder's true range of one bar against the previous close, computed as TA-Lib's TRANGE does. */

/**
 * The largest of `high - low`, `|previousClose - high|` and `|previousClose - low|`, in price units. The first bar
 * of a series has no true range (there is no previous close), which is why ATR and ADX start one bar late.
 * @example
 * trueRange(14, 12, 10.5); // 3.5: the gap up from the previous close outweighs the bar's own range of 2
 */
export function trueRange(high: number, low: number, previousClose: number): number {
  let greatest = high - low;
  const fromHigh = Math.abs(previousClose - high);
  if (fromHigh > greatest) greatest = fromHigh;
  const fromLow = Math.abs(previousClose - low);
  if (fromLow > greatest) greatest = fromLow;
  return greatest;
}
