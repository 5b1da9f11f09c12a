/** Live freshness: the feed judged like the health check, a silent socket turning "fresh" into "stale", closed markets kept closed. */
import { describe, expect, it } from "vitest";
import { judgeLive, SOCKET_SILENCE_MS, socketStateText } from "../../../core/live/staleness.js";
import { DEFAULT_INSTRUMENTS } from "../../../core/instruments/catalog.js";
import { InstrumentSchema, type Instrument } from "../../../core/instruments/instrument.js";

const instrument = (symbol: string): Instrument => InstrumentSchema.parse(DEFAULT_INSTRUMENTS.find((i) => i.symbol === symbol));
const BTC = instrument("BTCUSD");
const XAU = instrument("XAUUSD");
const FEED_MAX_AGE_MS = 300_000;
/** Tuesday 2026-03-24 14:00 UTC: XAUUSD is open. */
const TUESDAY = Date.UTC(2026, 2, 24, 14, 0);
/** Saturday 2026-03-28 12:00 UTC: XAUUSD is closed. */
const SATURDAY = Date.UTC(2026, 2, 28, 12, 0);

describe("judgeLive", () => {
  it("calls a recent tick on a talking socket fresh", () => {
    const judged = judgeLive({ instrument: BTC, lastTickTsMs: TUESDAY - 2_000, lastHeardAtMs: TUESDAY - 1_000, nowMs: TUESDAY, feedMaxAgeMs: FEED_MAX_AGE_MS });
    expect(judged).toMatchObject({ status: "fresh", feed: { status: "fresh", ageMs: 2_000 }, socketLate: false, silentForMs: 1_000 });
  });

  it("calls a feed stale once its newest tick is older than the threshold, as the health check does", () => {
    const atLimit = judgeLive({ instrument: XAU, lastTickTsMs: TUESDAY - FEED_MAX_AGE_MS, lastHeardAtMs: TUESDAY, nowMs: TUESDAY, feedMaxAgeMs: FEED_MAX_AGE_MS });
    expect(atLimit.status).toBe("fresh");
    const late = judgeLive({ instrument: XAU, lastTickTsMs: TUESDAY - FEED_MAX_AGE_MS - 1, lastHeardAtMs: TUESDAY, nowMs: TUESDAY, feedMaxAgeMs: FEED_MAX_AGE_MS });
    expect(late).toMatchObject({ status: "stale", socketLate: false });
    expect(late.reason).toBe("market open, no tick for more than 5 min");
  });

  it("turns fresh into stale when the socket has been silent too long (ticks may be missing)", () => {
    const base = { instrument: BTC, lastTickTsMs: TUESDAY - 1_000, nowMs: TUESDAY, feedMaxAgeMs: FEED_MAX_AGE_MS };
    expect(judgeLive({ ...base, lastHeardAtMs: TUESDAY - SOCKET_SILENCE_MS }).status).toBe("fresh");
    const silent = judgeLive({ ...base, lastHeardAtMs: TUESDAY - SOCKET_SILENCE_MS - 1 });
    expect(silent).toMatchObject({ status: "stale", feed: { status: "fresh" }, socketLate: true });
    expect(silent.reason).toMatch(/live stream is silent \(15 s\)/);
    expect(judgeLive({ ...base, lastHeardAtMs: TUESDAY - 4_000, socketSilenceMs: 3_000 }).status).toBe("stale");
  });

  it("keeps a closed market closed and a feed without ticks no-data, whatever the socket does", () => {
    const closed = judgeLive({ instrument: XAU, lastTickTsMs: SATURDAY - 86_400_000, lastHeardAtMs: SATURDAY - 60_000, nowMs: SATURDAY, feedMaxAgeMs: FEED_MAX_AGE_MS });
    expect(closed).toMatchObject({ status: "closed", socketLate: true, feed: { ageMs: 86_400_000 } });
    expect(closed.reason).toBe("market closed; nothing from the live stream for 60 s");
    const noData = judgeLive({ instrument: XAU, lastTickTsMs: null, lastHeardAtMs: TUESDAY, nowMs: TUESDAY, feedMaxAgeMs: FEED_MAX_AGE_MS });
    expect(noData).toMatchObject({ status: "no-data", feed: { ageMs: null } });
    // Historical data replayed on a weekday: the market is open and the newest tick is days old.
    expect(judgeLive({ instrument: XAU, lastTickTsMs: TUESDAY - 30 * 86_400_000, lastHeardAtMs: TUESDAY, nowMs: TUESDAY, feedMaxAgeMs: FEED_MAX_AGE_MS }).status).toBe("stale");
  });
});

describe("socketStateText", () => {
  it("says connected, connecting, or when the next attempt is due (rounded up to whole seconds)", () => {
    expect(socketStateText("connected", null, TUESDAY)).toBe("connected");
    expect(socketStateText("connecting", null, TUESDAY)).toBe("connecting…");
    expect(socketStateText("reconnecting", TUESDAY + 3_400, TUESDAY)).toBe("reconnecting in 4 s");
    expect(socketStateText("reconnecting", TUESDAY - 1, TUESDAY)).toBe("reconnecting…");
  });
});
