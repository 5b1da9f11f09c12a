/**
 * The model registry end to end with real D1, R2, onnxruntime-web and the InstrumentDO: uploads and their refusals,
 * listing and download, deploys gated by the promotion rule (and forced by admins), shadows, rollbacks that walk the
 * champion history back, the deployment history and the audit log.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { ModelManifest } from "../../core/ml/manifest.js";
import type { ErrorEnvelope } from "../../core/schemas/common.js";
import { MAX_MODEL_UPLOAD_BYTES, type DeploymentEvent, type ModelRecord } from "../../core/schemas/registry.js";
import type { ServingState } from "../../core/schemas/serving.js";
import { MODEL_BASE64 } from "../fixtures/models/model-bytes.js";
import { REGISTRY_MODEL_BASE64 } from "../fixtures/models/registry-bytes.js";
import { createApiKey, freshState } from "./fresh-state.js";
import { bearer, call, loginAs, postJson, type As } from "./http.js";
import { BASE_MANIFEST, BINARY_29, decodeBase64, manifest, successor } from "./registry-fixtures.js";

beforeEach(freshState);

const THREE_CLASS_29 = decodeBase64(REGISTRY_MODEL_BASE64.threeClass);
const LOGISTIC_3 = decodeBase64(MODEL_BASE64.linearLogistic);

// --- builders ---------------------------------------------------------------------------------------------------

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

// --- credentials ------------------------------------------------------------------------------------------------

const apiKey = async (role: "viewer" | "trader" | "admin", scopes: ("read" | "ingest" | "trade" | "models")[]): Promise<As> =>
  ({ headers: { "x-api-key": (await createApiKey(role, scopes, `${role} models test`)).key } });
const trader = (): Promise<As> => apiKey("trader", ["read", "models"]);

// --- calls ------------------------------------------------------------------------------------------------------

/** `POST /api/v1/models` with the given parts (a part left undefined is not sent). */
function upload(parts: { manifest?: ModelManifest | string; model?: Uint8Array; manifestAsFile?: boolean }, as: As): Promise<Response> {
  const form = new FormData();
  const manifestText = typeof parts.manifest === "string" ? parts.manifest : JSON.stringify(parts.manifest);
  if (parts.manifest !== undefined && parts.manifestAsFile === true) form.append("manifest", new File([manifestText], "manifest.json", { type: "application/json" }));
  else if (parts.manifest !== undefined) form.append("manifest", manifestText);
  if (parts.model !== undefined) form.append("model", new File([parts.model], "model.onnx", { type: "application/octet-stream" }));
  return call("/api/v1/models", { method: "POST", body: form }, as);
}

async function uploaded(m: ModelManifest, as: As, model: Uint8Array = BINARY_29): Promise<ModelRecord> {
  const response = await upload({ manifest: m, model }, as);
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { model: ModelRecord }).model;
}

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function refusal(response: Response, status: number, code: string): Promise<ErrorEnvelope["error"]> {
  const body = await json<ErrorEnvelope>(response, status);
  expect(body).toMatchObject({ ok: false, error: { code, requestId: response.headers.get("x-request-id") } });
  return body.error;
}

const deploy = (id: number, as: As, body: Record<string, unknown> = {}) => postJson(`/api/v1/models/${id}/deploy`, body, as);
const shadow = (id: number, as: As) => call(`/api/v1/models/${id}/shadow`, { method: "POST" }, as);
const unshadow = (id: number, as: As) => call(`/api/v1/models/${id}/shadow`, { method: "DELETE" }, as);
const rollback = (as: As, symbol = "XAUUSD") => postJson("/api/v1/models/rollback", { symbol }, as);

interface Deployed {
  model: ModelRecord;
  decision: { code: string; promote: boolean; refusals: { code: string }[] };
  serving: ServingState;
}

async function deployed(id: number, as: As, body: Record<string, unknown> = {}): Promise<Deployed> {
  return json<Deployed>(await deploy(id, as, body), 200);
}

async function modelById(id: number, as: As): Promise<ModelRecord> {
  return (await json<{ model: ModelRecord }>(await call(`/api/v1/models/${id}`, {}, as), 200)).model;
}

function servingState(symbol = "XAUUSD"): Promise<ServingState | null> {
  return env.INSTRUMENT_DO.get(env.INSTRUMENT_DO.idFromName(symbol)).servingState();
}

async function auditRows(): Promise<{ action: string; outcome: string; status: number; target: string | null; details: string | null }[]> {
  return (await env.DB.prepare("SELECT action, outcome, status, target, details FROM audit_log ORDER BY id").all()).results as never;
}

// --- upload -----------------------------------------------------------------------------------------------------

describe("POST /api/v1/models", () => {
  it("registers a valid model: 201 with its record, both files in R2, an audit row", async () => {
    const as = await trader();
    const record = await uploaded(manifest("v1"), as);
    expect(record).toMatchObject({
      id: expect.any(Number),
      symbol: "XAUUSD",
      timeframe: "M1",
      version: "v1",
      modelKind: "logistic",
      status: "registered",
      inputWidth: 29,
      classLabels: ["down", "up"],
      featureSpec: BASE_MANIFEST.featureSpec,
      heldOut: { rows: 2_800, logLoss: 0.68, priorLogLoss: 0.6931, championVersion: null, championLogLoss: null, accuracy: 0.54, auc: 0.55 },
      parentVersion: null,
      onnxSha256: await sha256Hex(BINARY_29),
      onnxBytes: BINARY_29.byteLength,
      createdAtMs: BASE_MANIFEST.createdAtMs,
      uploadedBy: expect.stringMatching(/^key:/),
      deployedAtMs: null,
    });
    const onnx = await env.MODELS.get("models/XAUUSD/v1/model.onnx");
    expect(await sha256Hex(new Uint8Array(await onnx!.arrayBuffer()))).toBe(record.onnxSha256);
    expect(onnx!.customMetadata).toEqual({ sha256: record.onnxSha256 });
    expect(await (await env.MODELS.get("models/XAUUSD/v1/manifest.json"))!.json()).toEqual(manifest("v1"));
    expect((await auditRows()).at(-1)).toMatchObject({ action: "POST /api/v1/models", outcome: "success", status: 201, target: `model:${record.id}` });
  });

  it("refuses a manifest that fails the schema, or is not JSON, with 400 naming the fields", async () => {
    const as = await trader();
    const invalid = manifest("v1", (m) => {
      m.classLabels = ["down", "up", "sideways"];
    });
    const error = await refusal(await upload({ manifest: invalid, model: BINARY_29 }, as), 400, "VALIDATION_FAILED");
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "classLabels" })]));
    await refusal(await upload({ manifest: "{ not json", model: BINARY_29 }, as), 400, "VALIDATION_FAILED");
    await refusal(await postJson("/api/v1/models", { manifest: manifest("v1") }, as), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("refuses a missing part with 400 naming it", async () => {
    const as = await trader();
    const noModel = await refusal(await upload({ manifest: manifest("v1") }, as), 400, "VALIDATION_FAILED");
    expect(noModel.details).toEqual([expect.objectContaining({ path: "model" })]);
    const noManifest = await refusal(await upload({ model: BINARY_29 }, as), 400, "VALIDATION_FAILED");
    expect(noManifest.details).toEqual([expect.objectContaining({ path: "manifest" })]);
  });

  it("refuses models that do not fit the platform or their manifest with 422", async () => {
    const as = await trader();
    const cases: { name: string; manifest: ModelManifest; model: Uint8Array; field?: string }[] = [
      { name: "manifest width is not the platform's", manifest: manifest("w28", (m) => void (m.inputWidth = 28)), model: BINARY_29, field: "inputWidth" },
      { name: "model width is not the manifest's", manifest: manifest("w3"), model: LOGISTIC_3, field: "inputWidth" },
      { name: "feature spec hash is not the platform's", manifest: manifest("spec", (m) => void (m.featureSpec.sha256 = "0".repeat(64))), model: BINARY_29, field: "featureSpec.sha256" },
      { name: "three probability columns for two class labels", manifest: manifest("classes"), model: THREE_CLASS_29, field: "classLabels" },
      { name: "not ONNX", manifest: manifest("garbage"), model: new TextEncoder().encode("this is not an ONNX model") },
    ];
    for (const c of cases) {
      const error = await refusal(await upload({ manifest: c.manifest, model: c.model }, as), 422, "UNPROCESSABLE");
      if (c.field !== undefined) expect(error.details, c.name).toMatchObject({ field: c.field });
    }
    expect(await env.MODELS.list()).toMatchObject({ objects: [] });
  });

  it("refuses an undeclared instrument (404) and a version the symbol already has (409)", async () => {
    const as = await trader();
    await refusal(await upload({ manifest: manifest("v1", (m) => void (m.symbol = "ABCUSD")), model: BINARY_29 }, as), 404, "NOT_FOUND");
    const first = await uploaded(manifest("v1"), as);
    const again = await refusal(await upload({ manifest: manifest("v1"), model: BINARY_29 }, as), 409, "CONFLICT");
    expect(again.details).toEqual({ symbol: "XAUUSD", version: "v1" });
    expect((await uploaded(manifest("v1", (m) => void (m.symbol = "EURUSD")), as)).id).toBeGreaterThan(first.id);
    // Files already in R2 for a version D1 does not know (an upload in flight, or one that died) are never overwritten.
    await env.MODELS.put("models/XAUUSD/v9/model.onnx", LOGISTIC_3);
    await refusal(await upload({ manifest: manifest("v9"), model: BINARY_29 }, as), 409, "CONFLICT");
    expect(new Uint8Array(await (await env.MODELS.get("models/XAUUSD/v9/model.onnx"))!.arrayBuffer())).toEqual(LOGISTIC_3);
    expect(await env.MODELS.head("models/XAUUSD/v9/manifest.json")).toBeNull();
  });

  it("takes bodies over 64 KiB, and refuses bodies over 32 MiB with 413", async () => {
    const as = await trader();
    const padded = manifest("v1", (m) => void (m.hyperParameters = { note: "x".repeat(100_000) }));
    expect((await uploaded(padded, as)).version).toBe("v1");
    const tooLarge = new Uint8Array(MAX_MODEL_UPLOAD_BYTES + 1);
    const response = await call("/api/v1/models", { method: "POST", headers: { "content-type": "multipart/form-data; boundary=x" }, body: tooLarge }, as);
    await refusal(response, 413, "PAYLOAD_TOO_LARGE");
  });

  it("needs a credential (401), and the trader role with the models scope (403)", async () => {
    const parts = { manifest: manifest("v1"), model: BINARY_29 };
    await refusal(await upload(parts, "anonymous"), 401, "UNAUTHORIZED");
    const viewer = await refusal(await upload(parts, await apiKey("viewer", ["read", "models"])), 403, "FORBIDDEN");
    expect(viewer.details).toMatchObject({ missing: ["role", "scope"], requiredRole: "trader", requiredScope: "models" });
    const noScope = await refusal(await upload(parts, await apiKey("trader", ["read", "ingest", "trade"])), 403, "FORBIDDEN");
    expect(noScope.details).toMatchObject({ missing: ["scope"], requiredScope: "models" });
  });
});

// --- reading ----------------------------------------------------------------------------------------------------

describe("reading the registry", () => {
  it("lists newest first with filters and pages, gets a model with its manifest, and downloads its bytes", async () => {
    const as = await trader();
    const v1 = await uploaded(manifest("v1"), as);
    const v2 = (await json<{ model: ModelRecord }>(await upload({ manifest: manifest("v2"), model: BINARY_29, manifestAsFile: true }, as), 201)).model;
    const eur = await uploaded(manifest("e1", (m) => void (m.symbol = "EURUSD")), as);
    const viewer = await apiKey("viewer", ["read"]);

    const all = await json<{ models: ModelRecord[]; next: number | null }>(await call("/api/v1/models", {}, viewer), 200);
    expect(all.models.map((m) => m.id)).toEqual([eur.id, v2.id, v1.id]);
    const gold = await json<{ models: ModelRecord[] }>(await call("/api/v1/models?symbol=xauusd&status=registered", {}, viewer), 200);
    expect(gold.models.map((m) => m.version)).toEqual(["v2", "v1"]);
    const first = await json<{ models: ModelRecord[]; next: number }>(await call("/api/v1/models?limit=2", {}, viewer), 200);
    expect([first.models.length, first.next]).toEqual([2, v2.id]);
    const second = await json<{ models: ModelRecord[]; next: number | null }>(await call(`/api/v1/models?limit=2&before=${first.next}`, {}, viewer), 200);
    expect([second.models.map((m) => m.id), second.next]).toEqual([[v1.id], null]);

    const detail = await json<{ model: ModelRecord; manifest: ModelManifest }>(await call(`/api/v1/models/${v2.id}`, {}, viewer), 200);
    expect(detail).toEqual({ model: v2, manifest: manifest("v2") });

    const download = await call(`/api/v1/models/${v1.id}/model.onnx`, {}, viewer);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/octet-stream");
    expect(download.headers.get("x-model-sha256")).toBe(v1.onnxSha256);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(BINARY_29);

    await refusal(await call("/api/v1/models/999999", {}, viewer), 404, "NOT_FOUND");
    await refusal(await call("/api/v1/models/999999/model.onnx", {}, viewer), 404, "NOT_FOUND");
    await refusal(await call("/api/v1/models/abc", {}, viewer), 400, "VALIDATION_FAILED");
    await refusal(await call("/api/v1/models", {}, "anonymous"), 401, "UNAUTHORIZED");
  });
});

// --- deploy -----------------------------------------------------------------------------------------------------

describe("POST /api/v1/models/{id}/deploy", () => {
  it("makes a first model better than the prior the champion, and the InstrumentDO serves it", async () => {
    const as = await trader();
    const v1 = await uploaded(manifest("v1"), as);
    const result = await deployed(v1.id, as, { reason: "first model" });
    expect(result.decision).toMatchObject({ code: "PROMOTE", promote: true, refusals: [] });
    expect(result.model).toMatchObject({ id: v1.id, status: "champion", deployedAtMs: expect.any(Number) });
    expect(result.serving).toMatchObject({ symbol: "XAUUSD", champion: { modelId: v1.id, version: "v1", onnxKey: "models/XAUUSD/v1/model.onnx", onnxSha256: v1.onnxSha256, inputWidth: 29 }, shadow: null });
    expect(await servingState()).toMatchObject({ champion: { modelId: v1.id, version: "v1" }, shadow: null, assignedAtMs: expect.any(Number) });
    expect((await modelById(v1.id, as)).status).toBe("champion");
    const history = await json<{ events: DeploymentEvent[] }>(await call("/api/v1/models/deployments?symbol=XAUUSD", {}, as), 200);
    expect(history.events).toEqual([
      expect.objectContaining({ event: "deploy", modelId: v1.id, modelVersion: "v1", replacedModelId: null, reason: "first model", decision: expect.objectContaining({ code: "PROMOTE" }) }),
    ]);
    await refusal(await call(`/api/v1/models/${v1.id}/deploy`, { method: "POST" }, as), 409, "CONFLICT");
  });

  it("refuses candidates the promotion rule refuses with 409 PROMOTION_REFUSED and the decision", async () => {
    const as = await trader();
    const weak = await uploaded(manifest("weak", (m) => void (m.metrics.heldOut.logLoss = 0.6931)), as);
    const few = await uploaded(manifest("few", (m) => void (m.metrics.heldOut.rows = 500)), as);
    for (const [model, code] of [[weak, "NOT_BETTER_THAN_PRIOR"], [few, "TOO_FEW_HELD_OUT_ROWS"]] as const) {
      const error = await refusal(await deploy(model.id, as), 409, "PROMOTION_REFUSED");
      expect(error.details).toMatchObject({ decision: { code, promote: false, refusals: [expect.objectContaining({ code })] } });
    }

    const v1 = await uploaded(manifest("v1"), as);
    await deployed(v1.id, as);
    const unscored = await uploaded(manifest("v2"), as);
    const worse = await uploaded(successor("v3", "v1", 0.6801), as);
    const notEvaluated = await refusal(await deploy(unscored.id, as), 409, "PROMOTION_REFUSED");
    expect(notEvaluated.details).toMatchObject({ decision: { code: "CHAMPION_NOT_EVALUATED" } });
    const notBetter = await refusal(await deploy(worse.id, as), 409, "PROMOTION_REFUSED");
    expect(notBetter.details).toMatchObject({ decision: { code: "NOT_BETTER_THAN_CHAMPION", evidence: { championLogLoss: 0.6801 } } });

    expect(await servingState()).toMatchObject({ champion: { version: "v1" } });
    const refusedRows = (await auditRows()).filter((row) => row.status === 409);
    expect(refusedRows).toHaveLength(4);
    expect(refusedRows.map((row) => JSON.parse(row.details ?? "{}").decision.code)).toEqual(["NOT_BETTER_THAN_PRIOR", "TOO_FEW_HELD_OUT_ROWS", "CHAMPION_NOT_EVALUATED", "NOT_BETTER_THAN_CHAMPION"]);
  });

  it("lets only an admin force a refused candidate (403 for a trader), and audits the override with the refusals", async () => {
    const as = await trader();
    const v1 = await uploaded(manifest("v1"), as);
    await deployed(v1.id, as);
    const unscored = await uploaded(manifest("v2"), as);
    const denied = await refusal(await deploy(unscored.id, as, { force: true }), 403, "FORBIDDEN");
    expect(denied.details).toMatchObject({ missing: ["role"], requiredRole: "admin" });

    const admin = bearer((await loginAs()).access_token);
    const forced = await deployed(unscored.id, admin, { force: true, reason: "retrained on fresh data" });
    expect(forced.decision).toMatchObject({ code: "FORCED", promote: true, refusals: [expect.objectContaining({ code: "CHAMPION_NOT_EVALUATED" })] });
    expect(forced.serving.champion?.version).toBe("v2");
    expect(await servingState()).toMatchObject({ champion: { version: "v2" } });
    expect((await modelById(v1.id, as)).status).toBe("retired");

    const rows = await auditRows();
    expect(rows.find((row) => row.status === 403)).toMatchObject({ action: "POST /api/v1/models/:id/deploy", outcome: "denied", target: `model:${unscored.id}` });
    const override = rows.at(-1)!;
    expect(override).toMatchObject({ action: "POST /api/v1/models/:id/deploy", outcome: "success", target: `model:${unscored.id}` });
    expect(JSON.parse(override.details ?? "{}")).toMatchObject({
      force: true,
      reason: "retrained on fresh data",
      decision: { code: "FORCED", refusals: [expect.objectContaining({ code: "CHAMPION_NOT_EVALUATED" })] },
    });
    const history = await json<{ events: DeploymentEvent[] }>(await call("/api/v1/models/deployments", {}, as), 200);
    expect(history.events[0]).toMatchObject({ event: "force-deploy", modelVersion: "v2", replacedModelVersion: "v1", actor: "admin", reason: "retrained on fresh data" });
  });
  it("leaves D1 and the served models unchanged when the InstrumentDO cannot load the model (422)", async () => {
    const as = await trader();
    const v1 = await uploaded(manifest("v1"), as);
    await env.MODELS.put("models/XAUUSD/v1/model.onnx", THREE_CLASS_29);
    const error = await refusal(await deploy(v1.id, as), 422, "UNPROCESSABLE");
    expect(error.message).toContain("sha256");
    expect((await modelById(v1.id, as)).status).toBe("registered");
    expect(await servingState()).toBeNull();
    expect((await json<{ events: DeploymentEvent[] }>(await call("/api/v1/models/deployments", {}, as), 200)).events).toEqual([]);
  });

  it("keeps the served models equal to D1 when two slot changes race", async () => {
    const as = await trader();
    const v1 = await uploaded(manifest("v1"), as);
    await deployed(v1.id, as);
    const v2 = await uploaded(successor("v2", "v1"), as);
    const v3 = await uploaded(manifest("v3"), as);
    const [deployAnswer, shadowAnswer] = await Promise.all([deploy(v2.id, as), shadow(v3.id, as)]);
    const statuses = [deployAnswer.status, shadowAnswer.status];
    expect([[200, 200], [200, 409], [409, 200]]).toContainEqual(statuses);
    const list = await json<{ models: ModelRecord[] }>(await call("/api/v1/models", {}, as), 200);
    const champion = list.models.find((m) => m.status === "champion");
    const shadowModel = list.models.find((m) => m.status === "shadow");
    expect(await servingState()).toMatchObject({ champion: { modelId: champion?.id }, shadow: shadowModel === undefined ? null : { modelId: shadowModel.id } });
  });
});

// --- shadow -----------------------------------------------------------------------------------------------------

describe("shadow", () => {
  it("serves a challenger beside the champion, never the champion itself, and stops on request", async () => {
    const as = await trader();
    const v1 = await uploaded(manifest("v1"), as);
    await deployed(v1.id, as);
    const v2 = await uploaded(manifest("v2", (m) => void (m.metrics.heldOut.logLoss = 0.7)), as);

    const shadowed = await json<{ model: ModelRecord; serving: ServingState }>(await shadow(v2.id, as), 200);
    expect(shadowed.model.status).toBe("shadow");
    expect(shadowed.serving).toMatchObject({ champion: { version: "v1" }, shadow: { modelId: v2.id, version: "v2" } });
    expect(await servingState()).toMatchObject({ champion: { version: "v1" }, shadow: { version: "v2" } });
    await refusal(await shadow(v1.id, as), 409, "CONFLICT");
    await refusal(await shadow(v2.id, as), 409, "CONFLICT");

    const stopped = await json<{ model: ModelRecord; serving: ServingState }>(await unshadow(v2.id, as), 200);
    expect(stopped.model.status).toBe("registered");
    expect(await servingState()).toMatchObject({ champion: { version: "v1" }, shadow: null });
    await refusal(await unshadow(v2.id, as), 409, "CONFLICT");
    const events = (await json<{ events: DeploymentEvent[] }>(await call("/api/v1/models/deployments", {}, as), 200)).events;
    expect(events.map((e) => [e.event, e.modelVersion])).toEqual([["unshadow", "v2"], ["shadow", "v2"], ["deploy", "v1"]]);
  });

  it("empties the shadow slot when the shadow is deployed", async () => {
    const as = await trader();
    const v1 = await uploaded(manifest("v1"), as);
    await deployed(v1.id, as);
    const v2 = await uploaded(successor("v2", "v1"), as);
    await json(await shadow(v2.id, as), 200);
    const result = await deployed(v2.id, as);
    expect(result.serving).toMatchObject({ champion: { version: "v2" }, shadow: null });
    expect(await servingState()).toMatchObject({ champion: { version: "v2" }, shadow: null });
    const list = await json<{ models: ModelRecord[] }>(await call("/api/v1/models", {}, as), 200);
    expect(list.models.map((m) => [m.version, m.status])).toEqual([["v2", "champion"], ["v1", "retired"]]);
  });
});

// --- rollback ---------------------------------------------------------------------------------------------------

describe("POST /api/v1/models/rollback", () => {
  it("walks the champion history back one level per call, then answers 409", async () => {
    const as = await trader();
    const v1 = await uploaded(manifest("v1"), as);
    await deployed(v1.id, as);
    const v2 = await uploaded(successor("v2", "v1"), as);
    await deployed(v2.id, as);
    const v3 = await uploaded(successor("v3", "v2"), as);
    await deployed(v3.id, as);

    const first = await json<{ model: ModelRecord; replaced: ModelRecord; serving: ServingState }>(await rollback(as), 200);
    expect([first.model.version, first.model.status, first.replaced.version, first.replaced.status]).toEqual(["v2", "champion", "v3", "retired"]);
    expect(await servingState()).toMatchObject({ champion: { version: "v2" } });
    const second = await json<{ model: ModelRecord; replaced: ModelRecord }>(await rollback(as), 200);
    expect([second.model.version, second.replaced.version]).toEqual(["v1", "v2"]);
    expect(await servingState()).toMatchObject({ champion: { version: "v1" } });
    await refusal(await rollback(as), 409, "CONFLICT");

    const page = await json<{ events: DeploymentEvent[]; next: number }>(await call("/api/v1/models/deployments?symbol=XAUUSD&limit=2", {}, as), 200);
    expect(page.events.map((e) => [e.event, e.modelVersion, e.replacedModelVersion])).toEqual([["rollback", "v1", "v2"], ["rollback", "v2", "v3"]]);
    const rest = await json<{ events: DeploymentEvent[]; next: null }>(await call(`/api/v1/models/deployments?symbol=XAUUSD&before=${page.next}`, {}, as), 200);
    expect(rest.events.map((e) => [e.event, e.modelVersion])).toEqual([["deploy", "v3"], ["deploy", "v2"], ["deploy", "v1"]]);
    expect(rest.next).toBeNull();
  });

  it("answers 409 without history, 404 for an undeclared symbol, and audits every call", async () => {
    const as = await trader();
    await refusal(await rollback(as), 409, "CONFLICT");
    await refusal(await rollback(as, "ABCUSD"), 404, "NOT_FOUND");
    const v1 = await uploaded(manifest("v1"), as);
    await deployed(v1.id, as);
    await refusal(await rollback(as), 409, "CONFLICT");
    const actions = (await auditRows()).map((row) => `${row.action} ${row.status}`);
    expect(actions).toEqual([
      "POST /api/v1/models/rollback 409",
      "POST /api/v1/models/rollback 404",
      "POST /api/v1/models 201",
      "POST /api/v1/models/:id/deploy 200",
      "POST /api/v1/models/rollback 409",
    ]);
  });
});
