/** The account's derived figures: unrealised P&L, notional, drawdown, the daily-loss line and per-symbol exposure. */
import type { Side } from "../schemas/trading.js";
import type { HeldPosition, Reservation } from "./account-book-state.js";

/** Milliseconds in a UTC day. */
export const DAY_MS = 86_400_000;

/** Start of the UTC day holding `tsMs`, epoch ms. */
export function utcDayStartMs(tsMs: number): number {
  return Math.floor(tsMs / DAY_MS) * DAY_MS;
}

/** +1 for a buy (long), −1 for a sell (short). */
export function sideSign(side: Side): 1 | -1 {
  return side === "buy" ? 1 : -1;
}

/** Unrealised P&L of a held position at its mark, USD: (mark − entry) × units for a long, (entry − mark) × units short. */
export function unrealisedPnlUsd(held: HeldPosition): number {
  const { position, markPrice } = held;
  return (markPrice - position.entryPrice) * position.units * sideSign(position.side);
}

/** Drawdown below peak equity, % (0 when the peak is not positive). */
export function drawdownPct(peakEquityUsd: number, equityUsd: number): number {
  return peakEquityUsd > 0 ? ((peakEquityUsd - equityUsd) / peakEquityUsd) * 100 : 0;
}

/** The day's loss that stops new positions, USD (≥ 0): `maxDailyLossPct` % of the day's start equity. */
export function dailyLossLimitUsd(dayStartEquityUsd: number, maxDailyLossPct: number): number {
  return (maxDailyLossPct / 100) * Math.max(0, dayStartEquityUsd);
}

/** True once the day's P&L has fallen to the daily-loss line (reaching it counts). */
export function isDailyLossBreached(equityUsd: number, dayStartEquityUsd: number, maxDailyLossPct: number): boolean {
  return equityUsd - dayStartEquityUsd <= -dailyLossLimitUsd(dayStartEquityUsd, maxDailyLossPct);
}

/** Notional and margin capacity in use: held positions at their marks, reservations at their reference prices. */
export interface CapacityInUse {
  readonly heldNotionalUsd: number;
  readonly reservedNotionalUsd: number;
  readonly heldCount: number;
  readonly reservedCount: number;
  /** Held plus reserved positions on the symbol asked about. */
  readonly symbolCount: number;
  readonly symbolHeldCount: number;
  readonly symbolReservedCount: number;
}

/** Counts and notionals of held and reserved positions, with the counts for `symbol`. */
export function capacityInUse(positions: readonly HeldPosition[], reservations: readonly Reservation[], symbol: string): CapacityInUse {
  let heldNotionalUsd = 0;
  let reservedNotionalUsd = 0;
  let symbolHeldCount = 0;
  let symbolReservedCount = 0;
  for (const held of positions) {
    heldNotionalUsd += held.position.units * held.markPrice;
    if (held.position.symbol === symbol) symbolHeldCount += 1;
  }
  for (const reservation of reservations) {
    reservedNotionalUsd += reservation.units * reservation.referencePrice;
    if (reservation.symbol === symbol) symbolReservedCount += 1;
  }
  return {
    heldNotionalUsd,
    reservedNotionalUsd,
    heldCount: positions.length,
    reservedCount: reservations.length,
    symbolCount: symbolHeldCount + symbolReservedCount,
    symbolHeldCount,
    symbolReservedCount,
  };
}

/** Signed notional per symbol, USD, symbols in the order first met. */
export interface SymbolExposure {
  readonly symbols: string[];
  readonly signedNotionalsUsd: number[];
}

/** One extra signed exposure (the order being decided). */
export interface ExtraExposure {
  readonly symbol: string;
  readonly signedNotionalUsd: number;
}

/**
 * Net signed notional per symbol (`units × price × ±1`): held positions at their marks, reservations at their
 * reference prices, plus `extra`. A symbol whose positions net to zero stays listed with 0.
 */
export function symbolExposure(positions: readonly HeldPosition[], reservations: readonly Reservation[], extra: ExtraExposure | null): SymbolExposure {
  const symbols: string[] = [];
  const signedNotionalsUsd: number[] = [];
  const add = (symbol: string, signedNotionalUsd: number) => {
    const index = symbols.indexOf(symbol);
    if (index < 0) {
      symbols.push(symbol);
      signedNotionalsUsd.push(signedNotionalUsd);
    } else {
      signedNotionalsUsd[index]! += signedNotionalUsd;
    }
  };
  for (const held of positions) add(held.position.symbol, held.position.units * held.markPrice * sideSign(held.position.side));
  for (const reservation of reservations) add(reservation.symbol, reservation.units * reservation.referencePrice * sideSign(reservation.side));
  if (extra !== null) add(extra.symbol, extra.signedNotionalUsd);
  return { symbols, signedNotionalsUsd };
}
