/** Webhook signatures: HMAC-SHA256 of the exact body bytes, keyed with NOTIFY_WEBHOOK_SECRET, as lower-case hex. */

/** Carries `sha256=<hex>`: the HMAC-SHA256 of the raw request body. */
export const SIGNATURE_HEADER = "X-Aurum-Signature";
/** The delivery time, epoch ms (informational: the signed body's `atMs` is the value to trust). */
export const TIMESTAMP_HEADER = "X-Aurum-Timestamp";

const encoder = new TextEncoder();

/**
 * The HMAC-SHA256 of `body` under `secret`, lower-case hex (64 characters).
 * @example await hmacSha256Hex("secret", '{"event":"task.dead"}') // "5f0c…"
 */
export async function hmacSha256Hex(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(body)));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The signature header's value for `body`. */
export async function signatureHeaderValue(secret: string, body: string): Promise<string> {
  return `sha256=${await hmacSha256Hex(secret, body)}`;
}
