/** Helpers to call the Worker the way clients do. */
import { exports } from "cloudflare:workers";
import type { IngestResult } from "../../core/schemas/market-data.js";
import type { TickInput } from "../../core/schemas/market-data.js";
import type { Tick } from "../../core/market/tick.js";

const BASE = "http://platform.test";

export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

export function postJson(path: string, body: unknown): Promise<Response> {
  return call(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

export function toWire(ticks: readonly Tick[]): TickInput[] {
  return ticks.map((t) => ({ ts: t.tsMs, bid: t.bid, ask: t.ask, volume: t.volume }));
}

export async function ingest(symbol: string, ticks: readonly Tick[]): Promise<IngestResult> {
  const response = await postJson("/api/v1/data/ingest", { symbol, ticks: toWire(ticks) });
  if (response.status !== 200) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
  return response.json();
}
