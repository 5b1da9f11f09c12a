/** Ticks: the quote updates every price series starts from. */
import { z } from "zod";

/**
 * Any JavaScript number, including NaN and ±Infinity (JSON's `1e400` parses to Infinity). Tick values are checked by
 * the data-quality rules, which answer a non-finite price with a rejection code for that tick instead of failing the
 * whole batch. Documented as a plain number in OpenAPI.
 */
export function anyNumber(description: string) {
  return z.custom<number>((value) => typeof value === "number", "expected a number").meta({ type: "number", description });
}

/** A normalised tick as it travels between the Worker, the Durable Object and `core/`. */
export const TickSchema = z.object({
  tsMs: anyNumber("Quote time, epoch milliseconds (UTC)"),
  bid: anyNumber("Bid price in the instrument's quote currency"),
  ask: anyNumber("Ask price in the instrument's quote currency"),
  volume: anyNumber("Price updates this tick stands for (1 for a raw tick); summed into tickVolume"),
});
export type Tick = z.infer<typeof TickSchema>;

/** Spreads are measured in points to a thousandth of a point, so float noise never shows. */
export function spreadPoints(tick: Pick<Tick, "bid" | "ask">, pointSize: number): number {
  return roundTo((tick.ask - tick.bid) / pointSize, 3);
}

/** Rounds to a number of decimals (half away from zero is not needed for prices, which are positive). */
export function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** True when two ticks are the same print: an exact re-delivery. */
export function isSameTick(a: Tick, b: Tick): boolean {
  return a.tsMs === b.tsMs && a.bid === b.bid && a.ask === b.ask && a.volume === b.volume;
}
