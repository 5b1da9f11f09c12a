/** The registry client against a local stub server: requests as the contract says, errors, retries, deploy refusals. */
import { afterEach, describe, expect, it } from "vitest";
import { PLATFORM_BAD_RESPONSE, PLATFORM_UNREACHABLE, PlatformError } from "../../../training/platform-http.js";
import { RegistryClient } from "../../../training/registry-client.js";
import { manifestFixture } from "../ml/manifest-fixture.js";
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

const KEY = "ak_test1234_secret";
const MANIFEST = manifestFixture();
const RECORD = recordOf(MANIFEST, 7, "registered");
const EVIDENCE = {
  heldOutRows: 2_800,
  logLoss: 0.6929,
  priorLogLoss: 0.6931,
  championLogLoss: null,
  gainOverPrior: 0.0002,
  gainOverChampion: null,
};
const REFUSED_DECISION = {
  code: "NOT_BETTER_THAN_PRIOR",
  promote: false,
  refusals: [{ code: "NOT_BETTER_THAN_PRIOR", message: "held-out log-loss 0.6929 vs the prior's 0.6931" }],
  evidence: EVIDENCE,
};

let stub: RegistryStub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function clientFor(handler: StubHandler, retries: string[] = []): Promise<{ stub: RegistryStub; client: RegistryClient }> {
  stub = await startRegistryStub(handler);
  const client = new RegistryClient({
    baseUrl: `${stub.url}/`,
    apiKey: KEY,
    retryDelayMs: 1,
    onRetry: (message) => retries.push(message),
  });
  return { stub, client };
}

async function caught(promise: Promise<unknown>): Promise<PlatformError> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!(error instanceof PlatformError)) throw new Error(`expected a PlatformError, got ${String(error)}`);
  return error;
}

describe("RegistryClient", () => {
  it("lists a symbol's models of a status with the bearer credential", async () => {
    const { stub, client } = await clientFor(() => ({ status: 200, json: pageOf([RECORD]) }));
    const models = await client.listModels({ symbol: "XAUUSD", status: "champion" });
    expect(models).toEqual([RECORD]);
    expect(stub.requests).toHaveLength(1);
    const [request] = stub.requests;
    expect(request?.method).toBe("GET");
    expect(request?.url).toBe("/api/v1/models?symbol=XAUUSD&status=champion");
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("follows the list's pages", async () => {
    const older = recordOf(manifestFixture((manifest) => (manifest.version = "v1")), 3, "retired");
    const { stub, client } = await clientFor((request) => ({
      status: 200,
      json: request.url.includes("before=") ? pageOf([older]) : { models: [RECORD], next: 7 },
    }));
    expect(await client.listModels({ symbol: "XAUUSD" })).toEqual([RECORD, older]);
    expect(stub.requests.map((request) => request.url)).toEqual([
      "/api/v1/models?symbol=XAUUSD",
      "/api/v1/models?symbol=XAUUSD&before=7",
    ]);
  });

  it("downloads a model's ONNX bytes", async () => {
    const bytes = new Uint8Array([8, 1, 18, 4, 0, 255, 7]);
    const { stub, client } = await clientFor(() => ({ status: 200, bytes }));
    expect(await client.downloadModel(7)).toEqual(bytes);
    expect(stub.requests[0]?.url).toBe("/api/v1/models/7/model.onnx");
  });

  it("uploads the manifest and model.onnx as multipart/form-data and returns the 201 record", async () => {
    const onnx = new Uint8Array(Array.from({ length: 3_000 }, (_, index) => (index * 31) % 256));
    const { stub, client } = await clientFor(() => ({ status: 201, json: { model: RECORD } }));
    expect(await client.uploadModel(MANIFEST, onnx)).toEqual(RECORD);
    const [request] = stub.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/api/v1/models");
    expect(request?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
    if (request === undefined) throw new Error("no request");
    const form = await formDataOf(request);
    expect(JSON.parse(String(form.get("manifest")))).toEqual(MANIFEST);
    const model = form.get("model");
    expect(model).toBeInstanceOf(File);
    expect((model as File).name).toBe("model.onnx");
    expect(new Uint8Array(await (model as File).arrayBuffer())).toEqual(onnx);
  });

  it("turns an error envelope into a PlatformError with its code, message and details, without retrying a 4xx", async () => {
    const retries: string[] = [];
    const { stub, client } = await clientFor(
      () => ({ status: 409, json: errorEnvelope("VERSION_EXISTS", "version v2 is already registered", { version: "v2" }) }),
      retries,
    );
    const error = await caught(client.uploadModel(MANIFEST, new Uint8Array([1])));
    expect(error).toMatchObject({ code: "VERSION_EXISTS", message: "version v2 is already registered", status: 409 });
    expect(error.details).toEqual({ version: "v2" });
    expect(stub.requests).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it("retries 5xx answers, dropped connections and 429, then returns the answer", async () => {
    const retries: string[] = [];
    let calls = 0;
    const { stub, client } = await clientFor(() => {
      calls += 1;
      if (calls === 1) return { status: 503, json: errorEnvelope("UPSTREAM_UNAVAILABLE", "D1 is down") };
      if (calls === 2) return { drop: true };
      if (calls === 3) return { status: 429, json: errorEnvelope("RATE_LIMITED", "slow down") };
      return { status: 201, json: { model: RECORD } };
    }, retries);
    expect(await client.uploadModel(MANIFEST, new Uint8Array([1, 2, 3]))).toEqual(RECORD);
    expect(stub.requests).toHaveLength(4);
    expect(retries).toHaveLength(3);
    expect(retries[0]).toMatch(/^POST \/api\/v1\/models: HTTP 503; retry 1\/3/);
    expect(retries[2]).toMatch(/^POST \/api\/v1\/models: HTTP 429; retry 3\/3/);
    // The multipart body is rebuilt for every attempt: the last one arrives whole.
    const last = stub.requests[3];
    if (last === undefined) throw new Error("no fourth request");
    expect(JSON.parse(String((await formDataOf(last)).get("manifest")))).toEqual(MANIFEST);
  });

  it("gives up after maxAttempts with the registry's last error, or PLATFORM_UNREACHABLE without an answer", async () => {
    const { stub, client } = await clientFor(() => ({ status: 500, json: errorEnvelope("INTERNAL", "boom") }));
    const serverError = await caught(client.listModels({ symbol: "XAUUSD" }));
    expect(serverError).toMatchObject({ code: "INTERNAL", message: "boom", status: 500 });
    expect(stub.requests).toHaveLength(4);
    expect(stub.requests[0]?.url).toBe("/api/v1/models?symbol=XAUUSD");

    const url = stub.url;
    await stub.close();
    const unreachable = new RegistryClient({ baseUrl: url, apiKey: KEY, retryDelayMs: 1, maxAttempts: 2 });
    const networkError = await caught(unreachable.listModels({ symbol: "XAUUSD" }));
    expect(networkError.code).toBe(PLATFORM_UNREACHABLE);
    expect(networkError.status).toBeNull();
    expect(networkError.message).toMatch(/failed after 2 attempts/);
  });

  it("refuses an answer that breaks the contract", async () => {
    const { client } = await clientFor(() => ({ status: 200, json: { models: [{ id: 1, version: "v1" }] } }));
    const error = await caught(client.listModels({ symbol: "XAUUSD" }));
    expect(error.code).toBe(PLATFORM_BAD_RESPONSE);
    const html = await clientFor(() => ({ status: 404, bytes: new TextEncoder().encode("<html>Not Found</html>") }));
    expect(await caught(html.client.downloadModel(9))).toMatchObject({ code: "HTTP_404", message: "<html>Not Found</html>" });
  });

  it("deploys: the decision on success, the refusals as an answer on 409 PROMOTION_REFUSED", async () => {
    const promoted = { code: "PROMOTE", promote: true, refusals: [], evidence: EVIDENCE };
    let refuse = false;
    const { stub, client } = await clientFor(() =>
      refuse
        ? { status: 409, json: errorEnvelope("PROMOTION_REFUSED", "the promotion gate refused", { decision: REFUSED_DECISION }) }
        : { status: 200, json: deployedAnswer(RECORD, promoted) },
    );
    const deployed = await client.deployModel(7);
    expect(deployed).toEqual({ deployed: true, model: { ...RECORD, status: "champion" }, decision: promoted });
    expect(stub.requests[0]?.url).toBe("/api/v1/models/7/deploy");
    expect(stub.requests[0]?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(stub.requests[0]?.body.toString() ?? "")).toEqual({});

    refuse = true;
    const refused = await client.deployModel(8, { force: false });
    expect(refused).toEqual({ deployed: false, decision: REFUSED_DECISION, message: "the promotion gate refused" });
    expect(stub.requests[1]?.url).toBe("/api/v1/models/8/deploy");
    expect(JSON.parse(stub.requests[1]?.body.toString() ?? "")).toEqual({ force: false });
  });

  it("sends force and reason, and throws on a 409 that is not a promotion refusal", async () => {
    const { stub, client } = await clientFor(() => ({ status: 409, json: errorEnvelope("MODEL_RETIRED", "model 7 is retired") }));
    const error = await caught(client.deployModel(7, { force: true, reason: "demo" }));
    expect(error).toMatchObject({ code: "MODEL_RETIRED", status: 409 });
    expect(JSON.parse(stub.requests[0]?.body.toString() ?? "")).toEqual({ force: true, reason: "demo" });
  });
});
