/** /metrics and the admin system reports show real figures from the Durable Objects, D1 and this isolate. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { makeTick, makeTickWalk } from "../support/builders.js";
import { TEST_SECRETS } from "../support/test-secrets.js";
import { freshState } from "./fresh-state.js";
import { bearer, call, ingest, loginAs, toWire, postJson } from "./http.js";

beforeEach(freshState);

describe("metrics", () => {
  it("counts accepted, duplicate and rejected ticks per instrument and code, and requests per route", async () => {
    const ticks = makeTickWalk(30);
    await ingest("XAUUSD", ticks);
    await ingest("XAUUSD", ticks.slice(0, 5));
    await postJson("/api/v1/data/ingest", { symbol: "XAUUSD", ticks: toWire([makeTick({ tsMs: (ticks.at(-1)?.tsMs ?? 0) + 1_000, bid: 2301, ask: 2300 })]) });
    const response = await call("/metrics", {}, bearer(TEST_SECRETS.metricsToken));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await response.text();
    expect(text).toContain('aurum_ticks_accepted_total{symbol="XAUUSD"} 30');
    expect(text).toContain('aurum_ticks_duplicate_total{symbol="XAUUSD"} 5');
    expect(text).toContain('aurum_ticks_rejected_total{symbol="XAUUSD",code="CROSSED_QUOTE"} 1');
    expect(text).toContain('aurum_ticks_stored{symbol="XAUUSD"} 30');
    expect(text).toMatch(/aurum_http_requests_total\{method="POST",route="\/api\/v1\/data\/ingest",status="200"\} \d+/);
    expect(text).toMatch(/aurum_http_request_duration_seconds_bucket\{method="POST",route="\/api\/v1\/data\/ingest",le="\+Inf"\} \d+/);
    expect(text).toContain("aurum_health_status -1");
  });
});

describe("system reports", () => {
  it("report D1 row counts and size, and each instrument's object and this isolate's caches", async () => {
    const { access_token } = await loginAs();
    await ingest("XAUUSD", makeTickWalk(12));
    const database = (await (await call("/api/v1/system/database", {}, bearer(access_token))).json()) as { reachable: boolean; sizeBytes: number | null; tables: Record<string, number> };
    expect(database.reachable).toBe(true);
    expect(database.tables).toMatchObject({ users: 1, api_keys: 1, refresh_tokens: 1 });
    expect(database.sizeBytes).toBeGreaterThan(0);
    const cache = (await (await call("/api/v1/system/cache", {}, bearer(access_token))).json()) as {
      isolate: { uptimeS: number; cachedApiKeys: number };
      instruments: { symbol: string; storedTicks: number; accepted: number }[];
    };
    expect(cache.isolate.cachedApiKeys).toBeGreaterThanOrEqual(1);
    expect(cache.instruments.map((i) => i.symbol)).toEqual(["XAUUSD", "XAGUSD", "EURUSD", "BTCUSD"]);
    expect(cache.instruments[0]).toMatchObject({ symbol: "XAUUSD", storedTicks: 12, accepted: 12 });
  });

  it("report both R2 buckets as reachable, with what they hold", async () => {
    const { access_token } = await loginAs();
    await env.MODELS.put("models/XAUUSD/probe/manifest.json", "{}");
    const storage = (await (await call("/api/v1/system/storage", {}, bearer(access_token))).json()) as { buckets: { binding: string; reachable: boolean; objects: number; bytes: number }[] };
    expect(storage.buckets).toEqual([
      expect.objectContaining({ binding: "MODELS", reachable: true, objects: 1, bytes: 2 }),
      expect.objectContaining({ binding: "BACKUPS", reachable: true, objects: 0, bytes: 0 }),
    ]);
  });
});
