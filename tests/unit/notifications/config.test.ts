/** NOTIFICATIONS parsing: defaults, each channel kind, and loud failures naming the problem. */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../core/errors/app-error.js";
import { parseNotificationConfig, type NotificationConfigInput } from "../../../core/notifications/config.js";
import { parsePlatformConfig } from "../../../core/schemas/config.js";

const parse = (config: unknown) => parseNotificationConfig(JSON.stringify(config));

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const FULL: NotificationConfigInput = {
  channels: {
    log: { kind: "log" },
    ops: { kind: "webhook", url: "https://hooks.example/aurum" },
    desk: { kind: "telegram", chatId: -1001234567890 },
    mail: { kind: "email", url: "https://mail.example/v1/send", from: "alerts@aurum.example", to: ["ops@aurum.example"], timeoutMs: 5_000 },
  },
  routes: [
    { events: ["*"], channels: ["log"] },
    { events: ["task.*", "health.critical"], minSeverity: "warning", channels: ["ops", "desk"] },
    { events: ["backup.failed"], minSeverity: "critical", channels: ["mail", "desk"] },
  ],
  rateLimit: { maxPerWindow: 5, windowS: 600, channels: { desk: { maxPerWindow: 2, windowS: 300 } } },
};

describe("parseNotificationConfig", () => {
  it("parses the platform's default: everything to the log channel, 10 per hour", () => {
    const config = parseNotificationConfig(parsePlatformConfig({}).tasks.notificationsJson);
    expect(config).toEqual({
      channels: { log: { kind: "log" } },
      routes: [{ events: ["*"], minSeverity: "info", channels: ["log"] }],
      rateLimit: { maxPerWindow: 10, windowS: 3_600, channels: {} },
    });
  });

  it("fills channel defaults: a 10 s timeout, the public Telegram API, chat ids as strings", () => {
    const config = parse(FULL);
    expect(config.channels["ops"]).toEqual({ kind: "webhook", url: "https://hooks.example/aurum", timeoutMs: 10_000 });
    expect(config.channels["desk"]).toEqual({ kind: "telegram", chatId: "-1001234567890", apiBaseUrl: "https://api.telegram.org", timeoutMs: 10_000 });
    expect(config.channels["mail"]).toMatchObject({ kind: "email", timeoutMs: 5_000, to: ["ops@aurum.example"] });
    expect(config.rateLimit).toEqual({ maxPerWindow: 5, windowS: 600, channels: { desk: { maxPerWindow: 2, windowS: 300 } } });
  });

  it("accepts a @channelusername as a Telegram chat", () => {
    expect(parse({ channels: { t: { kind: "telegram", chatId: "@aurum_alerts" } }, routes: [] }).channels["t"]).toMatchObject({ chatId: "@aurum_alerts" });
  });

  it("is frozen", () => {
    const config = parse(FULL);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.routes[0]?.channels)).toBe(true);
  });

  it("refuses a route naming an undeclared channel, naming the route, the channel and the declared ones", () => {
    const error = configError(() => parse({ channels: { log: { kind: "log" } }, routes: [{ events: ["*"], channels: ["log", "pager"] }] }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toBe('NOTIFICATIONS is invalid: routes.0.channels.1: "pager" is not a declared channel (declared: log)');
  });

  it("refuses a rate-limit override for an undeclared channel", () => {
    const error = configError(() => parse({ channels: {}, routes: [], rateLimit: { channels: { sms: { maxPerWindow: 1, windowS: 60 } } } }));
    expect(error.message).toBe('NOTIFICATIONS is invalid: rateLimit.channels.sms: "sms" is not a declared channel (none are declared)');
  });

  it("refuses JSON that does not parse", () => {
    expect(configError(() => parseNotificationConfig("{channels:")).message).toMatch(/^NOTIFICATIONS is not valid JSON: /);
  });

  it.each([
    ["an unknown channel kind", { channels: { s: { kind: "sms" } }, routes: [] }, /channels\.s\.kind/],
    ["a webhook without a URL", { channels: { h: { kind: "webhook" } }, routes: [] }, /channels\.h\.url: required: an http\(s\) URL/],
    ["a non-http URL", { channels: { h: { kind: "webhook", url: "ftp://hooks.example" } }, routes: [] }, /channels\.h\.url: an http\(s\) URL/],
    ["a misspelt key", { channels: { h: { kind: "webhook", url: "https://h.example", timeout: 5 } }, routes: [] }, /channels\.h: Unrecognized key: "timeout"/],
    ["an unknown top-level key", { channels: {}, routes: [], rateLimits: {} }, /\(root\): Unrecognized key: "rateLimits"/],
    ["an email without recipients", { channels: { m: { kind: "email", url: "https://m.example", from: "a@b.example", to: [] } }, routes: [] }, /channels\.m\.to/],
    ["a bad sender address", { channels: { m: { kind: "email", url: "https://m.example", from: "alerts", to: ["a@b.example"] } }, routes: [] }, /channels\.m\.from/],
    ["a bad Telegram chat", { channels: { t: { kind: "telegram", chatId: "ops room" } }, routes: [] }, /channels\.t\.chatId/],
    ["a channel timeout over 25 s", { channels: { h: { kind: "webhook", url: "https://h.example", timeoutMs: 60_000 } }, routes: [] }, /channels\.h\.timeoutMs/],
    ["an upper-case channel name", { channels: { Ops: { kind: "log" } }, routes: [] }, /channels\.Ops: invalid name: a channel name: lower-case letters/],
    ["an event pattern with a wildcard inside", { channels: { l: { kind: "log" } }, routes: [{ events: ["task.*.dead"], channels: ["l"] }] }, /routes\.0\.events\.0: an event pattern/],
    ["a single-word event name", { channels: { l: { kind: "log" } }, routes: [{ events: ["task"], channels: ["l"] }] }, /routes\.0\.events\.0/],
    ["a route without events", { channels: { l: { kind: "log" } }, routes: [{ events: [], channels: ["l"] }] }, /routes\.0\.events/],
    ["an unknown severity", { channels: { l: { kind: "log" } }, routes: [{ events: ["*"], minSeverity: "fatal", channels: ["l"] }] }, /routes\.0\.minSeverity/],
    ["a zero rate limit", { channels: {}, routes: [], rateLimit: { maxPerWindow: 0 } }, /rateLimit\.maxPerWindow/],
    ["no channels key", { routes: [] }, /channels/],
  ])("refuses %s", (_what, config, problem) => {
    const error = configError(() => parse(config));
    expect(error.message).toMatch(/^NOTIFICATIONS is invalid: /);
    expect(error.message).toMatch(problem);
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.any(Array) })]));
  });
});
