/** The portfolio API's mappings and bodies (core/schemas/portfolio-api.ts): desks → positions and summaries, the risk report, limits and reasons. */
import { describe, expect, it } from "vitest";
import {
  CloseAcceptedSchema,
  OpenPositionSchema,
  OrderAcceptedSchema,
  PendingOrderSchema,
  PortfolioSchema,
  PositionIdParamsSchema,
  PositionsResponseSchema,
  RiskActionBodySchema,
  RiskLimitsBodySchema,
  RiskReportSchema,
  openPositionsOf,
  pendingOrdersOf,
  positionsAcross,
  summariseDesk,
  toRiskReport,
  type AccountRiskReport,
  type DeskPendingOrder,
  type DeskPositionsReport,
} from "../../../core/schemas/portfolio-api.js";
import { RiskLimitsSchema, type AccountSnapshot, type Position } from "../../../core/schemas/trading.js";

type DeskPosition = Position & { unrealisedPnlUsd: number };

function makePosition(overrides: Partial<DeskPosition> = {}): DeskPosition {
  return {
    id: "XAUUSD-1",
    accountId: "default",
    symbol: "XAUUSD",
    side: "buy",
    lots: 1,
    units: 100,
    entryTsMs: 1_700_000_000_000,
    entryPrice: 2300,
    stopPrice: 2290,
    stopReason: "initial",
    initialStopPrice: 2290,
    targetPrice: null,
    entryCommissionUsd: 0,
    entrySlippageUsd: 0,
    worstPrice: 2299,
    bestPrice: 2302,
    entry: { strategy: "manual", signalTsMs: null, modelVersion: null, confidence: null, regime: "unknown", atr: null },
    unrealisedPnlUsd: 100,
    ...overrides,
  };
}

function makePending(overrides: Partial<DeskPendingOrder> = {}): DeskPendingOrder {
  return {
    requestId: "XAUUSD-2",
    kind: "open",
    side: "sell",
    positionId: null,
    exitReason: null,
    status: "approved",
    lots: 0.5,
    stopPrice: 2310,
    targetPrice: null,
    fromStrategy: false,
    entry: { strategy: "manual", signalTsMs: null, modelVersion: null, confidence: null, regime: "ranging", atr: 1.2 },
    ...overrides,
  };
}

function makeDesk(overrides: Partial<DeskPositionsReport> = {}): DeskPositionsReport {
  return { symbol: "XAUUSD", lastQuote: { tsMs: 1_700_000_060_000, bid: 2301, ask: 2301.3 }, positions: [], pending: [], flattening: false, ...overrides };
}

function makeRiskReport(overrides: Partial<AccountRiskReport> = {}): AccountRiskReport {
  return {
    historical95Usd: 1_200,
    historical99Usd: 2_500,
    parametric95Usd: 1_100,
    parametric99Usd: 1_560,
    correlatedExposureUsd: 180_000,
    horizon: { bars: 1_440, scale: Math.sqrt(1_440), returnCount: 600 },
    symbols: ["XAUUSD", "XAGUSD"],
    signedNotionalsUsd: [230_000, -140_000],
    ...overrides,
  };
}

describe("openPositionsOf", () => {
  it("marks a long at the bid and a short at the ask of the latest quote, with the quote's time", () => {
    const desk = makeDesk({ positions: [makePosition({ id: "XAUUSD-1", side: "buy" }), makePosition({ id: "XAUUSD-3", side: "sell", unrealisedPnlUsd: -40 })] });
    const open = openPositionsOf(desk);
    expect(open.map((p) => [p.id, p.markPrice, p.quoteTsMs, p.unrealisedPnlUsd])).toEqual([
      ["XAUUSD-1", 2301, 1_700_000_060_000, 100],
      ["XAUUSD-3", 2301.3, 1_700_000_060_000, -40],
    ]);
    for (const position of open) expect(OpenPositionSchema.parse(position)).toEqual(position);
  });

  it("has no mark and no quote time before the desk's first quote", () => {
    const [open] = openPositionsOf(makeDesk({ lastQuote: null, positions: [makePosition({ unrealisedPnlUsd: 0 })] }));
    expect(open).toMatchObject({ markPrice: null, quoteTsMs: null, unrealisedPnlUsd: 0 });
  });
});

describe("pendingOrdersOf", () => {
  it("names each order with its desk's symbol and keeps every field the schema lists", () => {
    const close = makePending({ requestId: "XAUUSD-4", kind: "close", side: "buy", positionId: "XAUUSD-1", exitReason: "manual", status: "awaiting-approval", lots: null, stopPrice: null });
    const orders = pendingOrdersOf(makeDesk({ pending: [makePending(), close] }));
    expect(orders.map((o) => [o.symbol, o.requestId, o.kind, o.positionId, o.status])).toEqual([
      ["XAUUSD", "XAUUSD-2", "open", null, "approved"],
      ["XAUUSD", "XAUUSD-4", "close", "XAUUSD-1", "awaiting-approval"],
    ]);
    for (const order of orders) expect(PendingOrderSchema.parse(order)).toEqual(order);
  });

  it("leaves out what the schema does not list", () => {
    const withExtra = { ...makePending(), internal: "kept in the object" } as DeskPendingOrder;
    expect(pendingOrdersOf(makeDesk({ pending: [withExtra] }))[0]).not.toHaveProperty("internal");
  });
});

describe("summariseDesk", () => {
  it("counts positions and pending orders and sums unrealised P&L", () => {
    const desk = makeDesk({ positions: [makePosition({ unrealisedPnlUsd: 100 }), makePosition({ id: "XAUUSD-3", unrealisedPnlUsd: -30.5 })], pending: [makePending()], flattening: true });
    expect(summariseDesk(desk)).toEqual({ symbol: "XAUUSD", openPositions: 2, pendingOrders: 1, unrealisedPnlUsd: 69.5, flattening: true, lastQuoteTsMs: 1_700_000_060_000 });
  });

  it("matches its documented example for an idle desk", () => {
    expect(summariseDesk(makeDesk({ lastQuote: null }))).toEqual({ symbol: "XAUUSD", openPositions: 0, pendingOrders: 0, unrealisedPnlUsd: 0, flattening: false, lastQuoteTsMs: null });
  });
});

describe("positionsAcross", () => {
  it("orders by symbol then entry time whatever order the desks answered in, and totals the P&L", () => {
    const gold = makeDesk({
      positions: [makePosition({ id: "XAUUSD-7", entryTsMs: 3_000, unrealisedPnlUsd: 10 }), makePosition({ id: "XAUUSD-5", entryTsMs: 1_000, unrealisedPnlUsd: 5 })],
      pending: [makePending()],
    });
    const silver = makeDesk({
      symbol: "XAGUSD",
      lastQuote: { tsMs: 1_700_000_000_000, bid: 27.1, ask: 27.13 },
      positions: [makePosition({ id: "XAGUSD-1", symbol: "XAGUSD", entryTsMs: 2_000, unrealisedPnlUsd: -2.5 })],
      pending: [makePending({ requestId: "XAGUSD-2" })],
    });
    const answer = positionsAcross([gold, silver]);
    expect(answer.positions.map((p) => p.id)).toEqual(["XAGUSD-1", "XAUUSD-5", "XAUUSD-7"]);
    expect(answer.positions[0]).toMatchObject({ markPrice: 27.1, quoteTsMs: 1_700_000_000_000 });
    expect(answer.pending.map((o) => [o.symbol, o.requestId])).toEqual([["XAGUSD", "XAGUSD-2"], ["XAUUSD", "XAUUSD-2"]]);
    expect(answer.unrealisedPnlUsd).toBe(12.5);
    expect(PositionsResponseSchema.parse(answer)).toEqual(answer);
  });

  it("answers no desks with empty lists and a zero total", () => {
    expect(positionsAcross([])).toEqual({ positions: [], pending: [], unrealisedPnlUsd: 0 });
  });
});

describe("toRiskReport", () => {
  it("zips symbols and notionals into one exposure per symbol and keeps the VaR figures", () => {
    const report = toRiskReport(makeRiskReport());
    expect(report).toEqual({
      historical95Usd: 1_200,
      historical99Usd: 2_500,
      parametric95Usd: 1_100,
      parametric99Usd: 1_560,
      correlatedExposureUsd: 180_000,
      horizon: { bars: 1_440, scale: Math.sqrt(1_440), returnCount: 600 },
      exposures: [{ symbol: "XAUUSD", signedNotionalUsd: 230_000 }, { symbol: "XAGUSD", signedNotionalUsd: -140_000 }],
    });
    expect(RiskReportSchema.parse(report)).toEqual(report);
  });

  it("keeps null VaR figures (too little history) and an empty book", () => {
    const empty = makeRiskReport({ historical95Usd: null, historical99Usd: null, parametric95Usd: null, parametric99Usd: null, correlatedExposureUsd: 0, symbols: [], signedNotionalsUsd: [] });
    expect(toRiskReport(empty)).toMatchObject({ historical99Usd: null, parametric99Usd: null, exposures: [] });
  });

  it("refuses a report whose symbols and notionals differ in length", () => {
    expect(() => toRiskReport(makeRiskReport({ signedNotionalsUsd: [1] }))).toThrow(RangeError);
  });

  it("leaves out fields the response does not document", () => {
    const withExtra = { ...makeRiskReport(), internal: 1 } as AccountRiskReport;
    expect(toRiskReport(withExtra)).not.toHaveProperty("internal");
    expect(toRiskReport(withExtra)).not.toHaveProperty("symbols");
  });
});

describe("request bodies", () => {
  it("reads a limits body like RiskLimitsSchema: omitted fields take their defaults", () => {
    expect(RiskLimitsBodySchema.parse({ maxDailyLossPct: 3 })).toEqual({ ...RiskLimitsSchema.parse({}), maxDailyLossPct: 3 });
    expect(RiskLimitsBodySchema.parse({})).toEqual(RiskLimitsSchema.parse({}));
  });

  it("refuses unknown limit fields (a misspelt limit must not pass unnoticed) and out-of-range values", () => {
    expect(RiskLimitsBodySchema.safeParse({ maxDailyLoss: 3 }).success).toBe(false);
    expect(RiskLimitsBodySchema.safeParse({ maxDailyLossPct: 0 }).success).toBe(false);
    expect(RiskLimitsBodySchema.safeParse({ maxPositionsTotal: 1.5 }).success).toBe(false);
  });

  it("takes a reason of 1-500 characters, trimmed", () => {
    expect(RiskActionBodySchema.parse({ reason: "  feed looks wrong " })).toEqual({ reason: "feed looks wrong" });
    expect(RiskActionBodySchema.parse({ reason: "x".repeat(500) }).reason).toHaveLength(500);
    for (const reason of ["", "   ", "x".repeat(501)]) expect(RiskActionBodySchema.safeParse({ reason }).success).toBe(false);
    expect(RiskActionBodySchema.safeParse({}).error?.issues.map((i) => i.path.join("."))).toEqual(["reason"]);
  });

  it("takes position ids <SYMBOL>-<number> only", () => {
    expect(PositionIdParamsSchema.parse({ id: "XAUUSD-12" })).toEqual({ id: "XAUUSD-12" });
    for (const id of ["xauusd-1", "XAUUSD-0", "XAUUSD", "XAUUSD-1-2", crypto.randomUUID()]) {
      expect(PositionIdParamsSchema.safeParse({ id }).success, id).toBe(false);
    }
  });
});

describe("response schemas", () => {
  it("describe what the routes answer", () => {
    const snapshot: AccountSnapshot = {
      accountId: "default",
      tradingState: "ACTIVE",
      stateReason: "account opened",
      stateSinceMs: 0,
      balanceUsd: 100_000,
      equityUsd: 100_100,
      unrealisedPnlUsd: 100,
      peakEquityUsd: 100_100,
      drawdownPct: 0,
      dayStartMs: 1_699_920_000_000,
      dayStartEquityUsd: 100_000,
      dailyPnlUsd: 100,
      tradesToday: 1,
      consecutiveLosses: 0,
      cooldownUntilMs: null,
      positions: [],
      notionalUsd: 230_100,
      marginUsedUsd: 2_301,
      updatedAtMs: 1_700_000_060_000,
    };
    const portfolio = { ...snapshot, risk: toRiskReport(makeRiskReport()), instruments: [summariseDesk(makeDesk())] };
    expect(PortfolioSchema.parse(portfolio)).toEqual(portfolio);
    const accepted = {
      request: {
        requestId: "XAUUSD-2", symbol: "XAUUSD", side: "buy", intent: "open", tsMs: 1_700_000_060_000, referencePrice: 2301.3,
        stopDistance: 11.3, contractSize: 100, requestedLots: 1, replacesPositionId: null, source: "manual",
      },
      decision: { approved: true, requestId: "XAUUSD-2", lots: 1 },
      positionId: "XAUUSD-2",
      fillsOn: "next tick",
    };
    expect(OrderAcceptedSchema.parse(accepted)).toEqual(accepted);
    expect(CloseAcceptedSchema.parse({ positionId: "XAUUSD-1", closesOn: "next tick" })).toEqual({ positionId: "XAUUSD-1", closesOn: "next tick" });
  });
});
