/** A deterministic bar series for the streaming tests: a seeded random walk with a flat stretch and gaps. */
import type { HlcBar } from "../../../core/indicators/index.js";

/** Bars of the flat stretch (identical bars): every zero-range and zero-variance branch gets exercised there. */
export const FLAT_STRETCH = { from: 200, to: 260 } as const;

/**
 * `count` bars around 2300 with a seeded 32-bit LCG, so every run sees the same numbers; prices are rounded to the
 * cent like real quotes, every 97th bar gaps by a few dollars, and bars in {@link FLAT_STRETCH} are all equal.
 */
export function syntheticBars(count: number, seed = 20_260_324): HlcBar[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
  const cents = (price: number): number => Math.round(price * 100) / 100;
  const bars: HlcBar[] = [];
  let close = 2300;
  for (let index = 0; index < count; index += 1) {
    if (index >= FLAT_STRETCH.from && index < FLAT_STRETCH.to) {
      bars.push({ high: close, low: close, close });
      continue;
    }
    const gap = index % 97 === 0 ? (random() - 0.5) * 12 : 0;
    const open = cents(close + gap);
    close = cents(open + (random() - 0.5) * 4);
    const high = cents(Math.max(open, close) + random() * 1.5);
    const low = cents(Math.min(open, close) - random() * 1.5);
    bars.push({ high, low, close });
  }
  return bars;
}
