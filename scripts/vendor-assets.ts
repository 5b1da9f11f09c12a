/**
 * `npm run vendor`: writes the browser files the Worker serves that are not committed — copies from npm packages
 * into public/vendor/ (so no page loads anything from a CDN) and the dashboard's scripts, bundled from
 * workers/dashboard/browser/ (with lightweight-charts and the shared formatting from core/) into public/app/.
 * Run by npm start, npm test, the bench and deploys.
 */
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { build, type Plugin } from "esbuild";

const require = createRequire(import.meta.url);

/** package → files to copy, served at /vendor/<package>/<file>. */
const ASSETS: Record<string, string[]> = {
  "swagger-ui-dist": ["swagger-ui.css", "swagger-ui-bundle.js"],
  "htmx.org": ["dist/htmx.min.js"],
};

/** The browser entry points: every .ts file at the top of the browser folder becomes /app/<name>.js (lib/ holds their shared modules). */
const BROWSER_DIR = join("workers", "dashboard", "browser");
const BROWSER_ENTRIES = readdirSync(BROWSER_DIR)
  .filter((name) => name.endsWith(".ts"))
  .map((name) => join(BROWSER_DIR, name));

/** zod's `z.locales` namespace pulls every translation (~260 KB minified) into each bundle; the browser needs English only. */
const zodEnglishOnly: Plugin = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => (args.importer.includes("/zod/") ? { path: "zod-locales", namespace: "zod-english-only" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "zod-english-only" }, () => ({ contents: 'export { default as en } from "zod/v4/locales/en.js";', resolveDir: process.cwd() }));
  },
};

let copied = 0;
for (const [pkg, files] of Object.entries(ASSETS)) {
  const from = dirname(require.resolve(`${pkg}/package.json`));
  const to = join("public", "vendor", pkg);
  mkdirSync(to, { recursive: true });
  for (const file of files) {
    copyFileSync(join(from, file), join(to, file.split("/").pop() ?? file));
    copied += 1;
  }
}

await build({
  entryPoints: BROWSER_ENTRIES,
  outdir: join("public", "app"),
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  logLevel: "warning",
  plugins: [zodEnglishOnly],
});
console.log(`vendored ${copied} files into public/vendor/, bundled ${BROWSER_ENTRIES.length} scripts into public/app/`);
