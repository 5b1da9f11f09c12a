/** The record of each delivery attempt (D1 notification_deliveries) and the API that lists them. */
import { z } from "zod";
import { QueryTimestampSchema } from "../schemas/common.js";
import { NotificationEventSchema, NotificationSeveritySchema, TaskIdSchema } from "../schemas/tasks.js";
import { CHANNEL_KINDS, ChannelNameSchema } from "./config.js";

/** sent: the channel accepted it · failed: it did not (see error, httpStatus) · rate_limited: not attempted. */
export const DELIVERY_OUTCOMES = ["sent", "failed", "rate_limited"] as const;
export const DeliveryOutcomeSchema = z.enum(DELIVERY_OUTCOMES);
export type DeliveryOutcome = z.infer<typeof DeliveryOutcomeSchema>;

export const NotificationDeliverySchema = z.object({
  id: z.number().int(),
  atMs: z.number().int().describe("Time of the attempt, epoch ms"),
  event: z.string(),
  severity: NotificationSeveritySchema,
  channel: z.string().describe("Channel name from NOTIFICATIONS"),
  channelKind: z.enum(CHANNEL_KINDS),
  outcome: DeliveryOutcomeSchema,
  httpStatus: z.number().int().nullable().describe("The channel's HTTP answer; null for the log channel, rate limiting and network failures"),
  latencyMs: z.number().int().nullable().describe("How long the attempt took, ms; null when not attempted"),
  error: z.string().nullable(),
  taskId: z.string().nullable().describe("The notification task that made the attempt"),
  title: z.string(),
});
export type NotificationDelivery = z.infer<typeof NotificationDeliverySchema>;

export const NotificationDeliveryQuerySchema = z.object({
  channel: ChannelNameSchema.optional(),
  event: NotificationEventSchema.optional().describe("Exact event name, e.g. task.dead"),
  outcome: DeliveryOutcomeSchema.optional(),
  taskId: TaskIdSchema.optional(),
  since: QueryTimestampSchema.optional().describe("Attempts at or after"),
  before: z.string().regex(/^\d{1,15}$/, "the next of the previous page").transform(Number).optional().describe("Attempts with a smaller id (the next of the previous page)"),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type NotificationDeliveryQuery = z.infer<typeof NotificationDeliveryQuerySchema>;

export const NotificationDeliveryPageSchema = z.object({
  deliveries: z.array(NotificationDeliverySchema).describe("Newest first"),
  next: z.number().int().nullable().describe("Pass as 'before' for the next page; null on the last page"),
});
