/**
 * The real platform as `npm start` runs it: the shipped demo data replayed through the API reproduces every M1
 * bar of the source file, the shipped demo model is deployed before the replay so signals exist at once, and
 * acknowledged writes survive a SIGKILL of the local runtime.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { BarOutput, BarsResponse } from "../../core/schemas/market-data.js";
import { ModelPageSchema } from "../../core/schemas/registry.js";
import { LatestSignalResponseSchema } from "../../core/schemas/serving.js";
import { readDemoModel } from "../../scripts/lib/demo-model.js";
import { localAdminToken } from "../../scripts/lib/dev-vars.js";
import { demoBars } from "../support/node/demo-data.js";
import { startPlatform, stopPlatform, type RunningPlatform } from "../support/node/platform-process.js";

const persistDir = mkdtempSync(join(tmpdir(), "aurum-e2e-"));
let platform: RunningPlatform | undefined;

afterAll(async () => {
  if (platform) await stopPlatform(platform);
  rmSync(persistDir, { recursive: true, force: true });
});

async function allBars(baseUrl: string, timeframe: string): Promise<BarOutput[]> {
  const headers = { authorization: `Bearer ${await localAdminToken(baseUrl)}` };
  const bars: BarOutput[] = [];
  let from: number | null = 0;
  while (from !== null) {
    const response = await fetch(`${baseUrl}/api/v1/market/data?symbol=XAUUSD&timeframe=${timeframe}&from=${from}&limit=5000`, { headers });
    expect(response.status).toBe(200);
    const page = (await response.json()) as BarsResponse;
    bars.push(...page.bars);
    from = page.next;
  }
  return bars;
}

describe("npm start", () => {
  it("serves every M1 bar of the shipped file exactly, replayed through the API", async () => {
    platform = await startPlatform({ persistDir, demo: true });
    expect(platform.output()).toMatch(/demo data: 252,920 XAUUSD ticks/);
    expect(platform.output()).toMatch(/log in: {2}admin \/ \S+/);
    expect((await fetch(`${platform.baseUrl}/api/v1/market/data?symbol=XAUUSD`)).status).toBe(401);
    const served = await allBars(platform.baseUrl, "M1");
    const source = demoBars();
    expect(served).toHaveLength(source.length);
    const mismatches = served.filter((bar, i) => {
      const s = source[i];
      return !s || bar.ts !== s.tsMs || bar.open !== s.open || bar.high !== s.high || bar.low !== s.low || bar.close !== s.close ||
        bar.tickVolume !== s.tickVolume || bar.spreadAvg !== s.spreadPoints || bar.spreadMax !== s.spreadPoints;
    });
    expect(mismatches).toEqual([]);
  });

  it("deploys the shipped demo model before the replay, so the champion has signals at once", async () => {
    if (!platform) throw new Error("the first test did not start the platform");
    const demoVersion = readDemoModel().manifest.version;
    expect(platform.output()).toContain(`demo model: ${demoVersion}`);
    expect(platform.output()).toContain(`signals: ${platform.baseUrl}/api/v1/signals/XAUUSD/latest`);
    const headers = { authorization: `Bearer ${await localAdminToken(platform.baseUrl)}` };
    const models = await fetch(`${platform.baseUrl}/api/v1/models?symbol=XAUUSD&status=champion`, { headers });
    expect(models.status).toBe(200);
    const champions = ModelPageSchema.parse(await models.json()).models;
    expect(champions.map((model) => model.version)).toEqual([demoVersion]);
    const latest = await fetch(`${platform.baseUrl}/api/v1/signals/XAUUSD/latest`, { headers });
    expect(latest.status).toBe(200);
    const { signal } = LatestSignalResponseSchema.parse(await latest.json());
    expect(signal).toMatchObject({ symbol: "XAUUSD", timeframe: "M1", role: "champion", modelVersion: demoVersion });
    const probabilities = Object.values(signal?.probabilities ?? {});
    expect(probabilities.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 5);
  });

  it("keeps every acknowledged bar and tick after the runtime is killed with SIGKILL", async () => {
    if (!platform) throw new Error("the first test did not start the platform");
    const before = { m1: await allBars(platform.baseUrl, "M1"), h1: await allBars(platform.baseUrl, "H1") };
    // One more acknowledged batch, in the minute after the file ends.
    const lastTs = before.m1.at(-1)?.ts ?? 0;
    const extra = [{ ts: lastTs + 61_000, bid: 4428.1, ask: 4428.22 }, { ts: lastTs + 62_000, bid: 4428.3, ask: 4428.42 }];
    const post = async (baseUrl: string) =>
      fetch(`${baseUrl}/api/v1/data/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await localAdminToken(baseUrl)}` },
        body: JSON.stringify({ symbol: "XAUUSD", ticks: extra }),
      });
    const ack = await post(platform.baseUrl);
    expect(await ack.json()).toMatchObject({ accepted: 2 });
    const withExtra = await allBars(platform.baseUrl, "M1");
    await stopPlatform(platform, "SIGKILL");
    await expect(fetch(`${platform.baseUrl}/health`), "the killed runtime must be gone").rejects.toThrow();

    platform = await startPlatform({ persistDir, demo: false, port: platform.port });
    expect(await allBars(platform.baseUrl, "M1")).toEqual(withExtra);
    expect((await allBars(platform.baseUrl, "H1")).slice(0, -1)).toEqual(before.h1.slice(0, -1));
    const again = await post(platform.baseUrl);
    expect(await again.json()).toMatchObject({ accepted: 0, duplicates: 2 });
  });
});
