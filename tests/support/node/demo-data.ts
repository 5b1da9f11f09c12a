/** Reads the shipped demo data (real XAUUSD M1 bars from an MT5 broker at UTC+3) for Node tests and scripts. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { parseMt5BarsCsv } from "../../../core/market/csv.js";
import type { SourceBar } from "../../../core/market/tick-path.js";

export const DEMO_CSV_PATH = fileURLToPath(new URL("../../../data/xauusd-m1-2026-03-24--2026-05-28.csv.gz", import.meta.url));
/** The demo file's server zone: UTC+3. */
export const DEMO_UTC_OFFSET_MINUTES = 180;

let cached: SourceBar[] | undefined;

export function readDemoCsvText(): string {
  return gunzipSync(readFileSync(DEMO_CSV_PATH)).toString("utf8");
}

/** All 63,230 demo bars, times converted to UTC. */
export function demoBars(): SourceBar[] {
  cached ??= parseMt5BarsCsv(readDemoCsvText(), DEMO_UTC_OFFSET_MINUTES);
  return cached;
}
