/**
 * The demo model shipped with the project (data/models/xauusd-m1-demo): how it is trained from the shipped demo data
 * (`npm run model:demo`) and how `npm start` uploads it to the local registry and deploys it.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { XAU_M1_CORE_SPEC } from "../../core/features/index.js";
import { TIMEFRAME_MS } from "../../core/market/timeframe.js";
import {
  DEFAULT_LABEL_DEFINITION,
  MANIFEST_FILE_NAME,
  MODEL_FILE_NAME,
  type ModelManifest,
  ModelManifestSchema,
} from "../../core/ml/index.js";
import { readMt5BarsFile } from "../../training/features-csv.js";
import { type FinalArtifacts, finalArtifacts } from "../../training/pipeline/artifacts.js";
import { readDatasetFile } from "../../training/pipeline/dataset.js";
import { renderTextReport } from "../../training/pipeline/report.js";
import { trainAndEvaluate, type TrainProgress, type TrainResult } from "../../training/pipeline/train.js";
import type { DeployDecision, ModelRecord, RegistryClient } from "../../training/registry-client.js";
import { DEMO_FILE, DEMO_SYMBOL, DEMO_UTC_OFFSET_MINUTES } from "./demo-data.js";

/** Directory of the committed demo model: model.onnx, manifest.json and report.txt. */
export const DEMO_MODEL_DIR = fileURLToPath(new URL("../../data/models/xauusd-m1-demo/", import.meta.url));

/** File name of the demo model's text report (beside model.onnx and manifest.json). */
export const DEMO_REPORT_FILE_NAME = "report.txt";

/**
 * How the demo model is trained: L2-regularised logistic regression, binary direction over 15 M1 bars, seed 1,
 * 4 random-search trials (trial 0 untuned; the 4th already holds the choice a 30-trial search makes) — about 15 s.
 */
export const DEMO_MODEL_SETTINGS = Object.freeze({
  symbol: DEMO_SYMBOL,
  model: "logistic",
  horizonBars: 15,
  trials: 4,
  seed: 1,
} as const);

/** Why `npm start` forces the demo model into an empty slot when the promotion gate refuses it. */
export const DEMO_FORCE_REASON = "demo model shipped with the project";

/** A trained demo model: the pipeline's result and the files made from it. */
export interface DemoModel {
  readonly result: TrainResult;
  readonly artifacts: FinalArtifacts;
  /** report.txt: the text report without its wall-clock line, so that it is the same on every run. */
  readonly reportText: string;
}

/**
 * Close time of the demo file's last bar, epoch ms UTC: the demo model's `createdAtMs`, so that its version and
 * manifest are the same on every run (a fixed point of the data, not the wall clock).
 */
export function demoDataEndMs(): number {
  const last = readMt5BarsFile(DEMO_FILE, DEMO_UTC_OFFSET_MINUTES).at(-1);
  if (last === undefined) throw new Error(`${DEMO_FILE} holds no bars`);
  return last.tsMs + TIMEFRAME_MS[XAU_M1_CORE_SPEC.parameters.timeframe];
}

/**
 * Trains the demo model with the project's trainer on the shipped demo data ({@link DEMO_MODEL_SETTINGS}).
 * Deterministic: the same weights, manifest and ONNX bytes on every run.
 * @example
 * const { artifacts } = trainDemoModel();
 * writeFileSync("model.onnx", artifacts.onnx);
 */
export function trainDemoModel(onProgress?: (progress: TrainProgress) => void): DemoModel {
  const { symbol, model, horizonBars, trials, seed } = DEMO_MODEL_SETTINGS;
  const dataset = readDatasetFile(DEMO_FILE, {
    symbol,
    offsetMinutes: DEMO_UTC_OFFSET_MINUTES,
    spec: XAU_M1_CORE_SPEC,
    label: { ...DEFAULT_LABEL_DEFINITION, horizonBars },
  });
  const createdAtMs = demoDataEndMs();
  const result = trainAndEvaluate({ dataset, model, horizon: horizonBars, trials, seed, now: () => createdAtMs, onProgress });
  const artifacts = finalArtifacts(result);
  return { result, artifacts, reportText: renderTextReport(artifacts.report, { timings: false }) };
}

/** The committed demo model: its manifest (validated) and ONNX bytes. */
export function readDemoModel(directory: string = DEMO_MODEL_DIR): { manifest: ModelManifest; onnx: Uint8Array } {
  const manifest = ModelManifestSchema.parse(JSON.parse(readFileSync(`${directory}/${MANIFEST_FILE_NAME}`, "utf8")));
  return { manifest, onnx: new Uint8Array(readFileSync(`${directory}/${MODEL_FILE_NAME}`)) };
}

/** What {@link deployDemoModel} did. */
export interface DemoModelDeployment {
  readonly version: string;
  readonly modelId: number;
  /** False when the registry already listed the version. */
  readonly uploaded: boolean;
  /**
   * `deployed`: the promotion gate promoted it; `forced`: the gate refused and the slot was empty, so it was
   * deployed by force; `already-champion`: nothing to do; `kept-champion`: another champion serves the slot and the
   * gate refused the demo model (it is never forced over a champion).
   */
  readonly outcome: "deployed" | "forced" | "already-champion" | "kept-champion";
  /** The gate's decision (of the unforced attempt); null when nothing was asked. */
  readonly decision: DeployDecision | null;
  /** The slot's champion before, when there was one. */
  readonly previousChampion: string | null;
}

/**
 * Uploads the committed demo model to the registry unless it already lists that version, and deploys it: when the
 * promotion gate refuses and the symbol has no champion, it deploys by force with {@link DEMO_FORCE_REASON} (the
 * registry audits it); a champion already serving the slot is never forced out.
 * @example
 * const deployment = await deployDemoModel(new RegistryClient({ baseUrl, apiKey: adminAccessToken }));
 */
export async function deployDemoModel(registry: RegistryClient, directory: string = DEMO_MODEL_DIR): Promise<DemoModelDeployment> {
  const { manifest, onnx } = readDemoModel(directory);
  const listed = await registry.listModels({ symbol: manifest.symbol });
  const existing = listed.find((record) => record.version === manifest.version && record.timeframe === manifest.timeframe);
  const record: ModelRecord = existing ?? (await registry.uploadModel(manifest, onnx));
  const base = { version: record.version, modelId: record.id, uploaded: existing === undefined };
  const champion = listed.find((other) => other.status === "champion" && other.timeframe === manifest.timeframe) ?? null;
  if (record.status === "champion") {
    return { ...base, outcome: "already-champion", decision: null, previousChampion: null };
  }
  const attempt = await registry.deployModel(record.id);
  const previousChampion = champion?.version ?? null;
  if (attempt.deployed) return { ...base, outcome: "deployed", decision: attempt.decision, previousChampion };
  if (champion !== null) return { ...base, outcome: "kept-champion", decision: attempt.decision, previousChampion };
  const forced = await registry.deployModel(record.id, { force: true, reason: DEMO_FORCE_REASON });
  if (!forced.deployed) {
    const codes = forced.decision.refusals.map((refusal) => refusal.code).join(", ");
    throw new Error(`the registry refused to deploy the demo model ${record.version} even by force (${codes})`);
  }
  return { ...base, outcome: "forced", decision: attempt.decision, previousChampion };
}

/**
 * One line about a deployment for `npm start`'s output.
 * @example
 * console.log(describeDemoDeployment(deployment)); // "demo model: XAUUSD-M1-… deployed (PROMOTE)"
 */
export function describeDemoDeployment(deployment: DemoModelDeployment): string {
  const name = `demo model: ${deployment.version} (model ${deployment.modelId}${deployment.uploaded ? ", uploaded" : ""})`;
  const codes = (deployment.decision?.refusals ?? []).map((refusal) => refusal.code).join(", ");
  switch (deployment.outcome) {
    case "already-champion":
      return `${name} is already the ${DEMO_SYMBOL} champion`;
    case "deployed":
      return `${name} deployed: the promotion gate said ${deployment.decision?.code ?? "PROMOTE"}`;
    case "forced":
      return `${name} deployed by FORCE — the promotion gate refused it (${codes}); forced because the slot was ` +
        `empty and this is the "${DEMO_FORCE_REASON}" (audited by the registry)`;
    case "kept-champion":
      return `${name} not deployed: ${deployment.previousChampion ?? "another model"} stays champion ` +
        `(the promotion gate refused the demo model: ${codes})`;
  }
}
