/** The platform's configuration, read once from the Worker's variables and validated. */
import { z } from "zod";
import { MAX_TICKS_PER_BATCH } from "./market-data.js";

const intFromString = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Worker variables (`[vars]` in wrangler.toml); every key has a default and a description. */
export const PlatformConfigSchema = z.object({
  APP_ENV: z.enum(["development", "test", "staging", "production"]).default("development")
    .describe("Deployment environment; 'development' and 'test' relax cookie security"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info").describe("Lowest structured-log level written"),
  TICK_RETENTION_HOURS: intFromString(1, 24 * 90).default(48)
    .describe("Raw ticks older than this (behind the newest tick) are pruned from an instrument's storage"),
  OUT_OF_ORDER_TOLERANCE_MS: intFromString(0, 60_000).default(2_000)
    .describe("How far behind the newest tick a tick may arrive and still be accepted; also the bar-close grace"),
  CLOCK_CLOSE_GRACE_MS: intFromString(0, 60_000).default(5_000)
    .describe("A live feed's bar closes on the clock this long after its period ends; later ticks for it are refused"),
  FUTURE_TOLERANCE_MS: intFromString(0, 3_600_000).default(10_000)
    .describe("How far ahead of the server clock a tick may be stamped"),
  STREAM_TICK_THROTTLE_MS: intFromString(0, 60_000).default(250)
    .describe("Minimum interval between tick pushes to stream subscribers"),
  MAX_TICKS_PER_REQUEST: intFromString(1, MAX_TICKS_PER_BATCH).default(MAX_TICKS_PER_BATCH).describe("Largest ingest batch; more is refused with 413"),
  INSTRUMENTS: z.string().optional()
    .describe("JSON array of instrument specifications replacing the shipped catalogue"),
});
export type PlatformConfigInput = z.input<typeof PlatformConfigSchema>;

export interface PlatformConfig {
  readonly appEnv: "development" | "test" | "staging" | "production";
  readonly logLevel: "debug" | "info" | "warn" | "error";
  readonly tickRetentionMs: number;
  readonly outOfOrderToleranceMs: number;
  readonly futureToleranceMs: number;
  readonly clockCloseGraceMs: number;
  readonly streamTickThrottleMs: number;
  readonly maxTicksPerRequest: number;
  /** Raw JSON of the instrument catalogue override, parsed by the catalogue. */
  readonly instrumentsJson: string | undefined;
}

/** Parses variables into a frozen config; throws a ZodError naming each bad key. */
export function parsePlatformConfig(vars: Record<string, unknown>): PlatformConfig {
  const v = PlatformConfigSchema.parse(vars);
  return Object.freeze({
    appEnv: v.APP_ENV,
    logLevel: v.LOG_LEVEL,
    tickRetentionMs: v.TICK_RETENTION_HOURS * 3_600_000,
    outOfOrderToleranceMs: v.OUT_OF_ORDER_TOLERANCE_MS,
    futureToleranceMs: v.FUTURE_TOLERANCE_MS,
    clockCloseGraceMs: v.CLOCK_CLOSE_GRACE_MS,
    streamTickThrottleMs: v.STREAM_TICK_THROTTLE_MS,
    maxTicksPerRequest: v.MAX_TICKS_PER_REQUEST,
    instrumentsJson: v.INSTRUMENTS,
  });
}
