/**
 * The platform under plain Miniflare for benchmarks: the Worker as `wrangler deploy --dry-run` builds it, with the
 * bindings wrangler.toml declares, plus the trivial baseline worker in the same instance. Both are reached on
 * their own direct sockets, so requests to either take the same path through workerd.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

export interface BenchRuntime {
  /** The platform Worker. */
  readonly url: URL;
  /** An API key (trader; read and ingest) created through the API, for the load generator. */
  readonly apiKey: string;
  /** The trivial Hono baseline Worker. */
  readonly baselineUrl: URL;
  /** Scratch folder for generated files (load scripts). */
  readonly workDir: string;
  /** The bench admin's credentials (the dashboard benchmark logs in through the form). */
  readonly admin: { readonly username: string; readonly password: string };
  /** A fresh access token of the bench admin (for registry and system calls). */
  adminToken(): Promise<string>;
  dispose(): Promise<void>;
}

const BENCH_ADMIN = { username: "bench-admin", password: randomBytes(18).toString("base64url") };

async function applyMigrations(database: D1DatabaseLike): Promise<void> {
  const dir = "migrations";
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql")).sort()) {
    for (const statement of readFileSync(join(dir, file), "utf8").split("--> statement-breakpoint")) {
      if (statement.trim() !== "") await database.prepare(statement).run();
    }
  }
}

interface D1DatabaseLike {
  prepare(query: string): { run(): Promise<unknown> };
}

/** Logs in as the bench admin through the real API; returns the access token. */
async function adminToken(url: URL): Promise<string> {
  const login = await fetch(new URL("/auth/login", url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(BENCH_ADMIN) });
  if (!login.ok) throw new Error(`bench login failed: ${login.status} ${await login.text()}`);
  return ((await login.json()) as { access_token: string }).access_token;
}

/** Creates a trader key for reading and ingesting, through the real API. */
async function createIngestKey(url: URL): Promise<string> {
  const access_token = await adminToken(url);
  const created = await fetch(new URL("/api/v1/api-keys", url), {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${access_token}` },
    body: JSON.stringify({ name: "bench", role: "trader", scopes: ["read", "ingest"] }),
  });
  if (!created.ok) throw new Error(`bench key creation failed: ${created.status} ${await created.text()}`);
  return ((await created.json()) as { key: string }).key;
}

/** The modules of a `wrangler deploy --dry-run` output folder: the entry first, then its wasm files. */
function bundleModules(dir: string): { type: "ESModule" | "CompiledWasm"; path: string }[] {
  const files = readdirSync(dir);
  return [
    { type: "ESModule", path: join(dir, "index.js") },
    ...files.filter((file) => file.endsWith(".wasm")).map((file) => ({ type: "CompiledWasm" as const, path: join(dir, file) })),
  ];
}

export async function startBenchRuntime(): Promise<BenchRuntime> {
  const outDir = "bench-output";
  mkdirSync(outDir, { recursive: true });
  execFileSync("npx", ["tsx", "scripts/ort/patch-ort.ts"], { stdio: "ignore" });
  execFileSync("npx", ["tsx", "scripts/vendor-assets.ts"], { stdio: "ignore" });
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", join(outDir, "dist"), "--env", ""], { stdio: "ignore" });
  await build({ entryPoints: ["bench/trivial-worker.ts"], bundle: true, format: "esm", outfile: join(outDir, "baseline.js"), logLevel: "error" });
  const persistRoot = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), "aurum-bench-"));
  const { workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.toml");
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    defaultPersistRoot: persistRoot,
    workers: [
      {
        ...workerOptions,
        name: "aurum-edge",
        // Listed, not discovered: the bundle holds onnxruntime-web, whose dynamic import Miniflare's module locator
        // refuses, and the wasm module wrangler emitted beside it.
        modulesRoot: join(outDir, "dist"),
        modules: bundleModules(join(outDir, "dist")),
        bindings: {
          ...workerOptions.bindings,
          LOG_LEVEL: "error",
          ...(process.env.BENCH_TRADING === undefined ? {} : { TRADING: process.env.BENCH_TRADING }),
          STREAM_TICK_THROTTLE_MS: "250",
          JWT_SECRET: `bench:${randomBytes(32).toString("base64url")}`,
          ADMIN_USERNAME: BENCH_ADMIN.username,
          ADMIN_PASSWORD: BENCH_ADMIN.password,
        },
        // The limiter is still called on every request; only its limits are lifted so the load is not refused.
        ratelimits: {
          RATE_LIMIT_CREDENTIAL: { simple: { limit: 1_000_000_000, period: 60 } },
          RATE_LIMIT_IP: { simple: { limit: 1_000_000_000, period: 60 } },
        },
        unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      },
      {
        name: "baseline",
        modules: true,
        scriptPath: join(outDir, "baseline.js"),
        compatibilityDate: workerOptions.compatibilityDate,
        // Deployed like the platform (static assets with the same run_worker_first routes), so both pay the same
        // asset-routing cost and the ratio measures our code.
        assets: workerOptions.assets,
        unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      },
    ],
  });
  await mf.ready;
  const url = await mf.unsafeGetDirectURL("aurum-edge");
  const baselineUrl = await mf.unsafeGetDirectURL("baseline");
  await applyMigrations(await mf.getD1Database("DB"));
  const apiKey = await createIngestKey(url);
  return {
    url,
    apiKey,
    baselineUrl,
    workDir: outDir,
    admin: BENCH_ADMIN,
    adminToken: () => adminToken(url),
    async dispose() {
      await mf.dispose();
      rmSync(persistRoot, { recursive: true, force: true });
    },
  };
}
