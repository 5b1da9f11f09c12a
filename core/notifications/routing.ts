/**
 * Which channels an event goes to, whether the rate limit lets a delivery through, and what each channel kind is
 * sent: the Telegram text, the email subject and body, the webhook JSON body and the log line.
 */
import { z } from "zod";
import { NotificationSeveritySchema, type NotificationPayload, type NotificationSeverity } from "../schemas/tasks.js";
import type { NotificationConfig, RateLimitWindow } from "./config.js";

const SEVERITY_RANK: Readonly<Record<NotificationSeverity, number>> = { info: 0, warning: 1, critical: 2 };

/** Whether `severity` is at least `minimum` (info < warning < critical). */
export function severityAtLeast(severity: NotificationSeverity, minimum: NotificationSeverity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[minimum];
}

/**
 * Whether an event pattern takes an event: `*` takes every event, `task.*` every event under `task.` at any depth
 * (`task.dead`, `task.dead.notification`, not `task` nor `tasks.dead`), anything else only the exact name.
 */
export function eventMatches(pattern: string, event: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) return event.startsWith(pattern.slice(0, -1));
  return pattern === event;
}

/**
 * The channels an event of this severity goes to: each channel of every route whose patterns take the event and whose
 * minimum severity it reaches, once, in the order the routes and their channels are declared.
 * @example channelsFor(config, "health.critical", "critical") // ["log", "ops-telegram"]
 */
export function channelsFor(config: NotificationConfig, event: string, severity: NotificationSeverity): string[] {
  const names = new Set<string>();
  for (const route of config.routes) {
    if (!severityAtLeast(severity, route.minSeverity)) continue;
    if (!route.events.some((pattern) => eventMatches(pattern, event))) continue;
    for (const name of route.channels) names.add(name);
  }
  return [...names];
}

/** The rate limit of a channel: its override, else the default. */
export function rateLimitFor(config: NotificationConfig, channel: string): RateLimitWindow {
  return config.rateLimit.channels[channel] ?? { maxPerWindow: config.rateLimit.maxPerWindow, windowS: config.rateLimit.windowS };
}

/** The sliding window that ends at `nowMs`: deliveries with `fromMs < atMs <= nowMs` count. */
export function rateLimitWindowAt(limit: RateLimitWindow, nowMs: number): { fromMs: number; toMs: number } {
  return { fromMs: nowMs - limit.windowS * 1_000, toMs: nowMs };
}

export type RateLimitDecision =
  | { readonly allowed: true; readonly remaining: number }
  | { readonly allowed: false; readonly sentInWindow: number; readonly maxPerWindow: number; readonly windowS: number };

/**
 * Whether one more delivery may go out on a (channel, event) that already sent `sentInWindow` within the window;
 * `remaining` counts the deliveries left after this one.
 */
export function rateLimitDecision(limit: RateLimitWindow, sentInWindow: number): RateLimitDecision {
  if (sentInWindow < limit.maxPerWindow) return { allowed: true, remaining: limit.maxPerWindow - sentInWindow - 1 };
  return { allowed: false, sentInWindow, maxPerWindow: limit.maxPerWindow, windowS: limit.windowS };
}

/** A notification as it goes out: the payload, the task that delivers it (if any) and the time of the attempt. */
export interface OutgoingNotification {
  readonly payload: NotificationPayload;
  readonly taskId: string | null;
  /** Time of the delivery attempt, epoch ms. */
  readonly atMs: number;
}

/** The JSON body every webhook receives (the signature covers exactly these bytes). */
export const WebhookBodySchema = z.object({
  event: z.string(),
  severity: NotificationSeveritySchema,
  title: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).describe("Structured context; {} when the notification has none"),
  taskId: z.string().nullable().describe("The notification task; the same across retries, so receivers can de-duplicate on it"),
  atMs: z.number().int().describe("Time of this delivery attempt, epoch ms; signed, unlike the X-Aurum-Timestamp header"),
});
export type WebhookBody = z.infer<typeof WebhookBodySchema>;

export function webhookBody(n: OutgoingNotification): WebhookBody {
  const { event, severity, title, message, data } = n.payload;
  return { event, severity, title, message, data: data ?? {}, taskId: n.taskId, atMs: n.atMs };
}

/** Telegram refuses messages longer than this, characters. */
export const TELEGRAM_MAX_TEXT_CHARS = 4_096;

/**
 * The Telegram message, plain text (no parse mode, so nothing needs escaping): severity and title, the message, then
 * the event and the task. Cut to Telegram's 4,096 characters.
 * @example telegramText(n) // "[CRITICAL] Health check critical\nD1 did not answer\n\nhealth.critical · task tsk_…"
 */
export function telegramText(n: OutgoingNotification): string {
  const { event, severity, title, message } = n.payload;
  const footer = n.taskId === null ? event : `${event} · task ${n.taskId}`;
  return truncate(`[${severity.toUpperCase()}] ${title}\n${message}\n\n${footer}`, TELEGRAM_MAX_TEXT_CHARS);
}

/** The email subject and plain-text body: the message, then event, severity, task, time (UTC) and the data as JSON. */
export function emailMessage(n: OutgoingNotification): { subject: string; text: string } {
  const { event, severity, title, message, data } = n.payload;
  const lines = [
    message,
    "",
    `Event: ${event}`,
    `Severity: ${severity}`,
    `Task: ${n.taskId ?? "none"}`,
    `Time: ${new Date(n.atMs).toISOString()}`,
  ];
  if (data !== undefined && Object.keys(data).length > 0) lines.push("", "Data:", JSON.stringify(data, null, 2));
  return { subject: `[Aurum Edge] ${severity.toUpperCase()}: ${title}`, text: `${lines.join("\n")}\n` };
}

/** The log level a notification is written at: error for critical, warn for warning, info for info. */
export function logLevelFor(severity: NotificationSeverity): "info" | "warn" | "error" {
  return severity === "critical" ? "error" : severity === "warning" ? "warn" : "info";
}

/** The fields of the log channel's structured line. */
export function logFields(n: OutgoingNotification): Record<string, unknown> {
  const { event, severity, title, message, data } = n.payload;
  return { event, severity, title, message, data: data ?? {}, taskId: n.taskId, atMs: n.atMs };
}

function truncate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}
