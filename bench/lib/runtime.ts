/**
 * The platform under plain Miniflare for benchmarks: the Worker as `wrangler deploy --dry-run` builds it, with the
 * bindings wrangler.toml declares, plus the trivial baseline worker in the same instance. Both are reached on
 * their own direct sockets, so requests to either take the same path through workerd.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

export interface BenchRuntime {
  /** The platform Worker. */
  readonly url: URL;
  /** The trivial Hono baseline Worker. */
  readonly baselineUrl: URL;
  /** Scratch folder for generated files (load scripts). */
  readonly workDir: string;
  dispose(): Promise<void>;
}

export async function startBenchRuntime(): Promise<BenchRuntime> {
  const outDir = "bench-output";
  mkdirSync(outDir, { recursive: true });
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
        modules: true,
        scriptPath: join(outDir, "dist", "index.js"),
        bindings: { ...workerOptions.bindings, LOG_LEVEL: "error", STREAM_TICK_THROTTLE_MS: "250" },
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
  return {
    url,
    baselineUrl,
    workDir: outDir,
    async dispose() {
      await mf.dispose();
      rmSync(persistRoot, { recursive: true, force: true });
    },
  };
}
