/** The validated configuration and instrument catalogue of this isolate, parsed once from the Worker's env. */
import { ZodError } from "zod";
import { ConfigError } from "../core/errors/app-error.js";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../core/instruments/catalog.js";
import { parsePlatformConfig, type PlatformConfig } from "../core/schemas/config.js";

export interface Platform {
  readonly config: PlatformConfig;
  readonly instruments: InstrumentCatalog;
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
    return { config, instruments };
  } catch (error: unknown) {
    const details = error instanceof ZodError ? error.issues : undefined;
    throw new ConfigError("the Worker's configuration is invalid", { cause: error, details });
  }
}
