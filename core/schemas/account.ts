/** Account trading state as the AccountDO reports it. */
import { z } from "zod";

/** ACTIVE trades normally; REDUCING allows only closing orders; HALTED blocks all orders (emergency stop). */
export const TRADING_STATES = ["ACTIVE", "REDUCING", "HALTED"] as const;
export const TradingStateSchema = z.enum(TRADING_STATES);
export type TradingState = z.infer<typeof TradingStateSchema>;

export const AccountStateSchema = z.object({
  accountId: z.string(),
  tradingState: TradingStateSchema,
  sinceMs: z.number().int().describe("When the state was entered, epoch ms"),
  reason: z.string().describe("Why the account is in this state"),
});
export type AccountState = z.infer<typeof AccountStateSchema>;

/** The account every instrument trades for (one account per deployment for now). */
export const DEFAULT_ACCOUNT_ID = "default";
