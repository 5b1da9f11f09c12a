/** Reading request bodies; schema validation itself happens in the OpenAPI routes (failures reach the envelope). */
import type { Context } from "hono";
import { ValidationError } from "../../core/errors/app-error.js";
import type { AppEnv } from "./app-env.js";

/** Reads the JSON body without validating it (Hono caches it for the validator); malformed JSON is a 400. */
export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  try {
    return await c.req.json<unknown>();
  } catch (error: unknown) {
    throw new ValidationError("body is not valid JSON", { cause: error });
  }
}
