/** The signals fixture (a real day of XAUUSD bars and the model trained for it), served and replayed by task tests. */
import { env } from "cloudflare:workers";
import { DEFAULT_INSTRUMENTS, InstrumentCatalog } from "../../core/instruments/catalog.js";
import { barsToTicks, type SourceBar } from "../../core/market/tick-path.js";
import { modelObjectKey, type ServedModel } from "../../core/schemas/serving.js";
import { instrumentStub } from "../../workers/instruments.js";
import { FIXTURE_MODEL_BASE64 } from "../fixtures/signals/model-bytes.js";
import replayDayJson from "../fixtures/signals/replay-day.json";

interface SignalFixture {
  label: ServedModel["label"];
  classLabels: string[];
  onnxSha256: string;
  bars: number[][];
}
const SIGNAL_FIXTURE = replayDayJson as unknown as SignalFixture;

/** The fixture's M1 bars, oldest first. */
export const SIGNAL_BARS: SourceBar[] = SIGNAL_FIXTURE.bars.map(([tsMs, open, high, low, close, tickVolume, spreadPoints]) => ({
  tsMs: tsMs!, open: open!, high: high!, low: low!, close: close!, tickVolume: tickVolume!, spreadPoints: spreadPoints!,
}));

const XAUUSD = InstrumentCatalog.parse(DEFAULT_INSTRUMENTS).find("XAUUSD")!;

/** The fixture's model served as `symbol`'s champion `version`, claiming a held-out log-loss of `heldOutLogLoss`. */
export async function serveFixtureModel(symbol: string, version: string, heldOutLogLoss = 0.6): Promise<void> {
  await env.MODELS.put(modelObjectKey(symbol, version, "model.onnx"), Uint8Array.from(atob(FIXTURE_MODEL_BASE64), (c) => c.charCodeAt(0)));
  const model: ServedModel = {
    modelId: 1,
    version,
    modelKind: "gbdt",
    timeframe: "M1",
    onnxKey: modelObjectKey(symbol, version, "model.onnx"),
    onnxSha256: SIGNAL_FIXTURE.onnxSha256,
    featureSpecSha256: "0".repeat(64),
    inputWidth: 29,
    label: SIGNAL_FIXTURE.label,
    classLabels: SIGNAL_FIXTURE.classLabels,
    heldOut: { logLoss: heldOutLogLoss, accuracy: 0.6, priorLogLoss: 0.6932 },
  };
  await instrumentStub(env, symbol).assignModels({ symbol, champion: model, shadow: null });
}

/** Replays the first `bars` bars of the fixture into XAUUSD through the tick path, 1,000 ticks per batch. */
export async function replaySignalBars(bars: number): Promise<void> {
  const ticks = barsToTicks(SIGNAL_BARS.slice(0, bars), XAUUSD);
  for (let i = 0; i < ticks.length; i += 1_000) await instrumentStub(env, "XAUUSD").ingest("XAUUSD", ticks.slice(i, i + 1_000));
}
