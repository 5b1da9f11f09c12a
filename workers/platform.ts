/** The validated configuration and instrument catalogue of this isolate, parsed once from the Worker's env. */
import { ZodError } from "zod";
import { ConfigError } from "../core/errors/app-error.js";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../core/instruments/catalog.js";
import { parsePlatformConfig, type PlatformConfig } from "../core/schemas/config.js";
import { InstrumentTradingConfigSchema, type InstrumentTradingConfig } from "../core/schemas/trading.js";

export interface Platform {
  readonly config: PlatformConfig;
  readonly instruments: InstrumentCatalog;
  /** Automated trading per instrument (the TRADING variable); an instrument without an entry does not trade. */
  readonly trading: ReadonlyMap<string, InstrumentTradingConfig>;
}

const cache = new WeakMap<object, Platform>();

/** Reads and validates `env` once per isolate; a bad variable is a ConfigError naming it. */
export function platformOf(env: Env): Platform {
  const cached = cache.get(env);
  if (cached) return cached;
  const platform = parsePlatform(env as unknown as Record<string, unknown>);
  cache.set(env, platform);
  return platform;
}

function parsePlatform(vars: Record<string, unknown>): Platform {
  try {
    const config = parsePlatformConfig(vars);
    const instruments = InstrumentCatalog.parse(
      config.instrumentsJson === undefined ? DEFAULT_INSTRUMENTS : JSON.parse(config.instrumentsJson),
    );
    const trading = new Map<string, InstrumentTradingConfig>();
    for (const entry of InstrumentTradingConfigSchema.array().parse(JSON.parse(config.tradingJson))) {
      if (!instruments.find(entry.symbol)) throw new RangeError(`TRADING names ${entry.symbol}, which is not a declared instrument`);
      if (trading.has(entry.symbol)) throw new RangeError(`TRADING names ${entry.symbol} twice`);
      trading.set(entry.symbol, Object.freeze(entry));
    }
    return { config, instruments, trading };
  } catch (error: unknown) {
    const details = error instanceof ZodError ? error.issues : undefined;
    throw new ConfigError("the Worker's configuration is invalid", { cause: error, details });
  }
}
