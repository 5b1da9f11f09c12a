/** Test builders with sensible defaults, so each test states only what matters to it. */
import type { TickQualityConfig } from "../../core/market/tick-quality.js";
import type { Tick } from "../../core/market/tick.js";

/** 2026-03-24 14:00:00 UTC, a Tuesday inside XAUUSD trading hours. */
export const T0_MS = Date.UTC(2026, 2, 24, 14, 0, 0);

/** A valid XAUUSD-like tick: bid 2300.00, ask 2300.20 (20 points), volume 1, at T0. */
export function makeTick(overrides: Partial<Tick> = {}): Tick {
  return { tsMs: T0_MS, bid: 2300, ask: 2300.2, volume: 1, ...overrides };
}

/** `count` ticks `stepMs` apart with bids zig-zagging around `startBid` by `stepPrice` (-1, 0, +1 steps). */
export function makeTickWalk(count: number, options: { startMs?: number; startBid?: number; stepPrice?: number; stepMs?: number } = {}): Tick[] {
  const { startMs = T0_MS, startBid = 2300, stepPrice = 0.05, stepMs = 1_000 } = options;
  return Array.from({ length: count }, (_, i) => {
    const bid = Math.round((startBid + ((i % 3) - 1) * stepPrice) * 100) / 100;
    return { tsMs: startMs + i * stepMs, bid, ask: Math.round((bid + 0.2) * 100) / 100, volume: 1 };
  });
}

/** The platform's default quality settings. */
export const DEFAULT_QUALITY: TickQualityConfig = Object.freeze({
  outOfOrderToleranceMs: 2_000,
  futureToleranceMs: 10_000,
  spikeSigmas: 100,
  spikeMinJumpPct: 1,
  spikeWindowTicks: 64,
  spikeWarmupTicks: 32,
});
