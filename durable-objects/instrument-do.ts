/**
 * InstrumentDO: one per symbol. Turns tick batches into bars in one storage transaction per batch, builds the
 * feature vector of every closed M1 bar, runs the champion and shadow models on it (signals), scores earlier
 * signals whose horizon has passed, answers bar and signal queries, and pushes ticks, closed bars and signals to
 * hibernating WebSocket subscribers. Native RPC only (fetch is used for the WebSocket upgrade alone).
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { ConflictError, UnavailableError, UnprocessableError } from "../core/errors/app-error.js";
import { DEFAULT_ACCOUNT_ID } from "../core/schemas/account.js";
import type { Instrument } from "../core/instruments/instrument.js";
import type { Bar } from "../core/market/bar.js";
import { feedConfigFor } from "../core/market/feed-config.js";
import { InstrumentFeed, type FeedBatchResult } from "../core/market/instrument-feed.js";
import type { Tick } from "../core/market/tick.js";
import { TIMEFRAME_MS, TIMEFRAMES } from "../core/market/timeframe.js";
import { errorEnvelope, SymbolSchema } from "../core/schemas/common.js";
import {
  BarsRpcArgsSchema,
  IngestRpcArgsSchema,
  tallyBatch,
  toBarOutput,
  toTimeframedBarOutput,
  type BarOutput,
  type BarsRpcArgs,
  type IngestResult,
  type StreamMessage,
  type TimeframedBarOutput,
} from "../core/schemas/market-data.js";
import {
  AssignModelsArgsSchema,
  FeatureRowsRpcArgsSchema,
  SignalsRpcArgsSchema,
  type AssignModelsArgs,
  type ServingRole,
  type ServingState,
  type Signal,
  type SignalsRpcArgs,
} from "../core/schemas/serving.js";
import { requireInstrument } from "../workers/instruments.js";
import { accountStub } from "../workers/trading-rpc.js";
import { createLogger, type Logger } from "../workers/log.js";
import { platformOf, type Platform } from "../workers/platform.js";
import type { LatencySummary } from "../core/stats/latency-window.js";
import { InstrumentStore, type IngestCounters } from "./instrument-store.js";
import { armAlarm, d1OutboxSink, Outbox, type OutboxSink } from "./outbox.js";
import { type CommittedTicks, type DeskPositions, TradingDesk } from "./trading-desk.js";
import { ManualOrderArgsSchema, type ManualOrderArgs, PositionIdSchema } from "../core/schemas/trading-orders.js";
import type { OrderRequest, RiskDecision } from "../core/schemas/trading.js";
import { FEATURE_TIMEFRAME, type FeatureState, type FeatureStep, type ModelLivePerformance, SignalPipeline } from "./signal-pipeline.js";

/** Raw ticks are pruned when the stream has moved this far (tick time) since the last prune. */
const PRUNE_EVERY_MS = 3_600_000;
/** Most stream subscribers one instrument serves; more are refused with 503. */
export const MAX_STREAM_SUBSCRIBERS = 500;
/** Feature rows and signals are kept this long (bar time behind the newest tick): 30 days. */
const SIGNAL_RETENTION_MS = 30 * 86_400_000;
const SERVING_KEY = "serving";

/** What `status()` reports about the instrument's feed. */
export interface InstrumentStatus {
  symbol: string | null;
  lastTick: Tick | null;
  counters: IngestCounters;
  storedTicks: number;
  forming: TimeframedBarOutput[];
  subscribers: number;
  /** Versions of the models the object has loaded (null when a slot is empty or not loaded yet). */
  champion: string | null;
  shadow: string | null;
  /** Bar close → features → inference → signals stored, over the latest scored batches. */
  signalLatency: LatencySummary;
}

export class InstrumentDO extends DurableObject<Env> {
  private readonly store: InstrumentStore;
  private readonly platform: Platform;
  private readonly log: Logger;
  private symbol: string | null;
  private feed: InstrumentFeed | null = null;
  private counters: IngestCounters;
  private lastTickPushMs = 0;
  private tickPushTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly pipeline: SignalPipeline;
  /** The models assigned to this instrument (kept in meta); null before the first assignment. */
  private serving: ServingState | null;
  /** The tail of the queue of slot assignments: one loads at a time, in the order they came. */
  private assigning: Promise<unknown> = Promise.resolve();
  private readonly outbox: Outbox;
  /** Present when the platform's TRADING configuration names this instrument. */
  private desk: TradingDesk | null = null;
  /** Tests replace the D1 side of the outbox to simulate failures. */
  outboxSink: OutboxSink;
  private outboxRetryAtMs: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.platform = platformOf(env);
    this.store = new InstrumentStore(ctx.storage.sql);
    this.symbol = this.store.readMeta<string>("symbol") ?? null;
    this.counters = this.store.readMeta<IngestCounters>("counters") ?? { accepted: 0, duplicates: 0, rejected: {} };
    this.serving = this.store.readMeta<ServingState>(SERVING_KEY) ?? null;
    this.log = createLogger(this.platform.config.logLevel, { component: "InstrumentDO", symbol: this.symbol });
    const pointSize = () => requireInstrument(this.platform, this.symbol ?? "").pointSize;
    this.outbox = new Outbox(ctx.storage.sql);
    this.pipeline = new SignalPipeline(ctx.storage.sql, this.store, env.MODELS, () => this.symbol, pointSize, this.log, this.outbox);
    this.outboxSink = d1OutboxSink(env.DB);
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
    let featuresBefore: FeatureState | null = null;
    let batch: FeedBatchResult;
    let result: IngestResult;
    let featured: FeatureStep | null = null;
    let committed: CommittedTicks | undefined;
    try {
      batch = feed.ingest(args.ticks, { nowMs: Date.now(), isStored: (tick) => this.store.hasTick(tick) });
      result = tallyBatch(args.symbol, batch);
      // Bars closing is the rare case: only then is the feature state copied for a rollback.
      if (batch.closedBars.length > 0) featuresBefore = this.pipeline.checkpoint();
      const counters = addToCounters(this.counters, result);
      this.ctx.storage.transactionSync(() => {
        if (this.desk !== null) committed = { firstRowid: this.store.nextTickRowid(), ticks: batch.applied };
        this.store.insertTicks(batch.applied);
        this.store.upsertBars(batch.closedBars);
        this.store.writeFeedState(feed.snapshot());
        this.store.writeMeta("counters", counters);
        featured = this.pipeline.advance(batch.closedBars);
        this.pruneTicks(feed);
      });
      this.counters = counters;
    } catch (error: unknown) {
      this.feed = new InstrumentFeed(this.feedConfig(args.symbol), before);
      if (featuresBefore !== null) this.pipeline.restore(featuresBefore);
      throw error;
    }
    for (const held of result.resolved) this.log.info("held tick resolved", { ...held });
    this.publish(batch.closedBars, batch.applied.length > 0);
    await this.signalClosedBars(featured);
    await this.trade(committed);
    await this.scheduleClockClose(feed);
    return result;
  }

  /** Bars of one timeframe: closed ones from storage plus those forming, oldest first. */
  async bars(args: BarsRpcArgs): Promise<{ bars: BarOutput[]; next: number | null }> {
    const query = BarsRpcArgsSchema.parse(args);
    const feed = this.feedFor(query.symbol);
    const fromMs = query.fromMs ?? Number.MIN_SAFE_INTEGER;
    const toMs = query.toMs ?? Number.MAX_SAFE_INTEGER;
    const forming = feed.formingBars().filter((b) => b.timeframe === query.timeframe && b.tsMs >= fromMs && b.tsMs <= toMs);
    if (query.fromMs === undefined) {
      const closed = this.store.barsLatest(query.timeframe, toMs, query.limit);
      return { bars: [...closed, ...forming].slice(-query.limit).map(toBarOutput), next: null };
    }
    const page = [...this.store.barsAscending(query.timeframe, fromMs, toMs, query.limit + 1), ...forming];
    return { bars: page.slice(0, query.limit).map(toBarOutput), next: page[query.limit]?.tsMs ?? null };
  }

  /**
   * Serves the assignment: loads its models from R2 into onnxruntime (bytes checked against their SHA-256) and swaps
   * them in once all of them work; ticks keep flowing meanwhile. On failure the previous models keep serving and the
   * error is thrown. Assignments run one at a time.
   */
  async assignModels(args: AssignModelsArgs): Promise<ServingState> {
    const assignment = AssignModelsArgsSchema.parse(args);
    this.feedFor(assignment.symbol);
    const run = this.assigning.then(async () => {
      const nowMs = Date.now();
      await this.pipeline.assign(assignment, nowMs);
      const state: ServingState = { ...assignment, assignedAtMs: nowMs };
      this.store.writeMeta(SERVING_KEY, state);
      this.serving = state;
      this.log.info("models assigned", { champion: state.champion?.version ?? null, shadow: state.shadow?.version ?? null });
      return state;
    });
    this.assigning = run.catch(() => undefined);
    return run;
  }

  /** The models the instrument serves, or null before any assignment. */
  async servingState(): Promise<ServingState | null> {
    return this.serving;
  }

  /** Signals matching the query, newest first. */
  async signals(args: SignalsRpcArgs): Promise<Signal[]> {
    const parsed = SignalsRpcArgsSchema.parse(args);
    this.feedFor(parsed.symbol);
    return this.pipeline.store.signals(parsed.symbol, FEATURE_TIMEFRAME, parsed);
  }

  /** The newest signal of a slot (default the champion's), or null. */
  async latestSignal(symbol: string, role: ServingRole = "champion"): Promise<Signal | null> {
    return (await this.signals({ symbol, role, limit: 1 }))[0] ?? null;
  }

  /** Rolling live scores of every version this instrument has served, with the degradation flag. */
  async modelPerformance(symbol: string): Promise<ModelLivePerformance[]> {
    this.feedFor(SymbolSchema.parse(symbol));
    return this.pipeline.performance();
  }

  /** Stored feature vectors of closed M1 bars with open times in [fromMs, toMs], oldest first. */
  async featureRows(symbol: string, fromMs: number, toMs: number, limit?: number): Promise<{ tsMs: number; barIndex: number; features: number[] }[]> {
    const args = FeatureRowsRpcArgsSchema.parse({ symbol, fromMs, toMs, limit });
    this.feedFor(args.symbol);
    return this.pipeline.store.featureRows(args.fromMs, args.toMs, args.limit);
  }

  /** Feed health: last tick, counters, stored tick rows, forming bars, subscribers. */
  async status(): Promise<InstrumentStatus> {
    const feed = this.symbol === null ? null : this.feedFor(this.symbol);
    return {
      symbol: this.symbol,
      lastTick: feed?.lastTick() ?? null,
      counters: this.counters,
      storedTicks: this.store.tickCount(),
      forming: (feed?.formingBars() ?? []).map(toTimeframedBarOutput),
      subscribers: this.ctx.getWebSockets().length,
      champion: this.pipeline.slots.current().champion?.model.version ?? null,
      shadow: this.pipeline.slots.current().shadow?.model.version ?? null,
      signalLatency: this.pipeline.latencySummary(),
    };
  }

  /** WebSocket upgrade for stream subscribers (the Worker checked the symbol and the Upgrade header). */
  override async fetch(request: Request): Promise<Response> {
    const symbol = new URL(request.url).searchParams.get("symbol") ?? this.symbol;
    if (symbol === null) return Response.json(errorEnvelope("VALIDATION_FAILED", "symbol required"), { status: 400 });
    if (this.ctx.getWebSockets().length >= MAX_STREAM_SUBSCRIBERS) {
      const message = `${symbol} already serves ${MAX_STREAM_SUBSCRIBERS} subscribers`;
      return Response.json(errorEnvelope("UNAVAILABLE", message), { status: 503, headers: { "retry-after": "30" } });
    }
    const feed = this.feedFor(symbol);
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    const hello: StreamMessage = { type: "hello", symbol, timeframes: [...TIMEFRAMES], forming: feed.formingBars().map(toTimeframedBarOutput) };
    pair[1].send(JSON.stringify(hello));
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** Subscribers only listen ("ping" is answered by the runtime); anything else closes the socket. */
  override async webSocketMessage(ws: WebSocket): Promise<void> {
    ws.close(1003, "this stream accepts no messages except ping");
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code, reason);
    } catch {
      // The peer is already gone; nothing is left to close.
    }
  }

  /** Emergency stop (from the AccountDO): pending orders dropped, every position closed on the next tick. */
  async halt(symbol: string): Promise<void> {
    this.feedFor(SymbolSchema.parse(symbol));
    const desk = this.desk;
    if (desk !== null) await this.ctx.blockConcurrencyWhile(() => desk.halt());
    await this.scheduleOutbox();
  }

  /** A manual order through the account's risk checks; an approved order fills on the next tick. */
  async placeOrder(args: ManualOrderArgs): Promise<{ request: OrderRequest; decision: RiskDecision }> {
    const order = ManualOrderArgsSchema.parse(args);
    const desk = this.requireDesk(order.symbol);
    desk.checkOrder(order);
    const placed = await this.ctx.blockConcurrencyWhile(() => desk.placeOrder(order));
    await this.scheduleOutbox();
    const { request, decision } = placed;
    if (decision === null) throw new UnavailableError("the account could not be reached; the order was not placed");
    return { request, decision };
  }

  /** Closes a position on the next tick; false when no such position is open. */
  async closePosition(symbol: string, positionId: string): Promise<boolean> {
    const desk = this.requireDesk(SymbolSchema.parse(symbol));
    const id = PositionIdSchema.parse(positionId);
    return this.ctx.blockConcurrencyWhile(async () => desk.requestClose(id));
  }

  /** Open positions (with unrealised P&L at the latest quote) and pending orders; null when the instrument does not trade. */
  async positions(symbol: string): Promise<DeskPositions | null> {
    this.feedFor(SymbolSchema.parse(symbol));
    return this.desk?.positions() ?? null;
  }

  /** Outbox records and account events not delivered yet (operations and tests). */
  async deliveryBacklog(): Promise<{ outbox: number; accountEvents: number }> {
    return { outbox: this.outbox.pending(), accountEvents: this.desk?.undeliveredAccountEvents() ?? 0 };
  }

  /**
   * The retention ingest applies, for the daily system_cleanup task: raw ticks older than TICK_RETENTION_HOURS and
   * feature rows and signals older than 30 days, both behind the newest tick (as on ingest, so a replay of history
   * keeps its recent part and a stopped feed keeps its last hours). Ingest prunes only once the stream has moved on
   * an hour since its last prune; this catches up whatever that left. `dryRun` counts without deleting.
   */
  async applyRetention(dryRun = false): Promise<{ ticks: number; featureRows: number; signals: number }> {
    const args = z.strictObject({ dryRun: z.boolean() }).parse({ dryRun });
    const newestTickMs = this.symbol === null ? undefined : this.feedFor(this.symbol).lastTick()?.tsMs;
    if (newestTickMs === undefined) return { ticks: 0, featureRows: 0, signals: 0 };
    const tickCutoffMs = newestTickMs - this.platform.config.tickRetentionMs;
    const signalCutoffMs = newestTickMs - SIGNAL_RETENTION_MS;
    const sql = this.ctx.storage.sql;
    const olderThan = (table: "ticks" | "feature_rows" | "signals", cutoffMs: number) =>
      sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ts_ms < ?`, cutoffMs).one().n;
    return this.ctx.storage.transactionSync(() => {
      const counts = { ticks: olderThan("ticks", tickCutoffMs), featureRows: olderThan("feature_rows", signalCutoffMs), signals: olderThan("signals", signalCutoffMs) };
      if (!args.dryRun) {
        this.store.pruneTicks(tickCutoffMs);
        this.pipeline.store.prune(signalCutoffMs);
      }
      return counts;
    });
  }

  /** Outbox delivery to D1 (with retries) and the clock-driven bar close of live feeds. */
  override async alarm(): Promise<void> {
    if (this.outbox.pending() > 0) {
      const delivered = await this.outbox.flush(this.outboxSink);
      this.outboxRetryAtMs = delivered.error === null ? null : Date.now() + this.outbox.retryDelayMs();
      if (delivered.error !== null) this.log.warn("outbox delivery failed; retrying", { remaining: delivered.remaining, error: delivered.error });
    }
    if (this.outboxRetryAtMs !== null) await armAlarm(this.ctx.storage, this.outboxRetryAtMs);
    if (this.symbol === null) return;
    const feed = this.feedFor(this.symbol);
    // Only a live feed closes bars on the clock (the alarm may have been armed for the outbox alone).
    const closed = isLive(feed, 2 * TIMEFRAME_MS.M1 + this.platform.config.clockCloseGraceMs) ? feed.closeDue(Date.now(), this.platform.config.clockCloseGraceMs) : [];
    if (closed.length > 0) {
      let featured: FeatureStep | null = null;
      this.ctx.storage.transactionSync(() => {
        this.store.upsertBars(closed);
        this.store.writeFeedState(feed.snapshot());
        featured = this.pipeline.advance(closed);
      });
      this.publish(closed, false);
      await this.signalClosedBars(featured);
      await this.trade();
    }
    await this.scheduleClockClose(feed);
  }

  private feedFor(symbol: string): InstrumentFeed {
    if (this.symbol !== null && this.symbol !== symbol) {
      throw new ConflictError(`this object holds ${this.symbol}, not ${symbol}`);
    }
    if (this.feed) return this.feed;
    const config = this.feedConfig(symbol);
    if (this.symbol === null) {
      this.store.writeMeta("symbol", symbol);
      this.symbol = symbol;
    }
    this.feed = new InstrumentFeed(config, this.store.readFeedState());
    const trading = this.platform.trading.get(symbol);
    if (trading !== undefined) {
      this.desk = new TradingDesk(this.ctx.storage, this.store, this.outbox, accountStub(this.env), DEFAULT_ACCOUNT_ID, requireInstrument(this.platform, symbol), trading, this.log);
    }
    return this.feed;
  }

  private requireDesk(symbol: string): TradingDesk {
    this.feedFor(symbol);
    if (this.desk === null) throw new UnprocessableError(`${symbol} does not trade: the TRADING configuration has no entry for it`);
    return this.desk;
  }

  /** Runs the trading desk over what the feed committed (one run at a time: the account is asked mid-run). */
  private async trade(committed?: CommittedTicks): Promise<void> {
    const desk = this.desk;
    const symbol = this.symbol;
    if (desk === null || symbol === null) return;
    await this.ctx.blockConcurrencyWhile(() =>
      desk.run((fromMs, toMs) => this.pipeline.store.signals(symbol, FEATURE_TIMEFRAME, { role: "champion", fromMs, toMs, limit: 100_000 }), committed),
    );
    await this.scheduleOutbox();
  }

  private async scheduleOutbox(): Promise<void> {
    if (this.outbox.pending() > 0) await armAlarm(this.ctx.storage, this.outboxRetryAtMs ?? Date.now() + this.platform.config.outboxFlushDelayMs);
  }

  private feedConfig(symbol: string) {
    const instrument: Instrument = requireInstrument(this.platform, symbol);
    return feedConfigFor(instrument, this.platform.config);
  }

  /** Deletes raw ticks older than the retention, once the stream has moved on an hour since the last prune. */
  private pruneTicks(feed: InstrumentFeed): void {
    const newestMs = feed.lastTick()?.tsMs;
    if (newestMs === undefined) return;
    const prunedAtMs = this.store.readMeta<number>("prunedAtTickMs") ?? -Infinity;
    if (newestMs - prunedAtMs < PRUNE_EVERY_MS) return;
    this.store.pruneTicks(newestMs - this.platform.config.tickRetentionMs);
    this.pipeline.store.prune(newestMs - SIGNAL_RETENTION_MS);
    this.store.writeMeta("prunedAtTickMs", newestMs);
  }

  /**
   * After the commit: loads the served models if this object has just started, predicts the featured bars, stores
   * and pushes the signals, and scores the signals the bars complete. A model failure is logged, never thrown: the
   * ticks are already stored.
   */
  private async signalClosedBars(featured: FeatureStep | null): Promise<void> {
    if (featured === null || featured.bars.length === 0) return;
    let signals: Signal[];
    try {
      if (this.serving !== null && (this.serving.champion !== null || this.serving.shadow !== null)) {
        await this.assigning;
        // Read after the wait: an assignment that was loading has replaced it.
        if (this.serving !== null) await this.pipeline.ensureLoaded(this.serving);
      }
      signals = await this.pipeline.predict(featured, this.ctx.storage, Date.now());
      await this.scheduleOutbox();
    } catch (error: unknown) {
      // The batch is committed and acknowledged; failing it now would only make the sender retry stored ticks.
      this.log.error("signals of a committed batch were lost", { bars: featured.bars.length, error: String(error) });
      return;
    }
    const symbol = this.symbol;
    if (symbol === null || this.ctx.getWebSockets().length === 0) return;
    for (const signal of signals) this.broadcast({ type: "signal", symbol, signal });
  }

  /** Sends closed bars at once and the newest tick at most once per throttle interval (trailing edge kept). */
  private publish(closedBars: readonly Bar[], ticksApplied: boolean): void {
    const symbol = this.symbol;
    if (symbol === null || this.ctx.getWebSockets().length === 0) return;
    for (const bar of closedBars) this.broadcast({ type: "bar", symbol, timeframe: bar.timeframe, bar: toBarOutput(bar) });
    if (!ticksApplied) return;
    const waitMs = this.lastTickPushMs + this.platform.config.streamTickThrottleMs - Date.now();
    if (waitMs <= 0) {
      this.pushNewestTick(symbol);
    } else if (this.tickPushTimer === null) {
      this.tickPushTimer = setTimeout(() => {
        this.tickPushTimer = null;
        this.pushNewestTick(symbol);
      }, waitMs);
    }
  }

  private pushNewestTick(symbol: string): void {
    const tick = this.feed?.lastTick();
    if (!tick) return;
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

  /** Arms the alarm for the first forming bar's end (+ grace) while the feed is live (its newest tick is recent). */
  private async scheduleClockClose(feed: InstrumentFeed): Promise<void> {
    const closeMs = feed.nextCloseMs();
    if (closeMs === null || !isLive(feed, TIMEFRAME_MS.M1)) return;
    const dueMs = closeMs + this.platform.config.clockCloseGraceMs;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > dueMs) await this.ctx.storage.setAlarm(dueMs);
  }
}

/**
 * A feed is live while its newest tick is recent: only then do bars close on the clock. The alarm is armed while the
 * newest tick is under a minute old and fires after the bar's end plus the grace, so it allows for that much more.
 */
function isLive(feed: InstrumentFeed, maxAgeMs: number): boolean {
  const last = feed.lastTick();
  return last !== null && last.tsMs >= Date.now() - maxAgeMs;
}

/** Counters after adding one batch's outcomes (held ticks count once they are decided). */
function addToCounters(counters: IngestCounters, result: IngestResult): IngestCounters {
  const next: IngestCounters = { accepted: counters.accepted + result.accepted, duplicates: counters.duplicates + result.duplicates, rejected: { ...counters.rejected } };
  const codes = [...result.rejected.map((r) => r.code), ...result.resolved.flatMap((r) => (r.code ? [r.code] : []))];
  for (const code of codes) next.rejected[code] = (next.rejected[code] ?? 0) + 1;
  next.accepted += result.resolved.filter((r) => r.status === "accepted").length;
  return next;
}
