/** The platform's configuration, read once from the Worker's variables and validated. */
import { z } from "zod";
import { MAX_TICKS_PER_BATCH } from "./market-data.js";

const intFromString = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Worker variables (`[vars]` in wrangler.toml); every key has a default and a description. */
export const PlatformConfigSchema = z.object({
  APP_ENV: z.enum(["development", "test", "staging", "production"]).default("development")
    .describe("Deployment environment; 'development' and 'test' relax cookie security"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info").describe("Lowest structured-log level written"),
  TICK_RETENTION_HOURS: intFromString(1, 24 * 90).default(48)
    .describe("Raw ticks older than this (behind the newest tick) are pruned from an instrument's storage, on ingest and by the daily system_cleanup"),
  OUT_OF_ORDER_TOLERANCE_MS: intFromString(0, 60_000).default(2_000)
    .describe("How far behind the newest tick a tick may arrive and still be accepted; also the bar-close grace"),
  BAR_CLOSE_GRACE_MS: intFromString(0, 60_000).default(0)
    .describe("A bar closes this long after its end once a later tick arrives; 0: at the first tick of the next period, the tick strategies act on. Later ticks for a closed bar are refused"),
  CLOCK_CLOSE_GRACE_MS: intFromString(0, 60_000).default(5_000)
    .describe("A live feed's bar closes on the clock this long after its period ends; later ticks for it are refused"),
  FUTURE_TOLERANCE_MS: intFromString(0, 3_600_000).default(10_000)
    .describe("How far ahead of the server clock a tick may be stamped"),
  STREAM_TICK_THROTTLE_MS: intFromString(0, 60_000).default(250)
    .describe("Minimum interval between tick pushes to stream subscribers"),
  MAX_TICKS_PER_REQUEST: intFromString(1, MAX_TICKS_PER_BATCH).default(MAX_TICKS_PER_BATCH).describe("Largest ingest batch; more is refused with 413"),
  INSTRUMENTS: z.string().optional()
    .describe("JSON array of instrument specifications replacing the shipped catalogue"),
  OUTBOX_FLUSH_DELAY_MS: intFromString(0, 86_400_000).default(0)
    .describe("How long after a change the Durable Objects' outbox alarm delivers it to D1 (tests set it high and deliver explicitly)"),
  TRADING: z.string().default("[]")
    .describe("JSON array of per-instrument trading configurations (strategy, filters, exits, fills); empty: no automated trading"),
  ACCOUNT_INITIAL_BALANCE_USD: z.coerce.number().positive().max(1e12).default(100_000)
    .describe("Starting balance of a new paper account, USD"),
  TASK_RETRY_BASE_S: intFromString(0, 3_600).default(5)
    .describe("First retry delay of a failed task, seconds; each further retry doubles it (with jitter), up to TASK_RETRY_MAX_S"),
  TASK_RETRY_MAX_S: intFromString(0, 43_200).default(900).describe("Longest retry delay, seconds"),
  TASK_FAULT_INJECTION_RATE: z.coerce.number().min(0).max(1).default(0)
    .describe("Fault drills only: the share of task runs failed on purpose before the processor runs; refused in staging and production"),
  BACKUP_RETENTION_COUNT: intFromString(1, 1_000).default(10).describe("Completed backups kept; older ones are deleted after each backup"),
  NOTIFICATIONS: z.string().default('{"channels":{"log":{"kind":"log"}},"routes":[{"events":["*"],"channels":["log"]}]}')
    .describe("JSON notification config: channels (log, webhook, telegram, email), routes per event, rate limits (README \"Notifications\")"),
  NOTIFY_WEBHOOK_SECRET: z.string().optional().describe("Secret: HMAC-SHA256 key that signs webhook notifications"),
  TELEGRAM_BOT_TOKEN: z.string().optional().describe("Secret: Telegram Bot API token"),
  EMAIL_API_KEY: z.string().optional().describe("Secret: bearer key of the HTTP mail API"),
  JWT_ISSUER: z.string().min(1).default("aurum-edge").describe("`iss` of access tokens"),
  JWT_AUDIENCE: z.string().min(1).default("aurum-edge-api").describe("`aud` of access tokens"),
  ACCESS_TOKEN_TTL_S: intFromString(60, 86_400).default(900).describe("Access-token lifetime, seconds"),
  REFRESH_TOKEN_TTL_S: intFromString(3_600, 90 * 86_400).default(30 * 86_400).describe("Refresh-token lifetime, seconds"),
  JWT_CLOCK_TOLERANCE_S: intFromString(0, 300).default(30).describe("Clock skew tolerated when checking token times"),
  PBKDF2_ITERATIONS: intFromString(10_000, 100_000).default(100_000)
    .describe("PBKDF2-SHA256 iterations for new password hashes (Workers allow at most 100,000)"),
  LOGIN_MAX_FAILURES: intFromString(1, 100).default(5).describe("Failed logins (per user and per IP) before a lock-out"),
  LOGIN_LOCKOUT_BASE_S: intFromString(1, 3_600).default(30).describe("First lock-out, seconds; doubles with each further failure"),
  LOGIN_LOCKOUT_MAX_S: intFromString(1, 86_400).default(3_600).describe("Longest lock-out, seconds"),
  CREDENTIAL_CACHE_TTL_S: intFromString(0, 300).default(15)
    .describe("How long an isolate trusts a looked-up API key or user; revocation reaches other isolates within it"),
  CORS_ORIGINS: z.string().default("").describe("Comma-separated browser origins allowed to call the API; empty: none"),
  JWT_SECRET: z.string().optional().describe("Secret: signing keys 'kid:secret[,kid:secret…]', the first signs"),
  ADMIN_USERNAME: z.string().optional().describe("Secret: the first admin's username, created on first use"),
  ADMIN_PASSWORD: z.string().optional().describe("Secret: the first admin's password"),
  METRICS_TOKEN: z.string().optional().describe("Secret: bearer token Prometheus scrapes /metrics with"),
});
export type PlatformConfigInput = z.input<typeof PlatformConfigSchema>;

export interface PlatformConfig {
  readonly appEnv: "development" | "test" | "staging" | "production";
  readonly logLevel: "debug" | "info" | "warn" | "error";
  readonly tickRetentionMs: number;
  readonly outOfOrderToleranceMs: number;
  readonly futureToleranceMs: number;
  readonly clockCloseGraceMs: number;
  readonly barCloseGraceMs: number;
  readonly streamTickThrottleMs: number;
  readonly maxTicksPerRequest: number;
  /** Raw JSON of the instrument catalogue override, parsed by the catalogue. */
  readonly instrumentsJson: string | undefined;
  /** Raw JSON of the per-instrument trading configurations, parsed with the catalogue. */
  readonly tradingJson: string;
  readonly initialBalanceUsd: number;
  readonly outboxFlushDelayMs: number;
  readonly tasks: TaskConfig;
  readonly auth: AuthConfig;
}

/** Task-system settings (retries, fault drills, backups, notifications). */
export interface TaskConfig {
  readonly retryBaseS: number;
  readonly retryMaxS: number;
  readonly faultInjectionRate: number;
  readonly backupRetentionCount: number;
  /** Raw JSON of the notification config, parsed by core/notifications. */
  readonly notificationsJson: string;
  readonly webhookSecret: string | undefined;
  readonly telegramBotToken: string | undefined;
  readonly emailApiKey: string | undefined;
}

/** Authentication settings and secrets. */
export interface AuthConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly accessTokenTtlS: number;
  readonly refreshTokenTtlS: number;
  readonly clockToleranceS: number;
  readonly pbkdf2Iterations: number;
  readonly loginMaxFailures: number;
  readonly loginLockoutBaseS: number;
  readonly loginLockoutMaxS: number;
  readonly credentialCacheTtlS: number;
  readonly corsOrigins: readonly string[];
  /** Unparsed signing keys; undefined when the secret is not set (authentication then fails as misconfigured). */
  readonly jwtSecret: string | undefined;
  readonly adminUsername: string | undefined;
  readonly adminPassword: string | undefined;
  readonly metricsToken: string | undefined;
}

/** Parses variables into a frozen config; throws a ZodError naming each bad key. */
export function parsePlatformConfig(vars: Record<string, unknown>): PlatformConfig {
  const v = PlatformConfigSchema.refine(
    (c) => c.TASK_FAULT_INJECTION_RATE === 0 || c.APP_ENV === "development" || c.APP_ENV === "test",
    { message: "TASK_FAULT_INJECTION_RATE is for drills in development and test only", path: ["TASK_FAULT_INJECTION_RATE"] },
  ).parse(vars);
  return Object.freeze({
    appEnv: v.APP_ENV,
    logLevel: v.LOG_LEVEL,
    tickRetentionMs: v.TICK_RETENTION_HOURS * 3_600_000,
    outOfOrderToleranceMs: v.OUT_OF_ORDER_TOLERANCE_MS,
    futureToleranceMs: v.FUTURE_TOLERANCE_MS,
    clockCloseGraceMs: v.CLOCK_CLOSE_GRACE_MS,
    barCloseGraceMs: v.BAR_CLOSE_GRACE_MS,
    streamTickThrottleMs: v.STREAM_TICK_THROTTLE_MS,
    maxTicksPerRequest: v.MAX_TICKS_PER_REQUEST,
    instrumentsJson: v.INSTRUMENTS,
    tradingJson: v.TRADING,
    initialBalanceUsd: v.ACCOUNT_INITIAL_BALANCE_USD,
    outboxFlushDelayMs: v.OUTBOX_FLUSH_DELAY_MS,
    tasks: Object.freeze({
      retryBaseS: v.TASK_RETRY_BASE_S,
      retryMaxS: v.TASK_RETRY_MAX_S,
      faultInjectionRate: v.TASK_FAULT_INJECTION_RATE,
      backupRetentionCount: v.BACKUP_RETENTION_COUNT,
      notificationsJson: v.NOTIFICATIONS,
      webhookSecret: v.NOTIFY_WEBHOOK_SECRET,
      telegramBotToken: v.TELEGRAM_BOT_TOKEN,
      emailApiKey: v.EMAIL_API_KEY,
    }),
    auth: Object.freeze({
      issuer: v.JWT_ISSUER,
      audience: v.JWT_AUDIENCE,
      accessTokenTtlS: v.ACCESS_TOKEN_TTL_S,
      refreshTokenTtlS: v.REFRESH_TOKEN_TTL_S,
      clockToleranceS: v.JWT_CLOCK_TOLERANCE_S,
      pbkdf2Iterations: v.PBKDF2_ITERATIONS,
      loginMaxFailures: v.LOGIN_MAX_FAILURES,
      loginLockoutBaseS: v.LOGIN_LOCKOUT_BASE_S,
      loginLockoutMaxS: v.LOGIN_LOCKOUT_MAX_S,
      credentialCacheTtlS: v.CREDENTIAL_CACHE_TTL_S,
      corsOrigins: v.CORS_ORIGINS.split(",").map((o) => o.trim()).filter((o) => o !== ""),
      jwtSecret: v.JWT_SECRET,
      adminUsername: v.ADMIN_USERNAME,
      adminPassword: v.ADMIN_PASSWORD,
      metricsToken: v.METRICS_TOKEN,
    }),
  });
}
