/** Password hashing: stored format, agreement with Node's PBKDF2, limits, rehash, malformed hashes, constant-time compare. */
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AppError, ConfigError, ValidationError } from "../../../core/errors/app-error.js";
import {
  constantTimeEqual,
  DEFAULT_PBKDF2_ITERATIONS,
  dummyVerifyPassword,
  hashPassword,
  needsRehash,
  parsePasswordHash,
  PBKDF2_MAX_ITERATIONS,
  verifyPassword,
} from "../../../workers/auth/password.js";

/** The lowest count hashPassword accepts, to keep the suite fast. */
const FAST = 10_000;

function nodeStored(password: string, salt: Buffer, iterations: number): string {
  const hash = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  return `pbkdf2-sha256$${iterations}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

/** A Uint8Array whose indexed reads are recorded. */
function recording(bytes: number[], reads: number[]): Uint8Array {
  const target = new Uint8Array(bytes);
  return new Proxy(target, {
    get(obj, prop) {
      if (typeof prop === "string" && /^\d+$/.test(prop)) reads.push(Number(prop));
      return Reflect.get(obj, prop, obj);
    },
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("constantTimeEqual", () => {
  it("answers equality of content and length", () => {
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([]), new Uint8Array([]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([9, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([0]), new Uint8Array([]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([0x80]), new Uint8Array([0x00]))).toBe(false);
  });

  it("reads every byte even when the first one differs (no early exit)", () => {
    const readsA: number[] = [];
    const readsB: number[] = [];
    const result = constantTimeEqual(recording([0, 1, 2, 3, 4, 5, 6, 7], readsA), recording([9, 1, 2, 3, 4, 5, 6, 7], readsB));
    expect(result).toBe(false);
    expect(readsA).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(readsB).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe("hashPassword / verifyPassword", () => {
  it("writes pbkdf2-sha256$<iterations>$<16-byte salt>$<32-byte hash> and the hash is Node's PBKDF2-SHA256", async () => {
    const stored = await hashPassword("correct horse", FAST);
    expect(stored).toMatch(/^pbkdf2-sha256\$10000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    const [, , saltText = "", hashText = ""] = stored.split("$");
    const salt = Buffer.from(saltText, "base64url");
    expect(salt).toHaveLength(16);
    expect(Buffer.from(hashText, "base64url").equals(pbkdf2Sync("correct horse", salt, FAST, 32, "sha256"))).toBe(true);
  });

  it("uses a fresh salt each time", async () => {
    const a = await hashPassword("same", FAST);
    const b = await hashPassword("same", FAST);
    expect(a).not.toBe(b);
    expect(a.split("$")[2]).not.toBe(b.split("$")[2]);
  });

  it("verifies the right password and refuses wrong ones", async () => {
    const stored = await hashPassword("Tr0ub4dor&3", FAST);
    expect(await verifyPassword("Tr0ub4dor&3", stored)).toBe(true);
    expect(await verifyPassword("tr0ub4dor&3", stored)).toBe(false);
    expect(await verifyPassword("Tr0ub4dor&", stored)).toBe(false);
    expect(await verifyPassword("Tr0ub4dor&3 ", stored)).toBe(false);
  });

  it("verifies a hash made elsewhere, using the iteration count stored in it", async () => {
    const salt = randomBytes(16);
    const stored = nodeStored("legacy-pass", salt, 1_000);
    expect(await verifyPassword("legacy-pass", stored)).toBe(true);
    expect(await verifyPassword("legacy-pass", stored.replace("$1000$", "$1001$"))).toBe(false);
  });

  it("hashes with 100_000 iterations by default, the Workers maximum", async () => {
    expect(PBKDF2_MAX_ITERATIONS).toBe(100_000);
    expect(DEFAULT_PBKDF2_ITERATIONS).toBe(100_000);
    const stored = await hashPassword("default-cost");
    expect(parsePasswordHash(stored).iterations).toBe(100_000);
    expect(await verifyPassword("default-cost", stored)).toBe(true);
  });

  it("refuses iteration counts outside [10_000, 100_000] with ConfigError", async () => {
    for (const iterations of [100_001, 9_999, 0, -1, 10_000.5, Number.NaN]) {
      await expect(hashPassword("pw", iterations), String(iterations)).rejects.toBeInstanceOf(ConfigError);
    }
  });

  it("normalises to NFC, so composed and decomposed accents match", async () => {
    const stored = await hashPassword("caf\u00e9", FAST);
    expect(await verifyPassword("cafe\u0301", stored)).toBe(true);
  });

  it("refuses empty passwords and passwords over 1,024 UTF-8 bytes with ValidationError", async () => {
    await expect(hashPassword("", FAST)).rejects.toBeInstanceOf(ValidationError);
    await expect(hashPassword("a".repeat(1_025), FAST)).rejects.toBeInstanceOf(ValidationError);
    await expect(hashPassword("\u00e9".repeat(513), FAST)).rejects.toBeInstanceOf(ValidationError);
    await expect(hashPassword("a".repeat(1_024), FAST)).resolves.toMatch(/^pbkdf2-sha256\$/);
    await expect(hashPassword("\u00e9".repeat(512), FAST)).resolves.toMatch(/^pbkdf2-sha256\$/);
    const stored = await hashPassword("x", FAST);
    await expect(verifyPassword("", stored)).rejects.toBeInstanceOf(ValidationError);
    await expect(verifyPassword("a".repeat(1_025), stored)).rejects.toBeInstanceOf(ValidationError);
  });
});

describe("needsRehash", () => {
  it("is true only when the stored count is below the current one", async () => {
    const stored = await hashPassword("pw", 20_000);
    expect(needsRehash(stored, 20_001)).toBe(true);
    expect(needsRehash(stored, 100_000)).toBe(true);
    expect(needsRehash(stored, 20_000)).toBe(false);
    expect(needsRehash(stored, 10_000)).toBe(false);
  });
});

describe("malformed stored hashes", () => {
  const salt = Buffer.alloc(16, 7).toString("base64url");
  const hash = Buffer.alloc(32, 9).toString("base64url");
  const cases: [string, string][] = [
    ["empty", ""],
    ["other scheme", `pbkdf2-sha512$10000$${salt}$${hash}`],
    ["missing part", `pbkdf2-sha256$10000$${salt}`],
    ["extra part", `pbkdf2-sha256$10000$${salt}$${hash}$x`],
    ["zero iterations", `pbkdf2-sha256$0$${salt}$${hash}`],
    ["leading zero", `pbkdf2-sha256$010000$${salt}$${hash}`],
    ["over the Workers maximum", `pbkdf2-sha256$100001$${salt}$${hash}`],
    ["huge count", `pbkdf2-sha256$999999999$${salt}$${hash}`],
    ["8-byte salt", `pbkdf2-sha256$10000$${Buffer.alloc(8).toString("base64url")}$${hash}`],
    ["31-byte hash", `pbkdf2-sha256$10000$${salt}$${Buffer.alloc(31).toString("base64url")}`],
    ["padded base64", `pbkdf2-sha256$10000$${salt}==$${hash}`],
    ["non-canonical last character", `pbkdf2-sha256$10000$${salt.slice(0, -1)}B$${hash}`],
    ["standard base64 alphabet", `pbkdf2-sha256$10000$${salt}$${Buffer.alloc(32, 0xfb).toString("base64")}`],
  ];

  it.each(cases)("refuses %s as an internal error, without deriving", async (_name, stored) => {
    const derive = vi.spyOn(crypto.subtle, "deriveBits");
    const attempt = verifyPassword("pw", stored);
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ code: "INTERNAL", status: 500 });
    expect(derive).not.toHaveBeenCalled();
    expect(() => needsRehash(stored, 10_000)).toThrow(AppError);
  });

  it("accepts the well-formed control of the cases above", () => {
    expect(parsePasswordHash(`pbkdf2-sha256$10000$${salt}$${hash}`)).toEqual({
      iterations: 10_000,
      salt: new Uint8Array(16).fill(7),
      hash: new Uint8Array(32).fill(9),
    });
  });
});

describe("dummyVerifyPassword", () => {
  it("derives with the given count and always answers false", async () => {
    const derive = vi.spyOn(crypto.subtle, "deriveBits");
    expect(await dummyVerifyPassword("anything", 20_000)).toBe(false);
    expect(derive).toHaveBeenCalledTimes(1);
    expect(derive.mock.calls[0]?.[0]).toMatchObject({ name: "PBKDF2", hash: "SHA-256", iterations: 20_000 });
    expect(derive.mock.calls[0]?.[2]).toBe(256);
  });

  it("uses the default count and checks the password like a real verification", async () => {
    const derive = vi.spyOn(crypto.subtle, "deriveBits");
    expect(await dummyVerifyPassword("anything")).toBe(false);
    expect(derive.mock.calls[0]?.[0]).toMatchObject({ iterations: 100_000 });
    await expect(dummyVerifyPassword("")).rejects.toBeInstanceOf(ValidationError);
    await expect(dummyVerifyPassword("pw", 100_001)).rejects.toBeInstanceOf(ConfigError);
  });
});
