/** Local secrets: .dev.vars is created from .dev.vars.example with fresh random values, and read back by scripts. */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export const DEV_VARS = ".dev.vars";
const EXAMPLE = ".dev.vars.example";

/** Creates .dev.vars when missing; every __RANDOM__ becomes its own 32-byte random base64url value. */
export function ensureDevVars(): boolean {
  if (existsSync(DEV_VARS)) return false;
  const text = readFileSync(EXAMPLE, "utf8").replace(/__RANDOM__/g, () => randomBytes(32).toString("base64url"));
  writeFileSync(DEV_VARS, text, { mode: 0o600 });
  return true;
}

/** KEY=value lines of .dev.vars (comments and blanks skipped). */
export function readDevVars(path = DEV_VARS): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) vars[match[1]] = (match[2] ?? "").replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

/** Logs in with the local admin from .dev.vars and returns an access token. */
export async function localAdminToken(baseUrl: string): Promise<string> {
  const vars = readDevVars();
  const response = await fetch(`${baseUrl}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: vars.ADMIN_USERNAME, password: vars.ADMIN_PASSWORD }),
  });
  if (!response.ok) throw new Error(`local admin login failed (${response.status}): ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}
