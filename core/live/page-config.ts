/**
 * What a live dashboard page hands its browser script (as `<script type="application/json" id="live-config">`): the
 * instruments to follow, with what the script needs to show and judge them, and the feed threshold. The script
 * validates it like any boundary.
 */
import { scriptSafeJson } from "../display/format.js";
import { z } from "zod";
import type { TradingHours } from "../instruments/instrument.js";
import { TimeframeSchema } from "../market/timeframe.js";

/** Trading hours as the platform holds them once parsed: minutes of the UTC week and day. */
const ParsedTradingHoursSchema: z.ZodType<TradingHours> = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("always") }),
  z.object({
    kind: z.literal("weekly"),
    opensUtc: z.number().int().min(0).describe("Minute of the UTC week (Sunday 00:00 = 0)"),
    closesUtc: z.number().int().min(0),
    dailyBreaksUtc: z.array(z.object({ start: z.number().int().min(0).describe("Minute of the UTC day"), end: z.number().int().min(0) })),
  }),
]);

export const LiveInstrumentSchema = z.object({
  symbol: z.string().regex(/^[A-Z0-9]{3,12}$/),
  digits: z.number().int().min(0).max(8).describe("Price decimals"),
  pointSize: z.number().positive().describe("One point, in price units (spreads are shown in points)"),
  tradingHours: ParsedTradingHoursSchema,
});
export type LiveInstrument = z.infer<typeof LiveInstrumentSchema>;

export const LivePageConfigSchema = z.object({
  instruments: z.array(LiveInstrumentSchema).min(1),
  feedMaxAgeMs: z.number().int().positive().describe("A feed open for trading with no tick for this long is stale, ms"),
  /** The chart's timeframe (the instrument page only). */
  timeframe: TimeframeSchema.optional(),
});
export type LivePageConfig = z.infer<typeof LivePageConfigSchema>;

/** The element id the config is rendered under. */
export const LIVE_CONFIG_ELEMENT_ID = "live-config";

/**
 * The config as JSON that is safe inside a `<script>` element (no "</script>" or "<!--" can end it early).
 * @example serializeLiveConfig(config) // '{"instruments":[…],"feedMaxAgeMs":300000}'
 */
export function serializeLiveConfig(config: LivePageConfig): string {
  return scriptSafeJson(LivePageConfigSchema.parse(config));
}
