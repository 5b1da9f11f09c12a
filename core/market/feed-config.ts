/** Builds an instrument feed's settings from the platform configuration and the instrument's own overrides. */
import type { Instrument } from "../instruments/instrument.js";
import type { PlatformConfig } from "../schemas/config.js";
import type { InstrumentFeedConfig } from "./instrument-feed.js";

/** Recent moves the spike rule measures volatility on, and how many it needs before it judges. */
export const SPIKE_WINDOW_TICKS = 64;
export const SPIKE_WARMUP_TICKS = 32;

export function feedConfigFor(
  instrument: Instrument,
  config: Pick<PlatformConfig, "outOfOrderToleranceMs" | "futureToleranceMs" | "barCloseGraceMs">,
): InstrumentFeedConfig {
  return {
    pointSize: instrument.pointSize,
    barCloseGraceMs: config.barCloseGraceMs,
    quality: {
      outOfOrderToleranceMs: config.outOfOrderToleranceMs,
      futureToleranceMs: config.futureToleranceMs,
      spikeSigmas: instrument.quality.spikeSigmas,
      spikeMinJumpPct: instrument.quality.spikeMinJumpPct,
      spikeWindowTicks: SPIKE_WINDOW_TICKS,
      spikeWarmupTicks: SPIKE_WARMUP_TICKS,
    },
  };
}
