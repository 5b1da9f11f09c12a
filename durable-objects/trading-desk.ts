/**
 * The InstrumentDO's trading desk: runs the instrument's InstrumentTrader (core/trading) over the ticks and closed M1
 * bars the feed has committed, in their committed order, and talks to the AccountDO.
 *
 * Crash safety: the desk keeps a cursor (the last traded tick's rowid and bar time) with the trader's state. Each
 * step commits, in one storage transaction, the trader state, the cursor, the outbox records (fills, trades, signals)
 * and the account events, numbered per instrument. Account events are delivered in order with each order request
 * and after each run; the AccountDO applies each sequence number once. A run reads what it has not traded yet from
 * storage, so ticks committed before a crash are traded by the next run. An order that was waiting for the account
 * when the object stopped is cancelled on restart (the account releases what it reserved).
 */
import { UnprocessableError } from "../core/errors/app-error.js";
import { unrealisedPnlUsd } from "../core/execution/positions.js";
import type { Instrument } from "../core/instruments/instrument.js";
import type { Bar } from "../core/market/bar.js";
import type { Tick } from "../core/market/tick.js";
import type { AccountEvent } from "../core/risk/account-book.js";
import type { Signal } from "../core/schemas/serving.js";
import type {
  AccountSyncResult,
  InstrumentTradingConfig,
  OrderRequest,
  OutboxRecord,
  Position,
  RiskDecision,
} from "../core/schemas/trading.js";
import {
  InstrumentTrader,
  type InstrumentTraderState,
  type ManualOrder,
  type ModelSignalInput,
  type PendingOrder,
  type TraderSink,
  toModelSignalInput,
} from "../core/trading/instrument-trader.js";
import type { Logger } from "../workers/log.js";
import type { InstrumentStore } from "./instrument-store.js";
import type { Outbox } from "./outbox.js";

const TRADER_KEY = "trader";
const CURSOR_KEY = "tradingCursor";
const ACCOUNT_SEQ_KEY = "accountSeq";
const M1_MS = 60_000;
/**
 * While the instrument holds no position its marks change nothing but the account's return history, so they wait
 * (in order, in storage) for the next order request or fill, or until this many are queued: one RPC per batch less.
 */
const MAX_QUEUED_MARKS = 1_440;

const SCHEMA = "CREATE TABLE IF NOT EXISTS account_events (seq INTEGER PRIMARY KEY, event TEXT NOT NULL)";

/** The last tick (rowid in the ticks table) and M1 bar (open time) the trader has seen. */
interface TradingCursor {
  tickRowid: number;
  barTsMs: number;
}

/** Ticks one batch inserted, in order, and the rowid the first of them got (rowids grow by one per insert). */
export interface CommittedTicks {
  readonly firstRowid: number;
  readonly ticks: readonly Tick[];
}

/** The AccountDO's side of the conversation. */
export interface AccountPort {
  sync(args: { accountId: string; symbol: string; firstSeq: number; events: AccountEvent[]; request: OrderRequest | null }): Promise<AccountSyncResult>;
}

/** Positions with their unrealised P&L at the latest quote, and pending orders. */
export interface DeskPositions {
  symbol: string;
  lastQuote: { tsMs: number; bid: number; ask: number } | null;
  positions: (Position & { unrealisedPnlUsd: number })[];
  pending: PendingOrder[];
  flattening: boolean;
}

/** Collects one step's output until it is committed. */
class CollectingSink implements TraderSink {
  accountEvents: AccountEvent[] = [];
  records: OutboxRecord[] = [];
  accountEvent(event: AccountEvent): void {
    this.accountEvents.push(event);
  }
  record(record: OutboxRecord): void {
    this.records.push(record);
  }
}

export class TradingDesk {
  private trader: InstrumentTrader;
  private cursor: TradingCursor;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: InstrumentStore,
    private readonly outbox: Outbox,
    private readonly account: AccountPort,
    private readonly accountId: string,
    private readonly instrument: Instrument,
    private readonly config: InstrumentTradingConfig,
    private readonly log: Logger,
  ) {
    storage.sql.exec(SCHEMA);
    const saved = store.readMeta<InstrumentTraderState>(TRADER_KEY);
    this.trader = new InstrumentTrader({ accountId, instrument, trading: config }, saved);
    this.cursor = store.readMeta<TradingCursor>(CURSOR_KEY) ?? { tickRowid: 0, barTsMs: Number.MIN_SAFE_INTEGER };
    const stranded = this.trader.pendingOrders().filter((order) => order.status === "awaiting-approval");
    if (stranded.length > 0) {
      const sink = new CollectingSink();
      for (const order of stranded) {
        this.trader.abandon(order.requestId);
        sink.accountEvent({ kind: "cancel", requestId: order.requestId, tsMs: Date.now() });
      }
      this.commit(sink);
      log.warn("orders left waiting for the account at restart were cancelled", { orders: stranded.map((o) => o.requestId) });
    }
  }

  /**
   * Trades everything committed since the cursor: ticks in the order they were applied, each closed M1 bar before
   * the first tick of a later minute. `signalsFor` gives the champion's signals of the bars (model strategy);
   * `committed` is the batch the caller has just committed.
   */
  async run(signalsFor: (fromMs: number, toMs: number) => Signal[], committed?: CommittedTicks): Promise<void> {
    // The batch just committed, when it follows the cursor directly (the usual case), need not be read back.
    const ticks =
      committed !== undefined && committed.firstRowid === this.cursor.tickRowid + 1
        ? committed.ticks.map((tick, i) => ({ rowid: committed.firstRowid + i, tsMs: tick.tsMs, bid: tick.bid, ask: tick.ask }))
        : this.store.ticksAfterRowid(this.cursor.tickRowid);
    const bars = this.store.barsAscending("M1", this.cursor.barTsMs + 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    if (ticks.length === 0 && bars.length === 0) return;
    const signals = this.config.strategy.kind === "model" && bars.length > 0 ? signalIndex(signalsFor(bars[0]!.tsMs, bars[bars.length - 1]!.tsMs)) : null;
    let sink = new CollectingSink();
    let b = 0;
    for (const tick of ticks) {
      while (b < bars.length && bars[b]!.tsMs + M1_MS <= tick.tsMs) {
        sink = await this.closeBar(bars[b++]!, signals, sink);
      }
      this.trader.onQuote(tick.tsMs, tick.bid, tick.ask, sink);
      this.cursor.tickRowid = tick.rowid;
    }
    while (b < bars.length) sink = await this.closeBar(bars[b++]!, signals, sink);
    const onlyMarks = sink.accountEvents.every((event) => event.kind === "mark");
    this.commit(sink);
    if (!onlyMarks || this.trader.positions().length > 0 || this.undeliveredAccountEvents() >= MAX_QUEUED_MARKS) await this.deliver(null);
  }

  /** Emergency stop: pending orders dropped (approved ones handed back), every position closed on the next tick. */
  async halt(): Promise<void> {
    const sink = new CollectingSink();
    this.trader.halt(Date.now(), sink);
    this.commit(sink);
    await this.deliver(null);
  }

  /**
   * Refuses an order the desk cannot place: no quote yet, or a stop or target on the wrong side of the price. Call
   * before taking the object's lock (an error thrown under the lock restarts the object).
   */
  checkOrder(order: ManualOrder): void {
    const quote = this.trader.lastQuote();
    if (quote === null) throw new UnprocessableError(`${this.instrument.symbol} has no quote yet; an order needs a price to be sized against`);
    const price = order.side === "buy" ? quote.ask : quote.bid;
    const below = (level: number | null | undefined) => level != null && level < price;
    const above = (level: number | null | undefined) => level != null && level > price;
    const badStop = order.stopPrice != null && (order.side === "buy" ? !below(order.stopPrice) : !above(order.stopPrice));
    const badTarget = order.targetPrice != null && (order.side === "buy" ? !above(order.targetPrice) : !below(order.targetPrice));
    if (badStop || badTarget) {
      throw new UnprocessableError(`a ${order.side}'s stop must be ${order.side === "buy" ? "below" : "above"} and its target ${order.side === "buy" ? "above" : "below"} the price ${price}`, {
        details: { price, stopPrice: order.stopPrice ?? null, targetPrice: order.targetPrice ?? null },
      });
    }
  }

  /**
   * A manual order through the account's checks (see `checkOrder`); an approved order fills on the next tick. The
   * decision is null when the account could not be reached (the order was dropped).
   */
  async placeOrder(order: ManualOrder): Promise<{ request: OrderRequest; decision: RiskDecision | null }> {
    const request = this.trader.placeManualOrder(order, Date.now());
    this.commit(new CollectingSink());
    const decision = await this.decide(request);
    if (decision !== null) this.trader.decide(decision);
    this.commit(new CollectingSink());
    return { request, decision };
  }

  /** Closes a position on the next tick; false when it is not open here. */
  requestClose(positionId: string): boolean {
    const accepted = this.trader.requestClose(positionId);
    if (accepted) this.commit(new CollectingSink());
    return accepted;
  }

  positions(): DeskPositions {
    const quote = this.trader.lastQuote();
    return {
      symbol: this.instrument.symbol,
      lastQuote: quote,
      positions: this.trader.positions().map((position) => ({
        ...position,
        unrealisedPnlUsd: quote === null ? 0 : unrealisedPnlUsd(position, quote.bid, quote.ask),
      })),
      pending: [...this.trader.pendingOrders()],
      flattening: this.trader.isFlattening(),
    };
  }

  /** Account events waiting for the AccountDO. */
  undeliveredAccountEvents(): number {
    return this.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM account_events").one().n;
  }

  private async closeBar(bar: Bar, signals: Map<number, ModelSignalInput> | null, sink: CollectingSink): Promise<CollectingSink> {
    const requests = this.trader.onBarClosed(bar, signals?.get(bar.tsMs) ?? null, sink);
    this.cursor.barTsMs = bar.tsMs;
    if (requests.length === 0) return sink;
    this.commit(sink);
    for (const request of requests) {
      const decision = await this.decide(request);
      if (decision !== null) this.trader.decide(decision);
    }
    return new CollectingSink();
  }

  /**
   * Asks the account. When it cannot be reached the order is dropped (logged) and null returned: an order never fills
   * unapproved. The account is told to release the order should it have approved it after all.
   */
  private async decide(request: OrderRequest): Promise<RiskDecision | null> {
    try {
      const decision = await this.deliver(request);
      if (decision !== null) return decision;
      throw new Error("the account returned no decision");
    } catch (error: unknown) {
      this.trader.abandon(request.requestId);
      const sink = new CollectingSink();
      sink.accountEvent({ kind: "cancel", requestId: request.requestId, tsMs: request.tsMs });
      this.commit(sink);
      this.log.error("order dropped: the account could not decide it", { requestId: request.requestId, error: String(error) });
      return null;
    }
  }

  /** Sends the queued account events (and the request); removes what the account acknowledged. */
  private async deliver(request: OrderRequest | null): Promise<RiskDecision | null> {
    const rows = this.storage.sql.exec<{ seq: number; event: string }>("SELECT seq, event FROM account_events ORDER BY seq").toArray();
    if (rows.length === 0 && request === null) return null;
    const firstSeq = rows[0]?.seq ?? (this.store.readMeta<number>(ACCOUNT_SEQ_KEY) ?? 0) + 1;
    const result = await this.account.sync({
      accountId: this.accountId,
      symbol: this.instrument.symbol,
      firstSeq,
      events: rows.map((row) => JSON.parse(row.event) as AccountEvent),
      request,
    });
    this.storage.sql.exec("DELETE FROM account_events WHERE seq <= ?", result.appliedThroughSeq);
    return result.decision;
  }

  /** One transaction: trader state, cursor, outbox records and numbered account events. */
  private commit(sink: CollectingSink): void {
    this.storage.transactionSync(() => {
      this.store.writeMeta(TRADER_KEY, this.trader.snapshot());
      this.store.writeMeta(CURSOR_KEY, this.cursor);
      this.outbox.append(sink.records);
      if (sink.accountEvents.length > 0) {
        let seq = this.store.readMeta<number>(ACCOUNT_SEQ_KEY) ?? 0;
        for (const event of sink.accountEvents) {
          seq += 1;
          this.storage.sql.exec("INSERT INTO account_events (seq, event) VALUES (?, ?)", seq, JSON.stringify(event));
        }
        this.store.writeMeta(ACCOUNT_SEQ_KEY, seq);
      }
    });
  }
}

/** The champion's signal per bar time, as the model strategy reads it. */
function signalIndex(signals: readonly Signal[]): Map<number, ModelSignalInput> {
  const byBar = new Map<number, ModelSignalInput>();
  for (const signal of signals) {
    if (signal.role !== "champion") continue;
    byBar.set(signal.ts, toModelSignalInput(signal));
  }
  return byBar;
}
