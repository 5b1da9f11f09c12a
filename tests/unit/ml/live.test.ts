/** Live model monitoring: reading probabilities, scoring outcomes like the trainer's metrics, the degradation flag. */
import { describe, expect, it } from "vitest";
import { assessLivePerformance, binaryLogLoss, decideOutcome, DEFAULT_DEGRADATION_POLICY, labelBars, labelForward, readProbabilities, scoreOutcome } from "../../../core/ml/index.js";

const HELD_OUT = { logLoss: 0.69, accuracy: 0.52, priorLogLoss: 0.6932 };

describe("readProbabilities", () => {
  it("reads the most probable class as an action with its probability as the confidence", () => {
    expect(readProbabilities([0.42, 0.58], ["down", "up"])).toEqual({ probabilities: { down: 0.42, up: 0.58 }, classIndex: 1, action: "buy", confidence: 0.58 });
    expect(readProbabilities([0.7, 0.3], ["down", "up"]).action).toBe("sell");
    expect(readProbabilities([0.2, 0.5, 0.3], ["sell", "hold", "buy"]).action).toBe("hold");
    expect(readProbabilities([0.1, 0.3, 0.6], ["sell", "hold", "buy"]).action).toBe("buy");
  });

  it("breaks ties toward the lowest class index, as accuracy does", () => {
    expect(readProbabilities([0.5, 0.5], ["down", "up"])).toMatchObject({ classIndex: 0, action: "sell" });
  });

  it("refuses rows that do not fit the labels or are not probabilities", () => {
    expect(() => readProbabilities([0.5, 0.5], ["sell", "hold", "buy"])).toThrow(RangeError);
    expect(() => readProbabilities([Number.NaN, 1], ["down", "up"])).toThrow(RangeError);
    expect(() => readProbabilities([1.2, -0.2], ["down", "up"])).toThrow(RangeError);
  });
});

describe("scoreOutcome", () => {
  it("gives the per-row terms of the trainer's log-loss and accuracy", () => {
    const rows = [[0.4, 0.6], [0.8, 0.2], [0.5, 0.5], [0, 1]];
    const labels = [1, 1, 0, 0];
    const scores = rows.map((row, i) => scoreOutcome(row, labels[i]!));
    const meanLogLoss = scores.reduce((sum, s) => sum + s.logLoss, 0) / scores.length;
    expect(meanLogLoss).toBeCloseTo(binaryLogLoss(labels, rows.map((row) => row[1]!)), 12);
    expect(scores.map((s) => s.correct)).toEqual([true, false, true, false]);
    expect(scores[3]!.logLoss).toBeCloseTo(-Math.log(1 - (1 - 1e-15)), 9);
    const threeClass = [[0.2, 0.5, 0.3], [0.2, 0.3, 0.5]];
    expect(threeClass.map((row) => scoreOutcome(row, 2))).toEqual([{ logLoss: -Math.log(0.3), correct: false }, { logLoss: -Math.log(0.5), correct: true }]);
  });

  it("refuses a class outside the row", () => {
    expect(() => scoreOutcome([0.5, 0.5], 2)).toThrow(RangeError);
  });
});

describe("labelForward", () => {
  const context = { pointSize: 0.01, timeframe: "M1" } as const;
  const definition = { kind: "direction", horizonBars: 3, classes: "binary", noTradeBandSpreads: 1 } as const;
  const bars = [100, 100.5, 99, 100.3, 100.02, 99.9].map((close, i) => ({ tsMs: i * 60_000, close, spreadAvgPoints: 20 }));

  it("labels a bar from the bar h bars on exactly as labelBars does", () => {
    const batch = labelBars(bars, definition, context);
    for (let i = 0; i + 3 < bars.length; i++) expect(labelForward(bars[i]!, bars[i + 3], definition, context)).toEqual(batch[i]);
    expect(labelForward(bars[4]!, undefined, definition, context)).toEqual(batch[4]);
  });

  it("excludes a forward bar more than h bar lengths away as a gap", () => {
    const late = { tsMs: 4 * 60_000, close: 101, spreadAvgPoints: 20 };
    expect(labelForward(bars[0]!, late, definition, context).exclusion).toBe("GAP");
  });
});

describe("assessLivePerformance", () => {
  it("reports nothing to judge before the first outcome", () => {
    expect(assessLivePerformance({ outcomes: 0, logLossSum: 0, correct: 0 }, HELD_OUT)).toMatchObject({ outcomes: 0, logLoss: null, degraded: false });
  });

  it("does not flag a model on fewer outcomes than the policy needs, however bad", () => {
    const few = assessLivePerformance({ outcomes: DEFAULT_DEGRADATION_POLICY.minOutcomes - 1, logLossSum: 199 * 2, correct: 0 }, HELD_OUT);
    expect(few.degraded).toBe(false);
    expect(few.logLoss).toBe(2);
  });

  it("flags a live log-loss more than the allowed excess above the held-out one, and only then", () => {
    const n = 400;
    const atLimit = assessLivePerformance({ outcomes: n, logLossSum: n * (0.69 + 0.019), correct: 200 }, HELD_OUT);
    expect(atLimit).toMatchObject({ degraded: false, accuracy: 0.5 });
    expect(atLimit.logLossExcess).toBeCloseTo(0.019, 12);
    const beyond = assessLivePerformance({ outcomes: n, logLossSum: n * (0.69 + 0.021), correct: 200 }, HELD_OUT);
    expect(beyond.degraded).toBe(true);
    expect(beyond.reason).toMatch(/^degraded: live log-loss 0\.71100/);
  });
});

describe("decideOutcome", () => {
  const model = { label: { kind: "direction", horizonBars: 3, classes: "binary", noTradeBandSpreads: 0 }, classLabels: ["down", "up"], timeframe: "M1" } as const;
  const signalBar = { tsMs: 0, barIndex: 10, close: 100, spreadAvgPoints: 20 };
  const p = { down: 0.3, up: 0.7 };

  it("scores the bar h bars and h bar lengths on with the trainer's label and terms", () => {
    const forward = { tsMs: 180_000, barIndex: 13, close: 100.5, spreadAvgPoints: 20 };
    expect(decideOutcome(signalBar, p, forward, model, 0.01)).toEqual({ label: "up", exclusion: null, logLoss: scoreOutcome([0.3, 0.7], 1).logLoss, correct: true });
  });

  it("excludes as a gap a deciding bar at the due time that is not h bars on, or one after the due time", () => {
    expect(decideOutcome(signalBar, p, { tsMs: 180_000, barIndex: 12, close: 101, spreadAvgPoints: 20 }, model, 0.01).exclusion).toBe("GAP");
    expect(decideOutcome(signalBar, p, { tsMs: 240_000, barIndex: 13, close: 101, spreadAvgPoints: 20 }, model, 0.01).exclusion).toBe("GAP");
  });
});
