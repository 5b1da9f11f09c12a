/**
 * AccountDO: one per account ("default" locally). Holds the account's trading state, the switch every order
 * will be checked against. The trading-core work adds equity, limits and order approval here.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { AccountStateSchema, type AccountState } from "../core/schemas/account.js";

const AccountIdSchema = z.string().regex(/^[a-z0-9-]{1,64}$/);

export class AccountDO extends DurableObject<Env> {
  /** The persisted state; a new account starts ACTIVE. */
  async state(accountId: string): Promise<AccountState> {
    const id = AccountIdSchema.parse(accountId);
    const stored = await this.ctx.storage.get<unknown>("state");
    if (stored !== undefined) return AccountStateSchema.parse(stored);
    const initial: AccountState = { accountId: id, tradingState: "ACTIVE", sinceMs: Date.now(), reason: "account created" };
    await this.ctx.storage.put("state", initial);
    return initial;
  }
}
