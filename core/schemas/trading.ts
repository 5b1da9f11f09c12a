/**
 * The trading core's boundary types: strategy, risk and execution configuration, order requests and risk decisions,
 * positions, fills, closed trades (with their post-mortem), account snapshots and risk events. One schema per shape,
 * shared by the InstrumentDO, the AccountDO, the API, D1 rows and the backtester.
 */
import { z } from "zod";
import { TradingStateSchema } from "./account.js";

export const SideSchema = z.enum(["buy", "sell"]).describe("buy opens a long position, sell a short one");
export type Side = z.infer<typeof SideSchema>;

/** Market regime of the signal bar (see core/strategy/regime.ts); `unknown` while its indicators warm up. */
export const REGIMES = ["trending", "ranging", "volatile", "unknown"] as const;
export const RegimeSchema = z.enum(REGIMES);
export type Regime = z.infer<typeof RegimeSchema>;

/** Why a position was closed. */
export const EXIT_REASONS = [
  "stop-loss",
  "take-profit",
  "trailing-stop",
  "break-even-stop",
  "reverse-signal",
  "exit-signal",
  "manual",
  "emergency-stop",
  "end-of-data",
] as const;
export const ExitReasonSchema = z.enum(EXIT_REASONS);
export type ExitReason = z.infer<typeof ExitReasonSchema>;

/**
 * Every reason the risk engine refuses an order: the single source of truth. A denied order carries one code and the
 * values that decided it.
 */
export const DENIAL_CODES = [
  "TRADING_HALTED",
  "REDUCING_ONLY",
  "INVALID_STOP",
  "SIZE_BELOW_MINIMUM",
  "MAX_POSITIONS_PER_SYMBOL",
  "MAX_POSITIONS_TOTAL",
  "MAX_NOTIONAL_EXPOSURE",
  "MAX_CORRELATED_EXPOSURE",
  "MAX_DAILY_LOSS",
  "MAX_DRAWDOWN",
  "MAX_TRADES_PER_DAY",
  "LOSS_COOLDOWN",
  "INSUFFICIENT_MARGIN",
  "VAR_LIMIT",
] as const;
export const DenialCodeSchema = z.enum(DENIAL_CODES);
export type DenialCode = z.infer<typeof DenialCodeSchema>;

/** Why a strategy signal did not become an order request (not a risk denial: the strategy's own filters). */
export const FILTER_CODES = ["SPREAD_TOO_WIDE", "OUTSIDE_SESSION", "REGIME_EXCLUDED", "LOW_CONFIDENCE", "MIN_HOLDING"] as const;
export const FilterCodeSchema = z.enum(FILTER_CODES);
export type FilterCode = z.infer<typeof FilterCodeSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Configuration

const UtcHourSchema = z.number().int().min(0).max(23);

/** Strategy filters, checked on the signal bar. */
export const FilterConfigSchema = z.object({
  maxSpreadPoints: z.number().positive().nullable().default(null)
    .describe("Skip signals whose bar's mean spread is wider than this, in points; null: no limit"),
  sessionHoursUtc: z.array(z.object({ fromHour: UtcHourSchema, toHour: UtcHourSchema })).default([])
    .describe("Hours (UTC, from inclusive, to exclusive, wrapping past midnight) when entries are allowed; empty: all"),
  sessionDaysUtc: z.array(z.number().int().min(0).max(6)).default([])
    .describe("Weekdays (UTC, 0 = Sunday) when entries are allowed; empty: all"),
  regimes: z.array(RegimeSchema).default([]).describe("Regimes in which entries are allowed; empty: all"),
});
export type FilterConfig = z.infer<typeof FilterConfigSchema>;
export type FilterConfigInput = z.input<typeof FilterConfigSchema>;

/** Regime detector settings (core/strategy/regime.ts). */
export const RegimeConfigSchema = z.object({
  period: z.number().int().min(2).max(200).default(14).describe("ADX and ATR period, bars"),
  windowBars: z.number().int().min(20).max(100_000).default(1_440).describe("Bars the percentiles are taken over"),
  volatileAtrPercentile: z.number().min(0).max(1).default(0.9)
    .describe("ATR at or above this percentile of the window: volatile (checked first)"),
  trendingAdxPercentile: z.number().min(0).max(1).default(0.6)
    .describe("ADX at or above this percentile of the window (and ADX ≥ minTrendAdx): trending; else ranging"),
  minTrendAdx: z.number().min(0).max(100).default(20).describe("ADX floor for trending, whatever its percentile"),
});
export type RegimeConfig = z.infer<typeof RegimeConfigSchema>;

/** The rule strategy: EMA cross with ATR stop and target (README "The ema-cross rules"). */
export const EmaCrossConfigSchema = z.object({
  kind: z.literal("ema-cross"),
  fastPeriod: z.number().int().min(2).max(500).default(12).describe("Fast EMA period, bars"),
  slowPeriod: z.number().int().min(3).max(1_000).default(26).describe("Slow EMA period, bars"),
  atrPeriod: z.number().int().min(2).max(500).default(14).describe("ATR (Wilder) period, bars"),
}).refine((c) => c.fastPeriod < c.slowPeriod, "fastPeriod must be below slowPeriod");

/** The model strategy: champion signals → entries and exits with a confidence band and a minimum holding time. */
export const ModelStrategyConfigSchema = z.object({
  kind: z.literal("model"),
  entryConfidence: z.number().min(0.5).max(1).default(0.55)
    .describe("Open (or reverse) when the champion's buy or sell confidence is at least this"),
  exitConfidence: z.number().min(0).max(1).default(0.5)
    .describe("Close when the confidence in the held side falls below this (hysteresis: ≤ entryConfidence)"),
  minHoldingBars: z.number().int().min(0).max(10_000).default(5)
    .describe("Bars a position is held before a signal may close it (stops and targets always apply)"),
  atrPeriod: z.number().int().min(2).max(500).default(14).describe("ATR (Wilder) period for stops and targets, bars"),
}).refine((c) => c.exitConfidence <= c.entryConfidence, "exitConfidence must not exceed entryConfidence");

export const StrategyConfigSchema = z.discriminatedUnion("kind", [EmaCrossConfigSchema, ModelStrategyConfigSchema]);
export type StrategyConfig = z.infer<typeof StrategyConfigSchema>;
export type StrategyConfigInput = z.input<typeof StrategyConfigSchema>;

/** Stops, targets, trailing and break-even, as ATR multiples of the signal bar. */
export const ExitConfigSchema = z.object({
  stopAtr: z.number().positive().max(100).default(2).describe("Stop-loss distance from the entry, ATR multiples"),
  targetAtr: z.number().positive().max(100).nullable().default(3)
    .describe("Take-profit distance from the entry, ATR multiples; null: no target"),
  trailingAtr: z.number().positive().max(100).nullable().default(null)
    .describe("Trail the stop this many ATRs behind the best bid (long) / ask (short) once in profit; null: off"),
  breakEvenAtr: z.number().positive().max(100).nullable().default(null)
    .describe("Move the stop to the entry once the trade has gained this many ATRs; null: off"),
});
export type ExitConfig = z.infer<typeof ExitConfigSchema>;

/** Paper fills: slippage and commission. */
export const ExecutionConfigSchema = z.object({
  slippage: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("none") }),
    z.object({ kind: z.literal("fixed"), points: z.number().min(0).max(100_000).describe("Adverse slippage per fill, points") }),
    z.object({
      kind: z.literal("volatility"),
      atrFraction: z.number().min(0).max(10).describe("Adverse slippage per fill as a fraction of the latest closed bar's ATR"),
    }),
  ]).default({ kind: "none" }),
  commissionPerLotUsd: z.number().min(0).max(10_000).default(0).describe("Commission per lot per fill (each side), USD"),
});
export type ExecutionConfig = z.infer<typeof ExecutionConfigSchema>;

/** Position sizing. */
export const SizingConfigSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("fixed-lots"), lots: z.number().positive().max(1_000).default(1).describe("Lots per order") }),
  z.object({
    kind: z.literal("fixed-fractional"),
    riskPct: z.number().positive().max(10).describe("Equity risked between entry and stop, percent"),
  }),
]);
export type SizingConfig = z.infer<typeof SizingConfigSchema>;

/** One instrument's automated trading: its strategy, filters, exits and fills. */
export const InstrumentTradingConfigSchema = z.object({
  symbol: z.string().regex(/^[A-Z0-9]{3,12}$/),
  enabled: z.boolean().default(true).describe("False: the instrument keeps its data and signals but opens no positions"),
  strategy: StrategyConfigSchema,
  filters: FilterConfigSchema.default(FilterConfigSchema.parse({})),
  regime: RegimeConfigSchema.default(RegimeConfigSchema.parse({})),
  exits: ExitConfigSchema.default(ExitConfigSchema.parse({})),
  execution: ExecutionConfigSchema.default(ExecutionConfigSchema.parse({})),
});
export type InstrumentTradingConfig = z.infer<typeof InstrumentTradingConfigSchema>;
export type InstrumentTradingConfigInput = z.input<typeof InstrumentTradingConfigSchema>;

/** Lot rules of an instrument (broker's volume step, minimum and maximum). */
export const LotRulesSchema = z.object({
  lotStep: z.number().positive().default(0.01).describe("Smallest lot increment"),
  minLots: z.number().positive().default(0.01).describe("Smallest order, lots"),
  maxLots: z.number().positive().default(100).describe("Largest order, lots"),
});
export type LotRules = z.infer<typeof LotRulesSchema>;

/** The account's risk limits; editable by admins (validated, audited). */
export const RiskLimitsSchema = z.object({
  sizing: SizingConfigSchema.default({ kind: "fixed-lots", lots: 1 }),
  lots: LotRulesSchema.default(LotRulesSchema.parse({})),
  maxPositionsPerSymbol: z.number().int().min(0).max(100).default(1).describe("Open positions per instrument"),
  maxPositionsTotal: z.number().int().min(0).max(1_000).default(5).describe("Open positions across instruments"),
  maxNotionalUsd: z.number().positive().default(5_000_000).describe("Sum of open positions' notional (price × units), USD"),
  maxCorrelatedNotionalUsd: z.number().positive().default(5_000_000)
    .describe("Correlation-adjusted exposure √(eᵀ C e) over open positions plus the order, USD"),
  maxDailyLossPct: z.number().positive().max(100).default(5)
    .describe("No new positions once the day's P&L (UTC day, realised + unrealised) is this far below the day's start equity, %"),
  maxDrawdownPct: z.number().positive().max(100).default(20)
    .describe("Equity this far below its peak moves the account to REDUCING, %"),
  maxTradesPerDay: z.number().int().min(0).max(100_000).default(100).describe("Positions opened per UTC day"),
  cooldownAfterLosses: z.number().int().min(0).max(100).default(0)
    .describe("Consecutive losing trades that start a cooldown; 0: off"),
  cooldownMinutes: z.number().int().min(0).max(10_080).default(60).describe("Cooldown length, minutes"),
  leverage: z.number().positive().max(1_000).default(100).describe("Margin required = notional / leverage"),
  maxVarPct: z.number().positive().max(100).nullable().default(null)
    .describe("Deny orders that would lift the portfolio's 99 % one-day historical VaR above this % of equity; null: off"),
});
export type RiskLimits = z.infer<typeof RiskLimitsSchema>;
export type RiskLimitsInput = z.input<typeof RiskLimitsSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Orders and decisions

/** An instrument asks the account to approve an order; the account sizes it (the instrument only knows the stop). */
export const OrderRequestSchema = z.object({
  requestId: z.string().min(1).max(100).describe("Unique per request (instrument-chosen); approvals are idempotent per id"),
  symbol: z.string(),
  side: SideSchema,
  intent: z.enum(["open", "close"]).describe("close orders reduce risk and pass every limit except HALTED"),
  tsMs: z.number().int().describe("Decision time (the signal bar's close), epoch ms"),
  referencePrice: z.number().positive().describe("Expected fill price (last ask for a buy, bid for a sell)"),
  stopDistance: z.number().positive().nullable().describe("Entry-to-stop distance in price units; null without a stop"),
  contractSize: z.number().positive(),
  requestedLots: z.number().positive().nullable().describe("Manual orders: the size asked for; null: sized by the account"),
  replacesPositionId: z.string().nullable().default(null)
    .describe("A reversal: the position the instrument closes on the same quote before this order fills (not counted)"),
  source: z.enum(["strategy", "manual"]),
});
export type OrderRequest = z.infer<typeof OrderRequestSchema>;

export const RiskDecisionSchema = z.discriminatedUnion("approved", [
  z.object({ approved: z.literal(true), requestId: z.string(), lots: z.number().positive() }),
  z.object({
    approved: z.literal(false),
    requestId: z.string(),
    code: DenialCodeSchema,
    message: z.string(),
    context: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])).describe("The values that decided"),
  }),
]);
export type RiskDecision = z.infer<typeof RiskDecisionSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Positions, fills, trades

/** What the entry decision knew: kept on the position and its trade for the post-mortem. */
export const EntryContextSchema = z.object({
  strategy: z.enum(["ema-cross", "model", "manual"]),
  signalTsMs: z.number().int().nullable().describe("Open time of the signal bar; null for manual orders"),
  modelVersion: z.string().nullable(),
  confidence: z.number().min(0).max(1).nullable(),
  regime: RegimeSchema,
  atr: z.number().nullable().describe("ATR of the signal bar, price units"),
});
export type EntryContext = z.infer<typeof EntryContextSchema>;

export const PositionSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  symbol: z.string(),
  side: SideSchema,
  lots: z.number().positive(),
  units: z.number().positive().describe("lots × contract size"),
  entryTsMs: z.number().int(),
  entryPrice: z.number().describe("Fill price including slippage"),
  stopPrice: z.number().nullable().describe("Current stop (moves with trailing and break-even)"),
  stopReason: z.enum(["initial", "break-even", "trailing"]).describe("What set the current stop"),
  initialStopPrice: z.number().nullable(),
  targetPrice: z.number().nullable(),
  entryCommissionUsd: z.number(),
  entrySlippageUsd: z.number().describe("Cost of adverse slippage at entry, USD (≥ 0)"),
  /** Worst and best prices seen at the exit side of the quote while open (for MAE / MFE). */
  worstPrice: z.number(),
  bestPrice: z.number(),
  entry: EntryContextSchema,
});
export type Position = z.infer<typeof PositionSchema>;

export const FillSchema = z.object({
  id: z.string().describe("positionId + ':open' or ':close'"),
  positionId: z.string(),
  accountId: z.string(),
  symbol: z.string(),
  side: SideSchema.describe("Side of this fill (a long's exit is a sell)"),
  kind: z.enum(["open", "close"]),
  lots: z.number().positive(),
  tsMs: z.number().int(),
  quotePrice: z.number().describe("The quote side it filled against, or the stop/target level, before slippage"),
  price: z.number().describe("Fill price after slippage"),
  slippageUsd: z.number(),
  commissionUsd: z.number(),
  reason: z.union([z.literal("entry"), ExitReasonSchema]),
});
export type Fill = z.infer<typeof FillSchema>;

/** A closed trade with its post-mortem. */
export const TradeSchema = z.object({
  id: z.string().describe("The position's id"),
  accountId: z.string(),
  symbol: z.string(),
  side: SideSchema,
  lots: z.number().positive(),
  units: z.number().positive(),
  entryTsMs: z.number().int(),
  entryPrice: z.number(),
  exitTsMs: z.number().int(),
  exitPrice: z.number(),
  exitReason: ExitReasonSchema,
  stopPrice: z.number().nullable().describe("Stop at exit"),
  initialStopPrice: z.number().nullable(),
  targetPrice: z.number().nullable(),
  grossPnlUsd: z.number().describe("(exit − entry) × units × direction, fills after slippage"),
  commissionUsd: z.number(),
  slippageUsd: z.number().describe("Total adverse slippage cost (already inside the gross P&L), USD"),
  netPnlUsd: z.number().describe("gross − commission"),
  maeUsd: z.number().describe("Maximum adverse excursion (≤ 0), USD"),
  mfeUsd: z.number().describe("Maximum favourable excursion (≥ 0), USD"),
  rMultiple: z.number().nullable().describe("net P&L ÷ initial risk (entry to initial stop × units); null without a stop"),
  holdingMs: z.number().int(),
  strategy: EntryContextSchema.shape.strategy,
  signalTsMs: z.number().int().nullable(),
  modelVersion: z.string().nullable(),
  confidence: z.number().nullable(),
  regime: RegimeSchema,
});
export type Trade = z.infer<typeof TradeSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Account

/** One open position as the account sees it. */
export const ExposureSchema = z.object({
  positionId: z.string(),
  symbol: z.string(),
  side: SideSchema,
  lots: z.number(),
  units: z.number(),
  entryPrice: z.number(),
  markPrice: z.number().describe("Latest exit-side price reported"),
  notionalUsd: z.number(),
  unrealisedPnlUsd: z.number(),
});
export type Exposure = z.infer<typeof ExposureSchema>;

export const AccountSnapshotSchema = z.object({
  accountId: z.string(),
  tradingState: TradingStateSchema,
  stateReason: z.string(),
  stateSinceMs: z.number().int(),
  balanceUsd: z.number().describe("Deposit plus realised net P&L"),
  equityUsd: z.number().describe("Balance plus unrealised P&L at the latest marks"),
  unrealisedPnlUsd: z.number(),
  peakEquityUsd: z.number(),
  drawdownPct: z.number().describe("Below peak equity, %"),
  dayStartMs: z.number().int().describe("Start of the current UTC trading day"),
  dayStartEquityUsd: z.number(),
  dailyPnlUsd: z.number(),
  tradesToday: z.number().int(),
  consecutiveLosses: z.number().int(),
  cooldownUntilMs: z.number().int().nullable(),
  positions: z.array(ExposureSchema),
  notionalUsd: z.number(),
  marginUsedUsd: z.number(),
  updatedAtMs: z.number().int().describe("Time of the latest event applied (event time, not wall time)"),
});
export type AccountSnapshot = z.infer<typeof AccountSnapshotSchema>;

/** Risk events: denials, state changes, limit breaches, limit edits, emergency stops and resets. */
export const RISK_EVENT_KINDS = ["order-denied", "state-changed", "limit-breached", "limits-changed", "emergency-stop", "reset"] as const;
export const RiskEventSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  tsMs: z.number().int(),
  kind: z.enum(RISK_EVENT_KINDS),
  severity: z.enum(["info", "warning", "critical"]),
  symbol: z.string().nullable(),
  code: z.string().nullable().describe("Denial code or breached limit"),
  message: z.string(),
  context: z.record(z.string(), z.unknown()),
});
export type RiskEvent = z.infer<typeof RiskEventSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Outbox: what the Durable Objects hand to D1

/** A model signal as recorded in D1: the InstrumentDO's signal plus the regime of its bar. */
export const SignalRecordSchema = z.object({
  id: z.string().describe("symbol:timeframe:ts:role:modelVersion"),
  symbol: z.string(),
  timeframe: z.string(),
  tsMs: z.number().int().describe("Open time of the signal bar"),
  role: z.enum(["champion", "shadow"]),
  modelVersion: z.string(),
  action: z.enum(["buy", "sell", "hold"]),
  confidence: z.number(),
  probabilities: z.record(z.string(), z.number()),
  regime: RegimeSchema,
  createdAtMs: z.number().int(),
});
export type SignalRecord = z.infer<typeof SignalRecordSchema>;

/**
 * One record of a Durable Object's transactional outbox: written in the same storage transaction as the state change
 * it reports, delivered to D1 by the object's alarm until acknowledged. Every record carries its own id, and D1 keeps
 * the first copy of an id, so a retried delivery never duplicates.
 */
export const OutboxRecordSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("trade"), trade: TradeSchema }),
  z.object({ kind: z.literal("fill"), fill: FillSchema }),
  z.object({ kind: z.literal("signal"), signal: SignalRecordSchema }),
  z.object({ kind: z.literal("risk-event"), event: RiskEventSchema }),
]);
export type OutboxRecord = z.infer<typeof OutboxRecordSchema>;

// ---------------------------------------------------------------------------------------------------------------
// InstrumentDO → AccountDO

/** What an instrument tells its account, in order (core/risk/account-book.ts applies them). */
export const AccountEventSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("mark"),
    symbol: z.string(),
    tsMs: z.number().int().describe("Close time of the bar"),
    bid: z.number(),
    ask: z.number(),
  }).describe("A closed M1 bar's closing quote: marks the symbol's positions and feeds the VaR history"),
  z.object({ kind: z.literal("open"), position: PositionSchema }).describe("An approved order filled"),
  z.object({ kind: z.literal("cancel"), requestId: z.string(), tsMs: z.number().int() }).describe("An approved order will not fill"),
  z.object({ kind: z.literal("close"), trade: TradeSchema }).describe("A position closed"),
]);

/** One `AccountDO.sync` call: the instrument's events since its last acknowledged one, and optionally an order. */
export const AccountSyncArgsSchema = z.object({
  accountId: z.string().regex(/^[a-z0-9-]{1,64}$/),
  symbol: z.string(),
  /** Sequence number of `events[0]`; events are numbered consecutively per instrument from 1. */
  firstSeq: z.number().int().min(1),
  events: z.array(AccountEventSchema).max(100_000),
  request: OrderRequestSchema.nullable(),
});
export type AccountSyncArgs = z.infer<typeof AccountSyncArgsSchema>;

export const AccountSyncResultSchema = z.object({
  /** The highest sequence number the account has applied for this instrument. */
  appliedThroughSeq: z.number().int(),
  decision: RiskDecisionSchema.nullable(),
});
export type AccountSyncResult = z.infer<typeof AccountSyncResultSchema>;
