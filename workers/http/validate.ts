/** Request parsing with the shared zod schemas; failures become ValidationError (400) with field details. */
import type { Context } from "hono";
import type { z } from "zod";
import { ValidationError } from "../../core/errors/app-error.js";
import type { AppEnv } from "./app-env.js";
import { issuesOf } from "./error-envelope.js";

/** Reads the JSON body without validating it; malformed JSON is a 400. */
export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  try {
    return await c.req.json<unknown>();
  } catch (error: unknown) {
    throw new ValidationError("body is not valid JSON", { cause: error });
  }
}

/** Validates a value with a schema; failure is a 400 listing each bad field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(`invalid ${what}`, { details: issuesOf(result.error), cause: result.error });
  return result.data;
}

/** Validates the query string (single values per key). */
export function parseQuery<S extends z.ZodType>(c: Context<AppEnv>, schema: S): z.infer<S> {
  return parseWith(schema, c.req.query(), "query");
}
