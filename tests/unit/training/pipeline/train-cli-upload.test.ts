/**
 * `train --upload` against a local stub registry, on the first 6,000 demo bars with 2 logistic trials: the champion
 * is scored on the candidate's held-out rows, the manifest carries it, the model is uploaded and deployed, and
 * refusals and registry errors end with their codes and exit statuses.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ModelManifest, ModelManifestSchema } from "../../../../core/ml/index.js";
import { readDemoModel } from "../../../../scripts/lib/demo-model.js";
import { heldOutMetricsOfOnnx } from "../../../../training/champion-score.js";
import { readDatasetBytes } from "../../../../training/pipeline/dataset.js";
import type { TrainingReport } from "../../../../training/pipeline/report.js";
import { planSplits } from "../../../../training/pipeline/train.js";
import { type CliRun, runCli } from "../../../support/node/run-cli.js";
import { demoCsvHead } from "./pipeline-data.js";
import {
  deployedAnswer,
  errorEnvelope,
  formDataOf,
  pageOf,
  recordOf,
  type RegistryStub,
  startRegistryStub,
  type StubHandler,
} from "../registry-stub.js";

const CLI = "training/train-cli.ts";
const KEY = "ak_cli00001_secret";
const ENV_KEY = "ak_env00002_secret";

/** The committed demo model stands in for the registry's champion: same spec, label and class order. */
const champion = readDemoModel();
const CHAMPION_RECORD = recordOf(champion.manifest, 7, "champion");
const UPLOADED_ID = 8;

function evidence(logLoss: number, priorLogLoss: number) {
  return {
    heldOutRows: 1_700,
    logLoss,
    priorLogLoss,
    championLogLoss: null,
    gainOverPrior: priorLogLoss - logLoss,
    gainOverChampion: null,
  };
}

const REFUSED = {
  code: "TOO_FEW_HELD_OUT_ROWS",
  promote: false,
  refusals: [
    { code: "TOO_FEW_HELD_OUT_ROWS", message: "scored on 1700 held-out rows, fewer than 2000" },
    { code: "NOT_BETTER_THAN_PRIOR", message: "held-out log-loss 0.70 vs the constant prior's 0.69" },
  ],
  evidence: evidence(0.7, 0.69),
};

/** A registry with `champions` for the list, the demo model's bytes, and the given upload and deploy answers. */
function registry(options: {
  champions: readonly ReturnType<typeof recordOf>[];
  upload: "accept" | { status: number; json: unknown };
  deploy?: { status: number; json: unknown } | "promote";
}): StubHandler {
  return async (request) => {
    if (request.method === "GET" && request.url.startsWith("/api/v1/models?")) {
      return { status: 200, json: pageOf(options.champions) };
    }
    if (request.method === "GET" && request.url === `/api/v1/models/${CHAMPION_RECORD.id}/model.onnx`) {
      return { status: 200, bytes: champion.onnx };
    }
    if (request.method === "POST" && request.url === "/api/v1/models") {
      if (options.upload !== "accept") return options.upload;
      const manifest = ModelManifestSchema.parse(JSON.parse(String((await formDataOf(request)).get("manifest"))));
      return { status: 201, json: { model: recordOf(manifest, UPLOADED_ID, "registered") } };
    }
    if (request.method === "POST" && request.url === `/api/v1/models/${UPLOADED_ID}/deploy` && options.deploy) {
      if (options.deploy !== "promote") return options.deploy;
      const decision = { code: "PROMOTE", promote: true, refusals: [], evidence: evidence(0.69, 0.7) };
      return { status: 200, json: deployedAnswer(CHAMPION_RECORD, decision) };
    }
    return { status: 404, json: errorEnvelope("NOT_FOUND", `no route ${request.method} ${request.url}`) };
  };
}

async function uploadedManifest(stub: RegistryStub): Promise<ModelManifest> {
  const upload = stub.requests.find((request) => request.method === "POST" && request.url === "/api/v1/models");
  if (upload === undefined) throw new Error("nothing was uploaded");
  const form = await formDataOf(upload);
  const model = form.get("model");
  expect(model).toBeInstanceOf(File);
  expect((model as File).name).toBe("model.onnx");
  return ModelManifestSchema.parse(JSON.parse(String(form.get("manifest"))));
}

describe("npx tsx training/train-cli.ts --upload", () => {
  const directory = mkdtempSync(join(tmpdir(), "aurum-train-upload-"));
  const dataPath = join(directory, "bars.csv.gz");
  let stubs: { scored: RegistryStub; incompatible: RegistryStub; none: RegistryStub };
  let runs: { scored: CliRun; incompatible: CliRun; none: CliRun; unreachable: CliRun; noKey: CliRun; deployOnly: CliRun };
  const out = (name: string) => join(directory, name);

  beforeAll(async () => {
    writeFileSync(dataPath, gzipSync(Buffer.from(demoCsvHead(6_000), "utf8")));
    stubs = {
      scored: await startRegistryStub(
        registry({
          champions: [CHAMPION_RECORD],
          upload: "accept",
          deploy: { status: 409, json: errorEnvelope("PROMOTION_REFUSED", "the promotion gate refused", { decision: REFUSED }) },
        }),
      ),
      incompatible: await startRegistryStub(
        registry({
          champions: [
            {
              ...CHAMPION_RECORD,
              featureSpec: { ...CHAMPION_RECORD.featureSpec, sha256: "f".repeat(64) },
              label: { ...CHAMPION_RECORD.label, horizonBars: 30 },
            },
          ],
          upload: { status: 409, json: errorEnvelope("VERSION_EXISTS", "version is already registered") },
        }),
      ),
      none: await startRegistryStub(registry({ champions: [], upload: "accept", deploy: "promote" })),
    };
    const unreachableUrl = await (async () => {
      const closed = await startRegistryStub(() => ({ drop: true }));
      await closed.close();
      return closed.url;
    })();
    const common = ["--data", dataPath, "--symbol", "XAUUSD", "--timeframe", "M1", "--horizon", "15", "--tz", "+03:00"];
    const train = (name: string) => [...common, "--model", "logistic", "--trials", "2", "--seed", "3", "--out", out(name)];
    const savedKey = process.env.AURUM_KEY;
    delete process.env.AURUM_KEY;
    const noKey = runCli(CLI, [...train("no-key"), "--upload", stubs.none.url]);
    const deployOnly = runCli(CLI, [...train("deploy-only"), "--deploy"]);
    const scored = runCli(CLI, [...train("scored"), "--upload", stubs.scored.url, "--key", KEY, "--deploy"]);
    const none = runCli(CLI, [...train("none"), "--upload", stubs.none.url, "--key", KEY, "--deploy"]);
    const unreachable = runCli(CLI, [...train("unreachable"), "--upload", unreachableUrl, "--key", KEY]);
    process.env.AURUM_KEY = ENV_KEY;
    const incompatible = runCli(CLI, [...train("incompatible"), "--upload", stubs.incompatible.url]);
    if (savedKey === undefined) delete process.env.AURUM_KEY;
    else process.env.AURUM_KEY = savedKey;
    runs = {
      scored: await scored,
      incompatible: await incompatible,
      none: await none,
      unreachable: await unreachable,
      noKey: await noKey,
      deployOnly: await deployOnly,
    };
  });

  afterAll(async () => {
    await Promise.all(Object.values(stubs).map((stub) => stub.close()));
    rmSync(directory, { recursive: true, force: true });
  });

  it("scores the champion on exactly the candidate's held-out rows and completes the manifest with it", async () => {
    const run = runs.scored;
    expect(run.stderr).toContain(`scoring champion ${champion.manifest.version}`);
    const manifest = await uploadedManifest(stubs.scored);
    const dataset = readDatasetBytes(readFileSync(dataPath), { symbol: "XAUUSD", offsetMinutes: 180 });
    const { splits } = planSplits(dataset.nRows, 15, {});
    expect(manifest.metrics.heldOut.range).toEqual(splits.heldOut);
    const expected = await heldOutMetricsOfOnnx(champion.onnx, dataset, { splits });
    expect(manifest.metrics.heldOut.champion).toEqual({ version: champion.manifest.version, ...expected });
    expect(manifest.parentVersion).toBe(champion.manifest.version);
    expect(JSON.parse(readFileSync(join(out("scored"), "manifest.json"), "utf8"))).toEqual(manifest);
    expect(stubs.scored.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      "GET /api/v1/models?symbol=XAUUSD&status=champion",
      "GET /api/v1/models/7/model.onnx",
      "POST /api/v1/models",
      "POST /api/v1/models/8/deploy",
    ]);
    for (const request of stubs.scored.requests) expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("shows the champion beside the candidate and the prior in both reports", () => {
    const run = runs.scored;
    const report = JSON.parse(readFileSync(join(out("scored"), "report.json"), "utf8")) as TrainingReport;
    expect(report.champion?.version).toBe(champion.manifest.version);
    expect(report.champion?.scored?.rows).toBe(report.heldOut.rows);
    const gain = (report.champion?.scored?.champion.logLoss ?? Number.NaN) - report.heldOut.model.logLoss;
    expect(report.champion?.scored?.gain.logLoss).toBeCloseTo(gain, 12);
    const text = readFileSync(join(out("scored"), "report.txt"), "utf8");
    expect(text).toContain(`candidate beside the champion ${champion.manifest.version} and the prior`);
    expect(text).toMatch(/\ncandidate +0\.\d{5}/);
    expect(text).toMatch(/\nchampion +0\.\d{5}/);
    expect(text).toMatch(/\nprior +0\.\d{5}/);
    expect(text).toMatch(/\ngain over champion +[+-]\d\.\d{5}/);
    expect(run.stdout.startsWith(text)).toBe(true);
  });

  it("prints the upload's id and version, and a deploy refusal's codes with exit status 3", async () => {
    const run = runs.scored;
    const manifest = await uploadedManifest(stubs.scored);
    expect(run.status, run.stderr).toBe(3);
    expect(run.stdout).toContain(`uploaded: model 8 version ${manifest.version} (registered)`);
    expect(run.stdout).toContain("deploy refused: TOO_FEW_HELD_OUT_ROWS — the promotion gate refused");
    expect(run.stdout).toContain("  TOO_FEW_HELD_OUT_ROWS: scored on 1700 held-out rows, fewer than 2000");
    expect(run.stdout).toContain("  NOT_BETTER_THAN_PRIOR: held-out log-loss 0.70");
    expect(JSON.parse(stubs.scored.requests[3]?.body.toString() ?? "")).toEqual({});
  });

  it("uploads without a champion score when the champion is incompatible, and exits 1 with the registry's error", async () => {
    const run = runs.incompatible;
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/champion XAUUSD-M1-\S+ is incompatible \(feature spec .*; label .*\)/);
    expect(run.stderr).toContain("CHAMPION_NOT_EVALUATED unless forced");
    expect(run.stderr).toContain("error: upload refused: VERSION_EXISTS: version is already registered (HTTP 409)");
    const manifest = await uploadedManifest(stubs.incompatible);
    expect(manifest.metrics.heldOut.champion).toBeNull();
    expect(manifest.parentVersion).toBeNull();
    expect(stubs.incompatible.requests.some((request) => request.url.endsWith("/model.onnx"))).toBe(false);
    for (const request of stubs.incompatible.requests) expect(request.headers.authorization).toBe(`Bearer ${ENV_KEY}`);
    const report = readFileSync(join(out("incompatible"), "report.txt"), "utf8");
    expect(report).toMatch(/champion XAUUSD-M1-\S+: not scored on the held-out rows \(feature spec/);
  });

  it("uploads and deploys when the slot has no champion", async () => {
    const run = runs.none;
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain("no champion for XAUUSD in the registry");
    const manifest = await uploadedManifest(stubs.none);
    expect(manifest.metrics.heldOut.champion).toBeNull();
    expect(run.stdout).toContain(`uploaded: model 8 version ${manifest.version} (registered)`);
    expect(run.stdout).toContain(`deployed: model 8 version ${manifest.version} is champion (PROMOTE)`);
    const report = JSON.parse(readFileSync(join(out("none"), "report.json"), "utf8")) as TrainingReport;
    expect(report.champion ?? null).toBeNull();
  });

  it("keeps the trained files and exits 1 when the registry cannot be reached", () => {
    const run = runs.unreachable;
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/error: asking http:\/\/127\.0\.0\.1:\d+ for the champion failed \(PLATFORM_UNREACHABLE: /);
    expect(run.stderr).toContain("nothing was uploaded");
    const manifest = ModelManifestSchema.parse(JSON.parse(readFileSync(join(out("unreachable"), "manifest.json"), "utf8")));
    expect(manifest.metrics.heldOut.champion).toBeNull();
  });

  it("exits 2 before training without a credential for --upload or with --deploy alone", () => {
    expect(runs.noKey.status).toBe(2);
    expect(runs.noKey.stderr).toContain("--upload needs --key (or AURUM_KEY)");
    expect(runs.deployOnly.status).toBe(2);
    expect(runs.deployOnly.stderr).toContain("--key and --deploy need --upload <url>");
    expect(runs.noKey.stderr).not.toMatch(/train: \d/);
  });
});
