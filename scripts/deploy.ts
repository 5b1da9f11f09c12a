/**
 * `npm run deploy -- staging|production`: applies the D1 migrations to that environment's remote database, then
 * deploys the Worker. Needs `wrangler login` (or CLOUDFLARE_API_TOKEN / CLOUDFLARE_ACCOUNT_ID) and the first-time
 * set-up from the README. CI does the same through cloudflare/wrangler-action.
 */
import { run } from "./lib/server.js";

const USAGE = "usage: npm run deploy -- staging|production";

async function main(): Promise<void> {
  const target = process.argv[2];
  if (target !== "staging" && target !== "production") {
    console.error(USAGE);
    process.exit(2);
  }
  await run("npx", ["tsx", "scripts/vendor-assets.ts"]);
  await run("npx", ["tsx", "scripts/ort/patch-ort.ts"]);
  await run("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--remote", "--env", target]);
  await run("npx", ["wrangler", "deploy", "--env", target]);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `deploy failed: ${error.message}` : error);
  process.exit(1);
});
