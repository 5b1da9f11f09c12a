/** Helpers to call the Worker the way clients do. */
import { exports } from "cloudflare:workers";
import type { Tick } from "../../core/market/tick.js";
import type { IngestResult, TickInput } from "../../core/schemas/market-data.js";
import { TEST_SECRETS } from "../support/test-secrets.js";
import { testCredentials } from "./fresh-state.js";

const BASE = "http://platform.test";

/** Whose credential a call carries: the default test API key, none, or an explicit Authorization value. */
export type As = "default" | "anonymous" | { authorization: string } | { headers: Record<string, string> };

export function call(path: string, init: RequestInit = {}, as: As = "default"): Promise<Response> {
  const headers = new Headers(init.headers);
  if (as === "default") headers.set("x-api-key", testCredentials.apiKey);
  else if (as !== "anonymous" && "authorization" in as) headers.set("authorization", as.authorization);
  else if (as !== "anonymous") for (const [name, value] of Object.entries(as.headers)) headers.set(name, value);
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers }));
}

export function postJson(path: string, body: unknown, as: As = "default"): Promise<Response> {
  return call(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }, as);
}

export function toWire(ticks: readonly Tick[]): TickInput[] {
  return ticks.map((t) => ({ ts: t.tsMs, bid: t.bid, ask: t.ask, volume: t.volume }));
}

export async function ingest(symbol: string, ticks: readonly Tick[]): Promise<IngestResult> {
  const response = await postJson("/api/v1/data/ingest", { symbol, ticks: toWire(ticks) });
  if (response.status !== 200) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/** Logs in and returns the token response (the first login creates the admin from the test secrets). */
export async function loginAs(username: string = TEST_SECRETS.adminUsername, password: string = TEST_SECRETS.adminPassword): Promise<{ access_token: string; refresh_token: string }> {
  const response = await postJson("/auth/login", { username, password }, "anonymous");
  if (response.status !== 200) throw new Error(`login answered ${response.status}: ${await response.text()}`);
  return response.json();
}

export const bearer = (token: string): As => ({ authorization: `Bearer ${token}` });
