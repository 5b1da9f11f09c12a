/** The strategy's own entry filters (spread, session, regime), checked on the signal bar before an order is requested. */
import type { Bar } from "../market/bar.js";
import { TIMEFRAME_MS } from "../market/timeframe.js";
import type { FilterCode, FilterConfig, Regime } from "../schemas/trading.js";

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
const HOURS_PER_DAY = 24;
/** 1970-01-01, epoch day 0, was a Thursday (weekday 4, with 0 = Sunday). */
const EPOCH_WEEKDAY = 4;

/** The codes {@link entryFilter} can give. */
export type EntryFilterCode = Extract<FilterCode, "SPREAD_TOO_WIDE" | "OUTSIDE_SESSION" | "REGIME_EXCLUDED">;

/** What the filters read of the signal bar. A core/market `Bar` satisfies it as it is. */
export type FilteredBar = Pick<Bar, "tsMs" | "spreadAvgPoints">;

/**
 * Decision time of a closed M1 bar, epoch ms UTC: its close, `tsMs + 60 000` (the open of the next bar). Signals are
 * decided, and orders stamped, at this instant, so the session filter reads it rather than the open.
 * @example
 * decisionTsMs({ tsMs: Date.UTC(2026, 2, 24, 21, 59) }); // Date.UTC(2026, 2, 24, 22, 0)
 */
export function decisionTsMs(bar: Pick<Bar, "tsMs">): number {
  return bar.tsMs + TIMEFRAME_MS.M1;
}

/**
 * UTC hour of day, 0 to 23, of an epoch-ms time; plain arithmetic (no Date) because it runs on every signal.
 * @example
 * utcHourOf(Date.UTC(2026, 2, 24, 23, 59, 59)); // 23
 */
export function utcHourOf(tsMs: number): number {
  // The second modulo folds times before 1970 (negative remainders, and −0) into 0-23.
  return ((Math.floor(tsMs / MS_PER_HOUR) % HOURS_PER_DAY) + HOURS_PER_DAY) % HOURS_PER_DAY;
}

/**
 * UTC weekday, 0 = Sunday to 6 = Saturday (as `Date.prototype.getUTCDay`), of an epoch-ms time:
 * `(floor(tsMs / 86 400 000) + 4) mod 7`, since epoch day 0 was a Thursday.
 * @example
 * utcWeekdayOf(Date.UTC(2026, 2, 24)); // 2 (a Tuesday)
 */
export function utcWeekdayOf(tsMs: number): number {
  return (((Math.floor(tsMs / MS_PER_DAY) + EPOCH_WEEKDAY) % 7) + 7) % 7;
}

/**
 * True when `hour` (UTC, 0-23) is in the window `[fromHour, toHour)`. A window with `fromHour > toHour` wraps past
 * midnight (22 → 2 is 22:00-01:59); `fromHour === toHour` is the whole day.
 * @example
 * isHourInWindow(1, { fromHour: 22, toHour: 2 }); // true
 * isHourInWindow(2, { fromHour: 22, toHour: 2 }); // false
 */
export function isHourInWindow(hour: number, window: { readonly fromHour: number; readonly toHour: number }): boolean {
  const { fromHour, toHour } = window;
  if (fromHour === toHour) return true;
  if (fromHour < toHour) return hour >= fromHour && hour < toHour;
  return hour >= fromHour || hour < toHour;
}

/**
 * The first filter that stops an entry on the signal bar, or `null` when an entry may go ahead. Checked in order:
 * 1. `SPREAD_TOO_WIDE`: `maxSpreadPoints` is set and the bar's mean spread (points) is above it (equal passes; a
 *    NaN spread fails);
 * 2. `OUTSIDE_SESSION`: at the bar's decision time ({@link decisionTsMs}, its close), the UTC weekday is not in
 *    `sessionDaysUtc` (when that is non-empty) or the UTC hour is in none of the `sessionHoursUtc` windows (when that
 *    is non-empty; see {@link isHourInWindow}). Weekday and hour are both those of the decision time: a 22 → 2 window
 *    with days [5] allows Friday 22:00-23:59 but not Saturday 00:00-01:59;
 * 3. `REGIME_EXCLUDED`: `regimes` is non-empty and does not hold `regime` (so `unknown` is excluded unless listed).
 *
 * Filters gate entries only; exits are never filtered. O(number of windows + days + regimes), no allocation.
 * @example
 * entryFilter(bar, "trending", { maxSpreadPoints: 40, sessionHoursUtc: [], sessionDaysUtc: [], regimes: ["trending"] }); // null
 */
export function entryFilter(bar: FilteredBar, regime: Regime, filters: FilterConfig): EntryFilterCode | null {
  // Written as "not at or below" so a NaN spread (a corrupt bar) never passes a limit.
  if (filters.maxSpreadPoints !== null && !(bar.spreadAvgPoints <= filters.maxSpreadPoints)) return "SPREAD_TOO_WIDE";
  if (!isInSession(decisionTsMs(bar), filters)) return "OUTSIDE_SESSION";
  if (filters.regimes.length > 0 && !filters.regimes.includes(regime)) return "REGIME_EXCLUDED";
  return null;
}

function isInSession(tsMs: number, filters: FilterConfig): boolean {
  if (filters.sessionDaysUtc.length > 0 && !filters.sessionDaysUtc.includes(utcWeekdayOf(tsMs))) return false;
  if (filters.sessionHoursUtc.length === 0) return true;
  const hour = utcHourOf(tsMs);
  for (const session of filters.sessionHoursUtc) {
    if (isHourInWindow(hour, session)) return true;
  }
  return false;
}
