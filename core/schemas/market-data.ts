/** Boundary schemas of the market-data API: tick ingest, bar queries and the live stream. */
import { z } from "zod";
import { TICK_REJECTION_CODES } from "../market/tick-quality.js";
import type { FreshnessStatus } from "../market/freshness.js";
import type { Bar } from "../market/bar.js";
import type { FeedBatchResult } from "../market/instrument-feed.js";
import { anyNumber, TickSchema } from "../market/tick.js";
import { TIMEFRAMES, TimeframeSchema } from "../market/timeframe.js";
import { QueryTimestampSchema, SymbolSchema } from "./common.js";
import { SignalSchema } from "./serving.js";
import { RegimeSchema } from "./trading.js";

/** A tick as clients send it: `ts` as epoch ms (a number) or an ISO-8601 string with a zone. */
export const TickInputSchema = z.object({
  ts: z
    .union([anyNumber("Epoch milliseconds"), z.iso.datetime({ offset: true }).transform((text) => Date.parse(text))])
    .describe("Quote time: epoch milliseconds, or ISO-8601 with a zone"),
  bid: anyNumber("Bid price"),
  ask: anyNumber("Ask price"),
  volume: anyNumber("Price updates this tick stands for; default 1").optional(),
});
export type TickInput = z.input<typeof TickInputSchema>;

export const IngestRequestSchema = z.object({
  symbol: SymbolSchema,
  ticks: z.array(TickInputSchema).min(1, "send at least one tick"),
});
export type IngestRequest = z.infer<typeof IngestRequestSchema>;

export const TickRejectionSchema = z.object({
  index: z.number().int().describe("Position of the tick in the request"),
  code: z.enum(TICK_REJECTION_CODES),
  message: z.string(),
});

export const ResolvedHeldTickSchema = z.object({
  ts: z.number().int().describe("Time of the tick an earlier request was told is held"),
  bid: z.number(),
  status: z.enum(["accepted", "rejected"]),
  code: z.enum(TICK_REJECTION_CODES).optional(),
  message: z.string().optional(),
});

export const IngestResultSchema = z.object({
  symbol: SymbolSchema,
  accepted: z.number().int().describe("Ticks of this request applied to the stream"),
  duplicates: z.number().int().describe("Exact re-deliveries of ticks already applied; ignored"),
  held: z.number().int().describe("Ticks held back as possible spikes until the next tick decides"),
  rejected: z.array(TickRejectionSchema),
  resolved: z.array(ResolvedHeldTickSchema).describe("Ticks held by earlier requests that this request decided"),
});
export type IngestResult = z.infer<typeof IngestResultSchema>;

/** Largest page of bars one query returns. */
export const MAX_BARS_PER_QUERY = 5_000;

export const BarsQuerySchema = z
  .object({
    symbol: SymbolSchema,
    timeframe: TimeframeSchema.default("M1"),
    from: QueryTimestampSchema.optional().describe("Oldest bar open time to return (inclusive)"),
    to: QueryTimestampSchema.optional().describe("Newest bar open time to return (inclusive)"),
    limit: z.coerce.number().int().min(1).max(MAX_BARS_PER_QUERY).default(1_000)
      .describe(`Bars per page, at most ${MAX_BARS_PER_QUERY}`),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: "'from' must not be after 'to'",
    path: ["from"],
  });
export type BarsQuery = z.infer<typeof BarsQuerySchema>;

/** A bar as the API returns it; spreads are in points. */
export const BarOutputSchema = z.object({
  ts: z.number().int().describe("Bar open time, epoch ms UTC"),
  open: z.number(),
  high: z.number(),
  low: z.number(),
  close: z.number(),
  tickVolume: z.number(),
  spreadAvg: z.number().describe("Mean spread, points"),
  spreadMax: z.number().describe("Largest spread, points"),
  closed: z.boolean().describe("False for the bar still forming"),
});
export type BarOutput = z.infer<typeof BarOutputSchema>;

/** A bar together with its timeframe (streams and status reports mix timeframes). */
export const TimeframedBarOutputSchema = BarOutputSchema.extend({ timeframe: TimeframeSchema });
export type TimeframedBarOutput = z.infer<typeof TimeframedBarOutputSchema>;

export const BarsResponseSchema = z.object({
  symbol: SymbolSchema,
  timeframe: TimeframeSchema,
  bars: z.array(BarOutputSchema).describe("Oldest first"),
  next: z.number().int().nullable().describe("Pass as 'from' to read the next page; null on the last page"),
});
export type BarsResponse = z.infer<typeof BarsResponseSchema>;

/** Messages pushed to stream subscribers. */
export const StreamMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("hello"),
    symbol: SymbolSchema,
    timeframes: z.array(z.enum(TIMEFRAMES)),
    forming: z.array(TimeframedBarOutputSchema),
  }),
  z.object({
    type: z.literal("tick"),
    symbol: SymbolSchema,
    tick: z.object({ ts: z.number(), bid: z.number(), ask: z.number() }),
  }),
  z.object({
    type: z.literal("bar"),
    symbol: SymbolSchema,
    timeframe: TimeframeSchema,
    bar: BarOutputSchema,
  }),
  z.object({
    type: z.literal("signal"),
    symbol: SymbolSchema,
    signal: SignalSchema.describe("A served model's signal for a closed M1 bar (champion and shadow alike)"),
  }),
]);
export type StreamMessage = z.infer<typeof StreamMessageSchema>;

/** The API's answer for a batch the feed processed. */
export function tallyBatch(symbol: string, batch: FeedBatchResult): IngestResult {
  const result: IngestResult = { symbol, accepted: 0, duplicates: 0, held: 0, rejected: [], resolved: [] };
  for (const outcome of batch.outcomes) {
    if (outcome.status === "rejected") result.rejected.push({ index: outcome.index, code: outcome.code, message: outcome.message });
    else if (outcome.status === "accepted") result.accepted += 1;
    else if (outcome.status === "duplicate") result.duplicates += 1;
    else result.held += 1;
  }
  for (const held of batch.resolvedHeld) {
    result.resolved.push(
      held.status === "accepted"
        ? { ts: held.tick.tsMs, bid: held.tick.bid, status: "accepted" }
        : { ts: held.tick.tsMs, bid: held.tick.bid, status: "rejected", code: held.code, message: held.message },
    );
  }
  return result;
}

/** A bar as the API and the stream show it. */
export function toBarOutput(bar: Bar): BarOutput {
  return {
    ts: bar.tsMs,
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    tickVolume: bar.tickVolume,
    spreadAvg: bar.spreadAvgPoints,
    spreadMax: bar.spreadMaxPoints,
    closed: bar.closed,
  };
}

/** Largest batch one request or `InstrumentDO.ingest` call takes. */
export const MAX_TICKS_PER_BATCH = 5_000;

/** Arguments of `InstrumentDO.ingest` (the RPC boundary validates them again: a stub is a trust boundary). */
export const IngestRpcArgsSchema = z.object({
  symbol: SymbolSchema,
  ticks: z.array(TickSchema).min(1).max(MAX_TICKS_PER_BATCH),
});

/** A bar with its timeframe, as the stream's hello and the status report show forming bars. */
export function toTimeframedBarOutput(bar: Bar): TimeframedBarOutput {
  return { ...toBarOutput(bar), timeframe: bar.timeframe };
}

/** Arguments of `InstrumentDO.bars`. */
export const BarsRpcArgsSchema = z.object({
  symbol: SymbolSchema,
  timeframe: TimeframeSchema,
  fromMs: z.number().int().optional(),
  toMs: z.number().int().optional(),
  limit: z.number().int().min(1).max(MAX_BARS_PER_QUERY),
});
export type BarsRpcArgs = z.infer<typeof BarsRpcArgsSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Market status: `GET /api/v1/market/status` (the dashboard's data-freshness view)

/** How fresh a feed is (core/market/freshness.ts): closed outside trading hours, stale when open but silent too long. */
export const FRESHNESS_STATUSES = ["fresh", "stale", "closed", "no-data"] as const satisfies readonly FreshnessStatus[];
export const FreshnessStatusSchema = z.enum(FRESHNESS_STATUSES)
  .describe("fresh: a recent tick; stale: the market is open but the newest tick is too old; closed: outside trading hours; no-data: open and never a tick");

/** One declared instrument's feed as its InstrumentDO reports it, with the freshness judged at the answer's `nowMs`. */
export const InstrumentMarketStatusSchema = z.object({
  symbol: SymbolSchema,
  lastTick: z
    .object({ ts: z.number().describe("Tick time, epoch ms UTC"), bid: z.number(), ask: z.number() })
    .nullable()
    .describe("The newest accepted tick; null before the first"),
  spreadPoints: z.number().nullable().describe("Spread of the newest tick, points; null before the first tick"),
  forming: z.array(TimeframedBarOutputSchema).describe("The bars still forming, smallest timeframe first"),
  freshness: z.object({
    status: FreshnessStatusSchema,
    ageMs: z.number().nullable().describe("Age of the newest tick at `nowMs`, ms; null before the first tick"),
  }),
  regime: z
    .object({
      regime: RegimeSchema,
      barTs: z.number().int().describe("Open time of the M1 bar the regime was judged at, epoch ms UTC"),
    })
    .nullable()
    .describe("Market regime of the newest signal bar recorded in D1; null before the first recorded signal"),
});
export type InstrumentMarketStatus = z.infer<typeof InstrumentMarketStatusSchema>;

export const MarketStatusResponseSchema = z.object({
  nowMs: z.number().int().describe("The server time the freshness was judged at, epoch ms"),
  feedMaxAgeMs: z.number().int().describe("A feed open for trading whose newest tick is older than this is stale, ms (the health check's threshold)"),
  instruments: z.array(InstrumentMarketStatusSchema).describe("Every declared instrument, in catalogue order"),
});
export type MarketStatusResponse = z.infer<typeof MarketStatusResponseSchema>;
