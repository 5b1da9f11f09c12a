/**
 * `npm run types:check`: fails when types/worker-configuration.d.ts is not what `npm run types` would generate now.
 * (`wrangler types --check` cannot be used: it ignores --env-file, so its answer depends on a developer's own
 * .dev.vars.) Secrets are typed from the committed .dev.vars.example, never from .dev.vars.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";

const COMMITTED = "types/worker-configuration.d.ts";
// A sibling of types/ at the same depth, so the generated relative imports are the same.
const dir = ".types-check";
try {
  mkdirSync(dir, { recursive: true });
  const fresh = `${dir}/worker-configuration.d.ts`;
  execFileSync("npx", ["wrangler", "types", fresh, "--env-file", ".dev.vars.example"], { stdio: "ignore" });
  // The header names the output path; compare everything else.
  const normalise = (text: string, path: string) => text.split(path).join("<types>");
  if (normalise(readFileSync(fresh, "utf8"), fresh) !== normalise(readFileSync(COMMITTED, "utf8"), COMMITTED)) {
    console.error(`${COMMITTED} is out of date: run \`npm run types\` and commit it.`);
    process.exit(1);
  }
  console.log(`${COMMITTED} is up to date.`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
