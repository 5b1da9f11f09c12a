/** Stop and target prices from ATR multiples: the levels set at entry and the stop's advance (break-even, trailing). */
import { roundTo } from "../market/tick.js";
import type { ExitConfig, Position, Side } from "../schemas/trading.js";

/** What set a position's current stop. */
export type StopReason = Position["stopReason"];

/** Stop and target at entry, in price units; null when not set. */
export interface ExitLevels {
  readonly stopPrice: number | null;
  readonly targetPrice: number | null;
}

/** A stop and what set it. */
export interface StopState {
  readonly stopPrice: number | null;
  readonly stopReason: StopReason;
}

/** The part of a position the stop's advance reads (a {@link Position} fits). */
export interface StopHolder extends StopState {
  readonly side: Side;
  /** Fill price of the entry, price units. */
  readonly entryPrice: number;
}

/** Float noise tolerated when rounding a break-even stop towards the trade's favour, in price steps. */
const ROUNDING_NOISE_STEPS = 1e-7;

/**
 * Stop and target at entry: a buy's stop is `entryPrice − stopAtr × atr` and its target `entryPrice + targetAtr ×
 * atr` (a sell's mirrored), each rounded to `digits` decimals. The target is null when `exits.targetAtr` is null; both
 * are null when `atr` (price units) is not a finite positive number or `entryPrice` is not finite.
 * @example
 * initialExitLevels("buy", 2300, 1.5, { stopAtr: 2, targetAtr: 3, trailingAtr: null, breakEvenAtr: null }, 2);
 * // { stopPrice: 2297, targetPrice: 2304.5 }
 */
export function initialExitLevels(side: Side, entryPrice: number, atr: number, exits: ExitConfig, digits: number): ExitLevels {
  if (!(atr > 0) || !Number.isFinite(atr) || !Number.isFinite(entryPrice)) return { stopPrice: null, targetPrice: null };
  const direction = side === "buy" ? 1 : -1;
  return {
    stopPrice: roundTo(entryPrice - direction * exits.stopAtr * atr, digits),
    targetPrice: exits.targetAtr === null ? null : roundTo(entryPrice + direction * exits.targetAtr * atr, digits),
  };
}

/**
 * Moves a stop in the trade's favour, never against it. Runs on every quote, so it allocates only when the stop moves
 * and otherwise returns `position` itself.
 *
 * - Break-even (`exits.breakEvenAtr` set): once the favourable excursion (`bestPrice − entryPrice` for a buy,
 *   `entryPrice − bestPrice` for a sell) reaches `breakEvenAtr × atr`, the stop becomes at least the entry (rounded
 *   to `digits` towards the trade's favour, so it never sits below a long's entry). Reason "break-even".
 * - Trailing (`exits.trailingAtr` set): while the excursion is positive, the candidate is `bestPrice − trailingAtr ×
 *   atr` for a buy (`+` for a sell), rounded to `digits`. Reason "trailing".
 *
 * When both apply the tighter candidate wins (break-even on a tie). The stop moves only when the winner is strictly
 * tighter than the current stop (or there is none). `bestPrice` is the best bid (long) or ask (short) seen since
 * entry; `atr` is the signal bar's ATR in price units. A non-finite or non-positive `atr` changes nothing.
 * @example
 * const next = advanceStop(position, position.bestPrice, 1.5, exits, 2);
 * if (next !== position) { position.stopPrice = next.stopPrice; position.stopReason = next.stopReason; }
 */
export function advanceStop(position: StopHolder, bestPrice: number, atr: number, exits: ExitConfig, digits: number): StopState {
  if (!(atr > 0) || !Number.isFinite(atr) || !Number.isFinite(bestPrice)) return position;
  const direction = position.side === "buy" ? 1 : -1;
  const excursion = (bestPrice - position.entryPrice) * direction;
  let candidate = Number.NaN;
  let reason: StopReason = "break-even";
  if (exits.breakEvenAtr !== null && excursion >= exits.breakEvenAtr * atr) {
    candidate = roundInFavour(position.entryPrice, digits, direction);
  }
  if (exits.trailingAtr !== null && excursion > 0) {
    const trailing = roundTo(bestPrice - direction * exits.trailingAtr * atr, digits);
    if (Number.isNaN(candidate) || (trailing - candidate) * direction > 0) {
      candidate = trailing;
      reason = "trailing";
    }
  }
  if (Number.isNaN(candidate)) return position;
  if (position.stopPrice !== null && (candidate - position.stopPrice) * direction <= 0) return position;
  return { stopPrice: candidate, stopReason: reason };
}

/** Rounds to `digits` decimals upwards for a buy (`direction` 1) and downwards for a sell, ignoring float noise. */
function roundInFavour(price: number, digits: number, direction: number): number {
  const factor = 10 ** digits;
  const scaled = price * factor;
  const nearest = Math.round(scaled);
  if (Math.abs(scaled - nearest) <= ROUNDING_NOISE_STEPS) return nearest / factor;
  return (direction > 0 ? Math.ceil(scaled) : Math.floor(scaled)) / factor;
}
