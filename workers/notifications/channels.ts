/**
 * The senders of each channel kind: a structured log line, a signed webhook POST, the Telegram Bot API and an HTTP
 * mail API. A sender never throws: every attempt ends as a ChannelAttempt with its HTTP status, latency and error.
 */
import type { Channel } from "../../core/notifications/config.js";
import { emailMessage, logFields, logLevelFor, telegramText, webhookBody, type OutgoingNotification } from "../../core/notifications/routing.js";
import { createLogger } from "../log.js";
import { SIGNATURE_HEADER, signatureHeaderValue, TIMESTAMP_HEADER } from "./signing.js";

/** The secrets the HTTP channels need; undefined when not set. */
export interface ChannelSecrets {
  readonly webhookSecret: string | undefined;
  readonly telegramBotToken: string | undefined;
  readonly emailApiKey: string | undefined;
}

/** How one delivery attempt on one channel ended. */
export interface ChannelAttempt {
  readonly outcome: "sent" | "failed";
  /** The channel's HTTP answer; null for the log channel, a missing secret, a timeout or a network failure. */
  readonly httpStatus: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
  /** A failure asking again cannot fix: a missing secret, or a 4xx answer other than 408 and 429. */
  readonly permanent: boolean;
}

export interface SendOptions {
  readonly secrets: ChannelSecrets;
  /** Aborts an HTTP attempt early (e.g. the task run timed out); each attempt also has its channel's own timeout. */
  readonly signal?: AbortSignal;
}

/** Characters of a failed answer's body kept in the error. */
const ERROR_BODY_CHARS = 300;

/**
 * Delivers `n` on the channel named `name`.
 * @example await sendToChannel("ops", { kind: "webhook", url: "https://hooks.example/aurum", timeoutMs: 10_000 }, n, { secrets })
 */
export async function sendToChannel(name: string, channel: Channel, n: OutgoingNotification, options: SendOptions): Promise<ChannelAttempt> {
  switch (channel.kind) {
    case "log":
      return sendLog(name, n);
    case "webhook": {
      const secret = options.secrets.webhookSecret;
      if (secret === undefined || secret === "") return missingSecret("NOTIFY_WEBHOOK_SECRET", `webhook channel "${name}" cannot sign its body`);
      const body = JSON.stringify(webhookBody(n));
      const headers = { [SIGNATURE_HEADER]: await signatureHeaderValue(secret, body), [TIMESTAMP_HEADER]: String(n.atMs) };
      return postJson(channel.url, body, headers, channel.timeoutMs, options.signal, []);
    }
    case "telegram": {
      const token = options.secrets.telegramBotToken;
      if (token === undefined || token === "") return missingSecret("TELEGRAM_BOT_TOKEN", `telegram channel "${name}" cannot call the Bot API`);
      const url = `${channel.apiBaseUrl.replace(/\/+$/, "")}/bot${token}/sendMessage`;
      const body = JSON.stringify({ chat_id: channel.chatId, text: telegramText(n) });
      return postJson(url, body, {}, channel.timeoutMs, options.signal, [token]);
    }
    case "email": {
      const key = options.secrets.emailApiKey;
      if (key === undefined || key === "") return missingSecret("EMAIL_API_KEY", `email channel "${name}" cannot call the mail API`);
      const { subject, text } = emailMessage(n);
      const body = JSON.stringify({ from: channel.from, to: channel.to, subject, text });
      return postJson(channel.url, body, { authorization: `Bearer ${key}` }, channel.timeoutMs, options.signal, [key]);
    }
  }
}

// The log channel writes whatever LOG_LEVEL says: an operator who routes an event to it asked for the line.
const notificationLog = createLogger("debug", { component: "notifications" });

function sendLog(name: string, n: OutgoingNotification): ChannelAttempt {
  notificationLog[logLevelFor(n.payload.severity)]("notification", { channel: name, ...logFields(n) });
  return { outcome: "sent", httpStatus: null, latencyMs: 0, error: null, permanent: false };
}

function missingSecret(secretName: string, consequence: string): ChannelAttempt {
  return { outcome: "failed", httpStatus: null, latencyMs: 0, error: `${secretName} is not set: ${consequence}`, permanent: true };
}

async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  runSignal: AbortSignal | undefined,
  secretsInUrlOrHeaders: readonly string[],
): Promise<ChannelAttempt> {
  const redact = (text: string) => secretsInUrlOrHeaders.reduce((out, secret) => out.split(secret).join("<redacted>"), text);
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = runSignal === undefined ? timeout : AbortSignal.any([timeout, runSignal]);
  const startedMs = Date.now();
  try {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body, signal });
    const answer = await readStart(response, ERROR_BODY_CHARS);
    const latencyMs = Date.now() - startedMs;
    if (response.ok) return { outcome: "sent", httpStatus: response.status, latencyMs, error: null, permanent: false };
    const permanent = response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
    const error = `HTTP ${response.status}${answer === "" ? "" : `: ${answer}`}`;
    return { outcome: "failed", httpStatus: response.status, latencyMs, error: redact(error), permanent };
  } catch (error: unknown) {
    const latencyMs = Date.now() - startedMs;
    const message = timeout.aborted
      ? `no answer within ${timeoutMs} ms`
      : runSignal?.aborted === true
        ? "the task run was aborted"
        : `request failed: ${error instanceof Error ? error.message : String(error)}`;
    return { outcome: "failed", httpStatus: null, latencyMs, error: redact(message), permanent: false };
  }
}

/** The first `maxChars` characters of the body (the rest is not read), whitespace collapsed. */
async function readStart(response: Response, maxChars: number): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < maxChars) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.replace(/\s+/g, " ").trim().slice(0, maxChars);
}
