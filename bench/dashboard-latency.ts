/**
 * Tick ingested → browser updated: the instrument page open in headless Chromium (logged in through the form,
 * subscribed to the instrument's WebSocket), one tick at a time sent to the ingest API; for each tick, the time from
 * just before the POST leaves Node to (a) the chart having applied it (the page's `aurum:tick-rendered` event) and
 * (b) the next animation frame after that, i.e. painted. Ticks are spaced wider than the stream's tick throttle
 * (STREAM_TICK_THROTTLE_MS, 250 ms), so each is pushed at once — as ticks of a quiet market are; faster ticks are
 * coalesced to one push per throttle interval by design. Both clocks are the machine's (timeOrigin + now), so the
 * difference is meaningful to well under a millisecond. Baseline: a GET round trip to the trivial Worker, same run.
 */
import type { Page } from "playwright-core";
import { launchChromium, logInThroughForm, platformContext } from "../scripts/lib/browser.js";
import { quantile } from "./lib/load.js";
import type { BenchRuntime } from "./lib/runtime.js";

const SYMBOL = "XAUUSD";
const TICKS = 300;
/** Gap between ticks, ms: above the 250 ms stream throttle. */
const SPACING_MS = 275;
const TARGET_P99_MS = 100;

interface Rendered {
  readonly tsMs: number;
  readonly appliedAtMs: number;
  readonly paintedAtMs: number;
}

const nowMs = (): number => performance.timeOrigin + performance.now();

async function latestTickMs(runtime: BenchRuntime): Promise<{ tsMs: number; bid: number }> {
  const response = await fetch(new URL(`/api/v1/market/status`, runtime.url), { headers: { "x-api-key": runtime.apiKey } });
  if (!response.ok) throw new Error(`dashboard bench: market status answered ${response.status}`);
  const body = (await response.json()) as { instruments: { symbol: string; lastTick: { ts: number; bid: number } | null }[] };
  const last = body.instruments.find((i) => i.symbol === SYMBOL)?.lastTick;
  return last ? { tsMs: last.ts, bid: last.bid } : { tsMs: Date.now() - 3_600_000, bid: 3_300 };
}

async function baselineRoundTripsMs(runtime: BenchRuntime, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const startedMs = performance.now();
    const response = await fetch(new URL("/", runtime.baselineUrl));
    await response.arrayBuffer();
    samples.push(performance.now() - startedMs);
  }
  return samples.sort((a, b) => a - b);
}

/** The page's window, typed just enough for the recorder (this file is type-checked for Node). */
interface BenchWindow {
  __rendered: Rendered[];
  addEventListener(type: string, listener: (event: { detail: { tsMs: number } }) => void): void;
  requestAnimationFrame(callback: () => void): void;
}

/**
 * Records each rendered tick in the page; the bench reads them back at the end (no per-tick CDP round trip). A
 * function, not a string: Playwright would `eval` a string, which the dashboard's CSP forbids.
 */
async function recordRenders(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as unknown as BenchWindow;
    w.__rendered = [];
    w.addEventListener("aurum:tick-rendered", (event) => {
      const appliedAtMs = performance.timeOrigin + performance.now();
      const tsMs = event.detail.tsMs;
      w.requestAnimationFrame(() => w.__rendered.push({ tsMs, appliedAtMs, paintedAtMs: performance.timeOrigin + performance.now() }));
    });
  });
}

export async function benchDashboardLatency(runtime: BenchRuntime): Promise<string[]> {
  const browser = await launchChromium();
  try {
    const { context, foreignRequests } = await platformContext(browser, runtime.url.origin);
    const page = await context.newPage();
    await logInThroughForm(page, runtime.admin.username, runtime.admin.password);
    await page.goto(`/instruments/${SYMBOL}`);
    await page.waitForSelector('#live-chart[data-live-socket="connected"]', { timeout: 30_000 });
    await recordRenders(page);

    const start = await latestTickMs(runtime);
    const sentAtMs = new Map<number, number>();
    let tsMs = start.tsMs;
    for (let i = 0; i < TICKS; i++) {
      // Within one minute per 50 ticks, so bars close along the way as they would live.
      tsMs += 1_000;
      const bid = Math.round((start.bid + Math.sin(i / 7) * 0.8) * 100) / 100;
      const body = JSON.stringify({ symbol: SYMBOL, ticks: [{ ts: tsMs, bid, ask: Math.round((bid + 0.2) * 100) / 100, volume: 1 }] });
      sentAtMs.set(tsMs, nowMs());
      const response = await fetch(new URL("/api/v1/data/ingest", runtime.url), { method: "POST", headers: { "content-type": "application/json", "x-api-key": runtime.apiKey }, body });
      if (!response.ok) throw new Error(`dashboard bench: ingest answered ${response.status} ${await response.text()}`);
      await new Promise((resolve) => setTimeout(resolve, SPACING_MS));
    }
    await page.waitForTimeout(500);
    const rendered = await page.evaluate(() => (globalThis as unknown as BenchWindow).__rendered);
    const applied: number[] = [];
    const painted: number[] = [];
    for (const r of rendered) {
      const sent = sentAtMs.get(r.tsMs);
      if (sent === undefined) continue;
      applied.push(r.appliedAtMs - sent);
      painted.push(r.paintedAtMs - sent);
    }
    applied.sort((a, b) => a - b);
    painted.sort((a, b) => a - b);
    const baseline = await baselineRoundTripsMs(runtime, 300);
    const base50 = quantile(baseline, 0.5);
    const fmt = (ms: number): string => `${ms.toFixed(1)} ms (${(ms / base50).toFixed(1)}× baseline p50)`;
    const p99 = quantile(painted, 0.99);
    if (foreignRequests.length > 0) throw new Error(`dashboard bench: the page requested other origins: ${foreignRequests.join(", ")}`);
    return [
      "",
      `tick ingested → browser updated (instrument page in headless Chromium, ${TICKS} ticks ${SPACING_MS} ms apart, stream throttle 250 ms)`,
      `  baseline: GET round trip to the trivial Worker p50 ${base50.toFixed(2)} ms, p99 ${quantile(baseline, 0.99).toFixed(2)} ms`,
      `  ticks seen by the page: ${rendered.length} of ${TICKS}`,
      `  chart applied: p50 ${fmt(quantile(applied, 0.5))}, p99 ${fmt(quantile(applied, 0.99))}, max ${quantile(applied, 1).toFixed(1)} ms`,
      `  painted (next frame): p50 ${fmt(quantile(painted, 0.5))}, p99 ${fmt(p99)}, max ${quantile(painted, 1).toFixed(1)} ms`,
      `  target p99 ≤ ${TARGET_P99_MS} ms: ${p99 <= TARGET_P99_MS ? "met" : "MISSED"}`,
    ];
  } finally {
    await browser.close();
  }
}
