/**
 * Calls from the API to the trading Durable Objects (the account's AccountDO, an instrument's InstrumentDO), with
 * their refusals rebuilt into AppErrors: errors cross native RPC as plain `Error`s, so a 422 thrown in the object
 * would otherwise reach the caller as a 500.
 */
import { DEFAULT_ACCOUNT_ID } from "../core/schemas/account.js";
import type { AccountDO } from "../durable-objects/account-do.js";
import type { InstrumentDO } from "../durable-objects/instrument-do.js";
import { instrumentStub } from "./instruments.js";
import { fromInstrumentError } from "./models/instrument-errors.js";

/** The account every instrument trades for, reached over native RPC. */
export function accountStub(env: Env): DurableObjectStub<AccountDO> {
  return env.ACCOUNT_DO.get(env.ACCOUNT_DO.idFromName(DEFAULT_ACCOUNT_ID));
}

/**
 * Runs `call` on the account's object; a refusal it throws becomes its AppError (422, 503, 409, 404), anything else
 * a 502 naming the account.
 * @example const snapshot = await onAccount(c.env, (account) => account.snapshot(DEFAULT_ACCOUNT_ID));
 */
export async function onAccount<T>(env: Env, call: (account: DurableObjectStub<AccountDO>) => Promise<T>): Promise<T> {
  try {
    return await call(accountStub(env));
  } catch (error: unknown) {
    throw fromInstrumentError(error, "account");
  }
}

/**
 * Runs `call` on the instrument's object; a refusal it throws becomes its AppError (e.g. 422 "does not trade"),
 * anything else a 502 naming the symbol.
 * @example const desk = await onInstrument(c.env, "XAUUSD", (instrument) => instrument.positions("XAUUSD"));
 */
export async function onInstrument<T>(env: Env, symbol: string, call: (instrument: DurableObjectStub<InstrumentDO>) => Promise<T>): Promise<T> {
  try {
    return await call(instrumentStub(env, symbol));
  } catch (error: unknown) {
    throw fromInstrumentError(error, symbol);
  }
}
