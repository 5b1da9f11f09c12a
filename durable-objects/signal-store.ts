/**
 * SQLite storage of an instrument's model outputs: the feature vector of every closed M1 bar, the signals of the
 * served models, their scored outcomes, and the models the object has served.
 */
import type { ServedModel, ServingRole, Signal, SignalAction, SignalsRpcArgs } from "../core/schemas/serving.js";
import type { Timeframe } from "../core/market/timeframe.js";

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS feature_rows (ts_ms INTEGER PRIMARY KEY, bar_index INTEGER NOT NULL, features BLOB NOT NULL)",
  `CREATE TABLE IF NOT EXISTS signals (
     ts_ms INTEGER NOT NULL, role TEXT NOT NULL, model_version TEXT NOT NULL,
     probabilities TEXT NOT NULL, action TEXT NOT NULL, confidence REAL NOT NULL, created_at_ms INTEGER NOT NULL,
     bar_index INTEGER NOT NULL, close REAL NOT NULL, spread_avg_points REAL NOT NULL, due_ts_ms INTEGER NOT NULL,
     outcome_label TEXT, outcome_exclusion TEXT, outcome_log_loss REAL, outcome_correct INTEGER, scored_at_bar_ts INTEGER,
     PRIMARY KEY (ts_ms, role)) WITHOUT ROWID`,
  "CREATE INDEX IF NOT EXISTS signals_pending ON signals (due_ts_ms) WHERE scored_at_bar_ts IS NULL",
  "CREATE INDEX IF NOT EXISTS signals_version ON signals (model_version, ts_ms) WHERE outcome_log_loss IS NOT NULL",
  "CREATE TABLE IF NOT EXISTS served_models (version TEXT PRIMARY KEY, model TEXT NOT NULL, first_served_at_ms INTEGER NOT NULL)",
];

/** A signal about to be stored, with what scoring its outcome later needs. */
export interface NewSignal {
  readonly tsMs: number;
  readonly role: ServingRole;
  readonly modelVersion: string;
  readonly probabilities: Record<string, number>;
  readonly action: SignalAction;
  readonly confidence: number;
  readonly createdAtMs: number;
  /** Index of the signal's bar in the instrument's M1 series (counted by the object). */
  readonly barIndex: number;
  readonly close: number;
  readonly spreadAvgPoints: number;
  /** Open time of the bar `horizonBars` bar lengths later: the outcome is decided when a bar at or after it closes. */
  readonly dueTsMs: number;
}

/** A stored signal whose outcome is not decided yet. */
export interface PendingSignal {
  readonly tsMs: number;
  readonly role: ServingRole;
  readonly modelVersion: string;
  readonly probabilities: Record<string, number>;
  readonly barIndex: number;
  readonly close: number;
  readonly spreadAvgPoints: number;
  readonly dueTsMs: number;
}

/** The decided outcome of a signal. */
export interface SignalOutcome {
  readonly label: string | null;
  readonly exclusion: string | null;
  readonly logLoss: number | null;
  readonly correct: boolean | null;
  readonly scoredAtBarTs: number;
}

interface SignalRow extends Record<string, SqlStorageValue> {
  ts_ms: number;
  role: string;
  model_version: string;
  probabilities: string;
  action: string;
  confidence: number;
  created_at_ms: number;
  bar_index: number;
  close: number;
  spread_avg_points: number;
  due_ts_ms: number;
  outcome_label: string | null;
  outcome_exclusion: string | null;
  outcome_log_loss: number | null;
  outcome_correct: number | null;
  scored_at_bar_ts: number | null;
}

export class SignalStore {
  /** Served models by version: read once per version (outcome scoring looks one up per signal). */
  private readonly servedByVersion = new Map<string, ServedModel>();

  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
  }

  insertFeatureRow(tsMs: number, barIndex: number, features: Float64Array): void {
    const bytes = features.buffer.slice(features.byteOffset, features.byteOffset + features.byteLength);
    this.sql.exec("INSERT OR REPLACE INTO feature_rows (ts_ms, bar_index, features) VALUES (?, ?, ?)", tsMs, barIndex, bytes);
  }

  /** Feature vectors of bars in [fromMs, toMs], oldest first, at most `limit`. */
  featureRows(fromMs: number, toMs: number, limit: number): { tsMs: number; barIndex: number; features: number[] }[] {
    return this.sql
      .exec<{ ts_ms: number; bar_index: number; features: ArrayBuffer }>(
        "SELECT ts_ms, bar_index, features FROM feature_rows WHERE ts_ms >= ? AND ts_ms <= ? ORDER BY ts_ms ASC LIMIT ?",
        fromMs, toMs, limit,
      )
      .toArray()
      .map((row) => ({ tsMs: row.ts_ms, barIndex: row.bar_index, features: Array.from(new Float64Array(row.features)) }));
  }

  insertSignal(signal: NewSignal): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO signals (ts_ms, role, model_version, probabilities, action, confidence, created_at_ms,
         bar_index, close, spread_avg_points, due_ts_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      signal.tsMs, signal.role, signal.modelVersion, JSON.stringify(signal.probabilities), signal.action,
      signal.confidence, signal.createdAtMs, signal.barIndex, signal.close, signal.spreadAvgPoints, signal.dueTsMs,
    );
  }

  /**
   * Signals not yet scored whose outcome bar is due at or before `barTsMs`. Ordered by the partial index's key: an
   * order by bar time made SQLite walk the primary key over every stored signal instead (quadratic in a replay).
   */
  pendingDue(barTsMs: number): PendingSignal[] {
    return this.sql
      .exec<SignalRow>("SELECT * FROM signals WHERE scored_at_bar_ts IS NULL AND due_ts_ms <= ? ORDER BY due_ts_ms", barTsMs)
      .toArray()
      .map((row) => ({
        tsMs: row.ts_ms,
        role: row.role as ServingRole,
        modelVersion: row.model_version,
        probabilities: JSON.parse(row.probabilities) as Record<string, number>,
        barIndex: row.bar_index,
        close: row.close,
        spreadAvgPoints: row.spread_avg_points,
        dueTsMs: row.due_ts_ms,
      }));
  }

  recordOutcome(tsMs: number, role: ServingRole, outcome: SignalOutcome): void {
    this.sql.exec(
      `UPDATE signals SET outcome_label = ?, outcome_exclusion = ?, outcome_log_loss = ?, outcome_correct = ?,
         scored_at_bar_ts = ? WHERE ts_ms = ? AND role = ?`,
      outcome.label, outcome.exclusion, outcome.logLoss,
      outcome.correct === null ? null : outcome.correct ? 1 : 0, outcome.scoredAtBarTs, tsMs, role,
    );
  }

  /** Signals matching the query, newest first. */
  signals(symbol: string, timeframe: Timeframe, query: Omit<SignalsRpcArgs, "symbol">): Signal[] {
    const where = ["ts_ms >= ?", "ts_ms <= ?"];
    const values: SqlStorageValue[] = [query.fromMs ?? Number.MIN_SAFE_INTEGER, query.toMs ?? Number.MAX_SAFE_INTEGER];
    if (query.role !== undefined) {
      where.push("role = ?");
      values.push(query.role);
    }
    if (query.version !== undefined) {
      where.push("model_version = ?");
      values.push(query.version);
    }
    return this.sql
      .exec<SignalRow>(`SELECT * FROM signals WHERE ${where.join(" AND ")} ORDER BY ts_ms DESC, role ASC LIMIT ?`, ...values, query.limit)
      .toArray()
      .map((row) => toSignal(symbol, timeframe, row));
  }

  /**
   * Totals over the latest `window` scored outcomes of a version: count, summed log-loss and count correct.
   */
  liveWindow(version: string, window: number): { outcomes: number; logLossSum: number; correct: number } {
    const row = this.sql
      .exec<{ n: number; loss: number | null; correct: number | null }>(
        `SELECT COUNT(*) AS n, SUM(outcome_log_loss) AS loss, SUM(outcome_correct) AS correct FROM (
           SELECT outcome_log_loss, outcome_correct FROM signals
           WHERE model_version = ? AND outcome_log_loss IS NOT NULL ORDER BY ts_ms DESC LIMIT ?)`,
        version, window,
      )
      .one();
    return { outcomes: row.n, logLossSum: row.loss ?? 0, correct: row.correct ?? 0 };
  }

  /** Remembers what a served version is (its label and held-out scores outlive its slot). */
  rememberServedModel(model: ServedModel, atMs: number): void {
    this.sql.exec(
      "INSERT INTO served_models (version, model, first_served_at_ms) VALUES (?, ?, ?) ON CONFLICT (version) DO UPDATE SET model = excluded.model",
      model.version, JSON.stringify(model), atMs,
    );
    this.servedByVersion.set(model.version, model);
  }

  /** Every version the object has served, newest first. */
  servedModels(): ServedModel[] {
    return this.sql
      .exec<{ model: string }>("SELECT model FROM served_models ORDER BY first_served_at_ms DESC, version")
      .toArray()
      .map((row) => JSON.parse(row.model) as ServedModel);
  }

  servedModel(version: string): ServedModel | undefined {
    const cached = this.servedByVersion.get(version);
    if (cached !== undefined) return cached;
    const row = this.sql.exec<{ model: string }>("SELECT model FROM served_models WHERE version = ?", version).toArray()[0];
    if (row === undefined) return undefined;
    const model = JSON.parse(row.model) as ServedModel;
    this.servedByVersion.set(version, model);
    return model;
  }

  /** Deletes feature rows and signals of bars before `beforeMs`. */
  prune(beforeMs: number): void {
    this.sql.exec("DELETE FROM feature_rows WHERE ts_ms < ?", beforeMs);
    this.sql.exec("DELETE FROM signals WHERE ts_ms < ?", beforeMs);
  }
}

function toSignal(symbol: string, timeframe: Timeframe, row: SignalRow): Signal {
  return {
    ts: row.ts_ms,
    symbol,
    timeframe,
    role: row.role as ServingRole,
    modelVersion: row.model_version,
    probabilities: JSON.parse(row.probabilities) as Record<string, number>,
    action: row.action as SignalAction,
    confidence: row.confidence,
    createdAtMs: row.created_at_ms,
    outcome:
      row.scored_at_bar_ts === null
        ? null
        : {
            label: row.outcome_label,
            exclusion: row.outcome_exclusion,
            logLoss: row.outcome_log_loss,
            correct: row.outcome_correct === null ? null : row.outcome_correct === 1,
            scoredAtBarTs: row.scored_at_bar_ts,
          },
  };
}
