/** GET /openapi.json documents exactly the app's routes as sound OpenAPI 3.1, GET /docs serves Swagger UI from our own origin, and validation failures name their fields. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { ZodType } from "zod";
import type { ErrorEnvelope } from "../../core/schemas/common.js";
import { API_KEY_SCOPES } from "../../workers/auth/roles.js";
import { createApp, DOCS_PATH, OPENAPI_PATH } from "../../workers/app.js";
import { DECLARED_ACCESS } from "../../workers/http/access.js";
import { TEST_SECRETS } from "../support/test-secrets.js";
import { createApiKey, freshState } from "./fresh-state.js";
import { bearer, call, postJson, type As } from "./http.js";

beforeEach(freshState);

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

interface Operation {
  readonly description?: string;
  readonly parameters?: readonly { readonly name: string; readonly in: string; readonly required?: boolean }[];
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly responses?: Record<string, { readonly description?: string; readonly content?: Record<string, { readonly schema?: unknown }> }>;
}

interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Record<string, Record<string, unknown>>;
  readonly components?: { readonly securitySchemes?: Record<string, unknown> };
}

/** The app's real endpoints ("METHOD /path/{param}"): Hono's route table without the `use("*")` middleware entries. */
function appRouteKeys(): string[] {
  const keys = new Set<string>();
  for (const { method, path } of createApp().routes) {
    if (method === "ALL" && (path === "*" || path === "/*")) continue;
    keys.add(`${method} ${path.replace(/:([A-Za-z0-9_]+)(\{(?:[^{}]|\{[^{}]*\})*\})?/g, "{$1}")}`);
  }
  return [...keys];
}

/** Routes the document must describe: all but the document, its viewer and the dashboard's pages (HTML, not API). */
const DOCUMENTED_KEYS = appRouteKeys().filter((key) => key !== `GET ${OPENAPI_PATH}` && key !== `GET ${DOCS_PATH}` && DECLARED_ACCESS.get(key)?.kind !== "page");

async function openApiDocument(): Promise<OpenApiDocument> {
  const response = await call(OPENAPI_PATH, {}, "anonymous");
  const text = await response.text();
  expect(response.status, `GET ${OPENAPI_PATH} answered ${response.status}: ${text.slice(0, 600)}`).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return JSON.parse(text) as OpenApiDocument;
}

/** Every operation of the document, keyed "METHOD /path" like DECLARED_ACCESS. */
function operations(doc: OpenApiDocument): Map<string, Operation> {
  const found = new Map<string, Operation>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (operation !== undefined) found.set(`${method.toUpperCase()} ${path}`, operation as Operation);
    }
  }
  return found;
}

/** Resolves a local JSON pointer ("#/components/schemas/X"), or undefined. */
function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const token = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof node !== "object" || node === null || !(token in node)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

function collectRefs(node: unknown, refs: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) collectRefs(item, refs);
  else if (typeof node === "object" && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") refs.push(value);
      else collectRefs(value, refs);
    }
  }
  return refs;
}

describe(`GET ${OPENAPI_PATH}`, () => {
  it("answers anonymous callers with an OpenAPI 3.1.0 document", async () => {
    const doc = await openApiDocument();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toEqual(expect.objectContaining({ title: expect.any(String), version: expect.any(String) }));
  });

  it("gives every path item at least one operation, and every operation described responses", async () => {
    const doc = await openApiDocument();
    const problems: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!HTTP_METHODS.some((method) => method in item)) problems.push(`${path}: no operation`);
    }
    for (const [key, operation] of operations(doc)) {
      const responses = Object.entries(operation.responses ?? {});
      if (responses.length === 0) problems.push(`${key}: no responses`);
      for (const [status, response] of responses) {
        if (!/^([1-5][0-9X]{2}|default)$/.test(status)) problems.push(`${key}: response key ${status}`);
        if (typeof response.description !== "string" || response.description === "") problems.push(`${key} ${status}: no description`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("declares every path template parameter as a required path parameter", async () => {
    const doc = await openApiDocument();
    const problems: string[] = [];
    for (const [key, operation] of operations(doc)) {
      for (const name of [...key.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])) {
        const parameter = operation.parameters?.find((p) => p.in === "path" && p.name === name);
        if (parameter?.required !== true) problems.push(`${key}: {${name}}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("resolves every $ref inside the document", async () => {
    const doc = await openApiDocument();
    expect(collectRefs(doc).filter((ref) => resolvePointer(doc, ref) === undefined)).toEqual([]);
  });

  it("documents every error response as the envelope", async () => {
    const doc = await openApiDocument();
    const problems: string[] = [];
    for (const [key, operation] of operations(doc)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (Number(status) < 400 || key === "GET /health") continue; // /health answers 503 with its own body
        let schema = response.content?.["application/json"]?.schema as { $ref?: string; properties?: Record<string, unknown> } | undefined;
        if (schema?.$ref !== undefined) schema = resolvePointer(doc, schema.$ref) as typeof schema;
        if (!schema?.properties || !("ok" in schema.properties) || !("error" in schema.properties)) problems.push(`${key} ${status}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("declares the security schemes bearer, apiKey, session and metricsToken, and requires only declared ones", async () => {
    const doc = await openApiDocument();
    const schemes = doc.components?.securitySchemes ?? {};
    expect(Object.keys(schemes)).toEqual(expect.arrayContaining(["bearer", "apiKey", "session", "metricsToken"]));
    const undeclared = [...operations(doc)].flatMap(([key, op]) => (op.security ?? []).flatMap((req) => Object.keys(req).filter((name) => !(name in schemes)).map((name) => `${key}: ${name}`)));
    expect(undeclared).toEqual([]);
  });

  it("lists exactly the app's routes", async () => {
    const documented = [...operations(await openApiDocument()).keys()].sort();
    expect({ missing: DOCUMENTED_KEYS.filter((key) => !documented.includes(key)), withoutRoute: documented.filter((key) => !DOCUMENTED_KEYS.includes(key)) }).toEqual({
      missing: [],
      withoutRoute: [],
    });
  });

  it("includes the platform's core paths", async () => {
    const doc = await openApiDocument();
    const core = [
      "/auth/login", "/auth/refresh", "/auth/logout", "/api/v1/data/ingest", "/api/v1/market/data", "/api/v1/stream/{symbol}", "/api/v1/api-keys",
      "/api/v1/api-keys/{id}", "/api/v1/users", "/api/v1/users/{id}", "/api/v1/audit", "/api/v1/system/database", "/api/v1/system/cache", "/health", "/metrics",
    ];
    expect(core.filter((path) => !(path in doc.paths))).toEqual([]);
  });

  it.each(DOCUMENTED_KEYS)("%s states who may call it (security and description)", async (key) => {
    const access = DECLARED_ACCESS.get(key);
    expect(access, `${key} has no declared access`).toBeDefined();
    const operation = operations(await openApiDocument()).get(key);
    expect(operation, `${key} is not documented`).toBeDefined();
    if (access?.kind === "principal") {
      const { role, scope } = access.requirement;
      expect(operation?.security).toEqual(expect.arrayContaining([{ bearer: [] }, { apiKey: [] }, { session: [] }]));
      expect(operation?.description).toContain(`Requires role ${role}${scope === undefined ? "" : ` and scope ${scope}`}.`);
    } else if (access?.kind === "metrics-token") {
      expect(operation?.security).toEqual([{ metricsToken: [] }]);
      expect(operation?.description).toMatch(/metrics/i);
    } else {
      expect(operation?.security ?? []).toEqual([]);
      expect(operation?.description).toContain("Public.");
    }
  });
});

describe(`GET ${DOCS_PATH}`, () => {
  async function docsPage(): Promise<{ response: Response; html: string }> {
    const response = await call(DOCS_PATH, {}, "anonymous");
    const html = await response.text();
    expect(response.status, html.slice(0, 300)).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    return { response, html };
  }

  const inlineScripts = (html: string): { attributes: string; body: string }[] =>
    [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)].map((m) => ({ attributes: m[1] ?? "", body: m[2] ?? "" })).filter((s) => !/\bsrc\s*=/.test(s.attributes));

  it("loads Swagger UI from /vendor/swagger-ui-dist/ for this API's document, and nothing from other hosts", async () => {
    const { html } = await docsPage();
    const assets = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/gi)].map((m) => m[1]);
    expect(assets).toEqual(expect.arrayContaining(["/vendor/swagger-ui-dist/swagger-ui-bundle.js", "/vendor/swagger-ui-dist/swagger-ui.css"]));
    expect(assets.filter((url) => !url?.startsWith("/vendor/swagger-ui-dist/"))).toEqual([]);
    expect(html).toContain(`'${OPENAPI_PATH}'`);
    expect((html.match(/https?:\/\/[^\s"'<>)]+/gi) ?? []).filter((url) => new URL(url).host !== "platform.test")).toEqual([]);
  });

  it("serves the vendored files it loads from the static assets", async () => {
    const { html } = await docsPage();
    for (const [, url] of html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="(\/vendor\/[^"]+)"/gi)) {
      const asset = await env.ASSETS.fetch(new Request(`http://platform.test${url}`));
      expect(asset.status, `${url} is not among the static assets (npm run vendor)`).toBe(200);
      await asset.body?.cancel();
    }
  });

  it("carries a Content-Security-Policy that confines scripts to this origin and forbids framing", async () => {
    const { response } = await docsPage();
    const csp = response.headers.get("content-security-policy");
    expect(csp).toBeTruthy();
    const directives = new Map((csp ?? "").split(";").map((d) => d.trim().split(/\s+/)).map(([name = "", ...sources]) => [name.toLowerCase(), sources]));
    const scriptSources = directives.get("script-src") ?? directives.get("default-src") ?? [];
    expect(scriptSources).toContain("'self'");
    expect(scriptSources.filter((s) => /^(https?:|\*|data:)/.test(s))).toEqual([]);
    expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
  });

  it("carries a Content-Security-Policy that lets the page's own inline bootstrap script run", async () => {
    const { response, html } = await docsPage();
    const csp = response.headers.get("content-security-policy") ?? "";
    const directives = new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([name = "", ...sources]) => [name.toLowerCase(), sources]));
    const sources = directives.get("script-src-elem") ?? directives.get("script-src") ?? directives.get("default-src") ?? [];
    const usesNonceOrHash = sources.some((s) => /^'(nonce|sha256|sha384|sha512)-/.test(s));
    const blocked: string[] = [];
    for (const script of inlineScripts(html)) {
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(script.body)));
      const hash = `'sha256-${btoa(String.fromCharCode(...digest))}'`;
      const nonce = /\bnonce="([^"]+)"/.exec(script.attributes)?.[1];
      const allowed = sources.includes(hash) || (nonce !== undefined && sources.includes(`'nonce-${nonce}'`)) || (!usesNonceOrHash && sources.includes("'unsafe-inline'"));
      if (!allowed) blocked.push(script.body.trim().slice(0, 60));
    }
    expect(blocked, `script-src ${sources.join(" ")} blocks the inline script(s) Swagger UI starts from`).toEqual([]);
  });
});

/** JSON request bodies and query strings documented with a schema that an empty object fails. */
function schemasFailingOnEmpty(): { key: string; path: string; method: string; where: "json" | "query"; paths: string[] }[] {
  const found: { key: string; path: string; method: string; where: "json" | "query"; paths: string[] }[] = [];
  for (const def of createApp().openAPIRegistry.definitions) {
    if (def.type !== "route") continue;
    const { method, path, request } = def.route;
    const key = `${method.toUpperCase()} ${path}`;
    const json = request?.body?.content["application/json"];
    const candidates: ["json" | "query", unknown][] = [["json", json !== undefined && "schema" in json ? json.schema : undefined], ["query", request?.query]];
    for (const [where, schema] of candidates) {
      const result = (schema as ZodType | undefined)?.safeParse?.({});
      if (result && !result.success) found.push({ key, path, method: method.toUpperCase(), where, paths: result.error.issues.map((issue) => issue.path.join(".")) });
    }
  }
  return found;
}

/** A well-formed value of a path parameter (so that only the body or query fails). */
function placeholderParam(path: string, name: string): string {
  if (name === "symbol") return "XAUUSD";
  if (path.includes("/tasks/")) return `tsk_${crypto.randomUUID().replaceAll("-", "")}`;
  if (path.includes("/backups/")) return "bkp_20260101T000000Z_0123abcd";
  return crypto.randomUUID();
}

/** A credential that passes each route's access check. */
async function credentialFor(key: string): Promise<As> {
  const access = DECLARED_ACCESS.get(key);
  if (access?.kind === "metrics-token") return bearer(TEST_SECRETS.metricsToken);
  if (access?.kind === "principal") return { headers: { "x-api-key": (await createApiKey("admin", [...API_KEY_SCOPES])).key } };
  return "anonymous";
}

describe("validation failures", () => {
  it("POST /auth/login with {} answers 400 VALIDATION_FAILED in the envelope, listing username and password", async () => {
    const response = await postJson("/auth/login", {}, "anonymous");
    expect(response.status).toBe(400);
    const body = (await response.json()) as ErrorEnvelope;
    expect(body).toEqual({ ok: false, error: { code: "VALIDATION_FAILED", message: expect.any(String), details: expect.any(Array), requestId: response.headers.get("x-request-id") } });
    expect((body.error.details as { path: string; message: string }[]).map((d) => d.path).sort()).toEqual(["password", "username"]);
  });

  it.each(schemasFailingOnEmpty())("$key answers an empty $where with 400 listing the failing fields", async ({ key, path, method, where, paths }) => {
    const url = path.replace(/\{([^}]+)\}/g, (_, name: string) => placeholderParam(path, name));
    const init: RequestInit = where === "json" ? { method, headers: { "content-type": "application/json" }, body: "{}" } : { method };
    const response = await call(url, init, await credentialFor(key));
    const body = (await response.json()) as ErrorEnvelope;
    expect(response.status, JSON.stringify(body)).toBe(400);
    expect(body).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED", requestId: response.headers.get("x-request-id") } });
    const details = body.error.details as { path: string; message: string }[];
    expect(details.every((d) => typeof d.message === "string" && d.message !== "")).toBe(true);
    expect(details.map((d) => d.path).sort()).toEqual([...paths].sort());
  });
});
