/** A small seeded pseudo-random generator (mulberry32), so that every random choice in training is reproducible. */

/** A source of uniform numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * mulberry32: a 32-bit state generator, fast and good enough for sampling rows and columns (not for cryptography).
 * The same `seed` always gives the same sequence.
 * @example
 * const random = mulberry32(42);
 * const u = random(); // in [0, 1)
 */
export function mulberry32(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Moves a uniformly drawn `count` of the first `length` entries of `pool` to its front (a partial Fisher–Yates
 * shuffle, in place) and returns that prefix.
 * @example
 * const pool = Int32Array.from({ length: 10 }, (_, index) => index);
 * const picked = drawWithoutReplacement(pool, 10, 3, mulberry32(1)); // 3 distinct indices
 */
export function drawWithoutReplacement(
  pool: Int32Array,
  length: number,
  count: number,
  random: RandomSource,
): Int32Array {
  for (let slot = 0; slot < count; slot += 1) {
    const other = slot + Math.floor(random() * (length - slot));
    const held = pool[slot] ?? 0;
    pool[slot] = pool[other] ?? 0;
    pool[other] = held;
  }
  return pool.subarray(0, count);
}
