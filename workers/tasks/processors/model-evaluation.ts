/**
 * The `model_evaluation` task (hourly by cron): asks each instrument's Durable Object how its served champion does
 * live (rolling log-loss and accuracy over its latest scored outcomes beside its held-out scores, and the degradation
 * flag, as `GET /api/v1/signals/{symbol}/performance` shows). The task system's follow-up rules turn `degraded` into
 * model_training tasks; this task only reports.
 */
import { instrumentStub, requireInstrument } from "../../instruments.js";
import { platformOf } from "../../platform.js";
import type { TaskProcessor } from "../processor.js";

/** One instrument's evaluation. */
export interface ModelEvaluation {
  readonly symbol: string;
  /** The champion the instrument serves, or null. */
  readonly champion: string | null;
  readonly modelId: number | null;
  /** Live monitoring flags the champion (the retraining trigger). */
  readonly degraded: boolean;
  /** Why (or why not yet), for a person. */
  readonly reason: string;
  /** Scored outcomes in the rolling window. */
  readonly outcomes: number;
  readonly logLoss: number | null;
  readonly heldOutLogLoss: number | null;
  readonly logLossExcess: number | null;
  readonly accuracy: number | null;
}

/**
 * Result: `{ evaluated: [{ symbol, champion, modelId, degraded, reason, outcomes, logLoss, heldOutLogLoss,
 * logLossExcess, accuracy }], degraded: [symbols] }` for `payload.symbols`, or every declared instrument. An
 * undeclared symbol fails the task permanently (404). Instruments without a champion are listed, never degraded.
 */
export const runModelEvaluation: TaskProcessor<"model_evaluation"> = async (run) => {
  const platform = platformOf(run.env);
  const symbols = run.payload.symbols === undefined ? platform.instruments.list().map((i) => i.symbol) : run.payload.symbols.map((s) => requireInstrument(platform, s).symbol);
  const evaluated: ModelEvaluation[] = [];
  for (const symbol of [...new Set(symbols)]) {
    run.signal.throwIfAborted();
    const stub = instrumentStub(run.env, symbol);
    const serving = await stub.servingState();
    const champion = serving?.champion ?? null;
    if (champion === null) {
      evaluated.push({ symbol, champion: null, modelId: null, degraded: false, reason: "no champion served", outcomes: 0, logLoss: null, heldOutLogLoss: null, logLossExcess: null, accuracy: null });
      continue;
    }
    const scores = (await stub.modelPerformance(symbol)).find((model) => model.role === "champion");
    evaluated.push({
      symbol,
      champion: champion.version,
      modelId: champion.modelId,
      degraded: scores?.degraded ?? false,
      reason: scores?.reason ?? "the champion has not been scored yet",
      outcomes: scores?.outcomes ?? 0,
      logLoss: scores?.logLoss ?? null,
      heldOutLogLoss: scores?.heldOutLogLoss ?? null,
      logLossExcess: scores?.logLossExcess ?? null,
      accuracy: scores?.accuracy ?? null,
    });
  }
  const degraded = evaluated.filter((e) => e.degraded).map((e) => e.symbol);
  run.log.info("models evaluated", { evaluated: evaluated.length, degraded });
  return { evaluated, degraded };
};
