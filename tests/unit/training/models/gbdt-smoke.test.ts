/** Performance smoke test: 50,000 rows × 20 features × 50 depth-6 trees fit and beat the prior (no timing asserted). */
import { describe, expect, it } from "vitest";
import { fitGbdt, predictProba } from "../../../../training/models/gbdt.js";
import { probabilityLogLoss } from "../../../../training/models/objectives.js";
import { noisyData } from "./synthetic-data.js";

describe("fitGbdt at scale", () => {
  it("fits 50k × 20 × 50 trees and lowers the training log-loss below the prior's", () => {
    const data = noisyData(50_000, 20, 31);
    const model = fitGbdt(data, { nRounds: 50 });
    expect(model.trees).toHaveLength(50);
    const prior = probabilityLogLoss(predictProba({ ...model, trees: [] }, data.features), data.labels, 2);
    const fitted = probabilityLogLoss(predictProba(model, data.features), data.labels, 2);
    expect(fitted).toBeLessThan(prior);
  });
});
