/** Data freshness: is an instrument's feed as recent as its trading hours say it should be? */
import { isTradingTime, type Instrument } from "../instruments/instrument.js";

export type FreshnessStatus = "fresh" | "stale" | "closed" | "no-data";

export interface Freshness {
  readonly status: FreshnessStatus;
  /** Age of the newest tick, ms; null before the first tick. */
  readonly ageMs: number | null;
}

/**
 * A feed is stale when the market is open and the newest tick is older than `maxAgeMs`; while the market is
 * closed old data is expected.
 * @example feedFreshness(xauusd, lastTickMs, nowMs, 300_000).status // "fresh" | "stale" | "closed" | "no-data"
 */
export function feedFreshness(instrument: Instrument, lastTickMs: number | null, nowMs: number, maxAgeMs: number): Freshness {
  const ageMs = lastTickMs === null ? null : Math.max(0, nowMs - lastTickMs);
  if (!isTradingTime(instrument.tradingHours, nowMs)) return { status: "closed", ageMs };
  if (ageMs === null) return { status: "no-data", ageMs };
  return { status: ageMs > maxAgeMs ? "stale" : "fresh", ageMs };
}
