/** Wipes every binding (D1, R2, Durable Objects, queues) and re-applies the D1 migrations. */
import { applyD1Migrations, reset } from "cloudflare:test";
import { env } from "cloudflare:workers";

export async function freshState(): Promise<void> {
  await reset();
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
}
