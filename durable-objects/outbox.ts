/**
 * A Durable Object's transactional outbox: records (trades, fills, signals, risk events) are appended in the same
 * storage transaction as the state change they report, and an alarm delivers them to D1 in order until D1 has them.
 * Delivery is at-least-once; D1 keeps the first copy of each record id, so the effect is exactly once even when a
 * delivery succeeds in D1 but its acknowledgement is lost (tests/integration/outbox.test.ts).
 */
import { OutboxRecordSchema, type OutboxRecord } from "../core/schemas/trading.js";
import { insertOutboxRecords } from "../workers/db/trading-records.js";

/** Records per D1 delivery. */
const FLUSH_BATCH = 200;
/** Retry delays after failed deliveries: 1 s doubling to 5 min. */
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 300_000;

const SCHEMA = "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL)";

/** The D1 side of a delivery (the real one writes with `insertOutboxRecords`; tests inject a failing one). */
export type OutboxSink = (records: OutboxRecord[]) => Promise<void>;

export function d1OutboxSink(db: D1Database): OutboxSink {
  return (records) => insertOutboxRecords(db, records);
}

export interface OutboxFlushResult {
  delivered: number;
  remaining: number;
  error: string | null;
}

export class Outbox {
  private failures = 0;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  /** Appends records; call inside the transaction that makes the change they report. */
  append(records: readonly OutboxRecord[]): void {
    for (const record of records) this.sql.exec("INSERT INTO outbox (record) VALUES (?)", JSON.stringify(record));
  }

  pending(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
  }

  /**
   * Delivers everything pending, oldest first, one batch at a time; a batch leaves the outbox only after the sink
   * resolved. Stops at the first failure (the caller re-arms the alarm with `retryDelayMs`).
   */
  async flush(sink: OutboxSink): Promise<OutboxFlushResult> {
    let delivered = 0;
    for (;;) {
      const rows = this.sql.exec<{ seq: number; record: string }>("SELECT seq, record FROM outbox ORDER BY seq LIMIT ?", FLUSH_BATCH).toArray();
      if (rows.length === 0) break;
      const records = rows.map((row) => OutboxRecordSchema.parse(JSON.parse(row.record)));
      try {
        await sink(records);
      } catch (error: unknown) {
        this.failures += 1;
        return { delivered, remaining: this.pending(), error: error instanceof Error ? error.message : String(error) };
      }
      this.sql.exec("DELETE FROM outbox WHERE seq <= ?", rows[rows.length - 1]?.seq ?? 0);
      delivered += rows.length;
    }
    this.failures = 0;
    return { delivered, remaining: 0, error: null };
  }

  /** Delay before the next attempt after consecutive failures. */
  retryDelayMs(): number {
    return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, this.failures - 1));
  }
}

/** Arms the alarm for `dueMs` unless an earlier one is set. */
export async function armAlarm(storage: DurableObjectStorage, dueMs: number): Promise<void> {
  const current = await storage.getAlarm();
  if (current === null || current > dueMs) await storage.setAlarm(dueMs);
}
