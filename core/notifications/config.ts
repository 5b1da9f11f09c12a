/** The notification configuration (the NOTIFICATIONS variable): channels, per-event routes and rate limits. */
import { z } from "zod";
import { ConfigError } from "../errors/app-error.js";
import { NotificationSeveritySchema } from "../schemas/tasks.js";

/** A channel's name as routes and rate-limit overrides refer to it, e.g. `ops-telegram`. */
export const ChannelNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,39}$/, "a channel name: lower-case letters, digits, '-' and '_', at most 40, starting with a letter")
  .describe("Channel name, e.g. ops-telegram");

/**
 * An event pattern of a route: `*` (every event), an exact event name (`health.critical`) or a prefix ending in `.*`
 * (`task.*`: every event that starts with `task.`, at any depth).
 */
export const EventPatternSchema = z
  .string()
  .regex(
    /^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)+)$/,
    "an event pattern: '*', an event name such as 'health.critical', or a prefix such as 'task.*'",
  )
  .describe("'*', an event name (health.critical) or a prefix pattern (task.*)");

const HttpUrlSchema = z.url({ protocol: /^https?$/, error: (issue) => (issue.input === undefined ? "required: an http(s) URL" : "an http(s) URL") });

/** Longest wait for one HTTP channel, ms; below the notification task's 30 s timeout since channels run in parallel. */
export const MAX_CHANNEL_TIMEOUT_MS = 25_000;

const TimeoutMsSchema = z
  .number()
  .int()
  .min(100)
  .max(MAX_CHANNEL_TIMEOUT_MS)
  .default(10_000)
  .describe("How long one delivery may take before it counts as failed, ms (100 to 25,000; default 10,000)");

export const LogChannelSchema = z.strictObject({
  kind: z.literal("log").describe("A structured log line (level error for critical, warn for warning, info for info)"),
});

export const WebhookChannelSchema = z.strictObject({
  kind: z.literal("webhook").describe("A JSON POST signed with HMAC-SHA256 (secret NOTIFY_WEBHOOK_SECRET)"),
  url: HttpUrlSchema.describe("Endpoint the JSON body is POSTed to"),
  timeoutMs: TimeoutMsSchema,
});

export const TelegramChannelSchema = z.strictObject({
  kind: z.literal("telegram").describe("A message through the Telegram Bot API (secret TELEGRAM_BOT_TOKEN)"),
  chatId: z
    .union([z.number().int(), z.string().regex(/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/, "a numeric chat id or @channelusername")])
    .transform(String)
    .describe("Chat to post to: a numeric id (groups are negative) or @channelusername"),
  apiBaseUrl: HttpUrlSchema.default("https://api.telegram.org")
    .describe("Bot API base URL; the message goes to {apiBaseUrl}/bot<token>/sendMessage"),
  timeoutMs: TimeoutMsSchema,
});

export const EmailChannelSchema = z.strictObject({
  kind: z.literal("email").describe("An email through an HTTP mail API (secret EMAIL_API_KEY, sent as a bearer token)"),
  url: HttpUrlSchema.describe("Mail API endpoint; receives a JSON POST { from, to, subject, text }"),
  from: z.email().describe("Sender address"),
  to: z.array(z.email()).min(1).max(50).describe("Recipient addresses"),
  timeoutMs: TimeoutMsSchema,
});

export const ChannelSchema = z.discriminatedUnion("kind", [LogChannelSchema, WebhookChannelSchema, TelegramChannelSchema, EmailChannelSchema]);
export type Channel = z.infer<typeof ChannelSchema>;
export type ChannelKind = Channel["kind"];
export const CHANNEL_KINDS = ["log", "webhook", "telegram", "email"] as const satisfies readonly ChannelKind[];

export const RouteSchema = z.strictObject({
  events: z.array(EventPatternSchema).min(1).max(50).describe("Event patterns this route takes"),
  minSeverity: NotificationSeveritySchema.default("info").describe("Lowest severity routed: info (all), warning or critical"),
  channels: z.array(ChannelNameSchema).min(1).max(20).describe("Declared channels the matching events go to"),
});
export type Route = z.infer<typeof RouteSchema>;

export const RateLimitWindowSchema = z.strictObject({
  maxPerWindow: z.number().int().min(1).max(100_000).describe("Deliveries sent per (channel, event) within one window"),
  windowS: z.number().int().min(1).max(7 * 86_400).describe("Length of the sliding window, seconds"),
});
export type RateLimitWindow = z.infer<typeof RateLimitWindowSchema>;

export const RateLimitSchema = z.strictObject({
  maxPerWindow: RateLimitWindowSchema.shape.maxPerWindow.default(10)
    .describe("Default: deliveries sent per (channel, event) within one window (default 10)"),
  windowS: RateLimitWindowSchema.shape.windowS.default(3_600).describe("Default sliding window, seconds (default 3,600)"),
  channels: z.record(ChannelNameSchema, RateLimitWindowSchema).default({}).describe("Per-channel overrides of the default"),
});

/** The whole NOTIFICATIONS value. Unknown keys are refused, so that a misspelt key fails instead of being ignored. */
export const NotificationConfigSchema = z
  .strictObject({
    channels: z.record(ChannelNameSchema, ChannelSchema).describe("Delivery channels by name"),
    routes: z.array(RouteSchema).max(100).describe("Which events go to which channels; an event matching several routes goes to each channel once"),
    rateLimit: RateLimitSchema.prefault({}).describe("Sliding-window limit per (channel, event) on sent deliveries"),
  })
  .superRefine((config, ctx) => {
    const declared = Object.keys(config.channels);
    const known = declared.length === 0 ? "none are declared" : `declared: ${declared.join(", ")}`;
    config.routes.forEach((route, routeIndex) => {
      route.channels.forEach((name, channelIndex) => {
        if (!(name in config.channels)) {
          ctx.addIssue({ code: "custom", path: ["routes", routeIndex, "channels", channelIndex], message: `"${name}" is not a declared channel (${known})` });
        }
      });
    });
    for (const name of Object.keys(config.rateLimit.channels)) {
      if (!(name in config.channels)) {
        ctx.addIssue({ code: "custom", path: ["rateLimit", "channels", name], message: `"${name}" is not a declared channel (${known})` });
      }
    }
  });
export type NotificationConfig = z.infer<typeof NotificationConfigSchema>;
export type NotificationConfigInput = z.input<typeof NotificationConfigSchema>;

/**
 * Parses the NOTIFICATIONS JSON; anything wrong is a ConfigError whose message names each problem by its path
 * (`details` holds the zod issues).
 * @example parseNotificationConfig('{"channels":{"log":{"kind":"log"}},"routes":[{"events":["*"],"channels":["log"]}]}')
 */
export function parseNotificationConfig(json: string): NotificationConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error: unknown) {
    throw new ConfigError(`NOTIFICATIONS is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const parsed = NotificationConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length === 0 ? "(root)" : issue.path.join(".")}: ${describeIssue(issue)}`);
    throw new ConfigError(`NOTIFICATIONS is invalid: ${problems.join("; ")}`, { cause: parsed.error, details: parsed.error.issues });
  }
  return deepFreeze(parsed.data);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // A bad record key (a channel name) says why only in its inner issues.
  if (issue.code === "invalid_key") return `invalid name: ${issue.issues.map((inner) => inner.message).join("; ")}`;
  return issue.message;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
