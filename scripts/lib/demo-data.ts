/** Loading the shipped demo data (real XAUUSD M1 bars, MT5 server time UTC+3) into a running platform. */
import { fileURLToPath } from "node:url";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../../core/instruments/catalog.js";
import type { BarsResponse } from "../../core/schemas/market-data.js";
import { readTicksFile, replay, type ReplaySummary } from "./replay.js";

export const DEMO_FILE = fileURLToPath(new URL("../../data/xauusd-m1-2026-03-24--2026-05-28.csv.gz", import.meta.url));
export const DEMO_SYMBOL = "XAUUSD";
export const DEMO_UTC_OFFSET_MINUTES = 180;

/** Replays the demo file unless the platform already holds its last bar; returns null when skipped. */
export async function loadDemoData(baseUrl: string, accessToken: string, progress: boolean): Promise<ReplaySummary | null> {
  const headers = { authorization: `Bearer ${accessToken}` };
  const instrument = InstrumentCatalog.parse(DEFAULT_INSTRUMENTS).find(DEMO_SYMBOL);
  if (!instrument) throw new Error(`${DEMO_SYMBOL} is not in the shipped catalogue`);
  const ticks = readTicksFile(DEMO_FILE, DEMO_UTC_OFFSET_MINUTES, instrument);
  const lastTickMs = ticks.at(-1)?.tsMs ?? 0;
  const response = await fetch(`${baseUrl}/api/v1/market/data?symbol=${DEMO_SYMBOL}&timeframe=M1&limit=1`, { headers });
  if (response.ok) {
    const latest = ((await response.json()) as BarsResponse).bars.at(-1);
    if (latest && latest.ts >= lastTickMs - 60_000) return null;
  }
  return replay({ url: baseUrl, symbol: DEMO_SYMBOL, ticks, batchSize: 5_000, speed: 0, progress, headers });
}
