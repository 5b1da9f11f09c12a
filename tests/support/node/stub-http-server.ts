/**
 * A local stand-in for third-party HTTP APIs (webhook receivers, the Telegram Bot API, a mail API): it records every
 * request and answers each path with a configurable status, so tests check exactly what the platform sent without
 * reaching the internet.
 *
 * Control endpoints (not recorded):
 * - `GET /__requests[?pathPrefix=/hooks]` → the recorded requests, oldest first;
 * - `DELETE /__requests` → forget them;
 * - `PUT /__responses` with `{ path, status, body? }` → answer `path` with that status (and JSON body) from now on;
 * - `DELETE /__responses` → back to the answers the server started with.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the stub received it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: string;
  /** Header names in lower case. */
  readonly headers: Record<string, string>;
  /** The raw body, exactly as received (signatures are computed over these bytes). */
  readonly body: string;
  /** When it arrived, epoch ms. */
  readonly receivedAtMs: number;
}

/** How the stub answers a path; any status not below 400 answers `{ ok: false, … }` unless `body` says otherwise. */
export interface StubAnswer {
  readonly status: number;
  readonly body?: unknown;
}

export interface StubHttpServerOptions {
  /** Answers per exact path; every other path answers 200 `{ "ok": true }`. */
  readonly answers?: Readonly<Record<string, StubAnswer>>;
  /** Interface to listen on (default 127.0.0.1); the port is always a free one. */
  readonly host?: string;
}

export interface StubHttpServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly requests: () => readonly RecordedRequest[];
  readonly close: () => Promise<void>;
}

const MAX_BODY_BYTES = 1_048_576;

/**
 * Starts the stub on a free port. The server does not keep the process alive (it is unref'd): a test run ends
 * without closing it.
 * @example const stub = await startStubHttpServer({ answers: { "/hooks/failing": { status: 500 } } })
 */
export async function startStubHttpServer(options: StubHttpServerOptions = {}): Promise<StubHttpServer> {
  const initialAnswers = new Map(Object.entries(options.answers ?? {}));
  let answers = new Map(initialAnswers);
  let recorded: RecordedRequest[] = [];

  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) respond(response, 500, { ok: false, description: `stub failed: ${String(error)}` });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://stub.local");
    const body = await readBody(request);
    if (url.pathname === "/__requests") {
      if (request.method === "GET") {
        const prefix = url.searchParams.get("pathPrefix") ?? "";
        respond(response, 200, recorded.filter((r) => r.path.startsWith(prefix)));
      } else if (request.method === "DELETE") {
        recorded = [];
        respond(response, 204, null);
      } else respond(response, 405, { ok: false, description: "GET or DELETE" });
      return;
    }
    if (url.pathname === "/__responses") {
      if (request.method === "PUT") {
        const answer = parseAnswer(body);
        if (answer === null) respond(response, 400, { ok: false, description: "expected { path: '/…', status: 100..599, body? }" });
        else {
          answers.set(answer.path, { status: answer.status, body: answer.body });
          respond(response, 204, null);
        }
      } else if (request.method === "DELETE") {
        answers = new Map(initialAnswers);
        respond(response, 204, null);
      } else respond(response, 405, { ok: false, description: "PUT or DELETE" });
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
    recorded.push({ method: request.method ?? "GET", path: url.pathname, query: url.search, headers, body, receivedAtMs: Date.now() });
    const answer = answers.get(url.pathname) ?? { status: 200 };
    const defaultBody = answer.status < 400 ? { ok: true } : { ok: false, error_code: answer.status, description: "stub failure" };
    respond(response, answer.status, answer.body === undefined ? defaultBody : answer.body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, options.host ?? "127.0.0.1", () => resolve());
  });
  server.unref();
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    requests: () => recorded,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

function respond(response: ServerResponse, status: number, body: unknown): void {
  if (status === 204 || body === null) {
    response.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    bytes += buffer.length;
    if (bytes > MAX_BODY_BYTES) throw new RangeError(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseAnswer(body: string): { path: string; status: number; body?: unknown } | null {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { path, status, body: answerBody } = value as Record<string, unknown>;
  if (typeof path !== "string" || !path.startsWith("/")) return null;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) return null;
  return { path, status, body: answerBody };
}
