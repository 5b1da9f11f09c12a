/** Instrument specifications: price precision, contract size and trading hours, declared in configuration. */
import { z } from "zod";

const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const MINUTES_PER_DAY = 1_440;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

/** "HH:MM" in UTC → minute of the day. */
const ClockUtcSchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM (UTC)")
  .transform((text) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5)));

/** "Sun 22:00" in UTC → minute of the week (Sunday 00:00 UTC = 0). */
const WeekTimeUtcSchema = z
  .string()
  .regex(/^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) ([01]\d|2[0-3]):[0-5]\d$/, "expected e.g. 'Sun 22:00' (UTC)")
  .transform((text) => {
    const day = DAY_NAMES.indexOf(text.slice(0, 3) as (typeof DAY_NAMES)[number]);
    return day * MINUTES_PER_DAY + Number(text.slice(4, 6)) * 60 + Number(text.slice(7, 9));
  });

/** When an instrument trades. All times are UTC; a break that ends before it starts wraps past midnight. */
export const TradingHoursSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("always").describe("Trades around the clock, every day (crypto)") }),
  z.object({
    kind: z.literal("weekly"),
    opensUtc: WeekTimeUtcSchema.describe("Weekly open, e.g. 'Sun 22:00'"),
    closesUtc: WeekTimeUtcSchema.describe("Weekly close, e.g. 'Fri 21:00'"),
    dailyBreaksUtc: z
      .array(z.object({ start: ClockUtcSchema, end: ClockUtcSchema }))
      .default([])
      .describe("Daily pauses inside the trading week, e.g. { start: '21:00', end: '22:00' }"),
  }),
]);
export type TradingHours = z.infer<typeof TradingHoursSchema>;

/** Per-instrument overrides of the spike rule (volatile instruments need wider bounds). */
export const InstrumentQualitySchema = z.object({
  spikeSigmas: z.number().positive().default(100).describe("Robust standard deviations a spike must jump"),
  spikeMinJumpPct: z.number().positive().default(1).describe("Smallest jump, in % of price, that can be a spike"),
});

export const InstrumentSchema = z.object({
  symbol: z.string().regex(/^[A-Z0-9]{3,12}$/).describe("Upper-case symbol, e.g. XAUUSD"),
  description: z.string().min(1).describe("Human name shown in the dashboard"),
  digits: z.number().int().min(0).max(8).describe("Price decimals quoted by the broker"),
  pointSize: z.number().positive().describe("Smallest price step (one point), in price units"),
  contractSize: z.number().positive().describe("Units of the underlying in one lot (100 oz for XAUUSD)"),
  quoteCurrency: z.string().length(3).describe("Currency prices are quoted in"),
  tradingHours: TradingHoursSchema,
  quality: InstrumentQualitySchema.default({ spikeSigmas: 100, spikeMinJumpPct: 1 }),
});
export type Instrument = z.infer<typeof InstrumentSchema>;
export type InstrumentInput = z.input<typeof InstrumentSchema>;

/**
 * True when the instrument is open for trading at `tsMs`.
 * @example isTradingTime(xauusd.tradingHours, Date.UTC(2026, 2, 28)) === false // a Saturday
 */
export function isTradingTime(hours: TradingHours, tsMs: number): boolean {
  if (hours.kind === "always") return true;
  const date = new Date(tsMs);
  const minuteOfDay = date.getUTCHours() * 60 + date.getUTCMinutes();
  const minuteOfWeek = date.getUTCDay() * MINUTES_PER_DAY + minuteOfDay;
  if (!inCircularRange(minuteOfWeek, hours.opensUtc, hours.closesUtc, MINUTES_PER_WEEK)) return false;
  return !hours.dailyBreaksUtc.some((pause) => inCircularRange(minuteOfDay, pause.start, pause.end, MINUTES_PER_DAY));
}

function inCircularRange(value: number, start: number, end: number, period: number): boolean {
  const length = (end - start + period) % period;
  return (value - start + period) % period < length;
}
