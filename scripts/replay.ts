/** `npm run replay -- --file <csv> --symbol XAUUSD [--tz +03:00] [--speed 0|1|60] [--url] [--batch 1000]` */
import { parseUtcOffsetMinutes } from "../core/market/csv.js";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../core/instruments/catalog.js";
import { numberFlag, parseFlags, runMain, UsageError } from "./lib/args.js";
import { readTicksFile, replay } from "./lib/replay.js";

const USAGE = `usage: npm run replay -- --file <csv[.gz]> --symbol XAUUSD [options]

  --file      MT5 M1 export (time,open,high,low,close,tick_volume,spread) or ticks (ts,bid,ask[,volume])
  --symbol    instrument symbol (must be declared on the platform)
  --tz        UTC offset of the file's times, e.g. +03:00 for an MT5 server at UTC+3 (default +00:00)
  --speed     0 = as fast as possible (default); N = N x real time
  --url       platform URL (default http://127.0.0.1:\${PORT:-8787})
  --batch     ticks per request, 1..5000 (default 1000)
  --spread    spread in points for files without a spread column
  --key       credential: an API key with the ingest scope (ak_…) or an access token; default $AURUM_KEY

Each M1 bar becomes four bid ticks at +0/+15/+30/+45 s: open, low, high, close (high before low on a down bar);
ask = bid + spread. Re-running a replay is safe: the platform drops exact re-deliveries.`;

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    file: { type: "string" },
    symbol: { type: "string" },
    tz: { type: "string", default: "+00:00" },
    speed: { type: "string" },
    url: { type: "string", default: `http://127.0.0.1:${process.env.PORT ?? "8787"}` },
    batch: { type: "string" },
    spread: { type: "string" },
    key: { type: "string" },
    help: { type: "boolean" },
  });
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  if (!flags.file || !flags.symbol) throw new UsageError("--file and --symbol are required");
  const symbol = flags.symbol.toUpperCase();
  const instrument = InstrumentCatalog.parse(DEFAULT_INSTRUMENTS).find(symbol);
  if (!instrument) throw new UsageError(`unknown symbol ${symbol}`);
  const offsetMinutes = (() => {
    try {
      return parseUtcOffsetMinutes(flags.tz);
    } catch (error: unknown) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  })();
  const spread = flags.spread === undefined ? undefined : numberFlag(flags.spread, "spread", 0);
  const credential = flags.key ?? process.env.AURUM_KEY;
  if (!credential) throw new UsageError("--key (or AURUM_KEY) is required: create an API key with the ingest scope, or log in for an access token");
  const ticks = readTicksFile(flags.file, offsetMinutes, instrument, spread);
  console.error(`${ticks.length.toLocaleString("en-US")} ticks from ${flags.file} → ${flags.url}`);
  const summary = await replay({
    url: flags.url.replace(/\/$/, ""),
    symbol,
    ticks,
    batchSize: numberFlag(flags.batch, "batch", 1_000, 1, 5_000),
    speed: numberFlag(flags.speed, "speed", 0, 0, 1_000_000),
    headers: credential ? { authorization: `Bearer ${credential}` } : {},
    progress: true,
  });
  console.log(JSON.stringify(summary, null, 2));
}

runMain(main, USAGE);
