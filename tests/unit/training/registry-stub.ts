/**
 * A local stand-in for the model registry's HTTP API (node:http on port 0) that records every request and answers
 * what a test's handler says: JSON, bytes, or a dropped connection (a network failure).
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { ModelManifest } from "../../../core/ml/index.js";
import { heldOutSummaryOf, type ModelRecord, type ModelStatus } from "../../../core/schemas/registry.js";

/** One request the stub received. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, e.g. `/api/v1/models?symbol=XAUUSD&status=champion`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What the stub answers: a status with a JSON (and optional headers) or byte body, or `drop` to close the connection unanswered. */
export type StubAnswer =
  | { readonly status: number; readonly json: unknown; readonly headers?: Record<string, string> }
  | { readonly status: number; readonly bytes: Uint8Array }
  | { readonly drop: true };

export type StubHandler = (request: RecordedRequest) => StubAnswer | Promise<StubAnswer>;

/** A running stub. */
export interface RegistryStub {
  /** Base URL, e.g. http://127.0.0.1:40123. */
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a stub on 127.0.0.1, a free port.
 * @example
 * const stub = await startRegistryStub(() => ({ status: 200, json: { models: [] } }));
 */
export async function startRegistryStub(handler: StubHandler): Promise<RegistryStub> {
  const requests: RecordedRequest[] = [];
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const request: RecordedRequest = {
        method: incoming.method ?? "",
        url: incoming.url ?? "",
        headers: incoming.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(request);
      void Promise.resolve(handler(request)).then((answer) => {
        if ("drop" in answer) {
          incoming.socket.destroy();
          return;
        }
        // The client may have given up (a timeout) while the answer was being made.
        if (response.destroyed) return;
        if ("json" in answer) {
          response.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
          response.end(JSON.stringify(answer.json));
          return;
        }
        response.writeHead(answer.status, { "content-type": "application/octet-stream" });
        response.end(Buffer.from(answer.bytes));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The multipart/form-data body of a recorded request, parsed by the platform's own `Request.formData()`.
 * @example
 * const form = await formDataOf(stub.requests[0]);
 */
export async function formDataOf(request: RecordedRequest): Promise<FormData> {
  const contentType = request.headers["content-type"] ?? "";
  return new Response(request.body, { headers: { "content-type": contentType } }).formData();
}

/** The platform's error envelope. */
export function errorEnvelope(code: string, message: string, details?: unknown): unknown {
  return { ok: false, error: { code, message, details, requestId: "stub-request" } };
}

/**
 * The record a registry would list for `manifest`, with `id` and `status`.
 * @example
 * const record = recordOf(manifest, 7, "champion");
 */
export function recordOf(manifest: ModelManifest, id: number, status: ModelStatus): ModelRecord {
  return {
    id,
    symbol: manifest.symbol,
    timeframe: manifest.timeframe,
    version: manifest.version,
    modelKind: manifest.modelKind,
    status,
    featureSpec: manifest.featureSpec,
    inputWidth: manifest.inputWidth,
    label: manifest.label,
    classLabels: manifest.classLabels,
    heldOut: heldOutSummaryOf(manifest.metrics.heldOut),
    parentVersion: manifest.parentVersion,
    onnxSha256: "0".repeat(64),
    onnxBytes: 1_000,
    createdAtMs: manifest.createdAtMs,
    uploadedAtMs: manifest.createdAtMs + 60_000,
    uploadedBy: "admin",
    deployedAtMs: status === "champion" ? manifest.createdAtMs + 120_000 : null,
  };
}

/** A `GET /api/v1/models` page holding `models` and no further page. */
export function pageOf(models: readonly ModelRecord[]): unknown {
  return { models, next: null };
}

/** The `POST /api/v1/models/{id}/deploy` answer for `model` and `decision`. */
export function deployedAnswer(model: ModelRecord, decision: unknown): unknown {
  return {
    model: { ...model, status: "champion" },
    decision,
    serving: { symbol: model.symbol, champion: null, shadow: null, assignedAtMs: null },
  };
}
