/** Manual orders and position ids: the bodies of `POST /api/v1/positions` and the InstrumentDO's order RPCs. */
import { z } from "zod";
import { SymbolSchema } from "./common.js";
import { SideSchema } from "./trading.js";

/** Position ids are `<SYMBOL>-<order number>`: the symbol says which InstrumentDO holds the position. */
export const PositionIdSchema = z.string().regex(/^[A-Z0-9]{3,12}-[1-9][0-9]{0,15}$/, "expected <SYMBOL>-<number>");

/** The symbol part of a position id. */
export function symbolOfPositionId(positionId: string): string {
  return positionId.slice(0, positionId.lastIndexOf("-"));
}

export const ManualOrderArgsSchema = z
  .object({
    symbol: SymbolSchema,
    side: SideSchema,
    lots: z.number().positive().max(1_000).describe("Size asked for, lots (rounded down to the lot step by the risk engine)"),
    stopPrice: z.number().positive().nullable().optional()
      .describe("Stop-loss price; absent: the instrument's stop ATR multiple from the fill"),
    targetPrice: z.number().positive().nullable().optional()
      .describe("Take-profit price; absent: the instrument's target ATR multiple from the fill"),
  })
  .strict();
export type ManualOrderArgs = z.infer<typeof ManualOrderArgsSchema>;
