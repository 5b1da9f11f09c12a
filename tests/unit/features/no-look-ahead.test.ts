/** No look-ahead: a row depends only on its bar and the bars before it, whatever comes after. */
import { describe, expect, it } from "vitest";
import { buildFeatures, type FeatureBar } from "../../../core/features/index.js";
import { demoFeatureBars, rowDifferences } from "./feature-data.js";

const BARS = demoFeatureBars().slice(0, 3_000);
const ROWS = buildFeatures(BARS);
const CUTS = [0, 40, 252, 253, 254, 1_234, 2_998];

/** A seeded 32-bit LCG in [0, 1), so every run rewrites the future the same way. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Ways to rewrite every bar after the cut. */
const FUTURES: Record<string, (future: readonly FeatureBar[], seed: number) => FeatureBar[]> = {
  "removed": () => [],
  "random prices, spreads and time gaps": (future, seed) => {
    const next = random(seed);
    let shiftMs = 0;
    return future.map((bar) => {
      shiftMs += Math.floor(next() * 5) * 60_000;
      const close = bar.close * (0.9 + next() * 0.2);
      return {
        tsMs: bar.tsMs + shiftMs,
        high: close + next() * 5,
        low: close - next() * 5,
        close,
        spreadAvgPoints: next() * 80,
      };
    });
  },
  "a crash to a tenth and flat bars": (future) =>
    future.map((bar) => ({ ...bar, high: 440, low: 440, close: 440, spreadAvgPoints: 500 })),
  "only the next bar, far away": (future) => future.slice(0, 1).map((bar) => ({ ...bar, tsMs: bar.tsMs + 86_400_000 })),
};

describe("no look-ahead (first 3,000 demo bars)", () => {
  it.each(Object.keys(FUTURES))("keeps every raw value and feature up to each cut when the future is %s", (name) => {
    const rewrite = FUTURES[name];
    if (rewrite === undefined) throw new Error(name);
    for (const cut of CUTS) {
      const rewritten = [...BARS.slice(0, cut + 1), ...rewrite(BARS.slice(cut + 1), cut + 1)];
      const rows = buildFeatures(rewritten);
      expect({ cut, differences: rowDifferences(rows.slice(0, cut + 1), ROWS.slice(0, cut + 1)) }).toEqual({
        cut,
        differences: [],
      });
    }
  });

  it("does see the change from the first rewritten bar on (the check is not vacuous)", () => {
    const cut = 1_234;
    const rewrite = FUTURES["random prices, spreads and time gaps"];
    if (rewrite === undefined) throw new Error("missing future");
    const rows = buildFeatures([...BARS.slice(0, cut + 1), ...rewrite(BARS.slice(cut + 1), cut + 1)]);
    expect(rowDifferences(rows.slice(cut + 1, cut + 2), ROWS.slice(cut + 1, cut + 2))).toHaveLength(1);
  });
});
