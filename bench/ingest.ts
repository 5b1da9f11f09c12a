/**
 * Ingest benchmarks: single-tick posts/s with p50/p99 latency, and ticks/s into one InstrumentDO with 1,000-tick
 * batches over HTTP, each beside trivial Hono routes (GET, and a POST that reads the same body) served the same
 * way in the same run. Ingest goes through the whole stack: API-key check, rate limiters, audit and metrics
 * middleware, validation, the Durable Object. Scenarios run in interleaved rounds; each figure is the median over rounds, because two
 * shared cores are noisy.
 */
import { luaString, quantile, runLoad, type LoadResult, type LoadSpec } from "./lib/load.js";
import type { BenchRuntime } from "./lib/runtime.js";

const CONNECTIONS = 8;
/** One connection for batches: two in flight could reach the object out of order and be refused, not measured. */
const BATCH_CONNECTIONS = 1;
const ROUNDS = 5;
const ROUND_MS = 2_000;
const BATCH_SIZE = 1_000;

/** Lua: POST one new tick per request (times 10 ms apart, so 8 requests in flight stay inside the reorder tolerance). */
function singleTickLua(symbol: string, startMs: number, apiKey: string): string {
  return `
local n = 0
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["x-api-key"] = "${apiKey}"
request = function()
  n = n + 1
  local bid = 30 + (n % 3) * 0.001
  local body = string.format('{"symbol":"${symbol}","ticks":[{"ts":%.0f,"bid":%.3f,"ask":%.3f}]}', ${startMs} + n * 10, bid, bid + 0.02)
  return wrk.format(nil, nil, nil, body)
end`;
}

/** Lua: POST batches of `size` new ticks per request for `symbol`. */
function batchLua(symbol: string, startMs: number, size: number, apiKey: string): string {
  return `
local n = 0
local parts = {}
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["x-api-key"] = "${apiKey}"
request = function()
  for i = 1, ${size} do
    n = n + 1
    local bid = 2300 + (n % 3) * 0.05
    parts[i] = string.format('{"ts":%.0f,"bid":%.2f,"ask":%.2f}', ${startMs} + n * 100, bid, bid + 0.2)
  end
  return wrk.format(nil, nil, nil, '{"symbol":"${symbol}","ticks":[' .. table.concat(parts, ",") .. ']}')
end`;
}

const median = (values: number[]) => quantile([...values].sort((a, b) => a - b), 0.5);

interface Scenario {
  readonly name: string;
  /** The load for a round; each round starts its tick stream later so every request carries new ticks. */
  readonly spec: (round: number) => LoadSpec;
}

export async function benchIngest(runtime: BenchRuntime): Promise<string[]> {
  const ingestUrl = new URL("/api/v1/data/ingest", runtime.url);
  const trivialUrl = new URL("/api/trivial", runtime.baselineUrl);
  const sampleBody = JSON.stringify({ symbol: "XAGUSD", ticks: [{ ts: Date.UTC(2026, 0, 6), bid: 30.001, ask: 30.021 }] });
  const roundStartMs = (round: number) => Date.UTC(2026, 0, 5) + round * 86_400_000;
  const get: Scenario = { name: "trivial GET", spec: () => ({ url: trivialUrl, connections: CONNECTIONS, durationMs: ROUND_MS }) };
  const post: Scenario = {
    name: "trivial POST (reads a 1-tick body)",
    spec: () => ({ url: trivialUrl, connections: CONNECTIONS, durationMs: ROUND_MS, lua: `wrk.method = "POST"\nwrk.body = ${luaString(sampleBody)}` }),
  };
  const single: Scenario = {
    name: "single-tick POST /data/ingest",
    spec: (round) => ({ url: ingestUrl, connections: CONNECTIONS, durationMs: ROUND_MS, lua: singleTickLua("XAGUSD", roundStartMs(round), runtime.apiKey) }),
  };
  const batched: Scenario = {
    name: `${BATCH_SIZE}-tick POST /data/ingest`,
    spec: (round) => ({ url: ingestUrl, connections: BATCH_CONNECTIONS, durationMs: ROUND_MS, lua: batchLua("XAUUSD", roundStartMs(round), BATCH_SIZE, runtime.apiKey) }),
  };
  const scenarios = [get, post, single, batched];

  const results = new Map<Scenario, LoadResult[]>(scenarios.map((s) => [s, []]));
  for (const scenario of scenarios) await runLoad({ ...scenario.spec(0), durationMs: 1_000 }, runtime.workDir); // warm-up
  for (let round = 1; round <= ROUNDS; round++) {
    for (const scenario of scenarios) results.get(scenario)?.push(await runLoad(scenario.spec(round), runtime.workDir));
  }

  const runs = (s: Scenario) => results.get(s) ?? [];
  const ratio = (s: Scenario, base: Scenario) => median(runs(s).map((r, i) => r.perSecond / (runs(base)[i]?.perSecond ?? Number.NaN)));
  const fmt = (v: number, digits: number, width: number) => v.toFixed(digits).padStart(width);
  const line = (s: Scenario) => {
    const r = runs(s);
    return `  ${s.name.padEnd(36)} ${fmt(median(r.map((x) => x.perSecond)), 0, 6)} req/s   p50 ${fmt(median(r.map((x) => x.p50Ms)), 2, 6)} ms   p99 ${fmt(median(r.map((x) => x.p99Ms)), 2, 6)} ms`;
  };
  // Ticks the object accepted per second (answers that refused ticks do not count).
  const acceptedPerSecond = (r: LoadResult) => ((r.accepted ?? 0) * r.perSecond) / Math.max(1, r.requests);
  const ticksPerSecond = median(runs(batched).map(acceptedPerSecond));
  const singleAcceptedShare = median(runs(single).map((r) => (r.accepted ?? 0) / Math.max(1, r.requests)));
  const failures = scenarios.reduce((sum, s) => sum + runs(s).reduce((n, r) => n + r.failures, 0), 0);
  return [
    `ingest — plain Miniflare, wrk (1 thread); ${CONNECTIONS} connections (${BATCH_CONNECTIONS} for batches); medians of ${ROUNDS} interleaved ${ROUND_MS / 1000} s rounds`,
    line(get),
    line(post),
    line(single),
    `      single-tick throughput = ${ratio(single, get).toFixed(2)} x trivial GET, ${ratio(single, post).toFixed(2)} x trivial POST   (target >= 0.80); ${(singleAcceptedShare * 100).toFixed(1)} % of posted ticks accepted`,
    line(batched),
    `      = ${Math.round(ticksPerSecond).toLocaleString("en-US")} accepted ticks/s into one InstrumentDO   (target >= 100,000); ${(ticksPerSecond / median(runs(get).map((r) => r.perSecond))).toFixed(1)} ticks per trivial GET`,
    `  failed requests (non-2xx or socket errors): ${failures}`,
  ];
}
