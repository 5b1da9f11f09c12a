/** API keys for bridges and bots: `ak_<prefix>_<secret>`, stored as a SHA-256 hash and listed by prefix. */
import { UnauthorizedError } from "../../core/errors/app-error.js";
import { constantTimeEqual } from "./password.js";
import { hashToken, randomBase64Url } from "./tokens.js";

/** Prefix alphabet: 32 lowercase letters and digits without the look-alikes 0, 1, l and o (so a byte maps unbiased). */
const PREFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";
const PREFIX_CHARS = 8;
const SECRET_BYTES = 32;
/** `ak_`, 8 prefix characters, `_`, then canonical base64url of 32 bytes (43 characters, the last one carrying 4 zero bits). */
const KEY_FORMAT = /^ak_([a-z2-9]{8})_[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const encoder = new TextEncoder();

/** A new key: show `key` once, store `prefix` and `keyHash`. */
export interface GeneratedApiKey {
  readonly key: string;
  /** 8 characters of [a-z2-9]: visible in listings and used to find the stored row. */
  readonly prefix: string;
  /** SHA-256 of the whole key, base64url (43 characters). */
  readonly keyHash: string;
}

/**
 * Makes a new API key: an 8-character random prefix (40 bits; store it with a unique index and generate again on
 * the rare collision) and 32 random bytes of secret.
 * @example const { key, prefix, keyHash } = await generateApiKey() // key "ak_k7cm2x9q_Jm3…"
 */
export async function generateApiKey(): Promise<GeneratedApiKey> {
  const prefixBytes = crypto.getRandomValues(new Uint8Array(PREFIX_CHARS));
  const prefix = Array.from(prefixBytes, (byte) => PREFIX_ALPHABET.charAt(byte % PREFIX_ALPHABET.length)).join("");
  const key = `ak_${prefix}_${randomBase64Url(SECRET_BYTES)}`;
  return { key, prefix, keyHash: await hashToken(key) };
}

/**
 * Checks a presented key's shape and returns its prefix, to look the stored row up. A malformed key is an
 * UnauthorizedError with `details.reason` "malformed" (a bad credential, not a bad request).
 * @example const { prefix } = parseApiKey(request.headers.get("x-api-key") ?? "")
 */
export function parseApiKey(key: string): { prefix: string } {
  const prefix = KEY_FORMAT.exec(key)?.[1];
  if (prefix === undefined) throw new UnauthorizedError("invalid API key", { details: { reason: "malformed" } });
  return { prefix };
}

/**
 * True when the key hashes to `storedHash`; the hashes are compared in constant time. A malformed key throws as in
 * `parseApiKey`.
 * @example if (!(await verifyApiKey(key, row.keyHash))) throw new UnauthorizedError("invalid API key")
 */
export async function verifyApiKey(key: string, storedHash: string): Promise<boolean> {
  parseApiKey(key);
  const presented = encoder.encode(await hashToken(key));
  return constantTimeEqual(presented, encoder.encode(storedHash));
}

