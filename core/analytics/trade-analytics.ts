/**
 * Closed-trade analytics: win rate, P&L, R multiple and profit factor grouped by exit reason, regime, UTC hour of entry
 * and entry confidence. Pure: the caller fetches the trades.
 */
import type { TradeAnalytics, TradeGroupStats } from "../schemas/trading-api.js";
import { EXIT_REASONS, REGIMES, type Trade } from "../schemas/trading.js";

/** The fields of a trade the analytics read (the API fetches only these columns). */
export type TradeAnalyticsInput = Pick<Trade, "exitReason" | "regime" | "entryTsMs" | "confidence" | "netPnlUsd" | "rMultiple">;

const HOUR_MS = 3_600_000;

/** Confidence bucket width; buckets start at 0.50. */
const BUCKETS_PER_UNIT = 20;
const FIRST_BUCKET = 10; // 10 / 20 = 0.50
const LAST_BUCKET = 19; // [0.95, 1.00], closed at 1.00

const bucketEdge = (index: number): number => index / BUCKETS_PER_UNIT;
const bucketKey = (index: number): string => `${bucketEdge(index).toFixed(2)}-${bucketEdge(index + 1).toFixed(2)}`;

/** Confidence keys in their display order. */
export const CONFIDENCE_BUCKET_KEYS: readonly string[] = [
  "<0.50",
  ...Array.from({ length: LAST_BUCKET - FIRST_BUCKET + 1 }, (_, i) => bucketKey(FIRST_BUCKET + i)),
  ">1.00",
  "none",
];

/**
 * The confidence bucket of an entry: "none" without a confidence, "<0.50" below 0.5, "0.50-0.55" for [0.50, 0.55) and
 * so on up to "0.95-1.00" for [0.95, 1.00] (closed at 1). ">1.00" only for corrupt values above 1.
 * @example confidenceBucket(0.55) // "0.55-0.60"
 * @example confidenceBucket(1) // "0.95-1.00"
 */
export function confidenceBucket(confidence: number | null): string {
  if (confidence === null) return "none";
  if (confidence < bucketEdge(FIRST_BUCKET)) return "<0.50";
  if (confidence > 1) return ">1.00";
  // floor(c × 20) can land one off the decimal edge (0.55 × 20 is 11.000000000000002); compare with the edges themselves.
  let index = Math.floor(confidence * BUCKETS_PER_UNIT);
  if (confidence < bucketEdge(index)) index -= 1;
  else if (confidence >= bucketEdge(index + 1)) index += 1;
  return bucketKey(Math.min(Math.max(index, FIRST_BUCKET), LAST_BUCKET));
}

/**
 * The UTC hour of an epoch-ms time, as "00" to "23".
 * @example entryHourUtc(Date.UTC(2024, 0, 1, 7, 59)) // "07"
 */
export function entryHourUtc(tsMs: number): string {
  const hour = ((Math.floor(tsMs / HOUR_MS) % 24) + 24) % 24;
  return String(hour).padStart(2, "0");
}

/** Running sums of one group. */
class GroupAccumulator {
  trades = 0;
  wins = 0;
  netPnlUsd = 0;
  grossProfitUsd = 0;
  grossLossUsd = 0;
  rMultipleSum = 0;
  rMultipleCount = 0;

  add(trade: TradeAnalyticsInput): void {
    this.trades += 1;
    this.netPnlUsd += trade.netPnlUsd;
    if (trade.netPnlUsd > 0) {
      this.wins += 1;
      this.grossProfitUsd += trade.netPnlUsd;
    } else if (trade.netPnlUsd < 0) {
      this.grossLossUsd -= trade.netPnlUsd;
    }
    if (trade.rMultiple !== null) {
      this.rMultipleSum += trade.rMultiple;
      this.rMultipleCount += 1;
    }
  }

  stats(key: string): TradeGroupStats {
    return {
      key,
      trades: this.trades,
      wins: this.wins,
      winRatePct: this.trades === 0 ? 0 : (this.wins * 100) / this.trades,
      netPnlUsd: this.netPnlUsd,
      averageNetPnlUsd: this.trades === 0 ? 0 : this.netPnlUsd / this.trades,
      averageRMultiple: this.rMultipleCount === 0 ? null : this.rMultipleSum / this.rMultipleCount,
      profitFactor: this.grossLossUsd === 0 ? null : this.grossProfitUsd / this.grossLossUsd,
    };
  }
}

/** Groups keyed by a function of the trade, listed in `order` (keys outside it, if any, after it in first-seen order). */
class Grouping {
  private readonly groups = new Map<string, GroupAccumulator>();

  constructor(
    private readonly keyOf: (trade: TradeAnalyticsInput) => string,
    private readonly order: readonly string[],
  ) {}

  add(trade: TradeAnalyticsInput): void {
    const key = this.keyOf(trade);
    let group = this.groups.get(key);
    if (group === undefined) {
      group = new GroupAccumulator();
      this.groups.set(key, group);
    }
    group.add(trade);
  }

  stats(): TradeGroupStats[] {
    const keys = [...this.order.filter((key) => this.groups.has(key)), ...[...this.groups.keys()].filter((key) => !this.order.includes(key))];
    return keys.map((key) => (this.groups.get(key) as GroupAccumulator).stats(key));
  }
}

const HOUR_KEYS = Array.from({ length: 24 }, (_, hour) => String(hour).padStart(2, "0"));

/**
 * Groups closed trades by exit reason, regime, UTC hour of entry and confidence bucket, with totals. Only groups that
 * have trades are listed, in a fixed order (exit reasons and regimes as defined, hours ascending, confidence ascending
 * with "none" last). A win is a net P&L above zero; a trade at exactly zero is neither a win nor a loss.
 * @example analyseTrades([{ exitReason: "take-profit", regime: "trending", entryTsMs: 0, confidence: 0.6, netPnlUsd: 10, rMultiple: 1 }]).totals.winRatePct // 100
 */
export function analyseTrades(trades: Iterable<TradeAnalyticsInput>): TradeAnalytics {
  const totals = new GroupAccumulator();
  const byExitReason = new Grouping((t) => t.exitReason, EXIT_REASONS);
  const byRegime = new Grouping((t) => t.regime, REGIMES);
  const byEntryHourUtc = new Grouping((t) => entryHourUtc(t.entryTsMs), HOUR_KEYS);
  const byConfidence = new Grouping((t) => confidenceBucket(t.confidence), CONFIDENCE_BUCKET_KEYS);
  for (const trade of trades) {
    totals.add(trade);
    byExitReason.add(trade);
    byRegime.add(trade);
    byEntryHourUtc.add(trade);
    byConfidence.add(trade);
  }
  return {
    totals: totals.stats("all"),
    byExitReason: byExitReason.stats(),
    byRegime: byRegime.stats(),
    byEntryHourUtc: byEntryHourUtc.stats(),
    byConfidence: byConfidence.stats(),
  };
}
