/** Model strategy: every branch of the decision (entries, ties, reversals, hysteresis exits, minimum hold) and its ATR state. */
import { describe, expect, it } from "vitest";
import { AverageTrueRange, runBatch } from "../../../core/indicators/index.js";
import type { LiveAction } from "../../../core/ml/live.js";
import { ModelStrategyConfigSchema } from "../../../core/schemas/trading.js";
import {
  decideModelTarget,
  type HeldSide,
  type ModelDecision,
  type ModelDecisionRules,
  ModelStrategy,
} from "../../../core/strategy/index.js";
import { barsFromMoves, roundTrip } from "./bar-builders.js";

const RULES: ModelDecisionRules = { entryConfidence: 0.6, exitConfidence: 0.45, minHoldingBars: 3 };

/** Decides for a binary [down, up] model (sell = 1 − buy) whose action is its most probable class, ties to down. */
function decide(held: HeldSide, buy: number, barsHeld = 10, rules = RULES, sell = 1 - buy): ModelDecision {
  const action: LiveAction = buy > sell ? "buy" : "sell";
  return decideModelTarget({ held, barsHeld, action, probabilities: { buy, sell } }, rules);
}

const go = (target: HeldSide): ModelDecision => ({ target, filteredBy: null });
const KEEP: ModelDecision = { target: null, filteredBy: null };
const LOW_CONFIDENCE: ModelDecision = { target: null, filteredBy: "LOW_CONFIDENCE" };
const MIN_HOLDING: ModelDecision = { target: null, filteredBy: "MIN_HOLDING" };

describe("decideModelTarget when flat", () => {
  it("enters long or short at or above the entry confidence", () => {
    expect(decide("flat", 0.6)).toEqual(go("long"));
    expect(decide("flat", 0.9)).toEqual(go("long"));
    expect(decide("flat", 0.4)).toEqual(go("short"));
    expect(decide("flat", 0.05)).toEqual(go("short"));
  });

  it("stays flat with LOW_CONFIDENCE when the signal is too weak", () => {
    expect(decide("flat", 0.59)).toEqual(LOW_CONFIDENCE);
    expect(decide("flat", 0.41)).toEqual(LOW_CONFIDENCE);
    expect(decide("flat", 0.5)).toEqual(LOW_CONFIDENCE);
  });

  it("enters on neither side when both reach the entry confidence (a 0.5/0.5 tie)", () => {
    const even = { ...RULES, entryConfidence: 0.5 };
    expect(decide("flat", 0.5, 0, even)).toEqual(LOW_CONFIDENCE);
  });

  it("stays flat without a code when the champion says hold (no signal to filter)", () => {
    const hold = { held: "flat", barsHeld: 0, action: "hold", probabilities: { buy: 0.3, sell: 0.3 } } as const;
    expect(decideModelTarget(hold, RULES)).toEqual(KEEP);
  });

  it("reads the probabilities of a three-class model, not the action, for the target", () => {
    // 0.6 up, 0.1 down, 0.3 hold: the up class reaches the entry confidence.
    expect(decideModelTarget({ held: "flat", barsHeld: 0, action: "buy", probabilities: { buy: 0.6, sell: 0.1 } }, RULES)).toEqual(go("long"));
    expect(decideModelTarget({ held: "flat", barsHeld: 0, action: "buy", probabilities: { buy: 0.5, sell: 0.1 } }, RULES)).toEqual(LOW_CONFIDENCE);
  });
});

describe("decideModelTarget when holding", () => {
  it("reverses a long to short, and a short to long, on an entry-confidence signal the other way", () => {
    expect(decide("long", 0.4)).toEqual(go("short"));
    expect(decide("short", 0.6)).toEqual(go("long"));
  });

  it("closes a long when the buy probability falls below the exit confidence, and mirrors it for a short", () => {
    expect(decide("long", 0.44)).toEqual(go("flat"));
    expect(decide("short", 0.56)).toEqual(go("flat")); // sell 0.44 < 0.45
  });

  it("keeps a position inside the hysteresis band between the exit and the entry confidence", () => {
    for (const buy of [0.45, 0.5, 0.59, 0.6, 0.95]) expect(decide("long", buy)).toEqual(KEEP);
    for (const buy of [0.54, 0.5, 0.41, 0.4, 0.05]) expect(decide("short", buy)).toEqual(KEEP);
  });

  it("closes (does not reverse) when the other side is stronger but below the entry confidence", () => {
    // buy 0.42, sell 0.58: not enough to go short, but the long has lost its exit confidence.
    expect(decide("long", 0.42)).toEqual(go("flat"));
  });

  it("holds back a change with MIN_HOLDING until minHoldingBars bars have closed since the entry fill", () => {
    expect(decide("long", 0.3, 2)).toEqual(MIN_HOLDING); // would reverse
    expect(decide("long", 0.44, 2)).toEqual(MIN_HOLDING); // would close
    expect(decide("short", 0.7, 0)).toEqual(MIN_HOLDING);
    expect(decide("long", 0.3, 3)).toEqual(go("short"));
    expect(decide("short", 0.7, 3)).toEqual(go("long"));
  });

  it("gives no code while held back if no change was due", () => {
    expect(decide("long", 0.5, 0)).toEqual(KEEP);
    expect(decide("short", 0.5, 1)).toEqual(KEEP);
  });

  it("allows a change on the entry bar itself when minHoldingBars is 0", () => {
    expect(decide("long", 0.3, 0, { ...RULES, minHoldingBars: 0 })).toEqual(go("short"));
  });

  it("neither reverses nor closes on a 0.5/0.5 tie when both confidences are 0.5", () => {
    const even = { entryConfidence: 0.5, exitConfidence: 0.5, minHoldingBars: 0 };
    expect(decide("long", 0.5, 5, even)).toEqual(KEEP);
    expect(decide("short", 0.5, 5, even)).toEqual(KEEP);
  });
});

describe("decideModelTarget over a run of bars", () => {
  it("enters at the entry confidence, rides through the band, waits out the minimum hold, then exits", () => {
    let held: HeldSide = "flat";
    let barsHeld = 0;
    const path: (string | null)[] = [];
    for (const buy of [0.55, 0.62, 0.5, 0.3, 0.46, 0.5, 0.44, 0.44, 0.58]) {
      if (held !== "flat") barsHeld += 1; // one more closed bar since the entry fill
      const decision = decide(held, buy, barsHeld);
      path.push(decision.target ?? decision.filteredBy);
      if (decision.target !== null) [held, barsHeld] = [decision.target, 0];
    }
    expect(path).toEqual([
      "LOW_CONFIDENCE", // 0.55 < 0.6
      "long", // 0.62
      null, // 0.5: inside the band
      "MIN_HOLDING", // 0.3 would reverse, but only 2 bars held
      null, // 0.46: still ≥ 0.45
      null,
      "flat", // 0.44 < 0.45 after 5 bars
      "LOW_CONFIDENCE", // flat, sell 0.56 < 0.6
      "LOW_CONFIDENCE",
    ]);
  });
});

describe("decideModelTarget input checks", () => {
  it("refuses probabilities outside [0, 1] and a bar count that is not a non-negative integer", () => {
    expect(() => decide("flat", Number.NaN)).toThrow(RangeError);
    expect(() => decide("flat", 1.2)).toThrow(RangeError);
    expect(() => decide("flat", 0.5, 0, RULES, -0.1)).toThrow(RangeError);
    expect(() => decide("long", 0.5, -1)).toThrow(RangeError);
    expect(() => decide("long", 0.5, 1.5)).toThrow(RangeError);
  });
});

describe("ModelStrategy", () => {
  const config = ModelStrategyConfigSchema.parse({ kind: "model", atrPeriod: 5, minHoldingBars: 2 });
  const bars = barsFromMoves(Array.from({ length: 40 }, (_, index) => Math.cos(index) * 1.5), { wick: 0.2 });

  it("decides with its configured rules", () => {
    const strategy = new ModelStrategy(config);
    const signal = { action: "sell", probabilities: { buy: 0.2, sell: 0.8 } } as const;
    expect(strategy.decide({ held: "long", barsHeld: 1, ...signal })).toEqual(MIN_HOLDING);
    expect(strategy.decide({ held: "long", barsHeld: 2, ...signal })).toEqual(go("short"));
    expect(strategy.decide({ held: "flat", barsHeld: 0, action: "buy", probabilities: { buy: 0.55, sell: 0.45 } })).toEqual(go("long"));
  });

  it("keeps the Wilder ATR of core/indicators fed the same bars", () => {
    const strategy = new ModelStrategy(config);
    const atr = bars.map((bar) => {
      strategy.update(bar);
      return strategy.atr();
    });
    expect(atr).toEqual(runBatch(new AverageTrueRange({ period: 5 }), bars));
  });

  it("resumes from a JSON snapshot and refuses one that does not fit, keeping its state", () => {
    const first = new ModelStrategy(config);
    bars.slice(0, 17).forEach((bar) => first.update(bar));
    const resumed = new ModelStrategy(config, roundTrip(first.snapshot()));
    const whole = new ModelStrategy(config);
    bars.forEach((bar) => whole.update(bar));
    bars.slice(17).forEach((bar) => resumed.update(bar));
    expect(resumed.snapshot()).toEqual(whole.snapshot());
    const good = resumed.snapshot();
    for (const bad of [null, { ...good, kind: "ema-cross" }, { ...good, atrPeriod: 6 }, { ...good, atr: [] }, { ...good, atr: { ...good.atr, seedSum: "1" } }]) {
      expect(() => resumed.restore(bad)).toThrow(RangeError);
      expect(resumed.snapshot()).toEqual(good);
    }
  });

  it("refuses an exit confidence above the entry confidence", () => {
    expect(() => new ModelStrategy({ ...config, exitConfidence: 0.7, entryConfidence: 0.6 })).toThrow(RangeError);
  });
});
