/**
 * What a `notification` task runs: route the event, apply the rate limit, send on each channel, record every attempt
 * in D1 (the platform sends through notify.ts, which creates that task).
 */
import type { z } from "zod";
import { UpstreamError } from "../../core/errors/app-error.js";
import { rateLimitDecision, rateLimitFor, rateLimitWindowAt, channelsFor, type OutgoingNotification } from "../../core/notifications/routing.js";
import { NotificationPayloadSchema } from "../../core/schemas/tasks.js";
import { PermanentTaskError } from "../../core/tasks/failure.js";
import { db as dbOf } from "../db/client.js";
import { platformOf } from "../platform.js";
import { sendToChannel, type ChannelAttempt } from "./channels.js";
import { notificationConfigOf } from "./config.js";
import { recordDeliveries, sentInWindow, settledChannelsOfTask, type NewDeliveryRow } from "./delivery-store.js";

/** Channel names by what became of them in one delivery run. */
export interface DeliverySummary {
  /** Delivered in this run. */
  readonly sent: string[];
  /** Attempted in this run and failed (recorded; the run then throws). */
  readonly failed: string[];
  /** Held back by the rate limit, in this run or an earlier run of the same task. */
  readonly rateLimited: string[];
  /** Delivered by an earlier run of the same task, so not sent again. */
  readonly skippedAlreadySent: string[];
}

/** One failed channel of a run, as the thrown error reports it. */
export interface ChannelFailure {
  readonly channel: string;
  readonly httpStatus: number | null;
  readonly error: string;
  readonly permanent: boolean;
}

/**
 * At least one channel failed (502, retryable): the run recorded every attempt first, so the retry sends only the
 * channels that failed. `details` holds the summary and each failure.
 */
export class NotificationDeliveryError extends UpstreamError {
  constructor(
    readonly summary: DeliverySummary,
    readonly failures: readonly ChannelFailure[],
  ) {
    super(`notification not delivered on ${failures.map((f) => `${f.channel} (${f.error})`).join(", ")}`, { details: { summary, failures } });
  }
}

/** A notification as callers write it: `severity` defaults to info. */
export type NotificationInput = z.input<typeof NotificationPayloadSchema>;

export interface DeliverOptions {
  /** The notification task making this run; null for a direct call (no de-duplication across runs then). */
  readonly taskId: string | null;
  /** Time of the run, epoch ms: recorded on each attempt and the end of the rate-limit window. */
  readonly nowMs: number;
  /** Aborts the HTTP attempts early (the task run's timeout signal). */
  readonly signal?: AbortSignal;
}

/**
 * Delivers a notification on every channel its event and severity are routed to. Per channel, in order: skipped
 * when an earlier run of the same task already sent it (or rate-limited it); held back when the (channel, event)
 * already sent `maxPerWindow` within the window (recorded as rate_limited); otherwise sent (all channels in
 * parallel) and recorded as sent or failed with its HTTP status, latency and error.
 *
 * Throws after recording when a channel failed: NotificationDeliveryError (retryable) when any failure may pass
 * (5xx, 408, 429, timeout, network), PermanentTaskError when none can (missing secret, other 4xx). A bad
 * NOTIFICATIONS value throws its ConfigError before anything is sent.
 * @example await deliverNotification(env, { event: "task.dead", severity: "warning", title: "Task dead", message: "…" }, { taskId: null, nowMs: Date.now() })
 */
export async function deliverNotification(env: Env, payload: NotificationInput, options: DeliverOptions): Promise<DeliverySummary> {
  const notification = NotificationPayloadSchema.parse(payload);
  const config = notificationConfigOf(env);
  const db = dbOf(env);
  const { event, severity, title } = notification;
  const outgoing: OutgoingNotification = { payload: notification, taskId: options.taskId, atMs: options.nowMs };
  const settled = options.taskId === null ? new Map<string, "sent" | "rate_limited">() : await settledChannelsOfTask(db, options.taskId);

  const summary: DeliverySummary = { sent: [], failed: [], rateLimited: [], skippedAlreadySent: [] };
  const rows: NewDeliveryRow[] = [];
  const toSend: string[] = [];
  for (const name of channelsFor(config, event, severity)) {
    const earlier = settled.get(name);
    if (earlier === "sent") summary.skippedAlreadySent.push(name);
    else if (earlier === "rate_limited") summary.rateLimited.push(name);
    else {
      const limit = rateLimitFor(config, name);
      const decision = rateLimitDecision(limit, await sentInWindow(db, name, event, rateLimitWindowAt(limit, options.nowMs)));
      if (decision.allowed) toSend.push(name);
      else {
        summary.rateLimited.push(name);
        rows.push(row(name, "rate_limited", {
          httpStatus: null,
          latencyMs: null,
          error: `rate limited: ${decision.sentInWindow} sent within ${decision.windowS} s (limit ${decision.maxPerWindow})`,
        }));
      }
    }
  }

  const secrets = platformOf(env).config.tasks;
  const attempts = await Promise.all(
    toSend.map(async (name) => ({ name, attempt: await sendToChannel(name, channelOf(name), outgoing, { secrets, signal: options.signal }) })),
  );
  const failures: ChannelFailure[] = [];
  for (const { name, attempt } of attempts) {
    rows.push(row(name, attempt.outcome, attempt));
    if (attempt.outcome === "sent") summary.sent.push(name);
    else {
      summary.failed.push(name);
      failures.push({ channel: name, httpStatus: attempt.httpStatus, error: attempt.error ?? "failed", permanent: attempt.permanent });
    }
  }
  await recordDeliveries(db, rows);

  if (failures.length > 0) {
    const error = new NotificationDeliveryError(summary, failures);
    if (failures.every((f) => f.permanent)) throw new PermanentTaskError(error.message, { cause: error });
    throw error;
  }
  return summary;

  function channelOf(name: string) {
    const channel = config.channels[name];
    // channelsFor only answers names the config declares (the schema cross-checks routes).
    if (channel === undefined) throw new Error(`channel ${name} is not declared`);
    return channel;
  }

  function row(name: string, outcome: NewDeliveryRow["outcome"], attempt: Pick<ChannelAttempt, "httpStatus" | "error"> & { latencyMs: number | null }): NewDeliveryRow {
    return {
      atMs: options.nowMs,
      event,
      severity,
      channel: name,
      channelKind: channelOf(name).kind,
      outcome,
      httpStatus: attempt.httpStatus,
      latencyMs: attempt.latencyMs,
      error: attempt.error,
      taskId: options.taskId,
      title,
    };
  }
}
