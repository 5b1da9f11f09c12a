/** Wipes every binding (D1, R2, Durable Objects, queues), re-applies the D1 migrations, and issues a test API key. */
import { abortAllDurableObjects, applyD1Migrations, reset } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { generateApiKey } from "../../workers/auth/api-keys.js";
import type { Role, Scope } from "../../workers/auth/roles.js";
import { db } from "../../workers/db/client.js";
import { insertApiKey } from "../../workers/db/api-keys.js";

/** The API key `call()` sends unless told otherwise: a trader key for reading and ingesting. */
export const testCredentials = { apiKey: "" };

/** Stores a new API key directly (test set-up) and returns the key. */
export async function createApiKey(role: Role, scopes: Scope[], name = "test key"): Promise<{ key: string; id: string; prefix: string }> {
  const { key, prefix, keyHash } = await generateApiKey();
  const id = crypto.randomUUID();
  await insertApiKey(db(env), { id, prefix, keyHash, name, role, scopes, createdBy: "test", createdAtMs: Date.now() });
  return { key, id, prefix };
}

/** Wiped bindings and a fresh test key, without restarting live Durable Object instances (for tests that use none). */
export async function freshDatabase(): Promise<void> {
  await reset();
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  testCredentials.apiKey = (await createApiKey("trader", ["read", "ingest"])).key;
}

export async function freshState(): Promise<void> {
  await reset();
  // Objects of the previous test may still be alive with in-memory state of wiped storage: abort them, so that they
  // start again from the empty storage and nothing of that test reaches this one.
  await abortAllDurableObjects();
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  testCredentials.apiKey = (await createApiKey("trader", ["read", "ingest"])).key;
}
