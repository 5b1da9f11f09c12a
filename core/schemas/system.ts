/** Admin reports on the running system: D1 and the isolate's caches and Durable Objects. */
import { z } from "zod";
import { TimeframedBarOutputSchema } from "./market-data.js";

export const DatabaseReportSchema = z.object({
  reachable: z.boolean(),
  latencyMs: z.number().nonnegative().describe("Round trip of a trivial query"),
  sizeBytes: z.number().int().nullable().describe("Database size as D1 reports it"),
  tables: z.record(z.string(), z.number().int()).describe("Row count per table"),
});

export const BucketReportSchema = z.object({
  binding: z.string().describe("R2 binding name"),
  reachable: z.boolean(),
  latencyMs: z.number().nonnegative().describe("Round trip of the listing"),
  objects: z.number().int().describe("Objects counted (at most the listing page)"),
  bytes: z.number().int().describe("Their total size, bytes"),
  truncated: z.boolean().describe("True when the bucket holds more than one listing page"),
  error: z.string().nullable().describe("Why the bucket could not be reached"),
});

export const StorageReportSchema = z.object({ buckets: z.array(BucketReportSchema) });

export const InstrumentReportSchema = z.object({
  symbol: z.string(),
  lastTickTs: z.number().int().nullable(),
  storedTicks: z.number().int(),
  subscribers: z.number().int(),
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.record(z.string(), z.number().int()),
  forming: z.array(TimeframedBarOutputSchema),
  champion: z.string().nullable().describe("Version of the champion model served; null when none"),
  shadow: z.string().nullable().describe("Version of the shadow model served; null when none"),
  signalLatency: z
    .object({
      samples: z.number().int(),
      p50Ms: z.number().nullable(),
      p99Ms: z.number().nullable(),
      maxMs: z.number().nullable(),
    })
    .describe("Bar close → features → inference → signals stored, over the latest 1,000 scored batches, ms"),
});
export type InstrumentReport = z.infer<typeof InstrumentReportSchema>;

export const CacheReportSchema = z.object({
  isolate: z.object({
    startedAtMs: z.number().int(),
    uptimeS: z.number().nonnegative(),
    cachedUsers: z.number().int(),
    cachedApiKeys: z.number().int(),
    cachedTokenRevocations: z.number().int(),
  }),
  instruments: z.array(InstrumentReportSchema).describe("One Durable Object per declared instrument"),
});
