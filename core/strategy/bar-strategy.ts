/** The one contract every strategy kind satisfies, so backtester and Durable Object drive them alike. */
import type { Bar } from "../market/bar.js";

/**
 * What every strategy does with bars, whatever its kind: fed each closed M1 bar oldest first, it keeps the ATR its
 * stops and targets are measured in, and its state survives a Durable Object restart as plain JSON.
 * @example
 * const strategy: BarStrategy = createStrategy(config);
 * strategy.update(bar);
 * const stopDistance = strategy.atr() === undefined ? null : 2 * strategy.atr()!;
 */
export interface BarStrategy {
  /** Feeds the next closed M1 bar; O(1). Throws a RangeError, changing nothing, on a non-finite price. */
  update(bar: Bar): void;
  /** ATR of the latest bar, price units; `undefined` during warm-up. */
  atr(): number | undefined;
  /** The state as plain JSON (`JSON.stringify`-safe). */
  snapshot(): unknown;
  /** Replaces the state with a snapshot of a strategy of the same kind and parameters; throws a RangeError otherwise. */
  restore(state: unknown): void;
}
