/**
 * Property tests of the AccountBook: seeded random streams of marks, open and close requests, fills, cancels, closes
 * with random P&L, admin actions, limit edits and JSON round trips, checked step by step against an independent model
 * of the account (the oracle) that re-derives every limit from the events.
 */
import { describe, expect, it } from "vitest";
import { AccountBook } from "../../../core/risk/account-book.js";
import { sizeOrder } from "../../../core/risk/sizing.js";
import { correlationAdjustedExposureUsd, correlationMatrix, historicalVar, scenarioPnlUsd, unknownCorrelation } from "../../../core/risk/var.js";
import type { TradingState } from "../../../core/schemas/account.js";
import { DENIAL_CODES, type OrderRequest, type RiskLimits, type Side } from "../../../core/schemas/trading.js";
import { DAY_MS, INSTRUMENTS, makeLimits, MINUTE_MS, mulberry32, positionFor, T0_MS, type TestSymbol, tradeFor } from "./risk-builders.js";

const SYMBOLS: readonly TestSymbol[] = ["XAUUSD", "XAGUSD", "EURUSD"];
const SEEDS = 60;
const STEPS = 700;
const HISTORY_BARS = 1_440;
const MIN_RETURNS = 30;

type Random = () => number;
const pick = <T>(random: Random, values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
const between = (random: Random, low: number, high: number) => low + (high - low) * random();
const gauss = (random: Random) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const sign = (side: Side) => (side === "buy" ? 1 : -1);

function randomLimits(random: Random): RiskLimits {
  const lotStep = pick(random, [0.01, 0.1]);
  return makeLimits({
    sizing: random() < 0.5 ? { kind: "fixed-lots", lots: pick(random, [0.1, 0.5, 1, 2]) } : { kind: "fixed-fractional", riskPct: between(random, 0.1, 3) },
    lots: { lotStep, minLots: lotStep * pick(random, [1, 5]), maxLots: pick(random, [1, 5, 50]) },
    maxPositionsPerSymbol: pick(random, [0, 1, 1, 2, 2, 3]),
    maxPositionsTotal: pick(random, [0, 1, 2, 3, 4, 6]),
    maxNotionalUsd: between(random, 100_000, 1_500_000),
    maxCorrelatedNotionalUsd: between(random, 100_000, 1_500_000),
    maxDailyLossPct: between(random, 1, 10),
    maxDrawdownPct: between(random, 1, 25),
    maxTradesPerDay: Math.floor(between(random, 1, 25)),
    cooldownAfterLosses: pick(random, [0, 0, 2, 3]),
    cooldownMinutes: Math.floor(between(random, 0, 120)),
    leverage: pick(random, [2, 5, 10, 50, 100]),
    maxVarPct: random() < 0.5 ? null : between(random, 0.5, 15),
  });
}

interface HeldModel {
  readonly symbol: string;
  readonly side: Side;
  readonly units: number;
  readonly lots: number;
  readonly entryPrice: number;
  mark: number;
}
interface ReservedModel {
  readonly request: OrderRequest;
  readonly lots: number;
  readonly units: number;
  readonly dayStartMs: number;
}

/** The account re-derived from the events, written independently of core/risk/account-book.ts. */
class Oracle {
  balance = 100_000;
  peak = 100_000;
  dayStartMs = 0;
  dayStartEquity = 100_000;
  tradesToday = 0;
  losses = 0;
  cooldownUntilMs: number | null = null;
  state: TradingState = "ACTIVE";
  readonly held = new Map<string, HeldModel>();
  readonly reserved = new Map<string, ReservedModel>();
  readonly closes = new Map<string, { tsMs: number; close: number }[]>();

  equity(): number {
    let unrealised = 0;
    for (const held of this.held.values()) unrealised += (held.mark - held.entryPrice) * held.units * sign(held.side);
    return this.balance + unrealised;
  }

  drawdownPct(): number {
    return this.peak > 0 ? ((this.peak - this.equity()) / this.peak) * 100 : 0;
  }

  dailyLossBreached(limits: RiskLimits): boolean {
    const equity = this.equity();
    return equity - this.dayStartEquity <= -(limits.maxDailyLossPct / 100) * Math.max(0, this.dayStartEquity);
  }

  roll(tsMs: number): void {
    const day = Math.floor(tsMs / DAY_MS) * DAY_MS;
    if (day <= this.dayStartMs) return;
    this.dayStartMs = day;
    this.dayStartEquity = this.equity();
    this.tradesToday = 0;
  }

  after(limits: RiskLimits): void {
    this.peak = Math.max(this.peak, this.equity());
    if (this.state === "ACTIVE" && this.drawdownPct() >= limits.maxDrawdownPct) this.state = "REDUCING";
  }

  mark(symbol: string, tsMs: number, bid: number, ask: number): void {
    const closes = this.closes.get(symbol) ?? [];
    closes.push({ tsMs, close: bid });
    if (closes.length > HISTORY_BARS) closes.shift();
    this.closes.set(symbol, closes);
    for (const held of this.held.values()) if (held.symbol === symbol) held.mark = held.side === "buy" ? bid : ask;
  }

  /** Log returns over the bar times all `symbols` share (a Map intersection, unlike the book's merge walk). */
  alignedReturns(symbols: readonly string[]): number[][] {
    const maps = symbols.map((symbol) => new Map((this.closes.get(symbol) ?? []).map((c) => [c.tsMs, c.close])));
    const common = [...(maps[0]?.keys() ?? [])].filter((tsMs) => maps.every((map) => map.has(tsMs))).sort((a, b) => a - b);
    return maps.map((map) => common.slice(1).map((tsMs, i) => Math.log(map.get(tsMs)! / map.get(common[i]!)!)));
  }

  /** Per-symbol signed notional (held at marks, reserved at reference prices, plus the order). */
  exposure(order: { symbol: string; signed: number }): { symbols: string[]; signed: number[] } {
    const symbols: string[] = [];
    const signed: number[] = [];
    const add = (symbol: string, amount: number) => {
      const i = symbols.indexOf(symbol);
      if (i < 0) {
        symbols.push(symbol);
        signed.push(amount);
      } else signed[i]! += amount;
    };
    for (const held of this.held.values()) add(held.symbol, held.units * held.mark * sign(held.side));
    for (const { request, units } of this.reserved.values()) add(request.symbol, units * request.referencePrice * sign(request.side));
    add(order.symbol, order.signed);
    return { symbols, signed };
  }

  /** The decision the rules call for, with the figures the invariants are checked on. */
  expected(request: OrderRequest, limits: RiskLimits) {
    const equity = this.equity();
    const figures = { equity, lots: 0, symbolCount: 0, totalCount: 0, notional: 0, correlated: 0, margin: 0, var99: null as number | null };
    const verdict = (code: string | null) => ({ code, figures });
    if (this.state === "HALTED") return verdict("TRADING_HALTED");
    if (this.state === "REDUCING") return verdict("REDUCING_ONLY");
    if (this.cooldownUntilMs !== null && request.tsMs < this.cooldownUntilMs) return verdict("LOSS_COOLDOWN");
    if (this.dailyLossBreached(limits)) return verdict("MAX_DAILY_LOSS");
    if (this.drawdownPct() >= limits.maxDrawdownPct) return verdict("MAX_DRAWDOWN");
    if (this.tradesToday >= limits.maxTradesPerDay) return verdict("MAX_TRADES_PER_DAY");
    const all = [...[...this.held.values()].map((h) => h.symbol), ...[...this.reserved.values()].map((r) => r.request.symbol)];
    figures.symbolCount = all.filter((symbol) => symbol === request.symbol).length + 1;
    figures.totalCount = all.length + 1;
    if (figures.symbolCount > limits.maxPositionsPerSymbol) return verdict("MAX_POSITIONS_PER_SYMBOL");
    if (figures.totalCount > limits.maxPositionsTotal) return verdict("MAX_POSITIONS_TOTAL");
    const sized = sizeOrder(request, equity, limits);
    if (!sized.ok) return verdict(sized.code);
    figures.lots = sized.lots;
    const orderNotional = sized.lots * request.contractSize * request.referencePrice;
    let heldNotional = 0;
    for (const held of this.held.values()) heldNotional += held.units * held.mark;
    let reservedNotional = 0;
    for (const { units, request: reserved } of this.reserved.values()) reservedNotional += units * reserved.referencePrice;
    figures.notional = heldNotional + reservedNotional + orderNotional;
    if (figures.notional > limits.maxNotionalUsd) return verdict("MAX_NOTIONAL_EXPOSURE");
    const { symbols, signed } = this.exposure({ symbol: request.symbol, signed: orderNotional * sign(request.side) });
    const returns = this.alignedReturns(symbols);
    const returnCount = returns[0]?.length ?? 0;
    const correlation = returnCount >= MIN_RETURNS ? correlationMatrix(returns) : unknownCorrelation(symbols.length);
    figures.correlated = correlationAdjustedExposureUsd(signed, correlation);
    if (figures.correlated > limits.maxCorrelatedNotionalUsd) return verdict("MAX_CORRELATED_EXPOSURE");
    figures.margin = (heldNotional + reservedNotional) / limits.leverage + orderNotional / limits.leverage;
    if (figures.margin > equity) return verdict("INSUFFICIENT_MARGIN");
    if (limits.maxVarPct !== null && returnCount >= MIN_RETURNS) {
      figures.var99 = historicalVar(scenarioPnlUsd(signed, returns), 0.99) * Math.sqrt(1_440);
      if (figures.var99 > (limits.maxVarPct / 100) * equity) return verdict("VAR_LIMIT");
    }
    return verdict(null);
  }
}

/** Runs one seeded stream; returns the denial codes it met. Fails the test on the first broken property. */
function runSeed(seed: number, dynamicLimits: boolean): Set<string> {
  const random = mulberry32(seed);
  let limits = randomLimits(random);
  let book = new AccountBook("prop", 100_000);
  const oracle = new Oracle();
  const prices: Record<TestSymbol, number> = { XAUUSD: INSTRUMENTS.XAUUSD.price, XAGUSD: INSTRUMENTS.XAGUSD.price, EURUSD: INSTRUMENTS.EURUSD.price };
  const quotes = new Map<TestSymbol, { bid: number; ask: number }>();
  const codes = new Set<string>();
  let tsMs = T0_MS;
  let nextId = 0;
  const where = (step: number, what: string) => `seed ${seed} step ${step}: ${what}`;

  let forcedAction: number | null = null;
  for (let step = 0; step < STEPS; step++) {
    const action = forcedAction ?? random();
    forcedAction = null;
    if (action < 0.35) {
      tsMs += random() < 0.08 ? Math.floor(between(random, 1, 12)) * 3_600_000 : MINUTE_MS;
      const common = gauss(random);
      prices.XAUUSD *= Math.exp(0.0008 * common);
      prices.XAGUSD *= Math.exp(0.001 * (0.8 * common + 0.6 * gauss(random)));
      prices.EURUSD *= Math.exp(0.0003 * gauss(random));
      for (const symbol of SYMBOLS) {
        if (random() < 0.1) continue; // a symbol without a bar this minute
        const bid = prices[symbol];
        const ask = bid + INSTRUMENTS[symbol].spread;
        quotes.set(symbol, { bid, ask });
        oracle.roll(tsMs);
        oracle.mark(symbol, tsMs, bid, ask);
        oracle.after(limits);
        book.apply({ kind: "mark", symbol, tsMs, bid, ask }, limits);
      }
    } else if (action < 0.6) {
      const resend = oracle.reserved.size > 0 && random() < 0.05;
      if (resend) {
        const [id, reservation] = pick(random, [...oracle.reserved.entries()]);
        const { decision, events } = book.evaluate({ ...reservation.request, tsMs }, limits);
        oracle.roll(tsMs);
        expect(decision, where(step, "idempotent re-send")).toEqual({ approved: true, requestId: id, lots: reservation.lots });
        expect(events).toHaveLength(0);
      } else {
        const symbol = pick(random, SYMBOLS);
        const side: Side = random() < 0.5 ? "buy" : "sell";
        const quote = quotes.get(symbol) ?? { bid: prices[symbol], ask: prices[symbol] + INSTRUMENTS[symbol].spread };
        const referencePrice = side === "buy" ? quote.ask : quote.bid;
        const manual = random() < 0.1;
        const request: OrderRequest = {
          requestId: `o${nextId++}`,
          symbol,
          side,
          intent: "open",
          tsMs,
          referencePrice,
          stopDistance: random() < 0.05 ? null : referencePrice * between(random, 0.0005, 0.01),
          contractSize: INSTRUMENTS[symbol].contractSize,
          requestedLots: manual ? between(random, 0.005, 3) : null,
          replacesPositionId: null,
          source: manual ? "manual" : "strategy",
        };
        oracle.roll(tsMs);
        const expected = oracle.expected(request, limits);
        const stateBefore = oracle.state;
        const { decision, events } = book.evaluate(request, limits);
        if (decision.approved) {
          expect(expected.code, where(step, `approved ${request.requestId}, oracle says ${expected.code}`)).toBeNull();
          // The invariants, stated directly (the decision matching the oracle implies them; this says what they are).
          const f = expected.figures;
          const broken = [
            stateBefore !== "ACTIVE" && `state ${stateBefore}`,
            oracle.cooldownUntilMs !== null && tsMs < oracle.cooldownUntilMs && "in cooldown",
            oracle.dailyLossBreached(limits) && "daily loss reached",
            oracle.drawdownPct() >= limits.maxDrawdownPct && "drawdown reached",
            oracle.tradesToday + 1 > limits.maxTradesPerDay && "trades per day",
            f.symbolCount > limits.maxPositionsPerSymbol && "positions per symbol",
            f.totalCount > limits.maxPositionsTotal && "positions total",
            f.notional > limits.maxNotionalUsd && "notional",
            f.correlated > limits.maxCorrelatedNotionalUsd * (1 + 1e-12) && "correlated exposure",
            f.margin > f.equity && "margin",
            f.var99 !== null && f.var99 > (limits.maxVarPct! / 100) * f.equity && "VaR",
            decision.lots !== f.lots && `lots ${decision.lots} ≠ ${f.lots}`,
            events.length > 0 && "events on approval",
          ].filter(Boolean);
          if (broken.length > 0) expect.fail(where(step, `approval of ${request.requestId} breaks: ${broken.join(", ")}`));
          oracle.reserved.set(request.requestId, { request, lots: decision.lots, units: decision.lots * request.contractSize, dayStartMs: oracle.dayStartMs });
          oracle.tradesToday += 1;
        } else {
          expect(decision.code, where(step, `denied ${request.requestId}: ${decision.message}`)).toBe(expected.code);
          expect(events).toEqual([expect.objectContaining({ kind: "order-denied", code: decision.code })]);
          codes.add(decision.code);
        }
      }
    } else if (action < 0.75) {
      if (oracle.reserved.size > 0) {
        const [id, reservation] = pick(random, [...oracle.reserved.entries()]);
        const entryPrice = reservation.request.referencePrice * (1 + between(random, -0.0005, 0.0005));
        const position = positionFor(reservation.request, reservation.lots, { entryTsMs: tsMs, entryPrice });
        oracle.roll(tsMs);
        oracle.reserved.delete(id);
        oracle.held.set(id, { symbol: position.symbol, side: position.side, units: position.units, lots: position.lots, entryPrice, mark: entryPrice });
        oracle.after(limits);
        book.apply({ kind: "open", position }, limits);
      }
    } else if (action < 0.82) {
      if (oracle.reserved.size > 0) {
        const [id, reservation] = pick(random, [...oracle.reserved.entries()]);
        oracle.roll(tsMs);
        oracle.reserved.delete(id);
        if (reservation.dayStartMs === oracle.dayStartMs && oracle.tradesToday > 0) oracle.tradesToday -= 1;
        oracle.after(limits);
        book.apply({ kind: "cancel", requestId: id, tsMs }, limits);
      }
    } else if (action < 0.94) {
      if (oracle.held.size > 0) {
        const [id, held] = pick(random, [...oracle.held.entries()]);
        const netPnlUsd = oracle.equity() * between(random, -0.025, 0.02);
        const request = { requestId: id, symbol: held.symbol, side: held.side, tsMs, referencePrice: held.entryPrice, contractSize: held.units / held.lots } as OrderRequest;
        const trade = tradeFor(positionFor(request, held.lots, { entryPrice: held.entryPrice }), tsMs, netPnlUsd);
        oracle.roll(tsMs);
        oracle.held.delete(id);
        oracle.balance += netPnlUsd;
        if (netPnlUsd < 0) {
          oracle.losses += 1;
          if (limits.cooldownAfterLosses > 0 && oracle.losses >= limits.cooldownAfterLosses) {
            oracle.cooldownUntilMs = Math.max(oracle.cooldownUntilMs ?? 0, tsMs + limits.cooldownMinutes * MINUTE_MS);
            oracle.losses = 0;
          }
        } else oracle.losses = 0;
        oracle.after(limits);
        book.apply({ kind: "close", trade }, limits);
      }
    } else if (action < 0.955) {
      const symbol = pick(random, SYMBOLS);
      const request: OrderRequest = {
        requestId: `c${nextId++}`,
        symbol,
        side: "sell",
        intent: "close",
        replacesPositionId: null,
        tsMs,
        referencePrice: prices[symbol],
        stopDistance: null,
        contractSize: INSTRUMENTS[symbol].contractSize,
        requestedLots: 1,
        source: "manual",
      };
      oracle.roll(tsMs);
      const { decision } = book.evaluate(request, limits);
      expect(decision.approved, where(step, "close order")).toBe(oracle.state !== "HALTED");
    } else if (action < 0.96) {
      oracle.roll(tsMs);
      oracle.state = "HALTED";
      book.halt("property", tsMs);
    } else if (action < 0.965) {
      oracle.roll(tsMs);
      oracle.state = "REDUCING";
      book.reduce("property", tsMs);
    } else if (action < 0.99) {
      oracle.roll(tsMs);
      oracle.state = "ACTIVE";
      oracle.cooldownUntilMs = null;
      oracle.losses = 0;
      oracle.peak = oracle.equity();
      book.reset("property", tsMs);
    } else if (action < 0.997 && dynamicLimits) {
      let next = randomLimits(random);
      // Half the time the drawdown limit is tightened below the drawdown the account is in.
      if (oracle.drawdownPct() > 0.5 && random() < 0.5) next = { ...next, maxDrawdownPct: oracle.drawdownPct() * between(random, 0.5, 1) };
      if (random() < 0.5) {
        // Recorded: the breach checks run under the new limits at once.
        oracle.roll(tsMs);
        oracle.after(next);
        book.recordLimitsChange(limits, next, "property", tsMs);
      } else {
        // Not recorded: the next call brings them, here an open request that must judge the drawdown under them.
        forcedAction = 0.5;
      }
      limits = next;
    } else {
      book = new AccountBook("prop", 1, JSON.parse(JSON.stringify(book.state())));
    }

    const snapshot = book.snapshot();
    const state = book.state();
    const cents = (usd: number) => Math.round(usd * 1e6) / 1e6;
    expect(
      {
        tradingState: snapshot.tradingState,
        balanceUsd: cents(snapshot.balanceUsd),
        equityUsd: cents(snapshot.equityUsd),
        peakEquityUsd: cents(snapshot.peakEquityUsd),
        dayStartMs: snapshot.dayStartMs,
        dayStartEquityUsd: cents(snapshot.dayStartEquityUsd),
        tradesToday: snapshot.tradesToday,
        consecutiveLosses: snapshot.consecutiveLosses,
        cooldownUntilMs: snapshot.cooldownUntilMs,
        positions: snapshot.positions.map((p) => p.positionId),
        reservations: state.reservations.map((r) => r.requestId),
      },
      where(step, "snapshot against the oracle"),
    ).toEqual({
      tradingState: oracle.state,
      balanceUsd: cents(oracle.balance),
      equityUsd: cents(oracle.equity()),
      peakEquityUsd: cents(oracle.peak),
      dayStartMs: oracle.dayStartMs,
      dayStartEquityUsd: cents(oracle.dayStartEquity),
      tradesToday: oracle.tradesToday,
      consecutiveLosses: oracle.losses,
      cooldownUntilMs: oracle.cooldownUntilMs,
      positions: [...oracle.held.keys()],
      reservations: [...oracle.reserved.keys()],
    });
    if (!dynamicLimits) {
      // With the limits fixed, capacity never exceeds them at any step (approvals are the only way in).
      const open = [...snapshot.positions.map((p) => p.symbol), ...state.reservations.map((r) => r.symbol)];
      const perSymbol = Math.max(0, ...SYMBOLS.map((symbol) => open.filter((s) => s === symbol).length));
      const within = snapshot.tradesToday <= limits.maxTradesPerDay && open.length <= limits.maxPositionsTotal && perSymbol <= limits.maxPositionsPerSymbol;
      if (!within) expect.fail(where(step, `capacity above the limits: ${snapshot.tradesToday} trades, ${open.length} positions, ${perSymbol} on one symbol`));
    }
  }
  return codes;
}

describe("AccountBook properties", () => {
  const seen = new Set<string>();

  it(`holds every limit over ${SEEDS} seeds × ${STEPS} steps with fixed limits`, () => {
    for (let seed = 1; seed <= SEEDS; seed++) for (const code of runSeed(seed, false)) seen.add(code);
  });

  it(`holds every limit at approval over ${SEEDS} seeds × ${STEPS} steps with limits edited on the way`, () => {
    for (let seed = 1_001; seed <= 1_000 + SEEDS; seed++) for (const code of runSeed(seed, true)) seen.add(code);
  });

  it("met every denial code on the way", () => {
    expect([...seen].sort()).toEqual([...DENIAL_CODES].sort());
  });
});
