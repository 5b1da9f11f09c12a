/** Messages on the TASKS queue, one dotted type each. */
import { z } from "zod";

export const TaskMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("health.check"),
    requestedAtMs: z.number().int().describe("When the check was asked for, epoch ms"),
    trigger: z.enum(["cron", "api"]).describe("What asked for it"),
  }),
]);
export type TaskMessage = z.infer<typeof TaskMessageSchema>;
