/**
 * AccountDO: one per account ("default" locally). Keeps the account's book (core/risk/account-book.ts): balance,
 * equity at the latest marks, peak equity, the UTC day's P&L, open positions across instruments, the trading state.
 * InstrumentDOs send it their events (marks, fills) in order with each order request; it applies them exactly once
 * (per-instrument sequence numbers), then approves or denies the order with a coded decision. Emergency stop,
 * reset and limit edits come from admins through the API. Risk events reach D1 through the transactional outbox.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { AccountBook, type AccountBookState } from "../core/risk/account-book.js";
import { AccountStateSchema, type AccountState } from "../core/schemas/account.js";
import {
  AccountSyncArgsSchema,
  RiskLimitsSchema,
  type AccountSnapshot,
  type AccountSyncArgs,
  type AccountSyncResult,
  type RiskEvent,
  type RiskLimits,
  type RiskLimitsInput,
} from "../core/schemas/trading.js";
import { instrumentStub } from "../workers/instruments.js";
import { createLogger, type Logger } from "../workers/log.js";
import { platformOf, type Platform } from "../workers/platform.js";
import { armAlarm, d1OutboxSink, Outbox, type OutboxSink } from "./outbox.js";

const AccountIdSchema = z.string().regex(/^[a-z0-9-]{1,64}$/);
const ActorSchema = z.string().min(1).max(200);
const ReasonSchema = z.string().min(1).max(500);

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS account_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS instrument_seqs (symbol TEXT PRIMARY KEY, applied_through INTEGER NOT NULL)",
];

/** What an emergency stop or reset reports. */
export interface EmergencyStopResult {
  account: AccountSnapshot;
  /** Instruments told to flatten on their next tick, and those that could not be reached (they flatten when reached). */
  halted: string[];
  unreachable: { symbol: string; error: string }[];
}

export class AccountDO extends DurableObject<Env> {
  private readonly platform: Platform;
  private readonly log: Logger;
  private readonly outbox: Outbox;
  private book: AccountBook | null = null;
  private limitsCache: RiskLimits | null = null;
  /** Tests replace the D1 side of the outbox to simulate failures. */
  outboxSink: OutboxSink;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.platform = platformOf(env);
    this.log = createLogger(this.platform.config.logLevel, { component: "AccountDO" });
    for (const statement of SCHEMA) ctx.storage.sql.exec(statement);
    this.outbox = new Outbox(ctx.storage.sql);
    this.outboxSink = d1OutboxSink(env.DB);
  }

  /**
   * Applies an instrument's events (those not applied yet, by sequence number) and decides its order request, all
   * in one storage transaction.
   */
  async sync(args: AccountSyncArgs): Promise<AccountSyncResult> {
    const parsed = AccountSyncArgsSchema.parse(args);
    const book = this.bookFor(parsed.accountId);
    const limits = this.currentLimits();
    const risk: RiskEvent[] = [];
    let result!: AccountSyncResult;
    try {
      this.ctx.storage.transactionSync(() => {
        const appliedThrough = this.appliedThrough(parsed.symbol);
        let seq = parsed.firstSeq;
        for (const event of parsed.events) {
          if (seq > appliedThrough) risk.push(...book.apply(event, limits));
          seq += 1;
        }
        const through = Math.max(appliedThrough, seq - 1);
        let decision = null;
        if (parsed.request !== null) {
          const evaluated = book.evaluate(parsed.request, limits);
          risk.push(...evaluated.events);
          decision = evaluated.decision;
        }
        this.ctx.storage.sql.exec("INSERT OR REPLACE INTO instrument_seqs (symbol, applied_through) VALUES (?, ?)", parsed.symbol, through);
        this.saveBook(book, risk);
        result = { appliedThroughSeq: through, decision };
      });
    } catch (error: unknown) {
      // The transaction rolled back: the next call reloads the book from its last committed state.
      this.book = null;
      throw error;
    }
    if (risk.length > 0) await this.scheduleFlush();
    return result;
  }

  /** Balance, equity, P&L, positions, limits usage and the trading state. */
  async snapshot(accountId: string): Promise<AccountSnapshot> {
    return this.bookFor(AccountIdSchema.parse(accountId)).snapshot();
  }

  /** Portfolio VaR (historical and parametric, 95/99 %) and correlation-adjusted exposure. */
  async riskReport(accountId: string): Promise<ReturnType<AccountBook["riskReport"]>> {
    return this.bookFor(AccountIdSchema.parse(accountId)).riskReport();
  }

  /** The trading state alone (health checks). */
  async state(accountId: string): Promise<AccountState> {
    const snapshot = await this.snapshot(accountId);
    return AccountStateSchema.parse({
      accountId: snapshot.accountId,
      tradingState: snapshot.tradingState,
      sinceMs: snapshot.stateSinceMs,
      reason: snapshot.stateReason,
    });
  }

  async limits(accountId: string): Promise<RiskLimits> {
    this.bookFor(AccountIdSchema.parse(accountId));
    return this.currentLimits();
  }

  /** Replaces the limits (validated; the change is a risk event naming the actor). */
  async setLimits(accountId: string, input: RiskLimitsInput, actor: string): Promise<RiskLimits> {
    const book = this.bookFor(AccountIdSchema.parse(accountId));
    const next = RiskLimitsSchema.parse(input);
    const before = this.currentLimits();
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("INSERT OR REPLACE INTO account_meta (key, value) VALUES ('limits', ?)", JSON.stringify(next));
      this.saveBook(book, book.recordLimitsChange(before, next, ActorSchema.parse(actor), Date.now()));
    });
    this.limitsCache = next;
    await this.scheduleFlush();
    return next;
  }

  /**
   * Emergency stop: HALTED at once (every later order is denied), then every trading instrument drops its pending
   * orders and closes its positions on its next tick.
   */
  async emergencyStop(accountId: string, actor: string, reason: string): Promise<EmergencyStopResult> {
    const book = this.bookFor(AccountIdSchema.parse(accountId));
    const why = `${ReasonSchema.parse(reason)} (by ${ActorSchema.parse(actor)})`;
    this.ctx.storage.transactionSync(() => this.saveBook(book, book.halt(why, Date.now())));
    await this.scheduleFlush();
    const symbols = new Set([...this.platform.trading.keys(), ...book.snapshot().positions.map((p) => p.symbol)]);
    const halted: string[] = [];
    const unreachable: { symbol: string; error: string }[] = [];
    await Promise.all(
      [...symbols].map(async (symbol) => {
        try {
          await instrumentStub(this.env, symbol).halt(symbol);
          halted.push(symbol);
        } catch (error: unknown) {
          unreachable.push({ symbol, error: error instanceof Error ? error.message : String(error) });
        }
      }),
    );
    if (unreachable.length > 0) this.log.error("emergency stop could not reach instruments", { unreachable });
    return { account: book.snapshot(), halted: halted.sort(), unreachable };
  }

  /** Back to ACTIVE (admins only, checked by the API). */
  async reset(accountId: string, actor: string, reason: string): Promise<AccountSnapshot> {
    const book = this.bookFor(AccountIdSchema.parse(accountId));
    const why = `${ReasonSchema.parse(reason)} (by ${ActorSchema.parse(actor)})`;
    this.ctx.storage.transactionSync(() => this.saveBook(book, book.reset(why, Date.now())));
    await this.scheduleFlush();
    return book.snapshot();
  }

  /** Records waiting for D1. */
  async outboxPending(): Promise<number> {
    return this.outbox.pending();
  }

  /** Delivers the outbox to D1; on failure retries later with backoff. */
  override async alarm(): Promise<void> {
    const result = await this.outbox.flush(this.outboxSink);
    if (result.error !== null) {
      this.log.warn("outbox delivery failed; retrying", { remaining: result.remaining, error: result.error });
      await this.ctx.storage.setAlarm(Date.now() + this.outbox.retryDelayMs());
    }
  }

  private bookFor(accountId: string): AccountBook {
    if (this.book !== null) {
      if (this.book.accountId !== accountId) throw new RangeError(`this object holds account ${this.book.accountId}, not ${accountId}`);
      return this.book;
    }
    const row = this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM account_meta WHERE key = 'book'").toArray()[0];
    const saved = row === undefined ? undefined : (JSON.parse(row.value) as AccountBookState);
    this.book = new AccountBook(accountId, this.platform.config.initialBalanceUsd, saved);
    if (saved === undefined) this.ctx.storage.sql.exec("INSERT INTO account_meta (key, value) VALUES ('book', ?)", JSON.stringify(this.book.state()));
    return this.book;
  }

  private currentLimits(): RiskLimits {
    if (this.limitsCache !== null) return this.limitsCache;
    const row = this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM account_meta WHERE key = 'limits'").toArray()[0];
    this.limitsCache = RiskLimitsSchema.parse(row === undefined ? {} : JSON.parse(row.value));
    return this.limitsCache;
  }

  private appliedThrough(symbol: string): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT applied_through AS n FROM instrument_seqs WHERE symbol = ?", symbol).toArray()[0]?.n ?? 0;
  }

  /** Persists the book and queues its risk events for D1 (inside the caller's transaction). */
  private saveBook(book: AccountBook, events: readonly RiskEvent[]): void {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO account_meta (key, value) VALUES ('book', ?)", JSON.stringify(book.state()));
    this.outbox.append(events.map((event) => ({ kind: "risk-event" as const, event })));
  }

  private async scheduleFlush(): Promise<void> {
    if (this.outbox.pending() > 0) await armAlarm(this.ctx.storage, Date.now() + this.platform.config.outboxFlushDelayMs);
  }
}
