/**
 * InstrumentDO: one per symbol. Turns tick batches into bars in one storage transaction per batch, answers bar
 * queries, and pushes ticks and closed bars to hibernating WebSocket subscribers. Native RPC only (fetch is used
 * for the WebSocket upgrade alone).
 */
import { DurableObject } from "cloudflare:workers";
import { ConflictError } from "../core/errors/app-error.js";
import type { Instrument } from "../core/instruments/instrument.js";
import type { Bar } from "../core/market/bar.js";
import { feedConfigFor } from "../core/market/feed-config.js";
import { InstrumentFeed, type FeedBatchResult } from "../core/market/instrument-feed.js";
import type { Tick } from "../core/market/tick.js";
import { TIMEFRAME_MS, TIMEFRAMES } from "../core/market/timeframe.js";
import {
  BarsRpcArgsSchema,
  IngestRpcArgsSchema,
  toBarOutput,
  type BarOutput,
  type BarsRpcArgs,
  type IngestResult,
  type StreamMessage,
} from "../core/schemas/market-data.js";
import { createLogger, type Logger } from "../workers/log.js";
import { platformOf, type Platform } from "../workers/platform.js";
import { requireInstrument } from "../workers/instruments.js";
import { InstrumentStore, type IngestCounters } from "./instrument-store.js";

/** Prune raw ticks after this many have been applied since the last prune. */
const PRUNE_EVERY_TICKS = 10_000;

/** What `status()` reports about the instrument's feed. */
export interface InstrumentStatus {
  symbol: string | null;
  lastTick: Tick | null;
  counters: IngestCounters;
  storedTicks: number;
  forming: (BarOutput & { timeframe: string })[];
  subscribers: number;
}

export class InstrumentDO extends DurableObject<Env> {
  private readonly store: InstrumentStore;
  private readonly platform: Platform;
  private readonly log: Logger;
  private symbol: string | null;
  private feed: InstrumentFeed | null = null;
  private counters: IngestCounters;
  private ticksSincePrune = 0;
  private lastTickPushMs = 0;
  private tickPushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.platform = platformOf(env);
    this.store = new InstrumentStore(ctx.storage.sql);
    this.symbol = this.store.readMeta<string>("symbol") ?? null;
    this.counters = this.store.readMeta<IngestCounters>("counters") ?? { accepted: 0, duplicates: 0, held: 0, rejected: {} };
    this.log = createLogger(this.platform.config.logLevel, { component: "InstrumentDO", symbol: this.symbol });
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /**
   * Validates and applies a batch: duplicates are dropped, bad ticks rejected with codes, the rest stored and
   * aggregated, all in one transaction. A failure leaves storage and memory as they were.
   */
  async ingest(symbol: string, ticks: Tick[]): Promise<IngestResult> {
    const args = IngestRpcArgsSchema.parse({ symbol, ticks });
    const feed = this.feedFor(args.symbol);
    const before = feed.snapshot();
    const countersBefore = structuredClone(this.counters);
    let result: FeedBatchResult;
    try {
      result = feed.ingest(args.ticks, { nowMs: Date.now(), isStored: (tick) => this.store.hasTick(tick) });
      this.countOutcomes(result);
      this.ctx.storage.transactionSync(() => this.persist(feed, result));
    } catch (error: unknown) {
      this.feed = new InstrumentFeed(feedConfigFor(this.instrument(args.symbol), this.platform.config), before);
      this.counters = countersBefore;
      throw error;
    }
    for (const resolved of result.resolvedHeld) {
      this.log.info("held tick resolved", { tsMs: resolved.tick.tsMs, bid: resolved.tick.bid, status: resolved.status });
    }
    this.publish(result.closedBars, result.applied.at(-1));
    await this.scheduleClockClose(feed);
    return summarise(args.symbol, result);
  }

  /** Bars of one timeframe: closed ones from storage plus the one forming, oldest first. */
  async bars(args: BarsRpcArgs): Promise<{ bars: BarOutput[]; next: number | null }> {
    const query = BarsRpcArgsSchema.parse(args);
    const feed = this.feedFor(query.symbol);
    const fromMs = query.fromMs ?? Number.MIN_SAFE_INTEGER;
    const toMs = query.toMs ?? Number.MAX_SAFE_INTEGER;
    const forming = feed.formingBars().filter((b) => b.timeframe === query.timeframe && b.tsMs >= fromMs && b.tsMs <= toMs);
    if (query.fromMs === undefined) {
      const closed = this.store.barsLatest(query.timeframe, toMs, query.limit);
      const bars = [...closed, ...forming].slice(-query.limit);
      return { bars: bars.map(toBarOutput), next: null };
    }
    const page = [...this.store.barsAscending(query.timeframe, fromMs, toMs, query.limit + 1), ...forming];
    const next = page[query.limit]?.tsMs ?? null;
    return { bars: page.slice(0, query.limit).map(toBarOutput), next };
  }

  /** Feed health: last tick, counters, stored tick rows, forming bars, subscribers. */
  async status(): Promise<InstrumentStatus> {
    return {
      symbol: this.symbol,
      lastTick: this.feed?.lastTick() ?? this.store.readFeedState()?.last ?? null,
      counters: this.counters,
      storedTicks: this.store.tickCount(),
      forming: (this.feed?.formingBars() ?? []).map((bar) => ({ ...toBarOutput(bar), timeframe: bar.timeframe })),
      subscribers: this.ctx.getWebSockets().length,
    };
  }

  /** WebSocket upgrade for stream subscribers (the Worker checked the symbol and the Upgrade header). */
  override async fetch(request: Request): Promise<Response> {
    const symbol = new URL(request.url).searchParams.get("symbol") ?? this.symbol;
    if (symbol === null) return new Response("symbol required", { status: 400 });
    const feed = this.feedFor(symbol);
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    const hello: StreamMessage = {
      type: "hello",
      symbol,
      timeframes: [...TIMEFRAMES],
      forming: feed.formingBars().map((bar) => ({ ...toBarOutput(bar), timeframe: bar.timeframe })),
    };
    pair[1].send(JSON.stringify(hello));
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code, reason);
    } catch {
      // The peer is already gone; nothing is left to close.
    }
  }

  /** Clock-driven bar close for live feeds: bars whose minute is over do not wait for the next tick. */
  override async alarm(): Promise<void> {
    if (this.symbol === null) return;
    const feed = this.feedFor(this.symbol);
    const closed = feed.closeDue(Date.now(), this.platform.config.outOfOrderToleranceMs);
    if (closed.length > 0) {
      this.ctx.storage.transactionSync(() => {
        this.store.upsertBars(closed);
        this.store.writeFeedState(feed.snapshot());
      });
      this.publish(closed, undefined);
    }
    await this.scheduleClockClose(feed);
  }

  private feedFor(symbol: string): InstrumentFeed {
    if (this.symbol !== null && this.symbol !== symbol) {
      throw new ConflictError(`this object holds ${this.symbol}, not ${symbol}`);
    }
    if (this.feed) return this.feed;
    const instrument = this.instrument(symbol);
    if (this.symbol === null) {
      this.store.writeMeta("symbol", symbol);
      this.symbol = symbol;
    }
    this.feed = new InstrumentFeed(feedConfigFor(instrument, this.platform.config), this.store.readFeedState());
    return this.feed;
  }

  private instrument(symbol: string): Instrument {
    return requireInstrument(this.platform, symbol);
  }

  private countOutcomes(result: FeedBatchResult): void {
    for (const outcome of result.outcomes) {
      if (outcome.status === "rejected") this.counters.rejected[outcome.code] = (this.counters.rejected[outcome.code] ?? 0) + 1;
      else if (outcome.status === "accepted") this.counters.accepted += 1;
      else if (outcome.status === "duplicate") this.counters.duplicates += 1;
      else this.counters.held += 1;
    }
    for (const resolved of result.resolvedHeld) {
      if (resolved.status === "rejected") this.counters.rejected[resolved.code] = (this.counters.rejected[resolved.code] ?? 0) + 1;
      else this.counters.accepted += 1;
    }
  }

  private persist(feed: InstrumentFeed, result: FeedBatchResult): void {
    this.store.insertTicks(result.applied);
    this.store.upsertBars(result.closedBars);
    this.store.writeFeedState(feed.snapshot());
    this.store.writeMeta("counters", this.counters);
    this.ticksSincePrune += result.applied.length;
    const last = feed.lastTick();
    if (this.ticksSincePrune >= PRUNE_EVERY_TICKS && last) {
      this.store.pruneTicks(last.tsMs - this.platform.config.tickRetentionMs);
      this.ticksSincePrune = 0;
    }
  }

  /** Sends closed bars at once and the newest tick at most once per throttle interval (trailing edge kept). */
  private publish(closedBars: readonly Bar[], lastTick: Tick | undefined): void {
    const symbol = this.symbol;
    if (symbol === null || this.ctx.getWebSockets().length === 0) return;
    for (const bar of closedBars) {
      this.broadcast({ type: "bar", symbol, timeframe: bar.timeframe, bar: toBarOutput(bar) });
    }
    if (lastTick === undefined) return;
    const throttleMs = this.platform.config.streamTickThrottleMs;
    const waitMs = this.lastTickPushMs + throttleMs - Date.now();
    if (waitMs <= 0) {
      this.pushTick(symbol, lastTick);
    } else if (this.tickPushTimer === null) {
      this.tickPushTimer = setTimeout(() => {
        this.tickPushTimer = null;
        const newest = this.feed?.lastTick();
        if (newest) this.pushTick(symbol, newest);
      }, waitMs);
    }
  }

  private pushTick(symbol: string, tick: Tick): void {
    this.lastTickPushMs = Date.now();
    this.broadcast({ type: "tick", symbol, tick: { ts: tick.tsMs, bid: tick.bid, ask: tick.ask } });
  }

  private broadcast(message: StreamMessage): void {
    const text = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(text);
      } catch (error: unknown) {
        this.log.debug("stream send failed", { error: String(error) });
      }
    }
  }

  /** Arms the alarm for the end of the forming minute when the feed is live (its last tick is recent). */
  private async scheduleClockClose(feed: InstrumentFeed): Promise<void> {
    const last = feed.lastTick();
    const closeMs = feed.nextCloseMs();
    if (!last || closeMs === null || last.tsMs < Date.now() - TIMEFRAME_MS.M1) return;
    const dueMs = closeMs + this.platform.config.outOfOrderToleranceMs;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > dueMs) await this.ctx.storage.setAlarm(dueMs);
  }
}

function summarise(symbol: string, result: FeedBatchResult): IngestResult {
  const summary: IngestResult = { symbol, accepted: 0, duplicates: 0, held: 0, rejected: [] };
  for (const outcome of result.outcomes) {
    if (outcome.status === "rejected") summary.rejected.push({ index: outcome.index, code: outcome.code, message: outcome.message });
    else if (outcome.status === "accepted") summary.accepted += 1;
    else if (outcome.status === "duplicate") summary.duplicates += 1;
    else summary.held += 1;
  }
  return summary;
}
