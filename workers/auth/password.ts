/** Password hashing with PBKDF2-SHA256 over WebCrypto, in a self-describing format whose cost can be raised later. */
import { base64url } from "jose";
import { AppError, ConfigError, ValidationError } from "../../core/errors/app-error.js";

/**
 * The most PBKDF2 iterations Cloudflare Workers accept: production workerd refuses more with "Pbkdf2 failed:
 * iteration counts above 100000 are not supported" (DEFAULT_MAX_PBKDF2_ITERATIONS in src/workerd/io/limit-enforcer.h;
 * cloudflare/workerd#1346). Local workerd (wrangler dev) does not enforce it, so only this constant guards it.
 */
export const PBKDF2_MAX_ITERATIONS = 100_000;
/** Default cost for new hashes: the Workers maximum, since every lower count is weaker. */
export const DEFAULT_PBKDF2_ITERATIONS = PBKDF2_MAX_ITERATIONS;
/** Floor for new hashes, a guard against a misconfigured count (a dropped zero), not a recommendation. */
export const PBKDF2_MIN_ITERATIONS = 10_000;
/** Longest accepted password, in UTF-8 bytes after NFC normalisation. */
export const PASSWORD_MAX_BYTES = 1_024;

const SCHEME = "pbkdf2-sha256";
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const STORED_FORMAT = /^pbkdf2-sha256\$([1-9][0-9]{0,8})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;
const DUMMY_SALT = new Uint8Array(SALT_BYTES);
const encoder = new TextEncoder();

/** The parts of a stored hash `pbkdf2-sha256$<iterations>$<saltB64url>$<hashB64url>`. */
export interface PasswordHash {
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly hash: Uint8Array;
}

/**
 * Compares two byte arrays in time that depends only on their lengths: every byte is visited, with no early exit.
 * @example constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])) // true
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const length = Math.max(a.length, b.length);
  let difference = a.length ^ b.length;
  for (let i = 0; i < length; i += 1) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

/**
 * Hashes a password with a fresh random 16-byte salt into the stored format. `iterations` defaults to
 * DEFAULT_PBKDF2_ITERATIONS (100_000) and must lie in [PBKDF2_MIN_ITERATIONS, PBKDF2_MAX_ITERATIONS] (ConfigError).
 * The password is NFC-normalised; empty or over 1,024 bytes is a ValidationError.
 * @example await hashPassword("correct horse battery staple") // "pbkdf2-sha256$100000$<22 chars>$<43 chars>"
 */
export async function hashPassword(password: string, iterations: number = DEFAULT_PBKDF2_ITERATIONS): Promise<string> {
  checkIterations(iterations);
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(passwordBytes(password), salt, iterations);
  return `${SCHEME}$${iterations}$${base64url.encode(salt)}$${base64url.encode(hash)}`;
}

/**
 * True when the password matches the stored hash, derived with the stored salt and iteration count and compared in
 * constant time. A malformed stored hash is an internal error (AppError INTERNAL), never a silent mismatch.
 * @example if (!(await verifyPassword(body.password, user.passwordHash))) throw new UnauthorizedError("bad credentials")
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const bytes = passwordBytes(password);
  const parsed = parsePasswordHash(stored);
  const derived = await derive(bytes, parsed.salt, parsed.iterations);
  return constantTimeEqual(derived, parsed.hash);
}

/**
 * Does the work of one verification and answers false, for a login whose user does not exist, so that the reply takes
 * as long as for a wrong password. Pass the iteration count new hashes use (default DEFAULT_PBKDF2_ITERATIONS; same
 * range check as `hashPassword`). The password is checked like a real one, so invalid input fails the same way.
 * @example const ok = user ? await verifyPassword(pw, user.passwordHash) : await dummyVerifyPassword(pw)
 */
export async function dummyVerifyPassword(password: string, iterations: number = DEFAULT_PBKDF2_ITERATIONS): Promise<false> {
  checkIterations(iterations);
  const bytes = passwordBytes(password);
  const derived = await derive(bytes, DUMMY_SALT, iterations);
  constantTimeEqual(derived, new Uint8Array(KEY_BYTES));
  return false;
}

/**
 * True when the stored hash was made with fewer iterations than `currentIterations`, so it should be replaced
 * (with `hashPassword`) right after a successful login.
 * @example if (await verifyPassword(pw, stored) && needsRehash(stored, 100_000)) await save(await hashPassword(pw, 100_000))
 */
export function needsRehash(stored: string, currentIterations: number): boolean {
  return parsePasswordHash(stored).iterations < currentIterations;
}

/**
 * Splits a stored hash into its parts. Throws AppError INTERNAL (500) unless the scheme is pbkdf2-sha256, the count is
 * in [1, PBKDF2_MAX_ITERATIONS] (a crafted larger count must not buy CPU time), the salt has at least 16 bytes and the
 * hash exactly 32, both in canonical unpadded base64url.
 * @example parsePasswordHash(stored).iterations // 100000
 */
export function parsePasswordHash(stored: string): PasswordHash {
  const match = STORED_FORMAT.exec(stored);
  if (match === null) throw malformedHash();
  const [, iterationsText = "", saltText = "", hashText = ""] = match;
  const iterations = Number(iterationsText);
  const salt = decodeCanonical(saltText);
  const hash = decodeCanonical(hashText);
  if (iterations > PBKDF2_MAX_ITERATIONS || salt.length < SALT_BYTES || hash.length !== KEY_BYTES) throw malformedHash();
  return { iterations, salt, hash };
}

function checkIterations(iterations: number): void {
  if (!Number.isInteger(iterations) || iterations < PBKDF2_MIN_ITERATIONS || iterations > PBKDF2_MAX_ITERATIONS) {
    throw new ConfigError(`PBKDF2 iterations must be an integer in [${PBKDF2_MIN_ITERATIONS}, ${PBKDF2_MAX_ITERATIONS}]`, { details: { iterations } });
  }
}

function passwordBytes(password: string): Uint8Array {
  const bytes = encoder.encode(password.normalize("NFC"));
  if (bytes.length === 0) throw new ValidationError("password must not be empty", { details: { field: "password" } });
  if (bytes.length > PASSWORD_MAX_BYTES) {
    throw new ValidationError(`password must be at most ${PASSWORD_MAX_BYTES} bytes`, { details: { field: "password", maxBytes: PASSWORD_MAX_BYTES } });
  }
  return bytes;
}

async function derive(password: Uint8Array, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, material, KEY_BYTES * 8);
  return new Uint8Array(bits);
}

function decodeCanonical(text: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = base64url.decode(text);
  } catch (error: unknown) {
    throw malformedHash(error);
  }
  if (base64url.encode(bytes) !== text) throw malformedHash();
  return bytes;
}

function malformedHash(cause?: unknown): AppError {
  return new AppError("INTERNAL", 500, "stored password hash is malformed", { cause });
}
