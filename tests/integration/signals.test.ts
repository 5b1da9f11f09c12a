/**
 * Inference in the InstrumentDO on real data: a replayed day of XAUUSD M1 bars gives the trainer's feature vectors
 * (to 1e-9), onnxruntime-node's probabilities (to 1e-6) from onnxruntime-web in the object, outcomes scored with
 * the trainer's labels, and hot-swapped or restarted models that drop no tick.
 */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { UnavailableError, UnprocessableError } from "../../core/errors/app-error.js";
import { buildFeatures, featureBarFromSource } from "../../core/features/index.js";
import { type LabelDefinition, labelBars } from "../../core/ml/index.js";
import { barsToTicks, type SourceBar } from "../../core/market/tick-path.js";
import type { Tick } from "../../core/market/tick.js";
import type { StreamMessage } from "../../core/schemas/market-data.js";
import { modelObjectKey, type ServedModel, type Signal } from "../../core/schemas/serving.js";
import type { InstrumentDO } from "../../durable-objects/instrument-do.js";
import { FIXTURE_MODEL_BASE64 } from "../fixtures/signals/model-bytes.js";
import fixtureJson from "../fixtures/signals/replay-day.json";
import { RegimeConfigSchema } from "../../core/schemas/trading.js";
import { RegimeDetector } from "../../core/strategy/regime.js";
import { drainOutbox } from "./drain-outbox.js";
import { freshState } from "./fresh-state.js";
import { call } from "./http.js";

beforeEach(freshState);

interface Fixture {
  symbol: string;
  label: LabelDefinition;
  classLabels: string[];
  onnxSha256: string;
  firstReadyIndex: number;
  bars: number[][];
  probabilities: number[][];
}

const FIXTURE = fixtureJson as unknown as Fixture;
const SYMBOL = "XAUUSD";
const BARS: SourceBar[] = FIXTURE.bars.map(([tsMs, open, high, low, close, tickVolume, spreadPoints]) => ({
  tsMs: tsMs!, open: open!, high: high!, low: low!, close: close!, tickVolume: tickVolume!, spreadPoints: spreadPoints!,
}));
const TICKS: Tick[] = barsToTicks(BARS, { pointSize: 0.01, digits: 2 });
const MODEL_BYTES = Uint8Array.from(atob(FIXTURE_MODEL_BASE64), (c) => c.charCodeAt(0));
/** The replay's last bar stays forming (nothing after it closes it). */
const CLOSED_BARS = BARS.length - 1;

const stub = () => env.INSTRUMENT_DO.get(env.INSTRUMENT_DO.idFromName(SYMBOL));

function servedModel(modelId: number, version: string, overrides: Partial<ServedModel> = {}): ServedModel {
  return {
    modelId,
    version,
    modelKind: "gbdt",
    timeframe: "M1",
    onnxKey: modelObjectKey(SYMBOL, version, "model.onnx"),
    onnxSha256: FIXTURE.onnxSha256,
    featureSpecSha256: "0".repeat(64),
    inputWidth: 29,
    label: FIXTURE.label,
    classLabels: FIXTURE.classLabels,
    heldOut: { logLoss: 0.69, accuracy: 0.52, priorLogLoss: 0.6932 },
    ...overrides,
  };
}

async function putModel(version: string): Promise<void> {
  await env.MODELS.put(modelObjectKey(SYMBOL, version, "model.onnx"), MODEL_BYTES);
}

async function replay(ticks: readonly Tick[], batchSize = 1_000): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < ticks.length; i += batchSize) accepted += (await stub().ingest(SYMBOL, ticks.slice(i, i + batchSize))).accepted;
  return accepted;
}

async function allSignals(role: "champion" | "shadow"): Promise<Signal[]> {
  return (await stub().signals({ symbol: SYMBOL, role, limit: 5_000 })).reverse();
}

describe("InstrumentDO signals", () => {
  it("builds the trainer's features and onnxruntime-node's probabilities for a replayed day, and scores outcomes like the trainer labels", async () => {
    await putModel("fixture-1");
    const serving = await stub().assignModels({ symbol: SYMBOL, champion: servedModel(1, "fixture-1"), shadow: null });
    expect(serving.champion?.version).toBe("fixture-1");
    expect(await replay(TICKS)).toBe(TICKS.length);

    // Features: the DO's streaming builder fed by its own bars = the batch builder on the source bars.
    const expectedRows = buildFeatures(BARS.map(featureBarFromSource)).slice(0, CLOSED_BARS);
    const stored = await stub().featureRows(SYMBOL, 0, Number.MAX_SAFE_INTEGER, 5_000);
    const ready = expectedRows.flatMap((row, index) => (row.ready ? [{ index, row }] : []));
    expect(stored).toHaveLength(ready.length);
    let largestFeatureError = 0;
    stored.forEach((actual, i) => {
      const { index, row } = ready[i]!;
      expect(actual.tsMs).toBe(BARS[index]!.tsMs);
      expect(actual.barIndex).toBe(index);
      row.features!.forEach((value, k) => {
        largestFeatureError = Math.max(largestFeatureError, Math.abs(actual.features[k]! - value) / Math.max(1, Math.abs(value)));
      });
    });
    expect(largestFeatureError).toBeLessThanOrEqual(1e-9);

    // Probabilities: onnxruntime-web in the object = onnxruntime-node in the fixture.
    const signals = await allSignals("champion");
    expect(signals).toHaveLength(ready.length);
    let largestProbabilityError = 0;
    signals.forEach((signal, i) => {
      expect(signal.ts).toBe(BARS[ready[i]!.index]!.tsMs);
      const [down, up] = FIXTURE.probabilities[i]!;
      largestProbabilityError = Math.max(largestProbabilityError, Math.abs(signal.probabilities.down! - down!), Math.abs(signal.probabilities.up! - up!));
      expect(signal).toMatchObject({ symbol: SYMBOL, timeframe: "M1", role: "champion", modelVersion: "fixture-1" });
      expect(signal.action).toBe(up! > down! ? "buy" : "sell");
      expect(signal.confidence).toBeCloseTo(Math.max(down!, up!), 6);
    });
    expect(largestProbabilityError).toBeLessThanOrEqual(1e-6);

    // D1 receives every signal through the outbox, labelled with its bar's regime (the detector fed the same bars).
    await drainOutbox(stub(), async () => (await stub().deliveryBacklog()).outbox);
    const recorded = await env.DB.prepare("SELECT ts_ms, confidence, regime FROM signals WHERE role = 'champion' ORDER BY ts_ms").all<{ ts_ms: number; confidence: number; regime: string }>();
    expect(recorded.results.map((row) => row.ts_ms)).toEqual(signals.map((signal) => signal.ts));
    const detector = new RegimeDetector(RegimeConfigSchema.parse({}));
    const expectedRegimes = new Map<number, string>();
    BARS.slice(0, CLOSED_BARS).forEach((bar) => {
      detector.update(bar);
      expectedRegimes.set(bar.tsMs, detector.current());
    });
    expect(recorded.results.map((row) => row.regime)).toEqual(signals.map((signal) => expectedRegimes.get(signal.ts)));
    expect(new Set(recorded.results.map((row) => row.regime)).size).toBeGreaterThan(1);

    // Outcomes: every signal whose horizon has closed is scored with the trainer's label of its bar.
    const labels = labelBars(
      BARS.slice(0, CLOSED_BARS).map((bar) => ({ tsMs: bar.tsMs, close: bar.close, spreadAvgPoints: bar.spreadPoints })),
      FIXTURE.label,
      { pointSize: 0.01, timeframe: "M1" },
    );
    let scored = 0;
    let gaps = 0;
    let logLossSum = 0;
    for (const [i, signal] of signals.entries()) {
      const label = labels[ready[i]!.index]!;
      if (label.exclusion === "NO_FORWARD_BAR") {
        expect(signal.outcome).toBeNull();
        continue;
      }
      if (label.exclusion === "GAP") {
        gaps += 1;
        expect(signal.outcome).toMatchObject({ label: null, exclusion: "GAP", logLoss: null });
        continue;
      }
      // The trainer's terms: from P(up) alone, "up" predicted when P(up) > 0.5.
      const trueLabel = FIXTURE.classLabels[label.label!]!;
      const up = signal.probabilities.up!;
      expect(signal.outcome).toMatchObject({ label: trueLabel, exclusion: null, correct: (up > 0.5 ? "up" : "down") === trueLabel });
      expect(signal.outcome!.logLoss).toBeCloseTo(-Math.log(label.label === 1 ? up : 1 - up), 12);
      if (i >= signals.length - 600) {
        scored += 1;
        logLossSum += signal.outcome!.logLoss!;
      }
    }
    expect(gaps).toBeGreaterThan(0); // the window spans the daily break

    const [performance] = await stub().modelPerformance(SYMBOL);
    expect(performance).toMatchObject({ version: "fixture-1", role: "champion", outcomes: 500, heldOutLogLoss: 0.69 });
    expect(scored).toBeGreaterThanOrEqual(500);
    expect(performance!.logLoss).toBeGreaterThan(0);
    expect(logLossSum).toBeGreaterThan(0);

    const status = await stub().status();
    expect(status).toMatchObject({ champion: "fixture-1", shadow: null });
    expect(status.signalLatency.samples).toBeGreaterThan(0);
    expect(status.signalLatency.p99Ms).toBeGreaterThanOrEqual(status.signalLatency.p50Ms!);

    // The API shows the same signals.
    const latest = await call(`/api/v1/signals/${SYMBOL}/latest`);
    expect(latest.status).toBe(200);
    expect(((await latest.json()) as { signal: Signal }).signal).toEqual(signals.at(-1));
    const page = await call(`/api/v1/signals/${SYMBOL}?limit=3`);
    expect(((await page.json()) as { signals: Signal[] }).signals.map((s) => s.ts)).toEqual(signals.slice(-3).reverse().map((s) => s.ts));
    const monitoring = await call(`/api/v1/signals/${SYMBOL}/performance`);
    expect(await monitoring.json()).toMatchObject({ symbol: SYMBOL, championDegraded: performance!.degraded, models: [{ version: "fixture-1", outcomes: 500 }] });
  });

  it("hot-swaps a shadow in mid-stream without dropping ticks, and reloads the models after a restart", async () => {
    await putModel("fixture-1");
    await putModel("fixture-2");
    await stub().assignModels({ symbol: SYMBOL, champion: servedModel(1, "fixture-1"), shadow: null });
    const half = 4 * 700;
    expect(await replay(TICKS.slice(0, half))).toBe(half);
    const swapTsMs = TICKS[half - 1]!.tsMs;
    await stub().assignModels({ symbol: SYMBOL, champion: servedModel(1, "fixture-1"), shadow: servedModel(2, "fixture-2") });
    // Nothing in flight when the objects stop (the outbox alarm would be cut off mid-delivery).
    await drainOutbox(stub(), async () => (await stub().deliveryBacklog()).outbox);
    await drainOutbox(env.ACCOUNT_DO.get(env.ACCOUNT_DO.idFromName("default")), () => env.ACCOUNT_DO.get(env.ACCOUNT_DO.idFromName("default")).outboxPending());
    await abortAllDurableObjects(); // cold start: the object reloads both models from R2 on the next bar close
    expect(await replay(TICKS.slice(half))).toBe(TICKS.length - half);
    expect((await stub().status()).counters.accepted).toBe(TICKS.length);

    const champion = await allSignals("champion");
    const shadow = await allSignals("shadow");
    const readyBars = CLOSED_BARS - FIXTURE.firstReadyIndex;
    expect(champion).toHaveLength(readyBars);
    expect(shadow.length).toBeGreaterThan(0);
    expect(shadow[0]!.ts).toBeGreaterThan(swapTsMs - 60_000);
    expect(shadow.every((signal) => signal.modelVersion === "fixture-2")).toBe(true);
    // The same model under two versions: the shadow's probabilities equal the champion's bar by bar.
    const championByTs = new Map(champion.map((signal) => [signal.ts, signal]));
    for (const signal of shadow) expect(signal.probabilities).toEqual(championByTs.get(signal.ts)!.probabilities);

    const performance = await stub().modelPerformance(SYMBOL);
    expect(performance.map((model) => [model.version, model.role])).toEqual([["fixture-1", "champion"], ["fixture-2", "shadow"]]);
  });

  it("pushes signals to stream subscribers", async () => {
    await putModel("fixture-1");
    await stub().assignModels({ symbol: SYMBOL, champion: servedModel(1, "fixture-1"), shadow: null });
    // Warm the features up without a subscriber, then watch the next bars close.
    const warm = (FIXTURE.firstReadyIndex + 5) * 4;
    await replay(TICKS.slice(0, warm));
    const response = await stub().fetch(new Request(`https://do/stream?symbol=${SYMBOL}`, { headers: { upgrade: "websocket" } }));
    const socket = response.webSocket!;
    const messages: StreamMessage[] = [];
    socket.accept();
    socket.addEventListener("message", (event) => {
      messages.push(JSON.parse(event.data as string) as StreamMessage);
    });
    await replay(TICKS.slice(warm, warm + 12));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pushed = messages.filter((message) => message.type === "signal");
    expect(pushed).toHaveLength(3);
    expect(pushed.map((message) => message.type === "signal" && message.signal.ts)).toEqual(
      [0, 1, 2].map((k) => BARS[warm / 4 - 1 + k]!.tsMs),
    );
    socket.close();
  });

  it("refuses an assignment it cannot serve and keeps serving the previous one", async () => {
    await putModel("fixture-1");
    await stub().assignModels({ symbol: SYMBOL, champion: servedModel(1, "fixture-1"), shadow: null });
    await runInDurableObject(stub(), async (instance: InstrumentDO) => {
      const tampered = servedModel(2, "fixture-1", { onnxSha256: "f".repeat(64) });
      await expect(instance.assignModels({ symbol: SYMBOL, champion: tampered, shadow: null })).rejects.toThrow(UnprocessableError);
      const missing = servedModel(3, "not-uploaded");
      await expect(instance.assignModels({ symbol: SYMBOL, champion: missing, shadow: null })).rejects.toThrow(UnavailableError);
      const narrow = servedModel(4, "fixture-1", { inputWidth: 3 });
      await expect(instance.assignModels({ symbol: SYMBOL, champion: narrow, shadow: null })).rejects.toThrow(UnprocessableError);
      await expect(instance.assignModels({ symbol: "EURUSD", champion: null, shadow: null })).rejects.toThrow(/holds XAUUSD/);
      expect((await instance.servingState())?.champion?.modelId).toBe(1);
    });
    expect(await replay(TICKS.slice(0, (FIXTURE.firstReadyIndex + 3) * 4))).toBeGreaterThan(0);
    expect((await allSignals("champion")).map((signal) => signal.modelVersion)).toEqual(["fixture-1", "fixture-1"]);
  });

  it("restores the feature state with the bars when a batch fails, so the retried batch gives the same features", async () => {
    const bars = FIXTURE.firstReadyIndex + 20;
    await replay(TICKS.slice(0, bars * 4));
    const before = await stub().featureRows(SYMBOL, 0, Number.MAX_SAFE_INTEGER);
    await runInDurableObject(stub(), async (instance: InstrumentDO) => {
      const store = (instance as unknown as { store: { writeFeedState: (state: unknown) => void } }).store;
      const original = store.writeFeedState.bind(store);
      store.writeFeedState = () => {
        throw new Error("disk on fire");
      };
      await expect(instance.ingest(SYMBOL, TICKS.slice(bars * 4, (bars + 10) * 4))).rejects.toThrow("disk on fire");
      store.writeFeedState = original;
    });
    expect(await stub().featureRows(SYMBOL, 0, Number.MAX_SAFE_INTEGER)).toEqual(before);
    await replay(TICKS.slice(bars * 4, (bars + 10) * 4));
    const after = await stub().featureRows(SYMBOL, 0, Number.MAX_SAFE_INTEGER);
    const expected = buildFeatures(BARS.slice(0, bars + 9).map(featureBarFromSource)).filter((row) => row.ready);
    expect(after.map((row) => row.features)).toEqual(expected.map((row) => Array.from(row.features!)));
  });

  it("acknowledges a committed batch even when its signals cannot be stored", async () => {
    await putModel("fixture-1");
    await stub().assignModels({ symbol: SYMBOL, champion: servedModel(1, "fixture-1"), shadow: null });
    const warm = (FIXTURE.firstReadyIndex + 2) * 4;
    await replay(TICKS.slice(0, warm));
    await runInDurableObject(stub(), async (instance: InstrumentDO) => {
      const pipeline = (instance as unknown as { pipeline: { predict: () => Promise<never> } }).pipeline;
      pipeline.predict = () => Promise.reject(new Error("disk on fire"));
      expect(await instance.ingest(SYMBOL, TICKS.slice(warm, warm + 8))).toMatchObject({ accepted: 8 });
    });
    expect((await stub().status()).counters.accepted).toBe(warm + 8);
  });

  it("answers 404 for an unknown instrument and 400 for a bad query", async () => {
    expect((await call("/api/v1/signals/NOPE/latest")).status).toBe(404);
    const bad = await call(`/api/v1/signals/${SYMBOL}?from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
    const none = await call(`/api/v1/signals/${SYMBOL}/latest`);
    expect(await none.json()).toEqual({ symbol: SYMBOL, signal: null });
  });
});
