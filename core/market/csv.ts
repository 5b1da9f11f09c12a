/** Parsers for the CSV files the platform reads: MT5 M1 bar exports and plain tick files. */
import type { SourceBar } from "./tick-path.js";
import type { Tick } from "./tick.js";

/** A line of a CSV that could not be read, with its 1-based line number. */
export class CsvFormatError extends Error {
  constructor(readonly lineNumber: number, message: string) {
    super(`line ${lineNumber}: ${message}`);
    this.name = "CsvFormatError";
  }
}

/**
 * Parses a UTC offset such as "+03:00", "-05:30" or "Z" into minutes east of UTC.
 * @example parseUtcOffsetMinutes("+03:00") === 180
 */
export function parseUtcOffsetMinutes(offset: string): number {
  if (offset === "Z" || offset === "UTC") return 0;
  const match = /^([+-])(\d{2}):?(\d{2})$/.exec(offset);
  if (!match) throw new RangeError(`invalid UTC offset '${offset}', expected e.g. +03:00`);
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === "-" ? -minutes : minutes;
}

/**
 * "2026-03-24 17:00:00" (or with a T, or 2026.03.24) in a zone `offsetMinutes` east of UTC → epoch ms UTC.
 * A text that carries its own zone ("…Z", "…+02:00") is read in that zone. NaN when unreadable.
 */
export function parseLocalTimestampMs(text: string, offsetMinutes: number): number {
  if (/(Z|[+-]\d{2}:?\d{2})$/.test(text.trim())) return Date.parse(text.trim());
  const match = /^(\d{4})[-.](\d{2})[-.](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(text.trim());
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s, ms] = match;
  const utcMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), Number((ms ?? "0").padEnd(3, "0")));
  return utcMs - offsetMinutes * 60_000;
}

function splitLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== "");
}

function columnIndex(header: string[], name: string, lineNumber = 1): number {
  const index = header.indexOf(name);
  if (index < 0) throw new CsvFormatError(lineNumber, `missing column '${name}' (have: ${header.join(",")})`);
  return index;
}

function numberAt(cells: string[], index: number, name: string, lineNumber: number): number {
  const value = Number(cells[index]);
  if (cells[index] === undefined || cells[index] === "" || !Number.isFinite(value)) {
    throw new CsvFormatError(lineNumber, `column '${name}' is not a number: '${cells[index] ?? ""}'`);
  }
  return value;
}

/** True when the header line is an MT5 bar export (`time,open,high,low,close,tick_volume,spread,...`). */
export function isMt5BarHeader(headerLine: string): boolean {
  const header = headerLine.trim().toLowerCase().split(",");
  return ["time", "open", "high", "low", "close"].every((name) => header.includes(name));
}

/**
 * Parses an MT5 M1 bar export. Times are in the broker's server zone, `offsetMinutes` east of UTC.
 * `spread` is in points; `fallbackSpreadPoints` is used when the file has no spread column.
 */
export function parseMt5BarsCsv(text: string, offsetMinutes: number, fallbackSpreadPoints?: number): SourceBar[] {
  const [headerLine, ...lines] = splitLines(text);
  if (headerLine === undefined) return [];
  const header = headerLine.trim().toLowerCase().split(",");
  const col = {
    time: columnIndex(header, "time"),
    open: columnIndex(header, "open"),
    high: columnIndex(header, "high"),
    low: columnIndex(header, "low"),
    close: columnIndex(header, "close"),
    tickVolume: header.indexOf("tick_volume"),
    spread: header.indexOf("spread"),
  };
  if (col.spread < 0 && fallbackSpreadPoints === undefined) {
    throw new CsvFormatError(1, "no 'spread' column: give the spread in points");
  }
  return lines.map((line, i) => {
    const lineNumber = i + 2;
    const cells = line.split(",");
    const tsMs = parseLocalTimestampMs(cells[col.time] ?? "", offsetMinutes);
    if (Number.isNaN(tsMs)) throw new CsvFormatError(lineNumber, `bad time '${cells[col.time] ?? ""}'`);
    return {
      tsMs,
      open: numberAt(cells, col.open, "open", lineNumber),
      high: numberAt(cells, col.high, "high", lineNumber),
      low: numberAt(cells, col.low, "low", lineNumber),
      close: numberAt(cells, col.close, "close", lineNumber),
      tickVolume: col.tickVolume < 0 ? 4 : numberAt(cells, col.tickVolume, "tick_volume", lineNumber),
      spreadPoints: col.spread < 0 ? (fallbackSpreadPoints ?? 0) : numberAt(cells, col.spread, "spread", lineNumber),
    };
  });
}

/** Epoch-ms values below this (1 Jan 2001 in ms) are taken to be epoch seconds by mistake. */
const EPOCH_MS_FLOOR = 978_307_200_000;

/**
 * Parses a tick CSV `ts,bid,ask[,volume]`: `ts` is epoch ms, or a date-time in the zone `offsetMinutes` east of UTC.
 */
export function parseTicksCsv(text: string, offsetMinutes: number): Tick[] {
  const [headerLine, ...lines] = splitLines(text);
  if (headerLine === undefined) return [];
  const header = headerLine.trim().toLowerCase().split(",");
  const col = { ts: columnIndex(header, "ts"), bid: columnIndex(header, "bid"), ask: columnIndex(header, "ask"), volume: header.indexOf("volume") };
  return lines.map((line, i) => {
    const lineNumber = i + 2;
    const cells = line.split(",");
    const tsText = cells[col.ts] ?? "";
    const tsMs = /^\d+$/.test(tsText.trim()) ? Number(tsText) : parseLocalTimestampMs(tsText, offsetMinutes);
    if (Number.isNaN(tsMs)) throw new CsvFormatError(lineNumber, `bad ts '${tsText}'`);
    if (tsMs < EPOCH_MS_FLOOR) throw new CsvFormatError(lineNumber, `ts ${tsText} looks like epoch seconds; ts must be epoch milliseconds`);
    return {
      tsMs,
      bid: numberAt(cells, col.bid, "bid", lineNumber),
      ask: numberAt(cells, col.ask, "ask", lineNumber),
      volume: col.volume < 0 ? 1 : numberAt(cells, col.volume, "volume", lineNumber),
    };
  });
}
