/**
 * Closed M1 bars → feature vectors → champion and shadow predictions → signals, and the scoring of earlier signals
 * whose label horizon has passed. Two steps so that ticks never wait on a model: `advance` runs inside the
 * InstrumentDO's batch transaction (features and their state are stored with the bars), `predict` after the commit.
 * Signals are derived data: a crash between the two steps loses the signals of that batch, never a tick or a bar.
 */
import { FeatureBuilder, type FeatureBuilderState, featureSpecId, XAU_M1_CORE_SPEC } from "../core/features/index.js";
import type { Bar } from "../core/market/bar.js";
import type { Timeframe } from "../core/market/timeframe.js";
import {
  assessLivePerformance,
  decideOutcome,
  DEFAULT_DEGRADATION_POLICY,
  type LivePerformance,
  outcomeDueTsMs,
  readProbabilities,
} from "../core/ml/live.js";
import type { ServedModel, ServingRole, Signal } from "../core/schemas/serving.js";
import { RegimeConfigSchema, type Regime, type SignalRecord } from "../core/schemas/trading.js";
import { RegimeDetector, type RegimeDetectorState } from "../core/strategy/regime.js";
import type { Outbox } from "./outbox.js";
import { LatencyWindow, type LatencySummary } from "../core/stats/latency-window.js";
import type { Logger } from "../workers/log.js";
import { ModelSlots, type SlotAssignment } from "./onnx/model-slots.js";
import type { InstrumentStore } from "./instrument-store.js";
import { type NewSignal, type PendingSignal, type SignalOutcome, SignalStore } from "./signal-store.js";

/** Regime labels of signals use the detector's default settings (the trading desk's may differ per instrument). */
const SIGNAL_REGIME = RegimeConfigSchema.parse({});

/** A stored signal as D1 records it. */
function signalRecord(symbol: string, signal: NewSignal, regime: Regime): SignalRecord {
  return {
    id: `${symbol}:${FEATURE_TIMEFRAME}:${signal.tsMs}:${signal.role}:${signal.modelVersion}`,
    symbol,
    timeframe: FEATURE_TIMEFRAME,
    tsMs: signal.tsMs,
    role: signal.role,
    modelVersion: signal.modelVersion,
    action: signal.action,
    confidence: signal.confidence,
    probabilities: signal.probabilities,
    regime,
    createdAtMs: signal.createdAtMs,
  };
}

/** The timeframe features are built on (the spec's). */
export const FEATURE_TIMEFRAME: Timeframe = XAU_M1_CORE_SPEC.parameters.timeframe;
const FEATURE_STATE_KEY = "features";

/** The feature builder's state and the M1 bar count, stored in the instrument's meta table. */
export interface FeatureState {
  readonly builder: FeatureBuilderState;
  /** The regime detector labelling signals (absent in states written before it existed). */
  readonly regime?: RegimeDetectorState;
  /** M1 bars the builder has consumed: the next bar's index. */
  readonly nextBarIndex: number;
}

/** A closed M1 bar with its index and, once the builder is warm, its features. */
export interface FeaturedBar {
  readonly bar: Bar;
  readonly barIndex: number;
  readonly features: Float64Array | undefined;
  /** Market regime at this bar's close (computed for featured bars only). */
  readonly regime: Regime;
}

/** The closed M1 bars of one batch, featured, and how long building their features took. */
export interface FeatureStep {
  readonly bars: readonly FeaturedBar[];
  readonly featuresMs: number;
}

/** Runs of the whole path the latency window keeps. */
const LATENCY_WINDOW_RUNS = 1_000;

/** Live scores of one version the instrument serves or served. */
export interface ModelLivePerformance extends LivePerformance {
  readonly version: string;
  readonly modelId: number;
  /** The slot it holds now; null when it no longer serves. */
  readonly role: ServingRole | null;
}

export class SignalPipeline {
  readonly store: SignalStore;
  readonly slots: ModelSlots;
  private builder: FeatureBuilder;
  private nextBarIndex: number;
  private regime: RegimeDetector;
  /** Bar close → features → inference → signals stored, per batch that a model scored (ms). */
  private readonly latency = new LatencyWindow(LATENCY_WINDOW_RUNS);

  constructor(
    sql: SqlStorage,
    private readonly meta: InstrumentStore,
    bucket: R2Bucket,
    private readonly symbol: () => string | null,
    private readonly pointSize: () => number,
    private readonly log: Logger,
    private readonly outbox: Outbox,
  ) {
    this.store = new SignalStore(sql);
    this.slots = new ModelSlots(bucket, XAU_M1_CORE_SPEC.features.length);
    const saved = meta.readMeta<FeatureState>(FEATURE_STATE_KEY);
    const usable = saved !== undefined && saved.builder.specId === featureSpecId(XAU_M1_CORE_SPEC);
    this.builder = new FeatureBuilder(XAU_M1_CORE_SPEC, usable ? saved.builder : undefined);
    this.nextBarIndex = usable ? saved.nextBarIndex : 0;
    this.regime = new RegimeDetector(SIGNAL_REGIME, usable ? saved.regime : undefined);
  }

  /** The feature state to restore if the transaction `advance` ran in fails. */
  checkpoint(): FeatureState {
    return { builder: this.builder.snapshot(), nextBarIndex: this.nextBarIndex, regime: this.regime.snapshot() };
  }

  restore(state: FeatureState): void {
    this.builder = new FeatureBuilder(XAU_M1_CORE_SPEC, state.builder);
    this.nextBarIndex = state.nextBarIndex;
    this.regime = new RegimeDetector(SIGNAL_REGIME, state.regime);
  }

  /**
   * Feeds the closed M1 bars (oldest first) to the feature builder and stores their vectors and the builder's state.
   * Call inside the batch's transaction. A bar the builder refuses restarts its warm-up (logged) instead of
   * failing the batch: ticks and bars must never wait on features.
   */
  advance(closedBars: readonly Bar[]): FeatureStep {
    const startedMs = performance.now();
    const featured: FeaturedBar[] = [];
    for (const bar of closedBars) {
      if (bar.timeframe !== FEATURE_TIMEFRAME) continue;
      let features: Float64Array | undefined;
      try {
        const row = this.builder.update(bar);
        features = row.ready ? row.features : undefined;
      } catch (error: unknown) {
        this.log.error("feature builder refused a bar; warm-up restarts", { tsMs: bar.tsMs, error: String(error) });
        this.builder = new FeatureBuilder(XAU_M1_CORE_SPEC);
      }
      this.regime.update(bar);
      const barIndex = this.nextBarIndex;
      this.nextBarIndex += 1;
      if (features !== undefined) this.store.insertFeatureRow(bar.tsMs, barIndex, features);
      featured.push({ bar, barIndex, features, regime: features === undefined ? "unknown" : this.regime.current() });
    }
    if (featured.length > 0) this.meta.writeMeta(FEATURE_STATE_KEY, this.checkpoint());
    return { bars: featured, featuresMs: performance.now() - startedMs };
  }

  /**
   * Latency of the signal path over the latest runs: from the bars' close in the batch transaction through features,
   * inference and the stored signals, per batch a model scored (a live feed closes one M1 bar per batch).
   */
  latencySummary(): LatencySummary {
    return this.latency.summary();
  }

  /** Loads the assignment (R2 + ORT) and, once it works, swaps it in and remembers its models. */
  async assign(assignment: SlotAssignment, nowMs: number): Promise<void> {
    await this.slots.assign(assignment);
    for (const model of [assignment.champion, assignment.shadow]) if (model !== null) this.store.rememberServedModel(model, nowMs);
  }

  /** Loads the assignment unless it is already served (cold start). Failures are logged; no signals until fixed. */
  async ensureLoaded(assignment: SlotAssignment): Promise<boolean> {
    if (this.slots.serves(assignment)) return true;
    try {
      await this.slots.assign(assignment);
      return true;
    } catch (error: unknown) {
      this.log.error("served models could not be loaded; no signals until they are reassigned", { error: String(error) });
      return false;
    }
  }

  /**
   * Predicts the featured bars with every loaded slot, stores the signals, then scores the signals whose horizon
   * the bars complete, all in one transaction. Returns the new signals, oldest first.
   */
  async predict(step: FeatureStep, storage: DurableObjectStorage, nowMs: number): Promise<Signal[]> {
    const startedMs = performance.now();
    const featured = step.bars;
    const symbol = this.symbol();
    if (symbol === null || featured.length === 0) return [];
    const ready = featured.filter((item): item is FeaturedBar & { features: Float64Array } => item.features !== undefined);
    const slots = this.slots.current();
    const width = XAU_M1_CORE_SPEC.features.length;
    const predictions: Promise<{ model: ServedModel; role: ServingRole; probabilities: Float32Array; classes: number } | null>[] = [];
    if (ready.length > 0) {
      const input = new Float32Array(ready.length * width);
      ready.forEach((item, row) => input.set(item.features, row * width));
      for (const role of ["champion", "shadow"] as const) {
        const loaded = slots[role];
        if (loaded === undefined) continue;
        predictions.push(
          loaded.session.predict(input, ready.length, width).then(
            (prediction) => ({ model: loaded.model, role, probabilities: prediction.probabilities, classes: prediction.classes }),
            (error: unknown) => {
              this.log.error("prediction failed", { version: loaded.model.version, role, error: String(error) });
              return null;
            },
          ),
        );
      }
    }
    const results = await Promise.all(predictions);
    const signals: NewSignal[] = [];
    for (const result of results) {
      if (result === null) continue;
      const { model, role, probabilities, classes } = result;
      ready.forEach((item, row) => {
        const reading = readProbabilities(probabilities.subarray(row * classes, (row + 1) * classes), model.classLabels);
        signals.push({
          tsMs: item.bar.tsMs,
          role,
          modelVersion: model.version,
          probabilities: reading.probabilities,
          action: reading.action,
          confidence: reading.confidence,
          createdAtMs: nowMs,
          barIndex: item.barIndex,
          close: item.bar.close,
          spreadAvgPoints: item.bar.spreadAvgPoints,
          dueTsMs: outcomeDueTsMs(item.bar.tsMs, model),
        });
      });
    }
    const regimeOf = new Map(ready.map((item) => [item.bar.tsMs, item.regime]));
    storage.transactionSync(() => {
      for (const signal of signals) this.store.insertSignal(signal);
      this.outbox.append(signals.map((signal) => ({ kind: "signal" as const, signal: signalRecord(symbol, signal, regimeOf.get(signal.tsMs) ?? "unknown") })));
      for (const item of featured) this.scoreDue(item);
    });
    if (signals.length > 0) this.latency.record(step.featuresMs + performance.now() - startedMs);
    const timeframe = FEATURE_TIMEFRAME;
    return signals
      .sort((a, b) => a.tsMs - b.tsMs || a.role.localeCompare(b.role))
      .map((signal) => ({
        ts: signal.tsMs,
        symbol,
        timeframe,
        role: signal.role,
        modelVersion: signal.modelVersion,
        probabilities: signal.probabilities,
        action: signal.action,
        confidence: signal.confidence,
        createdAtMs: signal.createdAtMs,
        outcome: null,
      }));
  }

  /** Rolling live scores of every version the instrument has served, the serving ones first. */
  performance(): ModelLivePerformance[] {
    const slots = this.slots.current();
    const roleOf = (version: string): ServingRole | null =>
      slots.champion?.model.version === version ? "champion" : slots.shadow?.model.version === version ? "shadow" : null;
    return this.store
      .servedModels()
      .map((model) => ({
        version: model.version,
        modelId: model.modelId,
        role: roleOf(model.version),
        ...assessLivePerformance(this.store.liveWindow(model.version, DEFAULT_DEGRADATION_POLICY.windowOutcomes), model.heldOut),
      }))
      .sort((a, b) => rank(a.role) - rank(b.role));
  }

  /** Decides the outcome of every signal this bar is due for (the first bar at or after its due time). */
  private scoreDue(item: FeaturedBar): void {
    for (const pending of this.store.pendingDue(item.bar.tsMs)) {
      this.store.recordOutcome(pending.tsMs, pending.role, this.outcomeOf(pending, item));
    }
  }

  private outcomeOf(pending: PendingSignal, item: FeaturedBar): SignalOutcome {
    const scoredAtBarTs = item.bar.tsMs;
    const model = this.store.servedModel(pending.modelVersion);
    if (model === undefined) return { label: null, exclusion: "UNKNOWN_MODEL", logLoss: null, correct: null, scoredAtBarTs };
    const decidingBar = { ...item.bar, barIndex: item.barIndex };
    return { ...decideOutcome(pending, pending.probabilities, decidingBar, model, this.pointSize()), scoredAtBarTs };
  }
}

function rank(role: ServingRole | null): number {
  return role === "champion" ? 0 : role === "shadow" ? 1 : 2;
}
