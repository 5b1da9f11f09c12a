/**
 * Backtest = live. A week of real XAUUSD M1 bars goes through the running platform as the standard tick path
 * (InstrumentDO feed → bars → trading desk → AccountDO approvals → paper fills → outbox → D1), and the same bars go
 * through the backtester (core/backtest) with the platform's configuration. The trades in D1 must be exactly the
 * backtester's: same entries, exits, prices, sizes, reasons, P&L and post-mortem.
 */
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { runBacktest } from "../../core/backtest/run-backtest.js";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../../core/instruments/catalog.js";
import { barsToTicks, type SourceBar } from "../../core/market/tick-path.js";
import { InstrumentTradingConfigSchema, RiskLimitsSchema, type Trade } from "../../core/schemas/trading.js";
import weekJson from "../fixtures/trading/week.json";
import { drainOutbox } from "./drain-outbox.js";
import { freshState } from "./fresh-state.js";
import { call } from "./http.js";

beforeEach(freshState);

const SYMBOL = "XAUUSD";
const BARS: SourceBar[] = (weekJson as { bars: number[][] }).bars.map(([tsMs, open, high, low, close, tickVolume, spreadPoints]) => ({
  tsMs: tsMs!, open: open!, high: high!, low: low!, close: close!, tickVolume: tickVolume!, spreadPoints: spreadPoints!,
}));
const INSTRUMENT = InstrumentCatalog.parse(DEFAULT_INSTRUMENTS).find(SYMBOL)!;

/** Every field of a trade except the account it was booked for. */
function comparable(trade: Trade): Omit<Trade, "accountId"> {
  const { accountId: _accountId, ...rest } = trade;
  return rest;
}

async function tradesInD1(): Promise<Trade[]> {
  const trades: Trade[] = [];
  let cursor: string | null = null;
  do {
    const response = await call(`/api/v1/trades?symbol=${SYMBOL}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { trades: Trade[]; nextCursor: string | null };
    trades.push(...page.trades);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return trades.sort((a, b) => a.entryTsMs - b.entryTsMs);
}

describe("backtest and platform agree", () => {
  it("a replayed week of XAUUSD gives the backtester's trades, fill for fill", { timeout: 180_000 }, async () => {
    const trading = InstrumentTradingConfigSchema.parse(JSON.parse(env.TRADING).find((c: { symbol: string }) => c.symbol === SYMBOL));
    const backtest = runBacktest({
      bars: BARS,
      instrument: INSTRUMENT,
      trading,
      limits: RiskLimitsSchema.parse({}),
      initialBalanceUsd: Number(env.ACCOUNT_INITIAL_BALANCE_USD),
      accountId: "default",
    });
    const closedInBacktest = backtest.trades.filter((trade) => trade.exitReason !== "end-of-data");
    expect(closedInBacktest.length).toBeGreaterThan(20);

    const stub = env.INSTRUMENT_DO.get(env.INSTRUMENT_DO.idFromName(SYMBOL));
    const ticks = barsToTicks(BARS, INSTRUMENT);
    for (let i = 0; i < ticks.length; i += 2_000) {
      const result = await stub.ingest(SYMBOL, ticks.slice(i, i + 2_000));
      expect(result.rejected).toEqual([]);
    }
    await drainOutbox(stub, async () => (await stub.deliveryBacklog()).outbox);
    // Marks of a flat instrument wait for its next order; an open position at the end means they were delivered.

    const live = await tradesInD1();
    expect(live.map(comparable)).toEqual(closedInBacktest.map(comparable));

    // What the backtester closed at the end of the data, the platform still holds.
    const held = (await stub.positions(SYMBOL))!.positions;
    const endOfData = backtest.trades.filter((trade) => trade.exitReason === "end-of-data");
    expect(held.map((p) => ({ id: p.id, side: p.side, entryTsMs: p.entryTsMs, entryPrice: p.entryPrice, lots: p.lots }))).toEqual(
      endOfData.map((t) => ({ id: t.id, side: t.side, entryTsMs: t.entryTsMs, entryPrice: t.entryPrice, lots: t.lots })),
    );

    // The account saw the same fills: its balance is the backtester's before the end-of-data close.
    const account = env.ACCOUNT_DO.get(env.ACCOUNT_DO.idFromName("default"));
    const snapshot = await account.snapshot("default");
    const realised = closedInBacktest.reduce((sum, trade) => sum + trade.netPnlUsd, 0);
    expect(snapshot.balanceUsd).toBeCloseTo(Number(env.ACCOUNT_INITIAL_BALANCE_USD) + realised, 6);
  });
});
