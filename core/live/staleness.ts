/**
 * Is what a live page shows current? The feed is judged as the health check judges it (core/market/freshness.ts);
 * the page's own connection is late when nothing (not even the answer to its ping) has arrived for too long. Either
 * makes the page say "stale": a quote can only be called fresh when both the feed and the socket are.
 */
import type { Instrument } from "../instruments/instrument.js";
import { feedFreshness, type Freshness, type FreshnessStatus } from "../market/freshness.js";

/** The state of a page's stream socket. */
export const SOCKET_STATES = ["connecting", "connected", "reconnecting"] as const;
export type SocketState = (typeof SOCKET_STATES)[number];

/** How often a live page pings its stream (answered by the runtime with "pong"), ms. */
export const STREAM_PING_INTERVAL_MS = 5_000;
/** A socket silent this long (three pings unanswered) is late, ms. */
export const SOCKET_SILENCE_MS = 15_000;

export interface LiveInputs {
  readonly instrument: Pick<Instrument, "tradingHours">;
  /** Time of the newest tick the page knows, epoch ms; null before any. */
  readonly lastTickTsMs: number | null;
  /** When the page last heard anything from its socket (a message or a pong), or when it started listening, epoch ms. */
  readonly lastHeardAtMs: number;
  readonly nowMs: number;
  /** The feed threshold (the health check's: `feedMaxAgeMs` of GET /api/v1/market/status), ms. */
  readonly feedMaxAgeMs: number;
  /** Default {@link SOCKET_SILENCE_MS}. */
  readonly socketSilenceMs?: number;
}

export interface LiveJudgement {
  /** What the page should call the data: the feed's freshness, except that a late socket makes "fresh" "stale". */
  readonly status: FreshnessStatus;
  /** The feed alone, as the server would judge it at `nowMs`. */
  readonly feed: Freshness;
  /** Nothing heard from the socket for longer than the silence limit. */
  readonly socketLate: boolean;
  /** How long the socket has been silent, ms. */
  readonly silentForMs: number;
  /** Why the status is what it is, for a person. */
  readonly reason: string;
}

/**
 * Judges a live page's data. A late socket turns `fresh` into `stale` (newer ticks may exist that the page cannot
 * see); a closed market stays `closed` and a feed without ticks stays `no-data` (the socket cannot make them worse).
 * @example judgeLive({ instrument: btc, lastTickTsMs: now - 2_000, lastHeardAtMs: now - 1_000, nowMs: now, feedMaxAgeMs: 300_000 }).status // "fresh"
 */
export function judgeLive(inputs: LiveInputs): LiveJudgement {
  // feedFreshness reads the trading hours alone; a page knows no more of the instrument than that.
  const feed = feedFreshness(inputs.instrument as Instrument, inputs.lastTickTsMs, inputs.nowMs, inputs.feedMaxAgeMs);
  const silentForMs = Math.max(0, inputs.nowMs - inputs.lastHeardAtMs);
  const socketLate = silentForMs > (inputs.socketSilenceMs ?? SOCKET_SILENCE_MS);
  const status: FreshnessStatus = feed.status === "fresh" && socketLate ? "stale" : feed.status;
  return { status, feed, socketLate, silentForMs, reason: reasonOf(status, feed, socketLate, silentForMs, inputs.feedMaxAgeMs) };
}

function reasonOf(status: FreshnessStatus, feed: Freshness, socketLate: boolean, silentForMs: number, feedMaxAgeMs: number): string {
  const socket = socketLate ? `; nothing from the live stream for ${Math.round(silentForMs / 1_000)} s` : "";
  switch (status) {
    case "closed":
      return `market closed${socket}`;
    case "no-data":
      return `market open, no tick received yet${socket}`;
    case "fresh":
      return "market open, ticks arriving";
    case "stale":
      return feed.status === "stale"
        ? `market open, no tick for more than ${Math.round(feedMaxAgeMs / 60_000)} min${socket}`
        : `the live stream is silent (${Math.round(silentForMs / 1_000)} s): newer ticks may be missing`;
  }
}

/** How a page shows each freshness status: the word (STALE in capitals, so it cannot be missed) and the badge tone. */
export const FRESHNESS_BADGES: Readonly<Record<FreshnessStatus, { readonly label: string; readonly tone: "ok" | "bad" | "neutral" | "warn" }>> = Object.freeze({
  fresh: { label: "fresh", tone: "ok" },
  stale: { label: "STALE", tone: "bad" },
  closed: { label: "closed", tone: "neutral" },
  "no-data": { label: "no data", tone: "warn" },
});

/**
 * The socket indicator's words.
 * @example socketStateText("reconnecting", nowMs + 3_400, nowMs) // "reconnecting in 4 s"
 * @example socketStateText("connected", null, nowMs) // "connected"
 */
export function socketStateText(state: SocketState, retryAtMs: number | null, nowMs: number): string {
  if (state === "connected") return "connected";
  if (state === "connecting") return "connecting…";
  if (retryAtMs === null || retryAtMs <= nowMs) return "reconnecting…";
  return `reconnecting in ${Math.ceil((retryAtMs - nowMs) / 1_000)} s`;
}
