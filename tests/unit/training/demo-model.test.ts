/**
 * The committed demo model (data/models/xauusd-m1-demo): a valid manifest pinned to the current feature spec, an
 * ONNX model that onnxruntime runs on features built from the shipped data, and weights the trainer reproduces.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildFeatures, featureBarFromSource, XAU_M1_CORE_SPEC } from "../../../core/features/index.js";
import { DEFAULT_LABEL_DEFINITION, type ModelManifest, ModelManifestSchema } from "../../../core/ml/index.js";
import {
  DEMO_FORCE_REASON,
  DEMO_MODEL_DIR,
  DEMO_MODEL_SETTINGS,
  DEMO_REPORT_FILE_NAME,
  demoDataEndMs,
  deployDemoModel,
  describeDemoDeployment,
} from "../../../scripts/lib/demo-model.js";
import { onnxProbabilityOfClass1 } from "../../../training/champion-score.js";
import { featureSpecSha256 } from "../../../training/features-csv.js";
import { predictProba } from "../../../training/models/logistic.js";
import { exportLinear } from "../../../training/onnx/export.js";
import { versionOf } from "../../../training/pipeline/artifacts.js";
import { readDatasetBytes, type TrainingDataset } from "../../../training/pipeline/dataset.js";
import { DEFAULT_FITTERS, labelledSlice, rowSlice } from "../../../training/pipeline/fitters.js";
import { LOGISTIC_SOLVER, planSplits } from "../../../training/pipeline/train.js";
import { RegistryClient } from "../../../training/registry-client.js";
import { DEMO_CSV_PATH, DEMO_UTC_OFFSET_MINUTES, demoBars } from "../../support/node/demo-data.js";
import {
  deployedAnswer,
  errorEnvelope,
  formDataOf,
  pageOf,
  recordOf,
  type RegistryStub,
  startRegistryStub,
  type StubHandler,
} from "./registry-stub.js";

const onnx = new Uint8Array(readFileSync(join(DEMO_MODEL_DIR, "model.onnx")));
const manifest: ModelManifest = ModelManifestSchema.parse(JSON.parse(readFileSync(join(DEMO_MODEL_DIR, "manifest.json"), "utf8")));

describe("the committed demo model", () => {
  it("has a valid manifest for the current feature spec: XAUUSD M1 logistic, 29 inputs, horizon 15", () => {
    expect(manifest.featureSpec.sha256).toBe(featureSpecSha256(XAU_M1_CORE_SPEC));
    expect(manifest.featureSpec).toMatchObject({ name: XAU_M1_CORE_SPEC.name, version: XAU_M1_CORE_SPEC.version });
    expect(manifest.inputWidth).toBe(29);
    expect(manifest).toMatchObject({
      symbol: "XAUUSD",
      timeframe: "M1",
      modelKind: DEMO_MODEL_SETTINGS.model,
      label: { ...DEFAULT_LABEL_DEFINITION, horizonBars: DEMO_MODEL_SETTINGS.horizonBars },
      classLabels: ["down", "up"],
      parentVersion: null,
    });
    // Stamped with the data's end, not the wall clock: the same version on every run.
    expect(manifest.createdAtMs).toBe(demoDataEndMs());
    expect(manifest.version).toBe(versionOf(manifest));
    expect(manifest.metrics.heldOut.rows).toBeGreaterThan(2_000);
    expect(readFileSync(join(DEMO_MODEL_DIR, DEMO_REPORT_FILE_NAME), "utf8")).toContain(`VERDICT: ${manifest.modelKind}`);
  });

  it("records each input's importance: |standardised coefficient|, every feature once, largest first, shares summing to 1", () => {
    const importance = manifest.featureImportance;
    expect(importance?.method).toBe("standardised-coefficient");
    const features = importance?.features ?? [];
    expect(features.map((f) => f.feature).sort()).toEqual([...XAU_M1_CORE_SPEC.features].sort());
    expect(features.map((f) => f.importance)).toEqual([...features.map((f) => f.importance)].sort((a, b) => b - a));
    expect(features.reduce((sum, f) => sum + f.share, 0)).toBeCloseTo(1, 9);
  });

  it("gives class probabilities in (0, 1) summing to 1 on feature rows built from the shipped data", async () => {
    const bars = demoBars().map(featureBarFromSource);
    const rows = buildFeatures(bars, XAU_M1_CORE_SPEC).filter((row) => row.ready);
    const picked = [0, 1_000, 20_000, 45_000, rows.length - 1].map((index) => rows[index]?.features);
    const values = new Float32Array(picked.length * manifest.inputWidth);
    picked.forEach((features, row) => {
      if (features === undefined) throw new Error("a picked row is missing");
      values.set(features, row * manifest.inputWidth);
    });
    const session = await ort.InferenceSession.create(onnx);
    const output = await session.run({ features: new ort.Tensor("float32", values, [picked.length, manifest.inputWidth]) });
    await session.release();
    const probabilities = Array.from(output["probabilities"]?.data as Float32Array);
    expect(probabilities).toHaveLength(picked.length * 2);
    for (let row = 0; row < picked.length; row += 1) {
      const [down, up] = [probabilities[row * 2] ?? Number.NaN, probabilities[row * 2 + 1] ?? Number.NaN];
      expect(down).toBeGreaterThan(0);
      expect(down).toBeLessThan(1);
      expect(up).toBeGreaterThan(0);
      expect(up).toBeLessThan(1);
      expect(down + up).toBeCloseTo(1, 6);
    }
  });

  describe("reproduced by the trainer", () => {
    let dataset: TrainingDataset;
    beforeAll(() => {
      dataset = readDatasetBytes(readFileSync(DEMO_CSV_PATH), {
        symbol: "XAUUSD",
        offsetMinutes: DEMO_UTC_OFFSET_MINUTES,
        label: manifest.label,
      });
    });

    it("comes from the shipped data: the same data hash, training rows and held-out rows", () => {
      const { splits } = planSplits(dataset.nRows, manifest.label.horizonBars, {});
      expect(manifest.dataSha256).toBe(dataset.dataSha256);
      expect(manifest.trainingWindow.rows).toBe(splits.finalTrain.to - splits.finalTrain.from);
      expect(manifest.metrics.heldOut.range).toEqual(splits.heldOut);
    });

    it("refitting the chosen settings on its training rows gives the same predictions (1e-6) and the same ONNX bytes", async () => {
      // The search (committed in report.txt) chose these settings; the final fit is what model.onnx holds.
      const { splits } = planSplits(dataset.nRows, manifest.label.horizonBars, {});
      const l2 = manifest.hyperParameters["l2"];
      if (typeof l2 !== "number") throw new Error("the manifest's hyperParameters hold no l2");
      const context = { phase: "final", model: "logistic", trial: null, fold: null } as const;
      const refit = DEFAULT_FITTERS.fitLogistic(
        labelledSlice(dataset, splits.finalTrain),
        { l2, ...LOGISTIC_SOLVER, objective: "binary" },
        context,
      );
      const heldOut = rowSlice(dataset, splits.heldOut).features;
      const committed = await onnxProbabilityOfClass1(onnx, heldOut);
      const expected = predictProba(refit, heldOut);
      let maxDelta = 0;
      for (let row = 0; row < heldOut.nRows; row += 1) {
        maxDelta = Math.max(maxDelta, Math.abs((committed[row] ?? Number.NaN) - (expected[row] ?? Number.NaN)));
      }
      expect(maxDelta).toBeLessThan(1e-6);
      const metadata = { featureSpec: manifest.featureSpec, modelVersion: manifest.version, labelDefinition: manifest.label };
      expect(exportLinear(refit, { metadata })).toEqual(onnx);
    });
  });
});

describe("npm start's deployment of the demo model (deployDemoModel, against a stub registry)", () => {
  const demo = recordOf(manifest, 1, "registered");
  const other = recordOf({ ...manifest, version: "XAUUSD-M1-own-model" }, 2, "champion");
  const evidence = {
    heldOutRows: 18_682,
    logLoss: 0.69,
    priorLogLoss: 0.69,
    championLogLoss: null,
    gainOverPrior: 0,
    gainOverChampion: null,
  };
  const refused = {
    code: "NOT_BETTER_THAN_PRIOR",
    promote: false,
    refusals: [{ code: "NOT_BETTER_THAN_PRIOR", message: "gain 0, needs at least 0.0005" }],
    evidence,
  };
  let stub: RegistryStub | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });

  /** A registry listing `listed`, taking uploads as model 1, refusing unforced deploys and accepting forced ones. */
  async function registry(listed: readonly ReturnType<typeof recordOf>[]): Promise<RegistryClient> {
    const handler: StubHandler = async (request) => {
      if (request.method === "GET") return { status: 200, json: pageOf(listed) };
      if (request.url === "/api/v1/models") {
        const uploaded = ModelManifestSchema.parse(JSON.parse(String((await formDataOf(request)).get("manifest"))));
        return { status: 201, json: { model: recordOf(uploaded, 1, "registered") } };
      }
      const body = JSON.parse(request.body.toString()) as { force?: boolean };
      if (body.force === true) return { status: 200, json: deployedAnswer(demo, { ...refused, code: "FORCED", promote: true }) };
      return { status: 409, json: errorEnvelope("PROMOTION_REFUSED", "the promotion gate refused", { decision: refused }) };
    };
    stub = await startRegistryStub(handler);
    return new RegistryClient({ baseUrl: stub.url, apiKey: "token", retryDelayMs: 1 });
  }

  /** The requests so far as "METHOD url", with the body of deploy calls. */
  const calls = () =>
    (stub?.requests ?? []).map((request) =>
      request.url.endsWith("/deploy") ? `${request.method} ${request.url} ${request.body.toString()}` : `${request.method} ${request.url}`,
    );

  it("uploads it into an empty registry and, when the gate refuses, deploys it by force with the reason", async () => {
    const deployment = await deployDemoModel(await registry([]));
    expect(deployment).toMatchObject({ version: manifest.version, modelId: 1, uploaded: true, outcome: "forced", previousChampion: null });
    expect(calls()).toEqual([
      "GET /api/v1/models?symbol=XAUUSD",
      "POST /api/v1/models",
      "POST /api/v1/models/1/deploy {}",
      `POST /api/v1/models/1/deploy ${JSON.stringify({ force: true, reason: DEMO_FORCE_REASON })}`,
    ]);
    expect(describeDemoDeployment(deployment)).toMatch(/deployed by FORCE — the promotion gate refused it \(NOT_BETTER_THAN_PRIOR\)/);
  });

  it("skips the upload when the registry lists the version, and does nothing when it is already champion", async () => {
    const deployment = await deployDemoModel(await registry([{ ...demo, status: "champion" }]));
    expect(deployment).toMatchObject({ uploaded: false, outcome: "already-champion", decision: null });
    expect(calls()).toEqual(["GET /api/v1/models?symbol=XAUUSD"]);
  });

  it("never forces it over another champion", async () => {
    const deployment = await deployDemoModel(await registry([other, demo]));
    expect(deployment).toMatchObject({ uploaded: false, outcome: "kept-champion", previousChampion: other.version });
    expect(calls()).toEqual(["GET /api/v1/models?symbol=XAUUSD", "POST /api/v1/models/1/deploy {}"]);
    expect(describeDemoDeployment(deployment)).toContain(`not deployed: ${other.version} stays champion`);
  });
});
