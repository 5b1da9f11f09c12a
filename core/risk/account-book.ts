/**
 * The account's risk state machine, run identically by the AccountDO (which persists `state()`) and the backtester.
 * Deterministic: time comes only from the events and requests, never from a clock.
 *
 * Rules:
 * - Equity = balance + Σ unrealised P&L at the latest marks (long: (bid − entry) × units; short: (entry − ask) ×
 *   units). A new position is marked at its entry price until its symbol's next mark. The balance changes only when a
 *   position closes, by the trade's `netPnlUsd`.
 * - Trading day: the UTC day of the event or request time. The first one of a later day sets `dayStartMs`, the day's
 *   start equity (equity before that event) and `tradesToday = 0`. Daily P&L = equity − the day's start equity.
 * - Peak equity is the highest equity after any applied event; drawdown % = (peak − equity) ÷ peak × 100. Reaching
 *   `maxDrawdownPct` while ACTIVE moves the account to REDUCING (limit-breached and state-changed, critical). Only an
 *   admin `reset` returns it to ACTIVE.
 * - Reaching the daily loss limit emits one limit-breached warning per day; opens are then denied (MAX_DAILY_LOSS).
 * - A losing trade (netPnlUsd < 0) extends the losing streak, any other resets it; reaching `cooldownAfterLosses`
 *   (> 0) starts a cooldown until `exitTsMs + cooldownMinutes` (limit-breached warning) and restarts the streak.
 * - An approved open reserves capacity (count, notional at the reference price, margin, correlated exposure, VaR) until
 *   its "open" or "cancel" arrives, and counts as a trade of the approval's day (a cancel the same day gives it back).
 *   Repeating the request id of a reserved or open order returns the same approval and changes nothing.
 * - Open orders are checked as open-order-checks.ts says; each denial emits one order-denied warning.
 * - Close orders are approved (lots = requestedLots, or all lots held on the symbol) in ACTIVE and REDUCING without
 *   events; HALTED blocks every order, closes included (TRADING_HALTED), as the contract says. A close order with no
 *   requested lots and nothing held on the symbol is a caller bug (RangeError).
 * - Marks older than the symbol's latest are ignored; a mark at the same bar time replaces it.
 * - Event ids are `${accountId}:${n}` with n counting the book's events from 1.
 */
import type { TradingState } from "../schemas/account.js";
import type {
  AccountSnapshot,
  DenialCode,
  Exposure,
  OrderRequest,
  Position,
  RiskDecision,
  RiskEvent,
  RiskLimits,
  Trade,
} from "../schemas/trading.js";
import { AccountBookStateSchema, type AccountBookState, type HeldPosition, type Reservation } from "./account-book-state.js";
import { DAY_MS, drawdownPct, isDailyLossBreached, symbolExposure, unrealisedPnlUsd, utcDayStartMs } from "./account-measures.js";
import { checkOpenOrder, type DecisionContext } from "./open-order-checks.js";
import { DEFAULT_HISTORY_BARS, ReturnHistory } from "./return-history.js";
import { portfolioVar, type VarReport } from "./var.js";

export type { AccountBookState } from "./account-book-state.js";

/** What happens to the account, in event time. */
export type AccountEvent =
  /** A closed M1 bar's closing quote: marks the symbol's positions (longs at bid, shorts at ask) and feeds the history (bid). */
  | { kind: "mark"; symbol: string; tsMs: number; bid: number; ask: number }
  /** An approved order filled; `position.id` is the approved request's `requestId`. */
  | { kind: "open"; position: Position }
  /** An approved order will not fill (e.g. cancelled by a halt). */
  | { kind: "cancel"; requestId: string; tsMs: number }
  /** A position closed; `trade.id` is the position's id. */
  | { kind: "close"; trade: Trade };

/** The account's one-day risk over its open positions: a {@link VarReport} with the exposures it was computed for. */
export interface RiskReport extends VarReport {
  readonly symbols: string[];
  /** Net signed notional per symbol at the marks, USD (same order as `symbols`). */
  readonly signedNotionalsUsd: number[];
}

/** Book options that are not part of the risk limits. */
export interface AccountBookOptions {
  /** M1 closes kept per symbol for correlation and VaR (default 1,440: one day). */
  readonly historyBars?: number;
}

/** Leverage assumed for snapshots until limits are first seen (RiskLimits' default). */
const DEFAULT_LEVERAGE = 100;

const NO_EVENTS: readonly RiskEvent[] = Object.freeze([]);

/** A held position with its unrealised P&L cached (recomputed whenever its symbol is marked). */
interface HeldEntry extends HeldPosition {
  unrealisedUsd: number;
}

/**
 * One account's balance, equity, limits state, open positions and reservations.
 * @example
 * const book = new AccountBook("default", 100_000);
 * book.apply({ kind: "mark", symbol: "XAUUSD", tsMs, bid: 2300, ask: 2300.2 }, limits);
 * const { decision } = book.evaluate(request, limits);
 */
export class AccountBook {
  readonly accountId: string;
  private sequence = 0;
  private balance: number;
  private tradingState: TradingState = "ACTIVE";
  private stateReason = "account opened";
  private stateSinceMs = 0;
  private peakEquity: number;
  private dayStartMs = 0;
  private dayStartEquity: number;
  private tradesToday = 0;
  private dailyLossWarnedDayMs: number | null = null;
  private consecutiveLosses = 0;
  private cooldownUntilMs: number | null = null;
  private leverage = DEFAULT_LEVERAGE;
  private updatedAtMs = 0;
  private unrealised = 0;
  private readonly held: HeldEntry[] = [];
  private readonly reservations: Reservation[] = [];
  private readonly history: ReturnHistory;

  /**
   * A new account with `initialBalanceUsd` (finite, > 0), or, with `state`, the account resumed from `state()`'s
   * output (validated; its balance wins, and its accountId must match).
   */
  constructor(accountId: string, initialBalanceUsd: number, state?: AccountBookState, options: AccountBookOptions = {}) {
    this.accountId = accountId;
    if (state === undefined) {
      if (!(initialBalanceUsd > 0) || !Number.isFinite(initialBalanceUsd)) {
        throw new RangeError(`AccountBook: initial balance must be a positive amount, got ${initialBalanceUsd}`);
      }
      this.balance = initialBalanceUsd;
      this.peakEquity = initialBalanceUsd;
      this.dayStartEquity = initialBalanceUsd;
      this.history = new ReturnHistory(options.historyBars ?? DEFAULT_HISTORY_BARS);
      return;
    }
    const restored = AccountBookStateSchema.parse(state);
    if (restored.accountId !== accountId) throw new RangeError(`AccountBook: state of ${restored.accountId} given to ${accountId}`);
    this.sequence = restored.sequence;
    this.balance = restored.balanceUsd;
    this.tradingState = restored.tradingState;
    this.stateReason = restored.stateReason;
    this.stateSinceMs = restored.stateSinceMs;
    this.peakEquity = restored.peakEquityUsd;
    this.dayStartMs = restored.dayStartMs;
    this.dayStartEquity = restored.dayStartEquityUsd;
    this.tradesToday = restored.tradesToday;
    this.dailyLossWarnedDayMs = restored.dailyLossWarnedDayMs;
    this.consecutiveLosses = restored.consecutiveLosses;
    this.cooldownUntilMs = restored.cooldownUntilMs;
    this.leverage = restored.leverage;
    this.updatedAtMs = restored.updatedAtMs;
    for (const { position, markPrice } of restored.positions) this.held.push({ position, markPrice, unrealisedUsd: 0 });
    this.reservations.push(...restored.reservations);
    this.history = new ReturnHistory(restored.history.capacity, restored.history);
    this.recomputeUnrealised();
  }

  /** Current equity, USD: balance plus unrealised P&L at the latest marks. */
  equityUsd(): number {
    return this.balance + this.unrealised;
  }

  /** Current balance, USD: the deposit plus realised net P&L. */
  balanceUsd(): number {
    return this.balance;
  }

  /**
   * Applies one event under `limits` and returns the risk events it caused (limit breaches, state changes; usually
   * none — the returned empty array is shared and frozen). Throws a RangeError on a non-finite or non-positive quote.
   */
  apply(event: AccountEvent, limits: RiskLimits): readonly RiskEvent[] {
    this.leverage = limits.leverage;
    switch (event.kind) {
      case "mark":
        return this.applyMark(event.symbol, event.tsMs, event.bid, event.ask, limits);
      case "open":
        return this.applyOpen(event.position, limits);
      case "cancel":
        return this.applyCancel(event.requestId, event.tsMs, limits);
      case "close":
        return this.applyClose(event.trade, limits);
    }
  }

  /**
   * Decides an order. Open orders run the checks of open-order-checks.ts and, when approved, reserve capacity; a
   * denial returns one order-denied event. Close orders are approved unless HALTED. Repeated ids of reserved or open
   * orders get their approval again.
   */
  evaluate(request: OrderRequest, limits: RiskLimits): { decision: RiskDecision; events: readonly RiskEvent[] } {
    this.leverage = limits.leverage;
    this.rollDay(request.tsMs);
    const { requestId } = request;
    if (request.intent === "close") {
      if (this.tradingState === "HALTED") {
        return this.deny(request, "TRADING_HALTED", `trading is halted: ${this.stateReason}`, {
          tradingState: this.tradingState,
          stateReason: this.stateReason,
          stateSinceMs: this.stateSinceMs,
        });
      }
      const lots = request.requestedLots ?? this.heldLots(request.symbol);
      if (!(lots > 0)) throw new RangeError(`AccountBook: close order ${requestId} asks for no lots and none are held on ${request.symbol}`);
      return { decision: { approved: true, requestId, lots }, events: NO_EVENTS };
    }
    const reserved = this.reservations.find((reservation) => reservation.requestId === requestId);
    if (reserved !== undefined) return { decision: { approved: true, requestId, lots: reserved.lots }, events: NO_EVENTS };
    const open = this.held.find((entry) => entry.position.id === requestId);
    if (open !== undefined) return { decision: { approved: true, requestId, lots: open.position.lots }, events: NO_EVENTS };

    const verdict = checkOpenOrder(
      {
        tradingState: this.tradingState,
        stateReason: this.stateReason,
        stateSinceMs: this.stateSinceMs,
        equityUsd: this.equityUsd(),
        peakEquityUsd: this.peakEquity,
        dayStartMs: this.dayStartMs,
        dayStartEquityUsd: this.dayStartEquity,
        tradesToday: this.tradesToday,
        cooldownUntilMs: this.cooldownUntilMs,
        // A reversal's closing leg fills on the same quote, before the new order: the position it closes does not count.
        positions: request.replacesPositionId === null ? this.held : this.held.filter((entry) => entry.position.id !== request.replacesPositionId),
        reservations: this.reservations,
        history: this.history,
      },
      request,
      limits,
    );
    if (!verdict.approved) return this.deny(request, verdict.code, verdict.message, verdict.context);
    this.reservations.push({
      requestId,
      symbol: request.symbol,
      side: request.side,
      lots: verdict.lots,
      units: verdict.lots * request.contractSize,
      referencePrice: request.referencePrice,
      tsMs: request.tsMs,
      dayStartMs: this.dayStartMs,
    });
    this.tradesToday += 1;
    return { decision: { approved: true, requestId, lots: verdict.lots }, events: NO_EVENTS };
  }

  /** Emergency stop: → HALTED (one emergency-stop event, critical); no change when already HALTED. */
  halt(reason: string, tsMs: number): readonly RiskEvent[] {
    this.rollDay(tsMs);
    if (this.tradingState === "HALTED") return NO_EVENTS;
    const from = this.enterState("HALTED", reason, tsMs);
    return [this.event(tsMs, "emergency-stop", "critical", null, null, `emergency stop: ${reason}`, { from, to: "HALTED", reason })];
  }

  /** Admin: → REDUCING (closing orders only; one state-changed warning); no change when already REDUCING. */
  reduce(reason: string, tsMs: number): readonly RiskEvent[] {
    this.rollDay(tsMs);
    if (this.tradingState === "REDUCING") return NO_EVENTS;
    const from = this.enterState("REDUCING", reason, tsMs);
    return [this.event(tsMs, "state-changed", "warning", null, null, `reducing only: ${reason}`, { from, to: "REDUCING", reason })];
  }

  /**
   * Admin: → ACTIVE, clears the cooldown and the losing streak, and restarts the peak at the current equity (so the
   * drawdown is 0). The day's loss still counts. One reset event (info).
   */
  reset(reason: string, tsMs: number): readonly RiskEvent[] {
    this.rollDay(tsMs);
    const clearedCooldownUntilMs = this.cooldownUntilMs;
    const previousPeakEquityUsd = this.peakEquity;
    const from = this.enterState("ACTIVE", reason, tsMs);
    this.cooldownUntilMs = null;
    this.consecutiveLosses = 0;
    this.peakEquity = this.equityUsd();
    return [
      this.event(tsMs, "reset", "info", null, null, `reset to ACTIVE: ${reason}`, {
        from,
        to: "ACTIVE",
        reason,
        previousPeakEquityUsd,
        peakEquityUsd: this.peakEquity,
        clearedCooldownUntilMs,
      }),
    ];
  }

  /**
   * Records an admin's edit of the limits: one limits-changed event (info) listing the changed keys with their old and
   * new values (none when nothing changed), then the breach checks under the new limits (a lowered drawdown limit can
   * move the account to REDUCING at once).
   */
  recordLimitsChange(before: RiskLimits, after: RiskLimits, actor: string, tsMs: number): readonly RiskEvent[] {
    this.leverage = after.leverage;
    this.rollDay(tsMs);
    const changes: Record<string, { before: unknown; after: unknown }> = {};
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof RiskLimits>;
    for (const key of keys) {
      if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changes[key] = { before: before[key], after: after[key] };
    }
    const changed = Object.keys(changes);
    const events: RiskEvent[] = [];
    if (changed.length > 0) {
      events.push(this.event(tsMs, "limits-changed", "info", null, null, `limits changed by ${actor}: ${changed.join(", ")}`, { actor, changes }));
    }
    events.push(...this.afterChange(tsMs, after));
    return events;
  }

  /** The account as the API shows it; margin uses the leverage of the latest limits seen. */
  snapshot(): AccountSnapshot {
    const positions = this.openPositions();
    let notionalUsd = 0;
    for (const exposure of positions) notionalUsd += exposure.notionalUsd;
    const equityUsd = this.equityUsd();
    return {
      accountId: this.accountId,
      tradingState: this.tradingState,
      stateReason: this.stateReason,
      stateSinceMs: this.stateSinceMs,
      balanceUsd: this.balance,
      equityUsd,
      unrealisedPnlUsd: this.unrealised,
      peakEquityUsd: this.peakEquity,
      drawdownPct: drawdownPct(this.peakEquity, equityUsd),
      dayStartMs: this.dayStartMs,
      dayStartEquityUsd: this.dayStartEquity,
      dailyPnlUsd: equityUsd - this.dayStartEquity,
      tradesToday: this.tradesToday,
      consecutiveLosses: this.consecutiveLosses,
      cooldownUntilMs: this.cooldownUntilMs,
      positions,
      notionalUsd,
      marginUsedUsd: notionalUsd / this.leverage,
      updatedAtMs: this.updatedAtMs,
    };
  }

  /** The whole state as plain JSON (a deep copy); `new AccountBook(id, 0, state)` resumes from it exactly. */
  state(): AccountBookState {
    return {
      version: 1,
      accountId: this.accountId,
      sequence: this.sequence,
      balanceUsd: this.balance,
      tradingState: this.tradingState,
      stateReason: this.stateReason,
      stateSinceMs: this.stateSinceMs,
      peakEquityUsd: this.peakEquity,
      dayStartMs: this.dayStartMs,
      dayStartEquityUsd: this.dayStartEquity,
      tradesToday: this.tradesToday,
      dailyLossWarnedDayMs: this.dailyLossWarnedDayMs,
      consecutiveLosses: this.consecutiveLosses,
      cooldownUntilMs: this.cooldownUntilMs,
      leverage: this.leverage,
      updatedAtMs: this.updatedAtMs,
      positions: this.held.map((entry) => ({ position: { ...entry.position, entry: { ...entry.position.entry } }, markPrice: entry.markPrice })),
      reservations: this.reservations.map((reservation) => ({ ...reservation })),
      history: this.history.snapshot(),
    };
  }

  /** One-day VaR and correlation-adjusted exposure of the open positions (reservations excluded), see var.ts. */
  riskReport(): RiskReport {
    const { symbols, signedNotionalsUsd } = symbolExposure(this.held, [], null);
    const { returns } = this.history.alignedReturns(symbols);
    return { ...portfolioVar(signedNotionalsUsd, returns), symbols, signedNotionalsUsd };
  }

  /** The open positions at their marks (notional = units × mark price). */
  openPositions(): Exposure[] {
    return this.held.map(({ position, markPrice, unrealisedUsd }) => ({
      positionId: position.id,
      symbol: position.symbol,
      side: position.side,
      lots: position.lots,
      units: position.units,
      entryPrice: position.entryPrice,
      markPrice,
      notionalUsd: position.units * markPrice,
      unrealisedPnlUsd: unrealisedUsd,
    }));
  }

  private applyMark(symbol: string, tsMs: number, bid: number, ask: number, limits: RiskLimits): readonly RiskEvent[] {
    if (!(bid > 0) || !(ask > 0) || !Number.isFinite(bid) || !Number.isFinite(ask)) {
      throw new RangeError(`AccountBook: mark of ${symbol} needs finite positive bid and ask, got ${bid}/${ask}`);
    }
    if (!this.history.push(symbol, tsMs, bid)) return NO_EVENTS;
    this.rollDay(tsMs);
    let marked = false;
    for (let i = 0; i < this.held.length; i += 1) {
      const entry = this.held[i]!;
      if (entry.position.symbol !== symbol) continue;
      entry.markPrice = entry.position.side === "buy" ? bid : ask;
      marked = true;
    }
    if (marked) this.recomputeUnrealised();
    return this.afterChange(tsMs, limits);
  }

  private applyOpen(position: Position, limits: RiskLimits): readonly RiskEvent[] {
    if (!(position.units > 0) || !Number.isFinite(position.units) || !Number.isFinite(position.entryPrice)) {
      throw new RangeError(`AccountBook: position ${position.id} needs finite positive units and a finite entry price`);
    }
    if (this.held.some((entry) => entry.position.id === position.id)) return NO_EVENTS;
    const tsMs = position.entryTsMs;
    this.rollDay(tsMs);
    const reservation = this.reservations.findIndex((candidate) => candidate.requestId === position.id);
    if (reservation >= 0) this.reservations.splice(reservation, 1);
    else if (utcDayStartMs(tsMs) === this.dayStartMs) this.tradesToday += 1;
    this.held.push({ position: { ...position, entry: { ...position.entry } }, markPrice: position.entryPrice, unrealisedUsd: 0 });
    return this.afterChange(tsMs, limits);
  }

  private applyCancel(requestId: string, tsMs: number, limits: RiskLimits): readonly RiskEvent[] {
    this.rollDay(tsMs);
    const index = this.reservations.findIndex((reservation) => reservation.requestId === requestId);
    if (index >= 0) {
      const [reservation] = this.reservations.splice(index, 1);
      if (reservation!.dayStartMs === this.dayStartMs && this.tradesToday > 0) this.tradesToday -= 1;
    }
    return this.afterChange(tsMs, limits);
  }

  private applyClose(trade: Trade, limits: RiskLimits): readonly RiskEvent[] {
    if (!Number.isFinite(trade.netPnlUsd)) throw new RangeError(`AccountBook: trade ${trade.id} has a non-finite net P&L`);
    const heldIndex = this.held.findIndex((entry) => entry.position.id === trade.id);
    const reservedIndex = this.reservations.findIndex((reservation) => reservation.requestId === trade.id);
    if (heldIndex < 0 && reservedIndex < 0) return NO_EVENTS;
    const tsMs = trade.exitTsMs;
    this.rollDay(tsMs);
    if (heldIndex >= 0) this.held.splice(heldIndex, 1);
    else this.reservations.splice(reservedIndex, 1);
    this.balance += trade.netPnlUsd;
    this.recomputeUnrealised();
    const events: RiskEvent[] = [];
    if (trade.netPnlUsd < 0) {
      this.consecutiveLosses += 1;
      if (limits.cooldownAfterLosses > 0 && this.consecutiveLosses >= limits.cooldownAfterLosses) {
        const untilMs = trade.exitTsMs + limits.cooldownMinutes * 60_000;
        this.cooldownUntilMs = Math.max(this.cooldownUntilMs ?? untilMs, untilMs);
        events.push(
          this.event(tsMs, "limit-breached", "warning", trade.symbol, "LOSS_COOLDOWN", `${this.consecutiveLosses} losing trades in a row: no new positions for ${limits.cooldownMinutes} min`, {
            consecutiveLosses: this.consecutiveLosses,
            cooldownAfterLosses: limits.cooldownAfterLosses,
            cooldownUntilMs: this.cooldownUntilMs,
          }),
        );
        this.consecutiveLosses = 0;
      }
    } else {
      this.consecutiveLosses = 0;
    }
    const breaches = this.afterChange(tsMs, limits);
    if (events.length === 0) return breaches;
    events.push(...breaches);
    return events;
  }

  /** Starts a new UTC day when `tsMs` is in a later one than the current day; keeps `updatedAtMs` the latest time. */
  private rollDay(tsMs: number): void {
    if (tsMs > this.updatedAtMs) this.updatedAtMs = tsMs;
    if (tsMs - this.dayStartMs < DAY_MS) return;
    const dayStartMs = utcDayStartMs(tsMs);
    if (dayStartMs <= this.dayStartMs) return;
    this.dayStartMs = dayStartMs;
    this.dayStartEquity = this.equityUsd();
    this.tradesToday = 0;
  }

  /** Peak, drawdown and daily-loss bookkeeping after an event; allocation-free when nothing is breached. */
  private afterChange(tsMs: number, limits: RiskLimits): readonly RiskEvent[] {
    const equityUsd = this.equityUsd();
    if (equityUsd > this.peakEquity) this.peakEquity = equityUsd;
    let events: RiskEvent[] | null = null;
    if (this.tradingState === "ACTIVE") {
      const drawdown = drawdownPct(this.peakEquity, equityUsd);
      if (drawdown >= limits.maxDrawdownPct) {
        const context = { drawdownPct: drawdown, maxDrawdownPct: limits.maxDrawdownPct, peakEquityUsd: this.peakEquity, equityUsd };
        const reason = `drawdown ${drawdown.toFixed(2)} % reached the limit of ${limits.maxDrawdownPct} %`;
        events = [this.event(tsMs, "limit-breached", "critical", null, "MAX_DRAWDOWN", reason, context)];
        const from = this.enterState("REDUCING", reason, tsMs);
        events.push(this.event(tsMs, "state-changed", "critical", null, "MAX_DRAWDOWN", `reducing only: ${reason}`, { from, to: "REDUCING", ...context }));
      }
    }
    if (this.dailyLossWarnedDayMs !== this.dayStartMs && isDailyLossBreached(equityUsd, this.dayStartEquity, limits.maxDailyLossPct)) {
      this.dailyLossWarnedDayMs = this.dayStartMs;
      const dailyPnlUsd = equityUsd - this.dayStartEquity;
      events ??= [];
      events.push(
        this.event(tsMs, "limit-breached", "warning", null, "MAX_DAILY_LOSS", `today's P&L ${dailyPnlUsd.toFixed(2)} USD reached the daily loss limit of ${limits.maxDailyLossPct} %: no new positions today`, {
          dailyPnlUsd,
          dayStartEquityUsd: this.dayStartEquity,
          maxDailyLossPct: limits.maxDailyLossPct,
          dayStartMs: this.dayStartMs,
        }),
      );
    }
    return events ?? NO_EVENTS;
  }

  private recomputeUnrealised(): void {
    let total = 0;
    for (let i = 0; i < this.held.length; i += 1) {
      const entry = this.held[i]!;
      entry.unrealisedUsd = unrealisedPnlUsd(entry);
      total += entry.unrealisedUsd;
    }
    this.unrealised = total;
  }

  /** Lots held on `symbol`, both sides. */
  private heldLots(symbol: string): number {
    let lots = 0;
    for (const entry of this.held) if (entry.position.symbol === symbol) lots += entry.position.lots;
    return lots;
  }

  /** Moves to `to` and returns the state left. */
  private enterState(to: TradingState, reason: string, tsMs: number): TradingState {
    const from = this.tradingState;
    this.tradingState = to;
    this.stateReason = reason;
    this.stateSinceMs = tsMs;
    return from;
  }

  /** A denial of `request` and its order-denied event. */
  private deny(request: OrderRequest, code: DenialCode, message: string, context: DecisionContext): { decision: RiskDecision; events: readonly RiskEvent[] } {
    const decision: RiskDecision = { approved: false, requestId: request.requestId, code, message, context };
    const event = this.event(request.tsMs, "order-denied", "warning", request.symbol, code, message, {
      requestId: request.requestId,
      side: request.side,
      source: request.source,
      ...context,
    });
    return { decision, events: [event] };
  }

  private event(
    tsMs: number,
    kind: RiskEvent["kind"],
    severity: RiskEvent["severity"],
    symbol: string | null,
    code: string | null,
    message: string,
    context: Record<string, unknown>,
  ): RiskEvent {
    this.sequence += 1;
    return { id: `${this.accountId}:${this.sequence}`, accountId: this.accountId, tsMs, kind, severity, symbol, code, message, context };
  }
}
