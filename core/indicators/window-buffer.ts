/** Fixed-size ring of the latest values, laid out like TA-Lib's circular buffers, with a plain-JSON snapshot. */
import { isCount, isStoredNumber, requireSnapshot } from "./guards.js";

/** Plain-JSON form of a {@link WindowBuffer}. */
export interface WindowBufferState {
  /** Physical slots, `capacity` of them; a slot not written yet holds 0. */
  readonly slots: number[];
  /** Slot the next value is written to. */
  readonly head: number;
  /** Slots holding real values, at most `capacity`. */
  readonly filled: number;
}

/**
 * The latest `capacity` values. Value `n` of a series (from 0) goes to slot `n % capacity`, which is where TA-Lib's
 * CCI puts it, so sums taken in slot order add the same numbers in the same order as TA-Lib.
 * @example
 * const window = new WindowBuffer(3);
 * [1, 2, 3, 4].forEach((value) => window.push(value));
 * window.newest(0); // 4
 * window.newest(2); // 2
 */
export class WindowBuffer {
  readonly capacity: number;
  private readonly slots: number[];
  private head = 0;
  private filled = 0;

  /** `capacity`: values kept, a positive integer. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`WindowBuffer: capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.slots = new Array<number>(capacity).fill(0);
  }

  /** True once `capacity` values have been pushed. */
  get isFull(): boolean {
    return this.filled === this.capacity;
  }

  /** Number of values held, at most `capacity`. */
  get size(): number {
    return this.filled;
  }

  /** Appends a value, overwriting the oldest once full. */
  push(value: number): void {
    this.slots[this.head] = value;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    if (this.filled < this.capacity) this.filled += 1;
  }

  /** The value pushed `age` pushes ago: 0 is the newest, `size - 1` the oldest held. */
  newest(age: number): number {
    if (age < 0 || age >= this.filled) throw new RangeError(`WindowBuffer: age ${age} outside [0, ${this.filled})`);
    const index = this.head - 1 - age;
    return this.slot(index < 0 ? index + this.capacity : index);
  }

  /** The value in physical slot `index`, for sums that must run in TA-Lib's slot order. */
  slot(index: number): number {
    const value = this.slots[index];
    if (value === undefined) throw new RangeError(`WindowBuffer: slot ${index} outside [0, ${this.capacity})`);
    return value;
  }

  /** Largest value held (the window must not be empty). */
  highest(): number {
    let highest = this.newest(0);
    for (let age = 1; age < this.filled; age += 1) {
      const value = this.newest(age);
      if (value > highest) highest = value;
    }
    return highest;
  }

  /** Smallest value held (the window must not be empty). */
  lowest(): number {
    let lowest = this.newest(0);
    for (let age = 1; age < this.filled; age += 1) {
      const value = this.newest(age);
      if (value < lowest) lowest = value;
    }
    return lowest;
  }

  /** Empties the window. */
  clear(): void {
    this.slots.fill(0);
    this.head = 0;
    this.filled = 0;
  }

  /** A deep copy of the window as plain JSON. */
  snapshot(): WindowBufferState {
    return { slots: [...this.slots], head: this.head, filled: this.filled };
  }

  /** Replaces the window with a snapshot of one with the same capacity; throws a RangeError if it does not fit. */
  restore(state: WindowBufferState, owner: string): void {
    requireSnapshot(
      Array.isArray(state.slots) &&
        state.slots.length === this.capacity &&
        state.slots.every((value) => isStoredNumber(value)),
      owner,
      `window must hold ${this.capacity} finite numbers`,
    );
    requireSnapshot(isCount(state.filled, this.capacity), owner, `window filled must be in [0, ${this.capacity}]`);
    const headFits =
      state.filled === this.capacity ? isCount(state.head, this.capacity - 1) : state.head === state.filled;
    requireSnapshot(headFits, owner, "window head does not match its fill");
    state.slots.forEach((value, index) => {
      this.slots[index] = value;
    });
    this.head = state.head;
    this.filled = state.filled;
  }
}
