/** Replays ticks into the platform over HTTP: batches, optional real-time pacing, retries, progress. */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { isMt5BarHeader, parseMt5BarsCsv, parseTicksCsv } from "../../core/market/csv.js";
import { barsToTicks, type TickPathConfig } from "../../core/market/tick-path.js";
import type { Tick } from "../../core/market/tick.js";
import type { IngestResult } from "../../core/schemas/market-data.js";
import { progressBar } from "./progress.js";

/** Reads a CSV (plain or .gz): an MT5 M1 bar export becomes the standard tick path, a tick file is read as is. */
export function readTicksFile(path: string, offsetMinutes: number, pathConfig: TickPathConfig, spreadPoints?: number): Tick[] {
  const raw = readFileSync(path);
  const text = (path.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
  const header = text.slice(0, text.indexOf("\n"));
  if (isMt5BarHeader(header)) return barsToTicks(parseMt5BarsCsv(text, offsetMinutes, spreadPoints), pathConfig);
  return parseTicksCsv(text, offsetMinutes);
}

export interface ReplayOptions {
  /** Platform base URL, e.g. http://127.0.0.1:8787. */
  readonly url: string;
  readonly symbol: string;
  readonly ticks: readonly Tick[];
  /** Ticks per request (≤ 5,000). */
  readonly batchSize: number;
  /** 0: as fast as possible; N: N× the ticks' own pace. */
  readonly speed: number;
  /** Extra request headers (credentials). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Attempts per batch before giving up (network errors, 429, 5xx). */
  readonly maxAttempts?: number;
  /** Show a progress bar on stderr. */
  readonly progress?: boolean;
}

export interface ReplaySummary {
  sent: number;
  accepted: number;
  duplicates: number;
  held: number;
  rejectedByCode: Record<string, number>;
  requests: number;
  retries: number;
  elapsedMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Posts one batch, retrying with exponential backoff; re-delivery is safe because ingest is idempotent. */
async function postBatch(options: ReplayOptions, ticks: readonly Tick[], summary: ReplaySummary): Promise<IngestResult> {
  const maxAttempts = options.maxAttempts ?? 6;
  const body = JSON.stringify({ symbol: options.symbol, ticks: ticks.map((t) => ({ ts: t.tsMs, bid: t.bid, ask: t.ask, volume: t.volume })) });
  for (let attempt = 1; ; attempt++) {
    let failure: string;
    try {
      const response = await fetch(`${options.url}/api/v1/data/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json", ...options.headers },
        body,
      });
      summary.requests += 1;
      if (response.ok) return (await response.json()) as IngestResult;
      const text = await response.text();
      if (response.status !== 429 && response.status < 500) throw new Error(`ingest refused (${response.status}): ${text}`);
      failure = `HTTP ${response.status}`;
      const retryAfterS = Number(response.headers.get("retry-after"));
      if (attempt < maxAttempts && Number.isFinite(retryAfterS) && retryAfterS > 0) {
        summary.retries += 1;
        await sleep(retryAfterS * 1_000);
        continue;
      }
    } catch (error: unknown) {
      if (error instanceof Error && error.message.startsWith("ingest refused")) throw error;
      failure = error instanceof Error ? error.message : String(error);
    }
    if (attempt >= maxAttempts) throw new Error(`ingest failed after ${attempt} attempts: ${failure}`);
    summary.retries += 1;
    await sleep(Math.min(10_000, 250 * 2 ** (attempt - 1)));
  }
}

/**
 * Sends the ticks in order. At speed N the replay waits so that tick times advance N times faster than the
 * clock; everything due is sent together (up to the batch size).
 */
export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const summary: ReplaySummary = { sent: 0, accepted: 0, duplicates: 0, held: 0, rejectedByCode: {}, requests: 0, retries: 0, elapsedMs: 0 };
  const startedMs = performance.now();
  const bar = options.progress ? progressBar(`${options.symbol}`, options.ticks.length) : undefined;
  const firstTickMs = options.ticks[0]?.tsMs ?? 0;
  let index = 0;
  while (index < options.ticks.length) {
    let end = Math.min(options.ticks.length, index + options.batchSize);
    if (options.speed > 0) {
      const dueMs = ((options.ticks[index]?.tsMs ?? firstTickMs) - firstTickMs) / options.speed;
      const waitMs = dueMs - (performance.now() - startedMs);
      if (waitMs > 0) await sleep(waitMs);
      const replayedUntilMs = firstTickMs + (performance.now() - startedMs) * options.speed;
      let dueEnd = index + 1;
      while (dueEnd < end && (options.ticks[dueEnd]?.tsMs ?? Infinity) <= replayedUntilMs) dueEnd++;
      end = dueEnd;
    }
    const result = await postBatch(options, options.ticks.slice(index, end), summary);
    summary.sent += end - index;
    summary.accepted += result.accepted;
    summary.duplicates += result.duplicates;
    summary.held += result.held;
    for (const rejection of result.rejected) summary.rejectedByCode[rejection.code] = (summary.rejectedByCode[rejection.code] ?? 0) + 1;
    index = end;
    bar?.update(summary.sent, `accepted ${summary.accepted.toLocaleString("en-US")}`);
  }
  summary.elapsedMs = performance.now() - startedMs;
  bar?.finish(`accepted ${summary.accepted.toLocaleString("en-US")}`);
  return summary;
}
