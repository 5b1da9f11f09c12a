/** Shared building blocks of the boundary schemas. */
import { z } from "zod";

/** Upper-cased instrument symbol as sent by clients ("xauusd" is read as "XAUUSD"). */
export const SymbolSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9]{3,12}$/, "symbol must be 3-12 ASCII letters or digits")
  .transform((symbol) => symbol.toUpperCase())
  .describe("Instrument symbol, e.g. XAUUSD");

/** A point in time in a query string: epoch milliseconds or an ISO-8601 date-time with a zone ("Z", "+03:00"). */
export const QueryTimestampSchema = z
  .union([
    z.string().regex(/^\d{1,15}$/, "epoch milliseconds: at most 15 digits").transform(Number),
    z.iso.datetime({ offset: true }).transform((text) => Date.parse(text)),
  ])
  .describe("Epoch milliseconds, or ISO-8601 with a zone");

/** The one error envelope every failure is answered with. */
export const ErrorEnvelopeSchema = z.object({
  ok: z.literal(false),
  error: z.object({
    code: z.string().describe("Machine-readable code, e.g. VALIDATION_FAILED"),
    message: z.string().describe("What went wrong, for a person"),
    details: z.unknown().optional().describe("Structured context, e.g. the invalid fields"),
    requestId: z.string().optional().describe("Id of the request, also in the X-Request-Id header"),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

/** Builds the envelope body (used by the Worker's error handler and by Durable Objects answering fetch). */
export function errorEnvelope(code: string, message: string, details?: unknown, requestId?: string): ErrorEnvelope {
  return {
    ok: false,
    error: { code, message, ...(details === undefined ? {} : { details }), ...(requestId === undefined ? {} : { requestId }) },
  };
}
