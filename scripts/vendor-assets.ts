/**
 * `npm run vendor`: copies the browser files the Worker serves from npm packages into public/vendor/, so no page
 * loads anything from a CDN. Run by npm start, npm test, the bench and deploys; public/vendor/ is not committed.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** package → files to copy, served at /vendor/<package>/<file>. */
const ASSETS: Record<string, string[]> = {
  "swagger-ui-dist": ["swagger-ui.css", "swagger-ui-bundle.js"],
};

for (const [pkg, files] of Object.entries(ASSETS)) {
  const from = dirname(require.resolve(`${pkg}/package.json`));
  const to = join("public", "vendor", pkg);
  mkdirSync(to, { recursive: true });
  for (const file of files) copyFileSync(join(from, file), join(to, file));
}
console.log(`vendored ${Object.values(ASSETS).flat().length} files into public/vendor/`);
