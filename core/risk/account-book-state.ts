/** The AccountBook's persisted state: one plain-JSON document the AccountDO stores and the book resumes from. */
import { z } from "zod";
import { TradingStateSchema } from "../schemas/account.js";
import { PositionSchema, SideSchema } from "../schemas/trading.js";
import { ReturnHistoryStateSchema } from "./return-history.js";

/** An approved open order whose fill has not been reported: it holds capacity until its "open" or "cancel". */
export const ReservationSchema = z.object({
  requestId: z.string().min(1),
  symbol: z.string(),
  side: SideSchema,
  lots: z.number().positive().describe("Approved lots"),
  units: z.number().positive().describe("lots × contract size"),
  referencePrice: z.number().positive().describe("Expected fill price the reservation is valued at"),
  tsMs: z.number().int().describe("Approval time (the request's), epoch ms"),
  dayStartMs: z.number().int().describe("UTC day the approval was counted in (a cancel that day gives it back)"),
});
export type Reservation = z.infer<typeof ReservationSchema>;

/** An open position and the exit-side price it is marked at. */
export const HeldPositionSchema = z.object({
  position: PositionSchema,
  markPrice: z.number().describe("Latest bid (long) or ask (short); the entry price until the first mark"),
});
export type HeldPosition = z.infer<typeof HeldPositionSchema>;

/** Everything the book needs to resume exactly where it stopped. Equity is derived (balance + unrealised at marks). */
export const AccountBookStateSchema = z.object({
  version: z.literal(1),
  accountId: z.string(),
  sequence: z.number().int().min(0).describe("Risk events issued so far; event ids are accountId:sequence"),
  balanceUsd: z.number(),
  tradingState: TradingStateSchema,
  stateReason: z.string(),
  stateSinceMs: z.number().int(),
  peakEquityUsd: z.number(),
  dayStartMs: z.number().int().describe("Start of the current UTC day, epoch ms (0 before the first event)"),
  dayStartEquityUsd: z.number(),
  tradesToday: z.number().int().min(0),
  dailyLossWarnedDayMs: z.number().int().nullable().describe("Day whose daily-loss warning was emitted"),
  consecutiveLosses: z.number().int().min(0),
  cooldownUntilMs: z.number().int().nullable(),
  leverage: z.number().positive().describe("Leverage of the latest limits seen, for margin in snapshots"),
  updatedAtMs: z.number().int(),
  positions: z.array(HeldPositionSchema),
  reservations: z.array(ReservationSchema),
  history: ReturnHistoryStateSchema,
});
export type AccountBookState = z.infer<typeof AccountBookStateSchema>;
