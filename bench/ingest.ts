/**
 * Ingest benchmarks: single-tick posts/s with p50/p99 latency and ticks/s into one InstrumentDO with 1,000-tick
 * batches over HTTP, each beside trivial Hono routes (GET, and POST reading the same body) measured in the same run.
 * Scenarios run in interleaved rounds and each figure is the median over rounds, because two shared cores are
 * noisy (±40 % between back-to-back runs).
 */
import { makeTickWalk } from "../tests/support/builders.js";
import type { Tick } from "../core/market/tick.js";
import { quantile, runLoad, type LoadResult } from "./lib/load.js";
import type { BenchRuntime } from "./lib/runtime.js";

const CONCURRENCY = 8;
const ROUNDS = 5;
const ROUND_MS = 1_500;
const BATCH_SIZE = 1_000;

interface Scenario {
  readonly name: string;
  readonly concurrency: number;
  readonly makeRequest: (i: number) => Request;
}

function ingestRequest(url: URL, symbol: string, ticks: readonly Tick[]): Request {
  return new Request(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ symbol, ticks: ticks.map((t) => ({ ts: t.tsMs, bid: t.bid, ask: t.ask, volume: t.volume })) }),
  });
}

const median = (values: number[]) => quantile([...values].sort((a, b) => a - b), 0.5);

export async function benchIngest(runtime: BenchRuntime): Promise<string[]> {
  const ingestUrl = new URL("/api/v1/data/ingest", runtime.url);
  const baselineUrl = runtime.baselineUrl;
  let singleTsMs = Date.UTC(2026, 0, 6);
  let batchTsMs = Date.UTC(2026, 0, 8);
  const singleTick = () => makeTickWalk(1, { startMs: (singleTsMs += 100), startBid: 30, stepPrice: 0.001 });
  const sampleBody = JSON.stringify({ symbol: "XAGUSD", ticks: [{ ts: singleTsMs, bid: 30.001, ask: 30.021, volume: 1 }] });

  const scenarios: Scenario[] = [
    { name: "baseline GET (trivial Hono route)", concurrency: CONCURRENCY, makeRequest: () => new Request(baselineUrl) },
    { name: "baseline POST (trivial, reads body)", concurrency: CONCURRENCY, makeRequest: () => new Request(baselineUrl, { method: "POST", body: sampleBody }) },
    { name: "single-tick POST /data/ingest", concurrency: CONCURRENCY, makeRequest: () => ingestRequest(ingestUrl, "XAGUSD", singleTick()) },
    {
      name: `batched POST (${BATCH_SIZE} ticks, 2 clients)`,
      concurrency: 2,
      makeRequest: () => {
        const ticks = makeTickWalk(BATCH_SIZE, { startMs: batchTsMs, stepMs: 100 });
        batchTsMs += BATCH_SIZE * 100;
        return ingestRequest(ingestUrl, "XAUUSD", ticks);
      },
    },
  ];

  // Warm-up: isolates, Durable Objects, SQLite files, the connection pool.
  for (const scenario of scenarios) await runLoad({ concurrency: scenario.concurrency, durationMs: 400, makeRequest: scenario.makeRequest });

  const results = new Map<string, LoadResult[]>(scenarios.map((s) => [s.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of scenarios) {
      results.get(scenario.name)?.push(await runLoad({ concurrency: scenario.concurrency, durationMs: ROUND_MS, makeRequest: scenario.makeRequest }));
    }
  }
  const of = (name: string) => results.get(name) ?? [];
  const perRound = (name: string, base: string) => of(name).map((r, i) => r.perSecond / (of(base)[i]?.perSecond ?? Number.NaN));
  const summary = (name: string) => {
    const runs = of(name);
    return {
      perSecond: median(runs.map((r) => r.perSecond)),
      p50Ms: median(runs.map((r) => r.p50Ms)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      failures: runs.reduce((sum, r) => sum + r.failures, 0),
    };
  };
  const [get, post, single, batched] = scenarios.map((s) => s.name) as [string, string, string, string];
  const line = (name: string, extra = "") => {
    const s = summary(name);
    return `  ${name.padEnd(38)} ${s.perSecond.toFixed(0).padStart(6)} req/s  p50 ${s.p50Ms.toFixed(2).padStart(6)} ms  p99 ${s.p99Ms.toFixed(2).padStart(6)} ms${extra}`;
  };
  const ticksPerSecond = summary(batched).perSecond * BATCH_SIZE;
  const failures = scenarios.map((s) => summary(s.name).failures).reduce((a, b) => a + b, 0);
  return [
    `ingest — plain Miniflare, Node fetch client on the same cores, concurrency ${CONCURRENCY}; medians of ${ROUNDS} interleaved ${ROUND_MS} ms rounds`,
    line(get),
    line(post),
    line(single, `\n      = ${median(perRound(single, post)).toFixed(2)} x trivial POST, ${median(perRound(single, get)).toFixed(2)} x trivial GET (target >= 0.80)`),
    line(batched, `\n      = ${Math.round(ticksPerSecond).toLocaleString("en-US")} ticks/s (target >= 100,000); ${median(perRound(batched, get)).toFixed(3)} x trivial GET req/s per request`),
    `  failed requests: ${failures}`,
  ];
}
