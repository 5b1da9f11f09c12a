/** `npm run bench`: runs every benchmark and prints figures as ratios to baselines measured in the same run. */
import { benchIngest } from "./ingest.js";
import { ensureDebianPackage } from "../scripts/lib/debian-package.js";
import { startBenchRuntime } from "./lib/runtime.js";

async function main(): Promise<void> {
  ensureDebianPackage("wrk", "wrk");
  console.log(`aurum-edge benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  const runtime = await startBenchRuntime();
  try {
    for (const line of await benchIngest(runtime)) console.log(line);
  } finally {
    await runtime.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
