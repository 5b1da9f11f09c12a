/** The drizzle client over the D1 binding. */
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import * as schema from "./schema.js";

export type Db = DrizzleD1Database<typeof schema>;

export function db(env: Env): Db {
  return drizzle(env.DB, { schema });
}
