/** Talking to a symbol's InstrumentDO about the models it serves, with its refusals rebuilt into AppErrors. */
import type { AssignModelsArgs, ServingState } from "../../core/schemas/serving.js";
import { instrumentStub } from "../instruments.js";
import { fromInstrumentError } from "./instrument-errors.js";

/** Assigns both slots of `args.symbol`; the object loads the models from R2 and keeps its previous assignment on failure. */
export async function assignModels(env: Env, args: AssignModelsArgs): Promise<ServingState> {
  try {
    return await instrumentStub(env, args.symbol).assignModels(args);
  } catch (error: unknown) {
    throw fromInstrumentError(error, args.symbol);
  }
}

