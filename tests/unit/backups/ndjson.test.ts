/** NDJSON rows: the round trip of every SQLite value, strict decoding, and lines cut anywhere by the stream. */
import { describe, expect, it } from "vitest";
import { decodeCell, decodeRow, decodeRows, encodeCell, encodeRow, encodeRows, NdjsonLineSplitter, NdjsonRowError } from "../../../core/backups/ndjson.js";

const COLUMNS = ["id", "name", "price", "payload", "deleted_at_ms", "blob"];

const ROWS = [
  { id: 1, name: "plain", price: 2300.5, payload: '{"nested":{"ok":true}}', deleted_at_ms: null, blob: new Uint8Array([0, 1, 254, 255]) },
  { id: 2, name: "quote \" backslash \\ newline \n tab \t unicode ü €  emoji 🪙", price: -0, payload: "", deleted_at_ms: 1_714_000_000_123, blob: new Uint8Array() },
  { id: 9_007_199_254_740_991, name: "x".repeat(10_000), price: 1e-300, payload: "[1,2,3]", deleted_at_ms: -1, blob: null },
];

describe("encodeRow / decodeRow", () => {
  it("round-trips rows: strings with every escape, reals, big integers, NULL and BLOBs", () => {
    const text = encodeRows(ROWS, COLUMNS);
    expect(text.split("\n")).toHaveLength(ROWS.length + 1);
    expect(text.endsWith("\n")).toBe(true);
    const back = decodeRows(text, COLUMNS);
    expect(back).toEqual(ROWS.map((r) => ({ ...r, price: r.price === 0 ? 0 : r.price })));
  });

  it("writes keys in column order whatever the row's order", () => {
    expect(encodeRow({ b: 2, a: 1 }, ["a", "b"])).toBe('{"a":1,"b":2}\n');
  });

  it("keeps non-finite reals, which JSON cannot carry", () => {
    const row = { id: 1, v: Infinity, w: -Infinity, n: NaN };
    const line = encodeRow(row, ["id", "v", "w", "n"]);
    expect(line).toBe('{"id":1,"v":{"$float":"Infinity"},"w":{"$float":"-Infinity"},"n":{"$float":"NaN"}}\n');
    expect(decodeRow(line.trim(), ["id", "v", "w", "n"])).toEqual(row);
  });

  it("reads BLOBs in every form D1 hands them over", () => {
    const bytes = [104, 105];
    for (const value of [new Uint8Array(bytes), new Uint8Array(bytes).buffer, bytes, new DataView(new Uint8Array(bytes).buffer)]) {
      expect(encodeCell(value)).toEqual({ $blob: "aGk=" });
    }
    expect(decodeCell({ $blob: "aGk=" })).toEqual(new Uint8Array(bytes));
  });

  it("refuses a row that lacks a column, and values SQLite does not store", () => {
    expect(() => encodeRow({ id: 1 }, ["id", "name"])).toThrow(NdjsonRowError);
    expect(() => encodeCell({ an: "object" })).toThrow(NdjsonRowError);
    expect(() => encodeCell(true)).toThrow(NdjsonRowError);
    expect(() => encodeCell(2n ** 60n)).toThrow(NdjsonRowError);
    expect(encodeCell(12n)).toBe(12);
  });

  it("refuses lines that are not exactly a row of the table", () => {
    const columns = ["id", "name"];
    expect(() => decodeRow("", columns)).toThrow(NdjsonRowError);
    expect(() => decodeRow('{"id":1,"name":"a"', columns)).toThrow(/not JSON/);
    expect(() => decodeRow("[1,\"a\"]", columns)).toThrow(/not a JSON object/);
    expect(() => decodeRow('{"id":1}', columns)).toThrow(/differ/);
    expect(() => decodeRow('{"id":1,"name":"a","extra":0}', columns)).toThrow(/differ/);
    expect(() => decodeRow('{"id":1,"nam":"a"}', columns)).toThrow(/differ/);
    expect(() => decodeRow('{"id":true,"name":"a"}', columns)).toThrow(/unexpected cell/);
    expect(() => decodeRow('{"id":{"$float":"Big"},"name":"a"}', columns)).toThrow(/unexpected cell/);
    expect(() => decodeRow('{"id":{"$blob":"%%%"},"name":"a"}', columns)).toThrow(/base64/);
    expect(() => decodeRow('{"id":[1],"name":"a"}', columns)).toThrow(/unexpected cell/);
  });

  it("treats an empty line in the middle as corruption, a missing final newline as fine", () => {
    expect(() => decodeRows('{"id":1}\n\n{"id":2}\n', ["id"])).toThrow(NdjsonRowError);
    expect(decodeRows('{"id":1}\n{"id":2}', ["id"])).toEqual([{ id: 1 }, { id: 2 }]);
    expect(decodeRows("", ["id"])).toEqual([]);
  });
});

describe("NdjsonLineSplitter", () => {
  it("gives the same lines however the text is cut", () => {
    const text = encodeRows(ROWS, COLUMNS);
    for (const size of [1, 2, 3, 7, 64, 4_096, text.length]) {
      const splitter = new NdjsonLineSplitter();
      const lines: string[] = [];
      for (let start = 0; start < text.length; start += size) lines.push(...splitter.push(text.slice(start, start + size)));
      lines.push(...splitter.end());
      expect(lines.map((line) => decodeRow(line, COLUMNS))).toEqual(decodeRows(text, COLUMNS));
    }
  });

  it("hands over an unterminated last line only at the end", () => {
    const splitter = new NdjsonLineSplitter();
    expect(splitter.push('{"a":1}\n{"a"')).toEqual(['{"a":1}']);
    expect(splitter.push(":2}")).toEqual([]);
    expect(splitter.end()).toEqual(['{"a":2}']);
    expect(splitter.end()).toEqual([]);
  });
});
