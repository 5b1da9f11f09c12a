/** Helpers driving an AccountBook in the risk tests: approve-and-fill, quotes for marks. */
import { expect } from "vitest";
import { AccountBook } from "../../../core/risk/account-book.js";
import type { OrderRequest, Position, RiskLimits } from "../../../core/schemas/trading.js";
import { INSTRUMENTS, type TestSymbol } from "./risk-builders.js";

/** A fresh book for account "test" with 100,000 USD. */
export function newBook(balanceUsd = 100_000): AccountBook {
  return new AccountBook("test", balanceUsd);
}

/** Approves `request` (failing the test otherwise) and returns the approved lots. */
export function approve(book: AccountBook, request: OrderRequest, limits: RiskLimits): number {
  const { decision } = book.evaluate(request, limits);
  if (!decision.approved) expect.fail(`expected approval of ${request.requestId}, got ${decision.code}: ${decision.message}`);
  return decision.lots;
}

/** Approves `request` and fills it at its reference price (or `entryPrice`); returns the position. */
export function openPosition(book: AccountBook, request: OrderRequest, limits: RiskLimits, entryPrice?: number): Position {
  const lots = approve(book, request, limits);
  const units = lots * request.contractSize;
  const price = entryPrice ?? request.referencePrice;
  const position: Position = {
    id: request.requestId,
    accountId: "test",
    symbol: request.symbol,
    side: request.side,
    lots,
    units,
    entryTsMs: request.tsMs,
    entryPrice: price,
    stopPrice: null,
    stopReason: "initial",
    initialStopPrice: null,
    targetPrice: null,
    entryCommissionUsd: 0,
    entrySlippageUsd: 0,
    worstPrice: price,
    bestPrice: price,
    entry: { strategy: "manual", signalTsMs: null, modelVersion: null, confidence: null, regime: "unknown", atr: null },
  };
  book.apply({ kind: "open", position }, limits);
  return position;
}

/** A mark of `symbol` at `bid` with the instrument's usual spread. */
export function markEvent(symbol: TestSymbol, tsMs: number, bid: number) {
  return { kind: "mark" as const, symbol, tsMs, bid, ask: bid + INSTRUMENTS[symbol].spread };
}
