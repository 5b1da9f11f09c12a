/** OHLC bars built from bid prices. */
import { z } from "zod";
import { TimeframeSchema } from "./timeframe.js";

/** One bar; `tsMs` is its open time, aligned to a UTC boundary of its timeframe. */
export const BarSchema = z.object({
  timeframe: TimeframeSchema,
  tsMs: z.number().int().describe("Bar open time, epoch milliseconds (UTC)"),
  open: z.number().describe("First bid of the bar"),
  high: z.number().describe("Highest bid of the bar"),
  low: z.number().describe("Lowest bid of the bar"),
  close: z.number().describe("Last bid of the bar"),
  tickVolume: z.number().describe("Sum of the ticks' volume (price updates) in the bar"),
  tickCount: z.number().int().describe("Ticks received in the bar"),
  spreadAvgPoints: z.number().describe("Mean spread of the bar's ticks, in points"),
  spreadMaxPoints: z.number().describe("Largest spread of the bar's ticks, in points"),
  closed: z.boolean().describe("False while the bar is still forming"),
});
export type Bar = z.infer<typeof BarSchema>;
