/** `npm run features -- --data <csv[.gz]> [--tz +03:00] --out <csv>`: an MT5 M1 export to a features CSV. */
import { buildFeatures, FeatureBuilder, featureSpecId, XAU_M1_CORE_SPEC } from "../core/features/index.js";
import { parseUtcOffsetMinutes } from "../core/market/csv.js";
import { parseFlags, runMain, UsageError } from "../scripts/lib/args.js";
import { featureSpecSha256, readMt5BarsFile, writeFeatureCsv } from "./features-csv.js";

const USAGE = `usage: npm run features -- --data <csv[.gz]> [--tz +03:00] --out <csv>

  --data   MT5 M1 bar export (time,open,high,low,close,tick_volume,spread,...), plain or gzip
  --tz     UTC offset of the file's times, e.g. +03:00 for an MT5 server at UTC+3 (default +00:00)
  --out    CSV to write (replaced): time (ISO-8601 UTC bar open), the 16 raw TA-Lib indicator columns (empty during
           their warm-up), then the model features of spec ${featureSpecId(XAU_M1_CORE_SPEC)} (empty until warm)

Bars must be in strictly increasing time order. A one-line summary goes to stderr.`;

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    data: { type: "string" },
    tz: { type: "string", default: "+00:00" },
    out: { type: "string" },
    help: { type: "boolean" },
  });
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  if (!flags.data || !flags.out) throw new UsageError("--data and --out are required");
  const offsetMinutes = (() => {
    try {
      return parseUtcOffsetMinutes(flags.tz);
    } catch (error: unknown) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  })();
  const spec = XAU_M1_CORE_SPEC;
  const bars = readMt5BarsFile(flags.data, offsetMinutes);
  const rows = buildFeatures(bars, spec);
  writeFeatureCsv(flags.out, spec, rows);
  const warmUpRows = rows.filter((row) => !row.ready).length;
  const warmUpBars = new FeatureBuilder(spec).warmUpBars;
  const specText = `spec ${featureSpecId(spec)} sha256 ${featureSpecSha256(spec)}`;
  console.error(
    `features: ${rows.length} rows, ${warmUpRows} warm-up rows (warm-up ${warmUpBars} bars), ` +
      `${spec.features.length} features, ${specText} → ${flags.out}`,
  );
}

runMain(main, USAGE);
