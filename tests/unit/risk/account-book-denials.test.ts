import { describe, expect, it } from "vitest";
import type { AccountBook } from "../../../core/risk/account-book.js";
import { DENIAL_CODES, type DenialCode, type RiskDecision, type RiskEvent } from "../../../core/schemas/trading.js";
import { approve, markEvent, newBook, openPosition } from "./book-helpers.js";
import { DAY_MS, makeLimits, makeRequest, MINUTE_MS, T0_MS, tradeFor } from "./risk-builders.js";

interface Denial {
  readonly outcome: { decision: RiskDecision; events: readonly RiskEvent[] };
  readonly context: Record<string, unknown>;
  readonly book: AccountBook;
}

/** One scenario per code; typed as a Record over DenialCode, so a new code without a scenario fails to compile. */
const SCENARIOS: Record<DenialCode, () => Denial> = {
  TRADING_HALTED() {
    const book = newBook();
    book.halt("operator pressed stop", T0_MS);
    return { book, outcome: book.evaluate(makeRequest(), makeLimits()), context: { tradingState: "HALTED", stateReason: "operator pressed stop", stateSinceMs: T0_MS } };
  },
  REDUCING_ONLY() {
    const book = newBook();
    book.reduce("risk review", T0_MS);
    return { book, outcome: book.evaluate(makeRequest(), makeLimits()), context: { tradingState: "REDUCING", stateReason: "risk review" } };
  },
  LOSS_COOLDOWN() {
    const book = newBook();
    const limits = makeLimits({ cooldownAfterLosses: 2, cooldownMinutes: 30, maxPositionsPerSymbol: 5 });
    for (const [i, id] of ["r1", "r2"].entries()) {
      const position = openPosition(book, makeRequest({ requestId: id, tsMs: T0_MS + i * MINUTE_MS }), limits);
      book.apply({ kind: "close", trade: tradeFor(position, T0_MS + (i + 1) * MINUTE_MS, -100) }, limits);
    }
    const outcome = book.evaluate(makeRequest({ requestId: "r3", tsMs: T0_MS + 10 * MINUTE_MS }), limits);
    return {
      book,
      outcome,
      context: { cooldownUntilMs: T0_MS + 32 * MINUTE_MS, requestTsMs: T0_MS + 10 * MINUTE_MS, remainingMs: 22 * MINUTE_MS, cooldownAfterLosses: 2 },
    };
  },
  MAX_DAILY_LOSS() {
    const book = newBook();
    const limits = makeLimits({ maxDailyLossPct: 2 });
    openPosition(book, makeRequest(), limits);
    book.apply(markEvent("XAUUSD", T0_MS + MINUTE_MS, 2270), limits); // 100 oz × −30 = −3,000 (−3 %)
    const outcome = book.evaluate(makeRequest({ requestId: "r2", symbol: "EURUSD", tsMs: T0_MS + 2 * MINUTE_MS }), limits);
    return { book, outcome, context: { dailyPnlUsd: -3_000, dayStartEquityUsd: 100_000, maxDailyLossPct: 2, maxDailyLossUsd: 2_000 } };
  },
  MAX_DRAWDOWN() {
    const book = newBook();
    const position = openPosition(book, makeRequest(), makeLimits());
    book.apply({ kind: "close", trade: tradeFor(position, T0_MS + MINUTE_MS, -12_000) }, makeLimits());
    // Next day (so the daily loss no longer applies), under a drawdown limit the account has not acted on yet.
    const outcome = book.evaluate(makeRequest({ requestId: "r2", tsMs: T0_MS + DAY_MS }), makeLimits({ maxDrawdownPct: 10 }));
    return { book, outcome, context: { drawdownPct: 12, maxDrawdownPct: 10, peakEquityUsd: 100_000, equityUsd: 88_000 } };
  },
  MAX_TRADES_PER_DAY() {
    const book = newBook();
    const limits = makeLimits({ maxTradesPerDay: 2, maxPositionsPerSymbol: 5 });
    approve(book, makeRequest({ requestId: "r1" }), limits);
    approve(book, makeRequest({ requestId: "r2" }), limits);
    return { book, outcome: book.evaluate(makeRequest({ requestId: "r3" }), limits), context: { tradesToday: 2, maxTradesPerDay: 2 } };
  },
  MAX_POSITIONS_PER_SYMBOL() {
    const book = newBook();
    const limits = makeLimits();
    approve(book, makeRequest({ requestId: "r1" }), limits);
    const outcome = book.evaluate(makeRequest({ requestId: "r2", side: "sell" }), limits);
    return { book, outcome, context: { symbol: "XAUUSD", openPositions: 0, reservedPositions: 1, maxPositionsPerSymbol: 1 } };
  },
  MAX_POSITIONS_TOTAL() {
    const book = newBook();
    const limits = makeLimits({ maxPositionsTotal: 2, maxPositionsPerSymbol: 5 });
    openPosition(book, makeRequest({ requestId: "r1" }), limits);
    approve(book, makeRequest({ requestId: "r2", symbol: "XAGUSD" }), limits);
    const outcome = book.evaluate(makeRequest({ requestId: "r3", symbol: "EURUSD" }), limits);
    return { book, outcome, context: { openPositions: 1, reservedPositions: 1, maxPositionsTotal: 2 } };
  },
  INVALID_STOP() {
    const book = newBook();
    const outcome = book.evaluate(makeRequest({ stopDistance: null }), makeLimits({ sizing: { kind: "fixed-fractional", riskPct: 1 } }));
    return { book, outcome, context: { stopDistance: null, riskPct: 1 } };
  },
  SIZE_BELOW_MINIMUM() {
    const book = newBook();
    const outcome = book.evaluate(makeRequest({ stopDistance: 50 }), makeLimits({ sizing: { kind: "fixed-fractional", riskPct: 0.01 } }));
    return { book, outcome, context: { lots: 0, minLots: 0.01, lotStep: 0.01, equityUsd: 100_000 } };
  },
  MAX_NOTIONAL_EXPOSURE() {
    const book = newBook();
    const limits = makeLimits({ maxNotionalUsd: 300_000 });
    approve(book, makeRequest({ requestId: "r1" }), limits); // 230,000 reserved
    const outcome = book.evaluate(makeRequest({ requestId: "r2", symbol: "XAGUSD" }), limits); // + 140,000
    return {
      book,
      outcome,
      context: { lots: 1, openNotionalUsd: 0, reservedNotionalUsd: 230_000, orderNotionalUsd: 140_000, totalNotionalUsd: 370_000, maxNotionalUsd: 300_000 },
    };
  },
  MAX_CORRELATED_EXPOSURE() {
    const book = newBook();
    const limits = makeLimits({ maxCorrelatedNotionalUsd: 300_000 });
    approve(book, makeRequest({ requestId: "r1" }), limits);
    // No history: the two symbols count as perfectly correlated, 230,000 + 140,000.
    const outcome = book.evaluate(makeRequest({ requestId: "r2", symbol: "XAGUSD" }), limits);
    return {
      book,
      outcome,
      context: { lots: 1, correlatedExposureUsd: 370_000, maxCorrelatedNotionalUsd: 300_000, symbols: "XAUUSD,XAGUSD", correlationEstimated: false, returnCount: 0 },
    };
  },
  INSUFFICIENT_MARGIN() {
    const book = newBook();
    const outcome = book.evaluate(makeRequest(), makeLimits({ leverage: 2 }));
    return { book, outcome, context: { lots: 1, marginUsedUsd: 0, orderMarginUsd: 115_000, equityUsd: 100_000, leverage: 2 } };
  },
  VAR_LIMIT() {
    const book = newBook();
    const limits = makeLimits({ maxVarPct: 1 });
    for (let minute = 0; minute <= 60; minute++) {
      book.apply(markEvent("XAUUSD", T0_MS + minute * MINUTE_MS, minute % 2 === 0 ? 2300 : 2300 * Math.exp(0.005)), limits);
    }
    const outcome = book.evaluate(makeRequest({ tsMs: T0_MS + 61 * MINUTE_MS }), limits);
    // 60 returns of ±0.5 %: the 99 % quantile is the worst, −0.5 % of 230,000, times √1440.
    return { book, outcome, context: { lots: 1, var99Usd: expect.closeTo(0.005 * 230_000 * Math.sqrt(1_440), 6), maxVarUsd: 1_000, maxVarPct: 1, returnCount: 60 } };
  },
};

describe("every denial code is reachable", () => {
  it.each([...DENIAL_CODES])("%s", (code) => {
    const { outcome, context, book } = SCENARIOS[code]();
    expect(outcome.decision).toMatchObject({ approved: false, code, context });
    expect(outcome.events).toHaveLength(1);
    expect(outcome.events[0]).toMatchObject({
      kind: "order-denied",
      severity: "warning",
      code,
      accountId: "test",
      symbol: expect.any(String),
      context: { requestId: outcome.decision.requestId, ...context },
    });
    expect(outcome.events[0]!.id).toMatch(/^test:\d+$/);
    if (!outcome.decision.approved) expect(outcome.decision.message.length).toBeGreaterThan(10);
    // A denial reserves nothing.
    expect(book.state().reservations.map((reservation) => reservation.requestId)).not.toContain(outcome.decision.requestId);
  });

  it("MAX_DRAWDOWN is denied while the state is still ACTIVE", () => {
    expect(SCENARIOS.MAX_DRAWDOWN().book.snapshot().tradingState).toBe("ACTIVE");
  });
});

describe("check order", () => {
  it("reports the first failing check", () => {
    const book = newBook();
    book.reduce("review", T0_MS);
    const limits = makeLimits({ leverage: 1, maxNotionalUsd: 1, sizing: { kind: "fixed-fractional", riskPct: 1 } });
    expect(book.evaluate(makeRequest({ stopDistance: null }), limits).decision).toMatchObject({ code: "REDUCING_ONLY" });
    book.reset("review done", T0_MS);
    expect(book.evaluate(makeRequest({ stopDistance: null }), limits).decision).toMatchObject({ code: "INVALID_STOP" });
    expect(book.evaluate(makeRequest({ stopDistance: 5 }), limits).decision).toMatchObject({ code: "MAX_NOTIONAL_EXPOSURE" });
    expect(book.evaluate(makeRequest({ stopDistance: 5 }), makeLimits({ leverage: 1 })).decision).toMatchObject({ code: "INSUFFICIENT_MARGIN" });
  });

  it("a correlated hedge passes once history proves the correlation", () => {
    const limits = makeLimits({ maxCorrelatedNotionalUsd: 300_000, maxPositionsPerSymbol: 2 });
    const hedge = makeRequest({ requestId: "r2", symbol: "XAGUSD", side: "sell", tsMs: T0_MS + 40 * MINUTE_MS });
    const unproven = newBook();
    approve(unproven, makeRequest({ requestId: "r1", tsMs: T0_MS + 40 * MINUTE_MS }), limits);
    expect(unproven.evaluate(hedge, limits).decision).toMatchObject({ code: "MAX_CORRELATED_EXPOSURE", context: { correlatedExposureUsd: 370_000 } });

    const proven = newBook();
    for (let minute = 0; minute < 40; minute++) {
      const move = Math.exp(0.001 * Math.sin(minute));
      proven.apply(markEvent("XAUUSD", T0_MS + minute * MINUTE_MS, 2300 * move), limits);
      proven.apply(markEvent("XAGUSD", T0_MS + minute * MINUTE_MS, 28 * move), limits);
    }
    approve(proven, makeRequest({ requestId: "r1", tsMs: T0_MS + 40 * MINUTE_MS }), limits);
    expect(proven.evaluate(hedge, limits).decision).toMatchObject({ approved: true, lots: 1 });
    // Buying silver back nets the short to 0, leaving the gold long alone: 230,000 against a 200,000 limit.
    const adding = makeRequest({ requestId: "r3", symbol: "XAGUSD", side: "buy", tsMs: T0_MS + 40 * MINUTE_MS });
    expect(proven.evaluate(adding, makeLimits({ maxCorrelatedNotionalUsd: 200_000, maxPositionsPerSymbol: 2 })).decision).toMatchObject({
      code: "MAX_CORRELATED_EXPOSURE",
      context: { correlatedExposureUsd: expect.closeTo(230_000, 3), correlationEstimated: true, returnCount: 39 },
    });
  });
});
