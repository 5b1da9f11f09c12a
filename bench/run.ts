/** `npm run bench`: runs every benchmark and prints figures as ratios to baselines measured in the same run. */
import { benchBacktest } from "./backtest.js";
import { benchDashboardLatency } from "./dashboard-latency.js";
import { benchGbdt } from "./gbdt.js";
import { benchIngest } from "./ingest.js";
import { benchSignalPath } from "./signals.js";
import { ensureDebianPackage } from "../scripts/lib/debian-package.js";
import { startBenchRuntime } from "./lib/runtime.js";

async function main(): Promise<void> {
  ensureDebianPackage("wrk", "wrk");
  ensureDebianPackage("chromium", "chromium");
  console.log(`aurum-edge benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  const runtime = await startBenchRuntime();
  try {
    for (const line of await benchIngest(runtime)) console.log(line);
    for (const line of await benchSignalPath(runtime)) console.log(line);
    for (const line of await benchDashboardLatency(runtime)) console.log(line);
  } finally {
    await runtime.dispose();
  }
  for (const line of await benchBacktest()) console.log(line);
  for (const line of benchGbdt()) console.log(line);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
