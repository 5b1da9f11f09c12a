/**
 * Rows of a table file as NDJSON: one JSON object per line, keys in column order. SQLite values map to JSON as they
 * are, except the two JSON cannot carry: non-finite reals (`{"$float":"Infinity"}`) and BLOBs (`{"$blob":"<base64>"}`).
 * Decoding is strict — a line that is not an object of exactly the table's columns is corruption, never repaired.
 */

/** A value SQLite stores: NULL, INTEGER or REAL, TEXT, BLOB. */
export type SqlValue = null | number | string | Uint8Array;

/** One table row by column name. */
export type SqlRow = Record<string, SqlValue>;

type JsonCell = null | number | string | { $float: "Infinity" | "-Infinity" | "NaN" } | { $blob: string };

/** A line that cannot be read back as a row of the table. */
export class NdjsonRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NdjsonRowError";
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * A value as D1 hands it over, as its JSON cell. D1 gives BLOBs as ArrayBuffer or as an array of byte values
 * depending on the path, and never booleans; both array forms become `$blob`.
 */
export function encodeCell(value: unknown): JsonCell {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number") {
    if (Number.isFinite(value)) return value;
    return { $float: Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity" };
  }
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new NdjsonRowError(`integer ${value} is outside the safe range`);
    return Number(value);
  }
  if (value instanceof Uint8Array) return { $blob: toBase64(value) };
  if (value instanceof ArrayBuffer) return { $blob: toBase64(new Uint8Array(value)) };
  if (ArrayBuffer.isView(value)) return { $blob: toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return { $blob: toBase64(Uint8Array.from(value as number[])) };
  throw new NdjsonRowError(`cannot store a ${typeof value} value`);
}

/** A JSON cell back to the value to bind. */
export function decodeCell(cell: unknown): SqlValue {
  if (cell === null || typeof cell === "string") return cell;
  if (typeof cell === "number") return cell;
  if (typeof cell === "object" && !Array.isArray(cell)) {
    const keys = Object.keys(cell);
    const record = cell as Record<string, unknown>;
    if (keys.length === 1 && keys[0] === "$float") {
      if (record.$float === "Infinity") return Infinity;
      if (record.$float === "-Infinity") return -Infinity;
      if (record.$float === "NaN") return NaN;
    }
    if (keys.length === 1 && keys[0] === "$blob" && typeof record.$blob === "string") {
      try {
        return fromBase64(record.$blob);
      } catch {
        throw new NdjsonRowError("a $blob cell is not base64");
      }
    }
  }
  throw new NdjsonRowError(`unexpected cell ${JSON.stringify(cell)?.slice(0, 80)}`);
}

/**
 * The NDJSON line (with its "\n") of a row as D1 returned it, keys in `columns` order.
 * @example encodeRow({ id: 1, name: "a" }, ["id", "name"]) // '{"id":1,"name":"a"}\n'
 */
export function encodeRow(row: Readonly<Record<string, unknown>>, columns: readonly string[]): string {
  const line: Record<string, JsonCell> = {};
  for (const column of columns) {
    if (!(column in row)) throw new NdjsonRowError(`the row has no column ${column}`);
    line[column] = encodeCell(row[column]);
  }
  return `${JSON.stringify(line)}\n`;
}

/** Several rows as NDJSON text. */
export function encodeRows(rows: readonly Readonly<Record<string, unknown>>[], columns: readonly string[]): string {
  return rows.map((row) => encodeRow(row, columns)).join("");
}

/**
 * One NDJSON line (without its newline) as a row of exactly `columns`; NdjsonRowError otherwise.
 * @example decodeRow('{"id":1,"name":"a"}', ["id", "name"]) // { id: 1, name: "a" }
 */
export function decodeRow(line: string, columns: readonly string[]): SqlRow {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new NdjsonRowError(`not JSON: ${line.slice(0, 80)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new NdjsonRowError("a line is not a JSON object");
  const record = parsed as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length !== columns.length || columns.some((c) => !Object.hasOwn(record, c))) {
    throw new NdjsonRowError(`columns ${keys.join(",")} differ from the table's ${columns.join(",")}`);
  }
  const row: SqlRow = {};
  for (const column of columns) row[column] = decodeCell(record[column]);
  return row;
}

/** Every row of an NDJSON text (a trailing newline is optional; an empty line in the middle is corruption). */
export function decodeRows(text: string, columns: readonly string[]): SqlRow[] {
  const splitter = new NdjsonLineSplitter();
  return [...splitter.push(text), ...splitter.end()].map((line) => decodeRow(line, columns));
}

/**
 * Cuts streamed text into lines: `push` answers the lines completed so far, `end` the last one (if the text did not
 * end with a newline).
 * @example
 * const splitter = new NdjsonLineSplitter();
 * splitter.push('{"a":1}\n{"a"'); // ['{"a":1}']
 * splitter.push(':2}\n'); // ['{"a":2}']
 */
export class NdjsonLineSplitter {
  private rest = "";

  push(text: string): string[] {
    const parts = (this.rest + text).split("\n");
    this.rest = parts.pop() ?? "";
    return parts;
  }

  end(): string[] {
    const last = this.rest;
    this.rest = "";
    return last === "" ? [] : [last];
  }
}
