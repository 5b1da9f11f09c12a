/** Finding an instrument and its Durable Object from a symbol. */
import { NotFoundError } from "../core/errors/app-error.js";
import type { Instrument } from "../core/instruments/instrument.js";
import type { InstrumentDO } from "../durable-objects/instrument-do.js";
import type { Platform } from "./platform.js";

/** The declared instrument, or a 404 naming the declared ones. */
export function requireInstrument(platform: Platform, symbol: string): Instrument {
  const instrument = platform.instruments.find(symbol);
  if (!instrument) {
    const declared = platform.instruments.list().map((i) => i.symbol);
    throw new NotFoundError(`instrument '${symbol}' is not declared`, { details: { declared } });
  }
  return instrument;
}

/** The instrument's Durable Object (one per symbol), reached over native RPC. */
export function instrumentStub(env: Env, symbol: string): DurableObjectStub<InstrumentDO> {
  return env.INSTRUMENT_DO.get(env.INSTRUMENT_DO.idFromName(symbol));
}
