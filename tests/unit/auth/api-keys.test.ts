/** API keys: format, hash, round trip, and every kind of malformed key refused as 401. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { UnauthorizedError } from "../../../core/errors/app-error.js";
import { generateApiKey, parseApiKey, verifyApiKey } from "../../../workers/auth/api-keys.js";

const WELL_FORMED = `ak_abcd2345_${Buffer.alloc(32, 0x5a).toString("base64url")}`;

describe("generateApiKey", () => {
  it("makes ak_<8-char prefix>_<32 bytes base64url> with the SHA-256 of the whole key", async () => {
    const { key, prefix, keyHash } = await generateApiKey();
    expect(key).toMatch(/^ak_[a-z2-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(key.slice(3, 11)).toBe(prefix);
    expect(Buffer.from(key.slice(12), "base64url")).toHaveLength(32);
    expect(keyHash).toBe(createHash("sha256").update(key).digest("base64url"));
  });

  it("draws prefixes from [a-z2-9] without 0, 1, l or o, and never repeats keys", async () => {
    const generated = await Promise.all(Array.from({ length: 200 }, () => generateApiKey()));
    const prefixes = generated.map((g) => g.prefix).join("");
    expect(prefixes).toMatch(/^[a-km-np-z2-9]+$/);
    expect(new Set(generated.map((g) => g.key)).size).toBe(200);
    expect(new Set(generated.map((g) => g.prefix)).size).toBeGreaterThan(190);
  });
});

describe("parseApiKey / verifyApiKey", () => {
  it("round-trips a generated key", async () => {
    const { key, prefix, keyHash } = await generateApiKey();
    expect(parseApiKey(key)).toEqual({ prefix });
    expect(await verifyApiKey(key, keyHash)).toBe(true);
  });

  it("refuses another key's hash, a one-character change, and a corrupted stored hash", async () => {
    const a = await generateApiKey();
    const b = await generateApiKey();
    expect(await verifyApiKey(a.key, b.keyHash)).toBe(false);
    const last = a.key.at(-1) === "A" ? "E" : "A";
    const changed = `${a.key.slice(0, -1)}${last}`;
    expect(parseApiKey(changed)).toEqual({ prefix: a.prefix });
    expect(await verifyApiKey(changed, a.keyHash)).toBe(false);
    expect(await verifyApiKey(a.key, a.keyHash.slice(0, -1))).toBe(false);
    expect(await verifyApiKey(a.key, "")).toBe(false);
  });

  it("accepts the hand-written well-formed key used as the control below", () => {
    expect(parseApiKey(WELL_FORMED)).toEqual({ prefix: "abcd2345" });
  });

  const secret = WELL_FORMED.slice(12);
  it.each([
    ["empty", ""],
    ["only the tag", "ak_"],
    ["another tag", `sk_abcd2345_${secret}`],
    ["a 7-char prefix", `ak_abcd234_${secret}`],
    ["a 9-char prefix", `ak_abcd23456_${secret}`],
    ["an upper-case prefix", `ak_ABCD2345_${secret}`],
    ["a look-alike in the prefix", `ak_abcd2340_${secret}`],
    ["a 42-char secret", `ak_abcd2345_${secret.slice(1)}`],
    ["a 44-char secret", `ak_abcd2345_${secret}A`],
    ["padding", `ak_abcd2345_${secret}=`],
    ["standard base64 characters", `ak_abcd2345_+${secret.slice(1)}`],
    ["a non-canonical last character", `ak_abcd2345_${secret.slice(0, -1)}B`],
    ["surrounding whitespace", ` ${WELL_FORMED} `],
    ["a missing separator", WELL_FORMED.replace("abcd2345_", "abcd2345")],
  ])("refuses %s as UnauthorizedError (malformed)", async (_name, key) => {
    expect(() => parseApiKey(key)).toThrow(UnauthorizedError);
    try {
      parseApiKey(key);
    } catch (error: unknown) {
      expect((error as UnauthorizedError).status).toBe(401);
      expect((error as UnauthorizedError).details).toEqual({ reason: "malformed" });
    }
    await expect(verifyApiKey(key, createHash("sha256").update(key).digest("base64url"))).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
