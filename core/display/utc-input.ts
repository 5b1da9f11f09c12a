/** Reading the UTC dates and times the dashboard's forms take. */

const UTC_INPUT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const DAY_MS = 86_400_000;

/**
 * A UTC date or date-time as a form enters it (`2024-03-01`, `2024-03-01T08:30`, `2024-03-01T08:30:15`): its first
 * and last millisecond (a date covers the whole day, a minute the whole minute), and the value the form shows again.
 * Null for anything else (including impossible dates such as 2024-02-30).
 * @example parseUtcInput("2024-03-01T08:30") // { startMs: Date.UTC(2024, 2, 1, 8, 30), endMs: startMs + 59_999, display: "2024-03-01T08:30" }
 * @example parseUtcInput("2024-03-01") // { startMs: Date.UTC(2024, 2, 1), endMs: startMs + 86_399_999, display: "2024-03-01T00:00" }
 */
export function parseUtcInput(text: string): { startMs: number; endMs: number; display: string } | null {
  const match = UTC_INPUT.exec(text);
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => (part === undefined ? undefined : Number(part)));
  const startMs = Date.UTC(year!, month! - 1, day!, hour ?? 0, minute ?? 0, second ?? 0);
  const date = new Date(startMs);
  const valid =
    date.getUTCFullYear() === year && date.getUTCMonth() === month! - 1 && date.getUTCDate() === day && (hour ?? 0) <= 23 && (minute ?? 0) <= 59 && (second ?? 0) <= 59;
  if (!valid) return null;
  const unitMs = second !== undefined ? 1_000 : minute !== undefined ? 60_000 : DAY_MS;
  const display = hour === undefined ? `${match[1]}-${match[2]}-${match[3]}T00:00` : text;
  return { startMs, endMs: startMs + unitMs - 1, display };
}
