/** Canonical JSON: one text per value, whatever the key order it was built with, so that its hash identifies it. */

/**
 * `value` as JSON with the keys of every object sorted (by UTF-16 code units), arrays in order and no whitespace.
 * Only plain JSON is accepted: a non-finite number, `undefined`, a function or another non-JSON value throws a
 * RangeError instead of being dropped or turned into `null` silently.
 * @example
 * canonicalJson({ b: [2, 1], a: { d: true, c: "x" } }); // '{"a":{"c":"x","d":true},"b":[2,1]}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`canonicalJson: ${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item: unknown) => canonicalJson(item)).join(",")}]`;
  if (typeof value === "object" && isPlainObject(value)) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  throw new RangeError(`canonicalJson: a ${typeof value} is not plain JSON`);
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
