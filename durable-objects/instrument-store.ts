/** SQLite storage of one instrument: raw ticks (bounded), closed bars per timeframe, and the feed's state. */
import type { Bar } from "../core/market/bar.js";
import type { InstrumentFeedState } from "../core/market/instrument-feed.js";
import type { Tick } from "../core/market/tick.js";
import type { Timeframe } from "../core/market/timeframe.js";

/** Counters of what the instrument's feed has decided since it was created (a held tick counts once decided). */
export interface IngestCounters {
  accepted: number;
  duplicates: number;
  rejected: Record<string, number>;
}

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS ticks (ts_ms INTEGER NOT NULL, bid REAL NOT NULL, ask REAL NOT NULL, volume REAL NOT NULL)",
  // Unique over the whole tick: duplicate lookups stay logarithmic even for thousands of prints in one millisecond,
  // and a duplicate that slipped past the feed would fail the batch loudly instead of being stored twice.
  "CREATE UNIQUE INDEX IF NOT EXISTS ticks_unique ON ticks (ts_ms, bid, ask, volume)",
  `CREATE TABLE IF NOT EXISTS bars (
     timeframe TEXT NOT NULL, ts_ms INTEGER NOT NULL,
     open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
     tick_volume REAL NOT NULL, tick_count INTEGER NOT NULL,
     spread_avg_points REAL NOT NULL, spread_max_points REAL NOT NULL,
     PRIMARY KEY (timeframe, ts_ms)) WITHOUT ROWID`,
];

/** Durable Object SQLite allows 100 bound parameters per statement: 25 ticks of 4 values. */
const TICKS_PER_INSERT = 25;
const TICK_INSERT_FULL = tickInsert(TICKS_PER_INSERT);

function tickInsert(rows: number): string {
  return `INSERT INTO ticks (ts_ms, bid, ask, volume) VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?)").join(", ")}`;
}

interface BarRow extends Record<string, SqlStorageValue> {
  ts_ms: number;
  open: number;
  high: number;
  low: number;
  close: number;
  tick_volume: number;
  tick_count: number;
  spread_avg_points: number;
  spread_max_points: number;
}

export class InstrumentStore {
  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
  }

  readMeta<T>(key: string): T | undefined {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  writeMeta(key: string, value: unknown): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, JSON.stringify(value));
  }

  readFeedState(): InstrumentFeedState | undefined {
    return this.readMeta<InstrumentFeedState>("feed");
  }

  writeFeedState(state: InstrumentFeedState): void {
    this.writeMeta("feed", state);
  }

  /** True when exactly this tick is stored (an earlier delivery). */
  hasTick(tick: Tick): boolean {
    return (
      this.sql
        .exec("SELECT 1 FROM ticks WHERE ts_ms = ? AND bid = ? AND ask = ? AND volume = ? LIMIT 1", tick.tsMs, tick.bid, tick.ask, tick.volume)
        .toArray().length > 0
    );
  }

  insertTicks(ticks: readonly Tick[]): void {
    let i = 0;
    for (; i + TICKS_PER_INSERT <= ticks.length; i += TICKS_PER_INSERT) {
      this.sql.exec(TICK_INSERT_FULL, ...tickValues(ticks, i, i + TICKS_PER_INSERT));
    }
    if (i < ticks.length) this.sql.exec(tickInsert(ticks.length - i), ...tickValues(ticks, i, ticks.length));
  }

  /** The rowid the next inserted tick gets (the table never empties: pruning keeps the newest ticks). */
  nextTickRowid(): number {
    return (this.sql.exec<{ n: number | null }>("SELECT max(rowid) AS n FROM ticks").one().n ?? 0) + 1;
  }

  /** Stored ticks inserted after `rowid`, in the order they were applied (rowids grow with each insert). */
  ticksAfterRowid(rowid: number): { rowid: number; tsMs: number; bid: number; ask: number }[] {
    return this.sql
      .exec<{ rowid: number; ts_ms: number; bid: number; ask: number }>("SELECT rowid, ts_ms, bid, ask FROM ticks WHERE rowid > ? ORDER BY rowid", rowid)
      .toArray()
      .map((row) => ({ rowid: row.rowid, tsMs: row.ts_ms, bid: row.bid, ask: row.ask }));
  }

  /** Deletes ticks older than `beforeMs`; returns how many went. */
  pruneTicks(beforeMs: number): number {
    return this.sql.exec("DELETE FROM ticks WHERE ts_ms < ?", beforeMs).rowsWritten;
  }

  tickCount(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM ticks").one().n;
  }

  upsertBars(bars: readonly Bar[]): void {
    for (const bar of bars) {
      this.sql.exec(
        `INSERT OR REPLACE INTO bars (timeframe, ts_ms, open, high, low, close, tick_volume, tick_count, spread_avg_points, spread_max_points)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        bar.timeframe, bar.tsMs, bar.open, bar.high, bar.low, bar.close,
        bar.tickVolume, bar.tickCount, bar.spreadAvgPoints, bar.spreadMaxPoints,
      );
    }
  }

  /** Closed bars of a timeframe in [fromMs, toMs], oldest first, at most `limit`. */
  barsAscending(timeframe: Timeframe, fromMs: number, toMs: number, limit: number): Bar[] {
    return this.sql
      .exec<BarRow>(
        "SELECT * FROM bars WHERE timeframe = ? AND ts_ms >= ? AND ts_ms <= ? ORDER BY ts_ms ASC LIMIT ?",
        timeframe, fromMs, toMs, limit,
      )
      .toArray()
      .map((row) => rowToBar(timeframe, row));
  }

  /** The newest closed bars of a timeframe at or before `toMs`, oldest first, at most `limit`. */
  barsLatest(timeframe: Timeframe, toMs: number, limit: number): Bar[] {
    return this.sql
      .exec<BarRow>("SELECT * FROM bars WHERE timeframe = ? AND ts_ms <= ? ORDER BY ts_ms DESC LIMIT ?", timeframe, toMs, limit)
      .toArray()
      .map((row) => rowToBar(timeframe, row))
      .reverse();
  }
}

function tickValues(ticks: readonly Tick[], from: number, to: number): number[] {
  const values: number[] = [];
  for (let i = from; i < to; i++) {
    const t = ticks[i] as Tick;
    values.push(t.tsMs, t.bid, t.ask, t.volume);
  }
  return values;
}

function rowToBar(timeframe: Timeframe, row: BarRow): Bar {
  return {
    timeframe,
    tsMs: row.ts_ms,
    open: row.open,
    high: row.high,
    low: row.low,
    close: row.close,
    tickVolume: row.tick_volume,
    tickCount: row.tick_count,
    spreadAvgPoints: row.spread_avg_points,
    spreadMaxPoints: row.spread_max_points,
    closed: true,
  };
}
