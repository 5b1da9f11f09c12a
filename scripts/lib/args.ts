/** Small helpers for the command-line scripts: typed flags with clear errors. */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Thrown for a bad command line; the scripts print the message and the usage, then exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error: unknown) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A flag as a number within bounds. */
export function numberFlag(value: string | undefined, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got '${value}'`);
  return parsed;
}

/** A flag as an integer within bounds. */
export function integerFlag(value: string | undefined, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const parsed = numberFlag(value, name, fallback, min, max);
  if (!Number.isInteger(parsed)) throw new UsageError(`--${name} must be an integer, got '${value}'`);
  return parsed;
}

/** Runs a script's main, mapping UsageError to exit 2 with usage and anything else to exit 1. */
export function runMain(main: () => Promise<void>, usage: string): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(`error: ${error.message}\n\n${usage}`);
        process.exit(2);
      }
      console.error(error instanceof Error ? `error: ${error.message}` : error);
      process.exit(1);
    },
  );
}
