import { describe, expect, it } from "vitest";
import { AccountBook, type AccountEvent } from "../../../core/risk/account-book.js";
import { AccountSnapshotSchema, RiskEventSchema, type OrderRequest, type RiskLimits } from "../../../core/schemas/trading.js";
import { approve, markEvent, newBook, openPosition } from "./book-helpers.js";
import { DAY0_MS, DAY_MS, makeLimits, makeRequest, MINUTE_MS, positionFor, T0_MS, tradeFor } from "./risk-builders.js";

const closeRequest = (overrides: Partial<OrderRequest> = {}) =>
  makeRequest({ requestId: "c1", intent: "close", side: "sell", requestedLots: 1, source: "manual", ...overrides });

describe("equity and marks", () => {
  it("marks longs at the bid and shorts at the ask", () => {
    const book = newBook();
    const limits = makeLimits({ maxPositionsPerSymbol: 2 });
    openPosition(book, makeRequest({ requestId: "long" }), limits, 2300);
    openPosition(book, makeRequest({ requestId: "short", side: "sell" }), limits, 2300);
    expect(book.equityUsd()).toBe(100_000); // marked at entry until the first mark
    book.apply({ kind: "mark", symbol: "XAUUSD", tsMs: T0_MS + MINUTE_MS, bid: 2310, ask: 2310.5 }, limits);
    const snapshot = book.snapshot();
    expect(snapshot.positions.map((p) => [p.positionId, p.markPrice, p.unrealisedPnlUsd])).toEqual([
      ["long", 2310, 1_000],
      ["short", 2310.5, -1_050],
    ]);
    expect(snapshot).toMatchObject({ balanceUsd: 100_000, equityUsd: 99_950, unrealisedPnlUsd: -50 });
    expect(AccountSnapshotSchema.parse(snapshot)).toEqual(snapshot);
  });

  it("changes the balance only on close, by the trade's net P&L", () => {
    const book = newBook();
    const limits = makeLimits();
    const position = openPosition(book, makeRequest(), limits);
    book.apply(markEvent("XAUUSD", T0_MS + MINUTE_MS, 2320), limits);
    expect(book.balanceUsd()).toBe(100_000);
    expect(book.equityUsd()).toBe(102_000);
    book.apply({ kind: "close", trade: tradeFor(position, T0_MS + 2 * MINUTE_MS, 1_950) }, limits);
    expect(book.balanceUsd()).toBe(101_950);
    expect(book.equityUsd()).toBe(101_950);
    expect(book.snapshot().positions).toEqual([]);
  });

  it("reports notional and margin at the marks with the latest leverage", () => {
    const book = newBook();
    const limits = makeLimits({ leverage: 50 });
    openPosition(book, makeRequest(), limits);
    book.apply(markEvent("XAUUSD", T0_MS + MINUTE_MS, 2400), limits);
    expect(book.snapshot()).toMatchObject({ notionalUsd: 240_000, marginUsedUsd: 4_800, updatedAtMs: T0_MS + MINUTE_MS });
    expect(book.openPositions()).toEqual([
      { positionId: "r1", symbol: "XAUUSD", side: "buy", lots: 1, units: 100, entryPrice: 2300, markPrice: 2400, notionalUsd: 240_000, unrealisedPnlUsd: 10_000 },
    ]);
  });

  it("ignores a mark older than the symbol's latest", () => {
    const book = newBook();
    const limits = makeLimits();
    openPosition(book, makeRequest(), limits);
    book.apply(markEvent("XAUUSD", T0_MS + 2 * MINUTE_MS, 2310), limits);
    book.apply(markEvent("XAUUSD", T0_MS + MINUTE_MS, 2250), limits);
    expect(book.equityUsd()).toBe(101_000);
  });

  it("refuses a corrupt quote", () => {
    const book = newBook();
    expect(() => book.apply({ kind: "mark", symbol: "XAUUSD", tsMs: T0_MS, bid: Number.NaN, ask: 2300 }, makeLimits())).toThrow(RangeError);
    expect(() => new AccountBook("test", 0)).toThrow(RangeError);
  });

  it("allocates no events on a quiet mark", () => {
    const book = newBook();
    const limits = makeLimits();
    const first = book.apply(markEvent("XAUUSD", T0_MS, 2300), limits);
    const second = book.apply(markEvent("XAUUSD", T0_MS + MINUTE_MS, 2301), limits);
    expect(first).toHaveLength(0);
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });
});

describe("trading day", () => {
  it("rolls on the first event of a new UTC day: start equity before it, trades reset", () => {
    const book = newBook();
    const limits = makeLimits({ maxPositionsPerSymbol: 3 });
    openPosition(book, makeRequest({ requestId: "r1" }), limits);
    approve(book, makeRequest({ requestId: "r2" }), limits);
    book.apply(markEvent("XAUUSD", T0_MS + MINUTE_MS, 2310), limits);
    expect(book.snapshot()).toMatchObject({ dayStartMs: DAY0_MS, dayStartEquityUsd: 100_000, dailyPnlUsd: 1_000, tradesToday: 2 });

    const nextDay = DAY0_MS + DAY_MS + 5 * MINUTE_MS;
    book.apply(markEvent("XAUUSD", nextDay, 2290), limits);
    // Start equity is the equity before the mark (101,000), not after (99,000).
    expect(book.snapshot()).toMatchObject({ dayStartMs: DAY0_MS + DAY_MS, dayStartEquityUsd: 101_000, dailyPnlUsd: -2_000, tradesToday: 0 });
  });

  it("takes the day from requests too, and a cancel only gives back a trade of the same day", () => {
    const book = newBook();
    const limits = makeLimits({ maxTradesPerDay: 1, maxPositionsPerSymbol: 3 });
    approve(book, makeRequest({ requestId: "r1", tsMs: DAY0_MS + DAY_MS - MINUTE_MS }), limits);
    approve(book, makeRequest({ requestId: "r2", tsMs: DAY0_MS + DAY_MS }), limits); // a new day: the count restarted
    book.apply({ kind: "cancel", requestId: "r1", tsMs: DAY0_MS + DAY_MS + MINUTE_MS }, limits);
    expect(book.snapshot().tradesToday).toBe(1);
    expect(book.evaluate(makeRequest({ requestId: "r3", tsMs: DAY0_MS + DAY_MS + 2 * MINUTE_MS }), limits).decision).toMatchObject({ code: "MAX_TRADES_PER_DAY" });
    book.apply({ kind: "cancel", requestId: "r2", tsMs: DAY0_MS + DAY_MS + 3 * MINUTE_MS }, limits);
    expect(book.snapshot().tradesToday).toBe(0);
    approve(book, makeRequest({ requestId: "r3", tsMs: DAY0_MS + DAY_MS + 4 * MINUTE_MS }), limits);
  });

  it("warns once per day when the daily loss limit is reached", () => {
    const book = newBook();
    const limits = makeLimits({ maxDailyLossPct: 2 });
    openPosition(book, makeRequest(), limits);
    const breach = book.apply(markEvent("XAUUSD", T0_MS + MINUTE_MS, 2279), limits);
    expect(breach).toEqual([
      expect.objectContaining({ kind: "limit-breached", severity: "warning", code: "MAX_DAILY_LOSS", context: expect.objectContaining({ dailyPnlUsd: -2_100 }) }),
    ]);
    expect(book.apply(markEvent("XAUUSD", T0_MS + 2 * MINUTE_MS, 2270), limits)).toHaveLength(0);
    expect(book.snapshot().tradingState).toBe("ACTIVE");
    // The next day starts from the lower equity: a further 2 % loss warns again.
    expect(book.apply(markEvent("XAUUSD", DAY0_MS + DAY_MS, 2270), limits)).toHaveLength(0);
    expect(book.apply(markEvent("XAUUSD", DAY0_MS + DAY_MS + MINUTE_MS, 2240), limits)).toEqual([expect.objectContaining({ code: "MAX_DAILY_LOSS" })]);
  });
});

describe("peak equity and drawdown", () => {
  it("moves to REDUCING once the drawdown reaches the limit, with critical events", () => {
    const book = newBook();
    const limits = makeLimits({ maxDrawdownPct: 10, maxDailyLossPct: 50 });
    openPosition(book, makeRequest(), limits);
    book.apply(markEvent("XAUUSD", T0_MS + MINUTE_MS, 2500), limits); // +20,000: peak 120,000
    expect(book.snapshot()).toMatchObject({ peakEquityUsd: 120_000, drawdownPct: 0 });
    expect(book.apply(markEvent("XAUUSD", T0_MS + 2 * MINUTE_MS, 2393), limits)).toHaveLength(0); // 109,300: 8.9 %
    const events = book.apply(markEvent("XAUUSD", T0_MS + 3 * MINUTE_MS, 2380), limits); // 108,000: 10 %
    expect(events).toEqual([
      expect.objectContaining({ kind: "limit-breached", severity: "critical", code: "MAX_DRAWDOWN", context: expect.objectContaining({ drawdownPct: 10, peakEquityUsd: 120_000 }) }),
      expect.objectContaining({ kind: "state-changed", severity: "critical", code: "MAX_DRAWDOWN", context: expect.objectContaining({ from: "ACTIVE", to: "REDUCING" }) }),
    ]);
    for (const event of events) expect(RiskEventSchema.parse(event)).toEqual(event);
    expect(book.snapshot()).toMatchObject({ tradingState: "REDUCING", stateSinceMs: T0_MS + 3 * MINUTE_MS, drawdownPct: 10 });
    expect(book.apply(markEvent("XAUUSD", T0_MS + 4 * MINUTE_MS, 2300), limits)).toHaveLength(0); // no repeat
    expect(book.evaluate(makeRequest({ requestId: "r2", symbol: "EURUSD", tsMs: T0_MS + 5 * MINUTE_MS }), limits).decision).toMatchObject({ code: "REDUCING_ONLY" });
  });

  it("reset restarts the peak at the current equity and clears the cooldown", () => {
    const book = newBook();
    const limits = makeLimits({ maxDrawdownPct: 5, cooldownAfterLosses: 1, cooldownMinutes: 600, maxDailyLossPct: 50 });
    const position = openPosition(book, makeRequest(), limits);
    book.apply({ kind: "close", trade: tradeFor(position, T0_MS + MINUTE_MS, -6_000) }, limits);
    expect(book.snapshot()).toMatchObject({ tradingState: "REDUCING", cooldownUntilMs: T0_MS + 601 * MINUTE_MS, drawdownPct: 6 });
    const [event, ...rest] = book.reset("reviewed", T0_MS + 2 * MINUTE_MS);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ kind: "reset", severity: "info", context: { from: "REDUCING", to: "ACTIVE", previousPeakEquityUsd: 100_000, peakEquityUsd: 94_000 } });
    expect(book.snapshot()).toMatchObject({ tradingState: "ACTIVE", peakEquityUsd: 94_000, drawdownPct: 0, cooldownUntilMs: null, consecutiveLosses: 0 });
    approve(book, makeRequest({ requestId: "r2", tsMs: T0_MS + 3 * MINUTE_MS }), limits);
  });
});

describe("consecutive losses", () => {
  it("counts losing trades, resets on a win, and starts a cooldown at the threshold", () => {
    const book = newBook();
    const limits = makeLimits({ cooldownAfterLosses: 3, cooldownMinutes: 15, maxPositionsPerSymbol: 5, maxDailyLossPct: 50 });
    const trade = (id: string, minute: number, pnl: number) => {
      const position = openPosition(book, makeRequest({ requestId: id, tsMs: T0_MS + minute * MINUTE_MS }), limits);
      return book.apply({ kind: "close", trade: tradeFor(position, T0_MS + (minute + 1) * MINUTE_MS, pnl) }, limits);
    };
    trade("a", 0, -10);
    trade("b", 2, -10);
    expect(book.snapshot().consecutiveLosses).toBe(2);
    trade("c", 4, 0); // break-even resets the streak
    expect(book.snapshot().consecutiveLosses).toBe(0);
    trade("d", 6, -10);
    trade("e", 8, -10);
    const events = trade("f", 10, -10);
    expect(events).toEqual([expect.objectContaining({ kind: "limit-breached", code: "LOSS_COOLDOWN", context: expect.objectContaining({ cooldownUntilMs: T0_MS + 26 * MINUTE_MS }) })]);
    expect(book.snapshot()).toMatchObject({ consecutiveLosses: 0, cooldownUntilMs: T0_MS + 26 * MINUTE_MS });
    expect(book.evaluate(makeRequest({ requestId: "g", tsMs: T0_MS + 25 * MINUTE_MS }), limits).decision).toMatchObject({ code: "LOSS_COOLDOWN" });
    approve(book, makeRequest({ requestId: "g", tsMs: T0_MS + 26 * MINUTE_MS }), limits);
  });

  it("never starts a cooldown when cooldownAfterLosses is 0", () => {
    const book = newBook();
    const limits = makeLimits({ cooldownAfterLosses: 0, maxDailyLossPct: 50 });
    for (let i = 0; i < 5; i++) {
      const position = openPosition(book, makeRequest({ requestId: `r${i}`, tsMs: T0_MS + i * MINUTE_MS }), limits);
      book.apply({ kind: "close", trade: tradeFor(position, T0_MS + i * MINUTE_MS, -10) }, limits);
    }
    expect(book.snapshot()).toMatchObject({ consecutiveLosses: 5, cooldownUntilMs: null });
  });
});

describe("reservations", () => {
  it("an approved open holds capacity until its open or cancel", () => {
    const book = newBook();
    const limits = makeLimits();
    approve(book, makeRequest({ requestId: "r1" }), limits);
    expect(book.evaluate(makeRequest({ requestId: "r2" }), limits).decision).toMatchObject({ code: "MAX_POSITIONS_PER_SYMBOL" });
    book.apply({ kind: "cancel", requestId: "r1", tsMs: T0_MS + MINUTE_MS }, limits);
    expect(book.snapshot().tradesToday).toBe(0);
    const position = openPosition(book, makeRequest({ requestId: "r2", tsMs: T0_MS + 2 * MINUTE_MS }), limits);
    expect(book.state().reservations).toEqual([]);
    expect(book.evaluate(makeRequest({ requestId: "r3", tsMs: T0_MS + 3 * MINUTE_MS }), limits).decision).toMatchObject({ code: "MAX_POSITIONS_PER_SYMBOL" });
    book.apply({ kind: "close", trade: tradeFor(position, T0_MS + 4 * MINUTE_MS, 10) }, limits);
    approve(book, makeRequest({ requestId: "r3", tsMs: T0_MS + 5 * MINUTE_MS }), limits);
  });

  it("is idempotent per request id while reserved or open", () => {
    const book = newBook();
    const limits = makeLimits({ maxTradesPerDay: 5 });
    const first = book.evaluate(makeRequest(), limits);
    const again = book.evaluate(makeRequest(), limits);
    expect(again).toEqual(first);
    expect(book.snapshot().tradesToday).toBe(1);
    expect(book.state().reservations).toHaveLength(1);
    book.apply({ kind: "open", position: positionFor(makeRequest(), 1) }, limits);
    expect(book.evaluate(makeRequest(), limits)).toEqual(first);
    book.apply({ kind: "open", position: positionFor(makeRequest(), 1) }, limits); // a re-delivered fill
    expect(book.snapshot().positions).toHaveLength(1);
  });

  it("ignores a close of a position it does not hold", () => {
    const book = newBook();
    const limits = makeLimits();
    const position = openPosition(book, makeRequest(), limits);
    const trade = tradeFor(position, T0_MS + MINUTE_MS, -500);
    book.apply({ kind: "close", trade }, limits);
    book.apply({ kind: "close", trade }, limits);
    expect(book.balanceUsd()).toBe(99_500);
    expect(book.snapshot().consecutiveLosses).toBe(1);
  });
});

describe("close orders", () => {
  it("pass in REDUCING without events", () => {
    const book = newBook();
    const limits = makeLimits();
    openPosition(book, makeRequest(), limits);
    book.reduce("review", T0_MS + MINUTE_MS);
    const { decision, events } = book.evaluate(closeRequest({ tsMs: T0_MS + 2 * MINUTE_MS }), limits);
    expect(decision).toEqual({ approved: true, requestId: "c1", lots: 1 });
    expect(events).toEqual([]);
    expect(book.evaluate(closeRequest({ requestId: "c2", requestedLots: null }), limits).decision).toEqual({ approved: true, requestId: "c2", lots: 1 });
  });

  it("pass every limit, even ones the account is breaching", () => {
    const book = newBook();
    const limits = makeLimits({ maxPositionsPerSymbol: 1, maxTradesPerDay: 1, maxNotionalUsd: 1, leverage: 1, maxDailyLossPct: 0.1 });
    book.apply(markEvent("XAUUSD", T0_MS, 2300), limits);
    expect(book.evaluate(closeRequest({ requestedLots: 7 }), limits).decision).toEqual({ approved: true, requestId: "c1", lots: 7 });
    expect(book.snapshot().tradesToday).toBe(0);
  });

  it("a close order with nothing to close and no lots is a caller bug", () => {
    expect(() => newBook().evaluate(closeRequest({ requestedLots: null }), makeLimits())).toThrow(RangeError);
  });
});

describe("HALTED", () => {
  it("an emergency stop blocks every order until reset", () => {
    const book = newBook();
    const limits = makeLimits();
    openPosition(book, makeRequest(), limits);
    const halt = book.halt("flash crash", T0_MS + MINUTE_MS);
    expect(halt).toEqual([
      expect.objectContaining({ id: "test:1", kind: "emergency-stop", severity: "critical", context: { from: "ACTIVE", to: "HALTED", reason: "flash crash" } }),
    ]);
    expect(book.halt("again", T0_MS + 2 * MINUTE_MS)).toEqual([]);
    expect(book.snapshot()).toMatchObject({ tradingState: "HALTED", stateReason: "flash crash", stateSinceMs: T0_MS + MINUTE_MS });

    const open = book.evaluate(makeRequest({ requestId: "r2", symbol: "EURUSD" }), limits);
    expect(open.decision).toMatchObject({ approved: false, code: "TRADING_HALTED" });
    const close = book.evaluate(closeRequest(), limits);
    expect(close.decision).toMatchObject({ approved: false, code: "TRADING_HALTED" });
    expect(close.events).toEqual([expect.objectContaining({ kind: "order-denied", code: "TRADING_HALTED" })]);

    // Marks still move equity, and a deep drawdown while HALTED does not change the state.
    const drop = book.apply(markEvent("XAUUSD", T0_MS + 3 * MINUTE_MS, 2000), limits);
    expect(book.equityUsd()).toBe(70_000);
    expect(drop.map((event) => event.code)).toEqual(["MAX_DAILY_LOSS"]);
    expect(book.snapshot().tradingState).toBe("HALTED");

    book.reset("all clear", T0_MS + DAY_MS);
    approve(book, makeRequest({ requestId: "r3", symbol: "EURUSD", tsMs: T0_MS + DAY_MS }), limits);
  });

  it("reduce from HALTED allows closes only", () => {
    const book = newBook();
    book.halt("stop", T0_MS);
    expect(book.reduce("wind down", T0_MS)).toEqual([expect.objectContaining({ kind: "state-changed", severity: "warning", context: expect.objectContaining({ from: "HALTED", to: "REDUCING" }) })]);
    expect(book.reduce("again", T0_MS)).toEqual([]);
    expect(book.evaluate(closeRequest(), makeLimits()).decision.approved).toBe(true);
  });
});

describe("limits changes", () => {
  it("records the changed keys and applies a lowered drawdown limit at once", () => {
    const book = newBook();
    const before = makeLimits();
    const position = openPosition(book, makeRequest(), before);
    book.apply({ kind: "close", trade: tradeFor(position, T0_MS + MINUTE_MS, -8_000) }, before);
    const after = makeLimits({ maxDrawdownPct: 5, lots: { lotStep: 0.1, minLots: 0.1, maxLots: 100 } });
    const events = book.recordLimitsChange(before, after, "admin@example.com", T0_MS + 2 * MINUTE_MS);
    expect(events.map((event) => [event.kind, event.code])).toEqual([
      ["limits-changed", null],
      ["limit-breached", "MAX_DRAWDOWN"],
      ["state-changed", "MAX_DRAWDOWN"],
    ]);
    expect(events[0]).toMatchObject({
      severity: "info",
      context: {
        actor: "admin@example.com",
        changes: { maxDrawdownPct: { before: 20, after: 5 }, lots: { before: { lotStep: 0.01, minLots: 0.01, maxLots: 100 }, after: { lotStep: 0.1, minLots: 0.1, maxLots: 100 } } },
      },
    });
    expect(Object.keys(events[0]!.context.changes as object)).toEqual(["lots", "maxDrawdownPct"]);
    expect(book.recordLimitsChange(after, after, "admin@example.com", T0_MS + 3 * MINUTE_MS)).toEqual([]);
  });
});

describe("risk report", () => {
  it("reports one-day VaR of the open positions", () => {
    const book = newBook();
    const limits = makeLimits({ maxPositionsPerSymbol: 2 });
    expect(book.riskReport()).toMatchObject({ historical99Usd: 0, correlatedExposureUsd: 0, symbols: [] });
    for (let minute = 0; minute <= 60; minute++) {
      book.apply(markEvent("XAUUSD", T0_MS + minute * MINUTE_MS, minute % 2 === 0 ? 2300 : 2300 * Math.exp(0.005)), limits);
    }
    openPosition(book, makeRequest({ tsMs: T0_MS + 60 * MINUTE_MS }), limits, 2300);
    const report = book.riskReport();
    expect(report.symbols).toEqual(["XAUUSD"]);
    expect(report.signedNotionalsUsd).toEqual([230_000]);
    expect(report.horizon.returnCount).toBe(60);
    expect(report.historical99Usd).toBeCloseTo(0.005 * 230_000 * Math.sqrt(1_440), 4);
    expect(report.correlatedExposureUsd).toBe(230_000);
  });
});

describe("state", () => {
  function script(book: AccountBook, limits: RiskLimits, from: number, to: number) {
    const outputs: unknown[] = [];
    for (let step = from; step < to; step++) {
      const tsMs = T0_MS + step * 7 * MINUTE_MS;
      const price = 2300 + 15 * Math.sin(step / 3);
      const events: AccountEvent[] = [markEvent("XAUUSD", tsMs, price), markEvent("XAGUSD", tsMs, 28 + Math.cos(step / 4) / 5)];
      for (const event of events) outputs.push(book.apply(event, limits));
      const request = makeRequest({ requestId: `r${step}`, symbol: step % 2 === 0 ? "XAUUSD" : "XAGUSD", side: step % 3 === 0 ? "sell" : "buy", tsMs, referencePrice: step % 2 === 0 ? price : 28 });
      const result = book.evaluate(request, limits);
      outputs.push(result);
      if (result.decision.approved && step % 4 !== 0) {
        outputs.push(book.apply({ kind: "open", position: positionFor(request, result.decision.lots) }, limits));
      } else if (result.decision.approved) {
        outputs.push(book.apply({ kind: "cancel", requestId: request.requestId, tsMs }, limits));
      }
      const held = book.openPositions()[0];
      if (held !== undefined && step % 5 === 0) {
        const position = positionFor(makeRequest({ requestId: held.positionId, symbol: held.symbol }), held.lots);
        outputs.push(book.apply({ kind: "close", trade: tradeFor(position, tsMs, step % 2 === 0 ? -1_500 : 700) }, limits));
      }
      outputs.push(book.snapshot());
    }
    return outputs;
  }

  it("round-trips through JSON and resumes with identical decisions", () => {
    const limits = makeLimits({ maxPositionsPerSymbol: 2, maxTradesPerDay: 30, cooldownAfterLosses: 2, cooldownMinutes: 20, maxVarPct: 5 });
    const original = newBook();
    script(original, limits, 0, 60);
    const state = original.state();
    const json = JSON.parse(JSON.stringify(state));
    expect(json).toEqual(state);
    const resumed = new AccountBook("test", 1, json);
    expect(resumed.state()).toEqual(state);
    expect(script(resumed, limits, 60, 200)).toEqual(script(original, limits, 60, 200));
    expect(resumed.state()).toEqual(original.state());
  });

  it("state() is a deep copy", () => {
    const book = newBook();
    openPosition(book, makeRequest(), makeLimits());
    const state = book.state();
    state.positions[0]!.position.entry.regime = "trending";
    state.positions[0]!.markPrice = 1;
    expect(book.state().positions[0]).toMatchObject({ markPrice: 2300, position: { entry: { regime: "unknown" } } });
  });

  it("refuses a state of another account or a corrupt one", () => {
    const state = newBook().state();
    expect(() => new AccountBook("other", 1, state)).toThrow(RangeError);
    expect(() => new AccountBook("test", 1, { ...state, tradesToday: -1 })).toThrow();
  });

  it("numbers events from the persisted sequence", () => {
    const book = newBook();
    book.halt("one", T0_MS);
    const resumed = new AccountBook("test", 1, JSON.parse(JSON.stringify(book.state())));
    expect(resumed.reset("two", T0_MS)[0]!.id).toBe("test:2");
  });
});
