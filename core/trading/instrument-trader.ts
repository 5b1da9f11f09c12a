/**
 * The trading kernel of one instrument: closed M1 bars drive the strategy (and the regime detector), quotes drive
 * paper execution. The InstrumentDO and the backtester run this same class over the same events, which is why their
 * trades agree (tests/integration/parity.test.ts).
 *
 * Event order, for both drivers: a bar's close is handed over before the first quote of the next bar (the quote that
 * closed it). An entry decided on a bar close becomes an `OrderRequest` the account approves or denies (sizing and
 * every limit live there, core/risk); the driver passes the decision back before the next quote, which fills it. On
 * each quote, in order: an emergency flatten, then stops and targets of the open positions, then
 * excursions and trailing stops of the positions still open (a stop moved now is checked from the next quote on), then
 * pending closes, then approved opens (a new position is tracked from the next quote on).
 * Closing orders (exit and reverse signals, manual closes) reduce risk and do not wait for the account.
 */
import type { Instrument } from "../instruments/instrument.js";
import type { Bar } from "../market/bar.js";
import { closePosition, exitTrigger, openPosition, trackExcursion } from "../execution/positions.js";
import { slippagePrice } from "../execution/fill-model.js";
import type { AccountEvent } from "../risk/account-book.js";
import { advanceStop, initialExitLevels } from "../risk/exit-levels.js";
import type {
  EntryContext,
  ExitReason,
  InstrumentTradingConfig,
  OrderRequest,
  OutboxRecord,
  Position,
  Regime,
  RiskDecision,
  Side,
} from "../schemas/trading.js";
import { decideModelTarget, EmaCrossStrategy, entryFilter, ModelStrategy, RegimeDetector } from "../strategy/index.js";

/** What the kernel reports, in order: account events for the AccountBook, records for D1. */
export interface TraderSink {
  accountEvent(event: AccountEvent): void;
  record(record: OutboxRecord): void;
}

/** The champion's reading of a closed bar, as the model strategy consumes it. */
export interface ModelSignalInput {
  readonly modelVersion: string;
  /** The most probable class as a direction, and its probability. */
  readonly action: "buy" | "sell" | "hold";
  readonly confidence: number;
  /** Probability of the up (buy) and down (sell) classes; a binary model's sell is 1 − buy. */
  readonly buyProbability: number;
  readonly sellProbability: number;
}

/**
 * Reads a model's signal for the strategy: up/buy class → buy probability, down/sell → sell.
 * @example toModelSignalInput({ modelVersion: "v1", action: "buy", confidence: 0.6, probabilities: { down: 0.4, up: 0.6 } })
 * // { modelVersion: "v1", action: "buy", confidence: 0.6, buyProbability: 0.6, sellProbability: 0.4 }
 */
export function toModelSignalInput(signal: {
  readonly modelVersion: string;
  readonly action: "buy" | "sell" | "hold";
  readonly confidence: number;
  readonly probabilities: Readonly<Record<string, number>>;
}): ModelSignalInput {
  const p = signal.probabilities;
  return {
    modelVersion: signal.modelVersion,
    action: signal.action,
    confidence: signal.confidence,
    buyProbability: p.up ?? p.buy ?? 0,
    sellProbability: p.down ?? p.sell ?? 0,
  };
}

/** A manual order: the size is asked for; stop and target are prices or, when absent, the strategy's ATR multiples. */
export interface ManualOrder {
  readonly side: Side;
  readonly lots: number;
  readonly stopPrice?: number | null;
  readonly targetPrice?: number | null;
}

export interface PendingOrder {
  readonly requestId: string;
  readonly kind: "open" | "close";
  /** open: the new position's side; close: the side of the position being closed. */
  readonly side: Side;
  /** close: the position to close. */
  readonly positionId: string | null;
  readonly exitReason: ExitReason | null;
  status: "awaiting-approval" | "approved";
  lots: number | null;
  /** Manual levels (prices); strategy orders place stops and targets from the ATR at the fill. */
  readonly stopPrice: number | null;
  readonly targetPrice: number | null;
  readonly fromStrategy: boolean;
  readonly entry: EntryContext;
}

/** The kernel's own book: positions, orders and the strategy's holding. */
interface TraderBook {
  positions: Position[];
  pending: PendingOrder[];
  lastQuote: { tsMs: number; bid: number; ask: number } | null;
  /** Orders created so far: the next order id's suffix. */
  orderSeq: number;
  /** The position the strategy opened (one at a time) and the closed bars since its entry fill. */
  strategyPositionId: string | null;
  barsSinceEntry: number;
  /** Set by an emergency stop: the next quote closes every position. */
  flattenPending: boolean;
}

/** Everything the kernel remembers: plain JSON, persisted by the InstrumentDO with each batch. */
export interface InstrumentTraderState extends TraderBook {
  /** The strategy's and the regime detector's snapshots. */
  strategy: unknown;
  regime: unknown;
}

export interface InstrumentTraderConfig {
  readonly accountId: string;
  readonly instrument: Pick<Instrument, "symbol" | "digits" | "pointSize" | "contractSize">;
  readonly trading: InstrumentTradingConfig;
}

const NO_REQUESTS: readonly OrderRequest[] = Object.freeze([]);

export class InstrumentTrader {
  private readonly strategy: EmaCrossStrategy | ModelStrategy;
  private readonly regime: RegimeDetector;
  private readonly state: TraderBook;
  private readonly symbol: string;

  constructor(private readonly config: InstrumentTraderConfig, state?: InstrumentTraderState) {
    const { strategy, regime } = config.trading;
    this.symbol = config.instrument.symbol;
    this.strategy = strategy.kind === "ema-cross" ? new EmaCrossStrategy(strategy) : new ModelStrategy(strategy);
    this.regime = new RegimeDetector(regime);
    if (state) {
      const { strategy: strategyState, regime: regimeState, ...book } = state;
      this.strategy.restore(strategyState);
      this.regime.restore(regimeState);
      this.state = structuredClone(book);
    } else {
      this.state = {
        positions: [],
        pending: [],
        lastQuote: null,
        orderSeq: 0,
        strategyPositionId: null,
        barsSinceEntry: 0,
        flattenPending: false,
      };
    }
  }

  /** A deep copy of the state (strategy and regime included) as plain JSON. */
  snapshot(): InstrumentTraderState {
    // The strategy's and the detector's snapshots are fresh copies already; only the book needs cloning.
    return { ...structuredClone(this.state), strategy: this.strategy.snapshot(), regime: this.regime.snapshot() };
  }

  positions(): readonly Position[] {
    return this.state.positions;
  }

  /** The latest quote (a copy), or null before the first. */
  lastQuote(): { tsMs: number; bid: number; ask: number } | null {
    const quote = this.state.lastQuote;
    return quote === null ? null : { ...quote };
  }

  pendingOrders(): readonly PendingOrder[] {
    return this.state.pending;
  }

  /** The regime of the latest closed bar (computed on request). */
  currentRegime(): Regime {
    return this.regime.current();
  }

  /** True once an emergency stop waits for the next quote to flatten. */
  isFlattening(): boolean {
    return this.state.flattenPending;
  }

  /**
   * A closed M1 bar: marks the account, updates the strategy and the regime, and returns the order requests the
   * account must decide before the next quote (usually none). `signal` is the champion's signal for this bar (model
   * strategy; ignored by the rule strategy).
   */
  onBarClosed(bar: Bar, signal: ModelSignalInput | null, sink: TraderSink): readonly OrderRequest[] {
    const state = this.state;
    this.strategy.update(bar);
    this.regime.update(bar);
    const quote = state.lastQuote;
    const closeMs = bar.tsMs + 60_000;
    sink.accountEvent({ kind: "mark", symbol: this.symbol, tsMs: closeMs, bid: quote?.bid ?? bar.close, ask: quote?.ask ?? bar.close });
    if (state.strategyPositionId !== null) state.barsSinceEntry += 1;
    if (!this.config.trading.enabled || state.flattenPending || state.pending.some((order) => order.fromStrategy)) return NO_REQUESTS;

    const held = this.strategyHolding();
    const target = this.targetOf(held, signal);
    if (target === null || target === held) return NO_REQUESTS;
    const regime = this.regime.current();
    const fromModel = this.config.trading.strategy.kind === "model" && signal !== null;
    const entry: EntryContext = {
      strategy: this.config.trading.strategy.kind,
      signalTsMs: bar.tsMs,
      modelVersion: fromModel ? signal.modelVersion : null,
      confidence: !fromModel ? null : target === "long" ? signal.buyProbability : target === "short" ? signal.sellProbability : signal.confidence,
      regime,
      atr: this.strategy.atr() ?? null,
    };
    const closing = held !== "flat" ? state.strategyPositionId : null;
    if (closing !== null) this.queueClose(closing, held === "long" ? "buy" : "sell", target === "flat" ? "exit-signal" : "reverse-signal", true, entry);
    if (target === "flat") return NO_REQUESTS;
    if (entry.atr === null || !(entry.atr > 0)) return NO_REQUESTS;
    if (entryFilter(bar, regime, this.config.trading.filters) !== null) return NO_REQUESTS;
    const side: Side = target === "long" ? "buy" : "sell";
    const order = this.queueOpen(side, null, null, null, true, entry);
    return [this.requestFor(order, closeMs, entry.atr * this.config.trading.exits.stopAtr, null, closing)];
  }

  /** The account's answer to a request: an approval fills on the next quote, a denial drops the order. */
  decide(decision: RiskDecision): void {
    const order = this.state.pending.find((p) => p.requestId === decision.requestId);
    if (order === undefined || order.status !== "awaiting-approval") return;
    if (decision.approved) {
      order.status = "approved";
      order.lots = decision.lots;
    } else {
      this.state.pending = this.state.pending.filter((p) => p !== order);
    }
  }

  /** Drops an order still awaiting a decision (the account could not be asked). */
  abandon(requestId: string): void {
    this.state.pending = this.state.pending.filter((p) => !(p.requestId === requestId && p.status === "awaiting-approval"));
  }

  /** One quote (an applied tick): flatten, or exits, excursions and trailing, pending closes, approved opens. */
  onQuote(tsMs: number, bid: number, ask: number, sink: TraderSink): void {
    const state = this.state;
    const last = state.lastQuote;
    const gapped = last === null || Math.floor(tsMs / 60_000) !== Math.floor(last.tsMs / 60_000);
    if (state.flattenPending) {
      this.flatten(tsMs, bid, ask, sink);
    } else {
      const positions = state.positions;
      if (positions.length > 0) {
        this.runExits(tsMs, bid, ask, gapped, sink);
        for (let i = 0; i < positions.length; i++) this.track(positions[i] as Position, bid, ask);
      }
      if (state.pending.length > 0) this.fillPending(tsMs, bid, ask, sink);
    }
    if (last === null) {
      state.lastQuote = { tsMs, bid, ask };
    } else {
      last.tsMs = tsMs;
      last.bid = bid;
      last.ask = ask;
    }
  }

  /** A manual order through the same account checks: returns the request to decide, filled on the next quote. */
  placeManualOrder(order: ManualOrder, tsMs: number): OrderRequest {
    const entry: EntryContext = { strategy: "manual", signalTsMs: null, modelVersion: null, confidence: null, regime: this.regime.current(), atr: this.strategy.atr() ?? null };
    const pending = this.queueOpen(order.side, order.lots, order.stopPrice ?? null, order.targetPrice ?? null, false, entry);
    const reference = this.referencePrice(order.side);
    const stopDistance =
      order.stopPrice != null ? Math.abs(reference - order.stopPrice) : entry.atr !== null ? entry.atr * this.config.trading.exits.stopAtr : null;
    return this.requestFor(pending, tsMs, stopDistance && stopDistance > 0 ? stopDistance : null, order.lots);
  }

  /** Closes a position on the next quote; false when no such open position exists. */
  requestClose(positionId: string): boolean {
    const position = this.state.positions.find((p) => p.id === positionId);
    if (position === undefined) return false;
    if (this.state.pending.some((p) => p.kind === "close" && p.positionId === positionId)) return true;
    this.queueClose(positionId, position.side, "manual", false, position.entry);
    return true;
  }

  /**
   * Emergency stop: drops every pending order (approved ones are handed back to the account) and closes every
   * position on the next quote.
   */
  halt(tsMs: number, sink: TraderSink): void {
    for (const order of this.state.pending) {
      if (order.kind === "open" && order.status === "approved") sink.accountEvent({ kind: "cancel", requestId: order.requestId, tsMs });
    }
    this.state.pending = [];
    this.state.flattenPending = this.state.positions.length > 0;
  }

  /** Closes every open position at `quote` (end of a backtest's data). */
  closeAll(tsMs: number, bid: number, ask: number, reason: ExitReason, sink: TraderSink): void {
    for (const position of [...this.state.positions]) this.close(position, tsMs, position.side === "buy" ? bid : ask, true, reason, sink);
  }

  private strategyHolding(): "long" | "short" | "flat" {
    const id = this.state.strategyPositionId;
    if (id === null) return "flat";
    const position = this.state.positions.find((p) => p.id === id);
    return position === undefined ? "flat" : position.side === "buy" ? "long" : "short";
  }

  private targetOf(held: "long" | "short" | "flat", signal: ModelSignalInput | null): "long" | "short" | "flat" | null {
    const strategy = this.strategy;
    if (strategy instanceof EmaCrossStrategy) {
      const cross = strategy.cross();
      return cross === "buy" ? "long" : cross === "sell" ? "short" : null;
    }
    if (signal === null || this.config.trading.strategy.kind !== "model") return null;
    return decideModelTarget(
      { held, barsHeld: this.state.barsSinceEntry, action: signal.action, probabilities: { buy: signal.buyProbability, sell: signal.sellProbability } },
      this.config.trading.strategy,
    ).target;
  }

  private queueOpen(side: Side, lots: number | null, stopPrice: number | null, targetPrice: number | null, fromStrategy: boolean, entry: EntryContext): PendingOrder {
    const order: PendingOrder = {
      requestId: this.nextOrderId(),
      kind: "open",
      side,
      positionId: null,
      exitReason: null,
      status: "awaiting-approval",
      lots,
      stopPrice,
      targetPrice,
      fromStrategy,
      entry,
    };
    this.state.pending.push(order);
    return order;
  }

  private queueClose(positionId: string, side: Side, reason: ExitReason, fromStrategy: boolean, entry: EntryContext): void {
    this.state.pending.push({
      requestId: this.nextOrderId(),
      kind: "close",
      side,
      positionId,
      exitReason: reason,
      status: "approved",
      lots: null,
      stopPrice: null,
      targetPrice: null,
      fromStrategy,
      entry,
    });
  }

  private nextOrderId(): string {
    this.state.orderSeq += 1;
    return `${this.symbol}-${this.state.orderSeq}`;
  }

  private requestFor(order: PendingOrder, tsMs: number, stopDistance: number | null, requestedLots: number | null, replacesPositionId: string | null = null): OrderRequest {
    return {
      requestId: order.requestId,
      symbol: this.symbol,
      side: order.side,
      intent: "open",
      tsMs,
      referencePrice: this.referencePrice(order.side),
      stopDistance,
      contractSize: this.config.instrument.contractSize,
      requestedLots,
      replacesPositionId,
      source: order.fromStrategy ? "strategy" : "manual",
    };
  }

  private referencePrice(side: Side): number {
    const quote = this.state.lastQuote;
    if (quote === null) throw new RangeError(`${this.symbol} has no quote yet`);
    return side === "buy" ? quote.ask : quote.bid;
  }

  private slippage(): number {
    return slippagePrice(this.config.trading.execution.slippage, this.config.instrument.pointSize, this.strategy.atr());
  }

  private runExits(tsMs: number, bid: number, ask: number, gapped: boolean, sink: TraderSink): void {
    const positions = this.state.positions;
    for (let i = 0; i < positions.length; ) {
      const position = positions[i] as Position;
      const trigger = exitTrigger(position, bid, ask, gapped);
      if (trigger === null) {
        i++;
        continue;
      }
      this.close(position, tsMs, trigger.quotePrice, trigger.slipped, trigger.reason, sink);
    }
  }

  private fillPending(tsMs: number, bid: number, ask: number, sink: TraderSink): void {
    const pending = this.state.pending;
    const waiting: PendingOrder[] = [];
    for (const order of pending) {
      if (order.kind !== "close") continue;
      const position = this.state.positions.find((p) => p.id === order.positionId);
      if (position !== undefined) this.close(position, tsMs, position.side === "buy" ? bid : ask, true, order.exitReason ?? "manual", sink);
    }
    for (const order of pending) {
      if (order.kind !== "open") continue;
      if (order.status !== "approved" || order.lots === null) {
        waiting.push(order);
        continue;
      }
      this.open(order, order.lots, tsMs, bid, ask, sink);
    }
    this.state.pending = waiting;
  }

  private open(order: PendingOrder, lots: number, tsMs: number, bid: number, ask: number, sink: TraderSink): void {
    const { instrument, trading, accountId } = this.config;
    const { position, fill } = openPosition(
      { id: order.requestId, accountId, symbol: this.symbol, side: order.side, lots, contractSize: instrument.contractSize, stopPrice: null, targetPrice: null, entry: order.entry },
      tsMs,
      bid,
      ask,
      this.slippage(),
      trading.execution,
    );
    const levels = order.entry.atr === null ? { stopPrice: null, targetPrice: null } : initialExitLevels(order.side, position.entryPrice, order.entry.atr, trading.exits, instrument.digits);
    position.stopPrice = order.stopPrice ?? levels.stopPrice;
    position.initialStopPrice = position.stopPrice;
    position.targetPrice = order.targetPrice ?? levels.targetPrice;
    this.state.positions.push(position);
    if (order.fromStrategy) {
      this.state.strategyPositionId = position.id;
      this.state.barsSinceEntry = 0;
    }
    sink.record({ kind: "fill", fill });
    sink.accountEvent({ kind: "open", position: { ...position, entry: { ...position.entry } } });
  }

  private close(position: Position, tsMs: number, quotePrice: number, slipped: boolean, reason: ExitReason, sink: TraderSink): void {
    const { trade, fill } = closePosition(position, tsMs, quotePrice, slipped ? this.slippage() : 0, reason, this.config.trading.execution);
    this.state.positions.splice(this.state.positions.indexOf(position), 1);
    if (this.state.strategyPositionId === position.id) {
      this.state.strategyPositionId = null;
      this.state.barsSinceEntry = 0;
    }
    sink.record({ kind: "fill", fill });
    sink.record({ kind: "trade", trade });
    sink.accountEvent({ kind: "close", trade });
  }

  private flatten(tsMs: number, bid: number, ask: number, sink: TraderSink): void {
    this.closeAll(tsMs, bid, ask, "emergency-stop", sink);
    this.state.flattenPending = false;
  }

  private track(position: Position, bid: number, ask: number): void {
    trackExcursion(position, bid, ask);
    const { exits } = this.config.trading;
    if (position.stopPrice === null || position.entry.atr === null || (exits.trailingAtr === null && exits.breakEvenAtr === null)) return;
    const next = advanceStop(position, position.bestPrice, position.entry.atr, exits, this.config.instrument.digits);
    position.stopPrice = next.stopPrice;
    position.stopReason = next.stopReason;
  }
}
