/** Bar timeframes and their UTC-aligned buckets. */
import { z } from "zod";

/** Supported bar timeframes, smallest first. */
export const TIMEFRAMES = ["M1", "M5", "M15", "H1"] as const;
export const TimeframeSchema = z.enum(TIMEFRAMES).describe("Bar timeframe: M1, M5, M15 or H1");
export type Timeframe = z.infer<typeof TimeframeSchema>;

/** Length of one bar of each timeframe, in milliseconds. */
export const TIMEFRAME_MS: Readonly<Record<Timeframe, number>> = Object.freeze({
  M1: 60_000,
  M5: 300_000,
  M15: 900_000,
  H1: 3_600_000,
});

/**
 * Open time of the bar that contains `tsMs`: bars are aligned to UTC boundaries (epoch multiples).
 * @example bucketStartMs(Date.UTC(2026, 2, 24, 14, 7, 31), "M5") === Date.UTC(2026, 2, 24, 14, 5)
 */
export function bucketStartMs(tsMs: number, timeframe: Timeframe): number {
  const lengthMs = TIMEFRAME_MS[timeframe];
  return Math.floor(tsMs / lengthMs) * lengthMs;
}
