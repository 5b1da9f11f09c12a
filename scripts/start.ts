/**
 * `npm start`: runs the whole platform locally. Creates .dev.vars (random local secrets) when missing, applies the
 * local D1 migrations, starts `wrangler dev` on 127.0.0.1:$PORT (default 8787), then, unless DEMO=0, uploads and
 * deploys the shipped demo model and replays the shipped real XAUUSD demo data (so every closed M1 bar gets a
 * signal). PERSIST_DIR (default .wrangler/state) holds the local D1, R2, DO and queue state.
 */
import { PlatformError } from "../training/platform-http.js";
import { RegistryClient } from "../training/registry-client.js";
import { DEMO_SYMBOL, loadDemoData } from "./lib/demo-data.js";
import { deployDemoModel, describeDemoDeployment } from "./lib/demo-model.js";
import { DEV_VARS, ensureDevVars, localAdminToken, readDevVars } from "./lib/dev-vars.js";
import { run, startDevServer, stopServer, waitForHealthy } from "./lib/server.js";

/**
 * Uploads and deploys the demo model before the ticks are replayed, so the replay makes signals. A failure is
 * reported and the platform keeps starting: it still serves everything but signals.
 */
async function deployDemoModelOrWarn(baseUrl: string, accessToken: string): Promise<void> {
  const registry = new RegistryClient({
    baseUrl,
    apiKey: accessToken,
    onRetry: (message) => console.error(`demo model: registry ${message}`),
  });
  try {
    console.log(describeDemoDeployment(await deployDemoModel(registry)));
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof PlatformError ? `${error.code}: ` : "";
    console.error(`demo model: NOT deployed (${code}${message}); the platform runs without signals`);
  }
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? "8787");
  const persistDir = process.env.PERSIST_DIR ?? ".wrangler/state";
  const baseUrl = `http://127.0.0.1:${port}`;

  if (ensureDevVars()) console.log(`created ${DEV_VARS} with random local secrets`);
  await run("npx", ["tsx", "scripts/vendor-assets.ts"]);
  await run("npx", ["tsx", "scripts/ort/patch-ort.ts"]);
  await run("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], { ...process.env, CI: "true" });

  const server = await startDevServer({ port, persistDir });
  const shutdown = async (signal: NodeJS.Signals) => {
    await stopServer(server, signal, false);
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  server.once("exit", (code) => process.exit(code ?? 1));

  await waitForHealthy(baseUrl, server);
  if (process.env.DEMO !== "0") {
    const accessToken = await localAdminToken(baseUrl);
    await deployDemoModelOrWarn(baseUrl, accessToken);
    const summary = await loadDemoData(baseUrl, accessToken, true);
    console.log(
      summary === null
        ? `demo data: ${DEMO_SYMBOL} already loaded`
        : `demo data: ${summary.accepted.toLocaleString("en-US")} ${DEMO_SYMBOL} ticks in ${(summary.elapsedMs / 1000).toFixed(1)} s`,
    );
  }
  const vars = readDevVars();
  console.log(`
  Platform running at ${baseUrl}
    dashboard: ${baseUrl}/   (open it in a browser and log in)
    log in:  ${vars.ADMIN_USERNAME} / ${vars.ADMIN_PASSWORD}   (local admin, from ${DEV_VARS})
             curl -s ${baseUrl}/auth/login -H 'content-type: application/json' -d '{"username":"${vars.ADMIN_USERNAME}","password":"${vars.ADMIN_PASSWORD}"}'
    bars:    ${baseUrl}/api/v1/market/data?symbol=${DEMO_SYMBOL}&timeframe=M15&limit=20   (Authorization: Bearer <access_token>)
    signals: ${baseUrl}/api/v1/signals/${DEMO_SYMBOL}/latest   (models: ${baseUrl}/api/v1/models?symbol=${DEMO_SYMBOL})
    API:     ${baseUrl}/docs   (OpenAPI at ${baseUrl}/openapi.json)
    health:  ${baseUrl}/health
    stream:  ws://127.0.0.1:${port}/api/v1/stream/${DEMO_SYMBOL}
    cron:    ${baseUrl}/__scheduled?cron=*/5+*+*+*+*
  Ctrl-C stops it; local state stays in ${persistDir}.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `npm start failed: ${error.message}` : error);
  process.exit(1);
});
