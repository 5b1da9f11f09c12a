/** The strategy factory and the BarStrategy contract both strategy kinds share. */
import { describe, expect, it } from "vitest";
import { StrategyConfigSchema } from "../../../core/schemas/trading.js";
import { type BarStrategy, createStrategy, EmaCrossStrategy, ModelStrategy } from "../../../core/strategy/index.js";
import { barsFromMoves, roundTrip } from "./bar-builders.js";

const bars = barsFromMoves(Array.from({ length: 60 }, (_, index) => Math.sin(index / 3) * 1.2), { wick: 0.15 });

describe("createStrategy", () => {
  it("builds the class each kind names, with its parsed defaults", () => {
    const emaCross = createStrategy(StrategyConfigSchema.parse({ kind: "ema-cross" }));
    expect(emaCross).toBeInstanceOf(EmaCrossStrategy);
    expect(emaCross.kind).toBe("ema-cross");
    const model = createStrategy(StrategyConfigSchema.parse({ kind: "model" }));
    expect(model).toBeInstanceOf(ModelStrategy);
    expect(model.config).toMatchObject({ entryConfidence: 0.55, exitConfidence: 0.5, minHoldingBars: 5, atrPeriod: 14 });
  });

  it("resumes either kind from a JSON snapshot through the BarStrategy contract", () => {
    for (const input of [{ kind: "ema-cross", fastPeriod: 4, slowPeriod: 9, atrPeriod: 6 }, { kind: "model", atrPeriod: 6 }] as const) {
      const config = StrategyConfigSchema.parse(input);
      const whole: BarStrategy = createStrategy(config);
      const first: BarStrategy = createStrategy(config);
      bars.forEach((bar) => whole.update(bar));
      bars.slice(0, 25).forEach((bar) => first.update(bar));
      const resumed: BarStrategy = createStrategy(config, roundTrip(first.snapshot()));
      bars.slice(25).forEach((bar) => resumed.update(bar));
      expect(resumed.snapshot()).toEqual(whole.snapshot());
      expect(resumed.atr()).toBe(whole.atr());
      expect(resumed.atr()).toBeGreaterThan(0);
    }
  });

  it("refuses the snapshot of the other kind", () => {
    const emaCross = createStrategy(StrategyConfigSchema.parse({ kind: "ema-cross" }));
    const model = createStrategy(StrategyConfigSchema.parse({ kind: "model" }));
    expect(() => emaCross.restore(model.snapshot())).toThrow(RangeError);
    expect(() => createStrategy(StrategyConfigSchema.parse({ kind: "model" }), emaCross.snapshot())).toThrow(RangeError);
  });
});
