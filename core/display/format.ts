/**
 * How the dashboard shows numbers and times: every value with its unit, every timestamp in UTC with the offset
 * written out. Pure and shared by the server-rendered pages and the browser scripts, so a live update looks exactly
 * like the value the page was rendered with.
 */

const MINUS = "\u2212";

const usdFormat = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/**
 * US dollars with two decimals and a real minus sign.
 * @example formatUsd(-1234.5) // "−$1,234.50"
 * @example formatUsd(12, { signed: true }) // "+$12.00"
 */
export function formatUsd(amountUsd: number | null | undefined, options: { signed?: boolean } = {}): string {
  if (amountUsd === null || amountUsd === undefined || !Number.isFinite(amountUsd)) return "—";
  const sign = amountUsd < 0 ? MINUS : options.signed && amountUsd > 0 ? "+" : "";
  return `${sign}$${usdFormat.format(Math.abs(amountUsd))}`;
}

/**
 * A plain number with a fixed number of decimals and thousands separators (prices, lots, ratios).
 * @example formatNumber(3312.456, 2) // "3,312.46"
 */
export function formatNumber(value: number | null | undefined, decimals: number, options: { signed?: boolean } = {}): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const text = new Intl.NumberFormat("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(Math.abs(value));
  const sign = value < 0 && Number(text.replace(/,/g, "")) !== 0 ? MINUS : options.signed && value > 0 ? "+" : "";
  return `${sign}${text}`;
}

/**
 * A fraction as a percentage.
 * @example formatPercent(0.1234) // "12.34 %"
 */
export function formatPercent(fraction: number | null | undefined, decimals = 2, options: { signed?: boolean } = {}): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "—";
  return `${formatNumber(fraction * 100, decimals, options)} %`;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/**
 * An epoch-ms instant in UTC with the offset shown.
 * @example formatUtc(Date.UTC(2026, 4, 28, 14, 3, 7)) // "2026-05-28 14:03:07 +00:00"
 * @example formatUtc(ms, { seconds: false }) // "2026-05-28 14:03 +00:00"
 */
export function formatUtc(tsMs: number | null | undefined, options: { seconds?: boolean; milliseconds?: boolean } = {}): string {
  if (tsMs === null || tsMs === undefined || !Number.isFinite(tsMs)) return "—";
  const d = new Date(tsMs);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  let time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  if (options.seconds !== false) time += `:${pad(d.getUTCSeconds())}`;
  if (options.milliseconds) time += `.${pad(d.getUTCMilliseconds(), 3)}`;
  return `${date} ${time} +00:00`;
}

/**
 * A duration in the largest units that keep it readable.
 * @example formatDuration(93_000) // "1 min 33 s"
 * @example formatDuration(450) // "450 ms"
 */
export function formatDuration(durationMs: number | null | undefined): string {
  if (durationMs === null || durationMs === undefined || !Number.isFinite(durationMs)) return "—";
  const sign = durationMs < 0 ? MINUS : "";
  const ms = Math.abs(durationMs);
  if (ms < 1_000) return `${sign}${Math.round(ms)} ms`;
  if (ms < 60_000) return `${sign}${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const totalS = Math.round(ms / 1_000);
  if (totalS < 3_600) return `${sign}${Math.floor(totalS / 60)} min ${totalS % 60} s`;
  const totalMin = Math.round(totalS / 60);
  if (totalMin < 1_440) return `${sign}${Math.floor(totalMin / 60)} h ${totalMin % 60} min`;
  const totalH = Math.round(totalMin / 60);
  return `${sign}${Math.floor(totalH / 24)} d ${totalH % 24} h`;
}

/**
 * How long ago an instant was, relative to `nowMs`.
 * @example formatAge(nowMs - 93_000, nowMs) // "1 min 33 s ago"
 */
export function formatAge(tsMs: number | null | undefined, nowMs: number): string {
  if (tsMs === null || tsMs === undefined || !Number.isFinite(tsMs)) return "never";
  const ageMs = nowMs - tsMs;
  if (ageMs < 0) return `in ${formatDuration(-ageMs)}`;
  if (ageMs < 1_000) return "just now";
  return `${formatDuration(ageMs)} ago`;
}

/**
 * Bytes in binary units.
 * @example formatBytes(81_920) // "80.0 KiB"
 */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** "positive" / "negative" / "flat": the tone a signed amount is shown in. */
export function toneOf(value: number | null | undefined): "positive" | "negative" | "flat" {
  if (value === null || value === undefined || !Number.isFinite(value) || value === 0) return "flat";
  return value > 0 ? "positive" : "negative";
}

/**
 * JSON that is safe inside a `<script type="application/json">` element: `<`, `>` and `&` escaped as \u00XX, so no
 * "</script>" or "<!--" in a value can end the element early. `JSON.parse` reads it back unchanged.
 * @example scriptSafeJson({ note: "</script>" }) // '{"note":"\u003c/script\u003e"}'
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
}
