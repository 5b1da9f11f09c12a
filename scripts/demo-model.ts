/**
 * `npm run model:demo`: trains the demo model (regularised logistic regression, XAUUSD M1, horizon 15, seed 1) on
 * the shipped demo data with the project's trainer and writes data/models/xauusd-m1-demo/{model.onnx,
 * manifest.json, report.txt}. Deterministic: the three files are byte-identical on every run.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { MANIFEST_FILE_NAME, MODEL_FILE_NAME } from "../core/ml/index.js";
import { manifestJson } from "../training/pipeline/artifacts.js";
import { parseFlags, runMain } from "./lib/args.js";
import { DEMO_MODEL_DIR, DEMO_MODEL_SETTINGS, DEMO_REPORT_FILE_NAME, trainDemoModel } from "./lib/demo-model.js";
import { type Progress, progressBar } from "./lib/progress.js";

const USAGE = `usage: npm run model:demo

Trains the demo model (${DEMO_MODEL_SETTINGS.model}, ${DEMO_MODEL_SETTINGS.symbol} M1, horizon ${DEMO_MODEL_SETTINGS.horizonBars}, ${DEMO_MODEL_SETTINGS.trials} trials, seed ${DEMO_MODEL_SETTINGS.seed}) on the shipped
demo data and writes ${relative(process.cwd(), DEMO_MODEL_DIR)}/{${MODEL_FILE_NAME}, ${MANIFEST_FILE_NAME}, ${DEMO_REPORT_FILE_NAME}}. Progress goes to stderr,
the text report to stdout.`;

async function main(): Promise<void> {
  if (parseFlags(process.argv.slice(2), { help: { type: "boolean" } }).help) {
    console.log(USAGE);
    return;
  }
  const startedMs = performance.now();
  let bar: Progress | undefined;
  const demo = trainDemoModel((progress) => {
    bar ??= progressBar("model:demo", progress.total);
    if (progress.done >= progress.total) bar.finish(progress.message);
    else bar.update(progress.done, progress.message);
  });
  mkdirSync(DEMO_MODEL_DIR, { recursive: true });
  const paths = [MODEL_FILE_NAME, MANIFEST_FILE_NAME, DEMO_REPORT_FILE_NAME].map((name) => join(DEMO_MODEL_DIR, name));
  const [onnxPath, manifestPath, reportPath] = paths as [string, string, string];
  writeFileSync(onnxPath, demo.artifacts.onnx);
  writeFileSync(manifestPath, manifestJson(demo.artifacts.manifest));
  writeFileSync(reportPath, demo.reportText);
  process.stdout.write(demo.reportText);
  const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
  console.error(
    `model:demo: ${demo.artifacts.manifest.version} in ${seconds} s; wrote ` +
      `${paths.map((path) => relative(process.cwd(), path)).join(", ")}`,
  );
}

runMain(main, USAGE);
