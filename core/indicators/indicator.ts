/** The one streaming-indicator contract, the bar shape the price-range indicators read, and the batch fold. */

/**
 * The high, low and close of one bar, in price units. A `core/market` `Bar` satisfies it as it is.
 * @example
 * const bar: HlcBar = { high: 2345.6, low: 2339.1, close: 2344.2 };
 */
export interface HlcBar {
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/**
 * A technical indicator fed one input at a time, oldest first. Each one reproduces TA-Lib 0.4.0 (default
 * compatibility, unstable period 0) bit for bit when fed the whole series from its first bar: same warm-up, same
 * floating-point operations in the same order.
 *
 * `State` is plain JSON (numbers, arrays, `null`), so a Durable Object can persist it and resume after a restart
 * with exactly the values an uninterrupted run would give.
 * @example
 * const sma = new SimpleMovingAverage({ period: 3 });
 * for (const close of [1, 2, 3]) sma.update(close);
 * sma.value(); // 2
 * const resumed = new SimpleMovingAverage({ period: 3 }, JSON.parse(JSON.stringify(sma.snapshot())));
 */
export interface Indicator<In, Out, State = unknown> {
  /** Inputs consumed before the first value: the first defined index of a batch run (TA-Lib's lookback). */
  readonly lookback: number;
  /** Feeds the next input. Throws a RangeError, leaving the state untouched, on a non-finite number. */
  update(input: In): void;
  /** The value after the latest update, or `undefined` during warm-up. */
  value(): Out | undefined;
  /** True once `value()` is defined; stays true until `reset()`. */
  isReady(): boolean;
  /** Forgets every input: back to the state of a fresh instance with the same parameters. */
  reset(): void;
  /** A deep copy of the state as plain JSON. */
  snapshot(): State;
  /**
   * Replaces the state with a snapshot taken from an instance with the same parameters. Throws a RangeError,
   * leaving the current state untouched, when the snapshot is of another kind, other parameters or malformed.
   */
  restore(state: State): void;
}

/**
 * Folds `inputs` through `indicator` and returns the value after each input, aligned with `inputs` and `undefined`
 * during warm-up. The batch form is this fold of the streaming form, so both always agree. It continues from the
 * indicator's current state: pass a fresh (or `reset()`) indicator for a from-scratch series.
 * @example
 * runBatch(new SimpleMovingAverage({ period: 2 }), [1, 2, 4]); // [undefined, 1.5, 3]
 */
export function runBatch<In, Out>(
  indicator: Pick<Indicator<In, Out>, "update" | "value">,
  inputs: Iterable<In>,
): (Out | undefined)[] {
  const values: (Out | undefined)[] = [];
  for (const input of inputs) {
    indicator.update(input);
    values.push(indicator.value());
  }
  return values;
}
