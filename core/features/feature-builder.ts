/** The streaming feature builder (one closed bar at a time, resumable from plain JSON) and its batch fold. */
import {
  AverageDirectionalIndex,
  type AverageDirectionalIndexState,
  AverageTrueRange,
  type AverageTrueRangeState,
  BollingerBands,
  type BollingerBandsState,
  CommodityChannelIndex,
  type CommodityChannelIndexState,
  ExponentialMovingAverage,
  type ExponentialMovingAverageState,
  Macd,
  type MacdState,
  NormalizedAverageTrueRange,
  type NormalizedAverageTrueRangeState,
  RelativeStrengthIndex,
  type RelativeStrengthIndexState,
  SimpleMovingAverage,
  type SimpleMovingAverageState,
  Stochastic,
  type StochasticState,
  WilliamsPercentR,
  type WilliamsPercentRState,
  WindowBuffer,
  type WindowBufferState,
} from "../indicators/index.js";
import type { SourceBar } from "../market/tick-path.js";
import type { Timeframe } from "../market/timeframe.js";
import { type FeatureDefinition, type FeatureInputs, featureCatalogue } from "./feature-catalogue.js";
import {
  featureSpecId,
  type FeatureSpec,
  type RawIndicatorKey,
  requireConsistentFeatureSpec,
  XAU_M1_CORE_SPEC,
} from "./feature-spec.js";

const NAME = "FeatureBuilder";

/**
 * What the builder reads from a closed bar. A `core/market` `Bar` satisfies it as it is; a `SourceBar` from a
 * broker export goes through {@link featureBarFromSource}.
 */
export interface FeatureBar {
  /** Bar open time, epoch ms UTC; strictly after the previous bar's. */
  readonly tsMs: number;
  /** Highest bid, price units. */
  readonly high: number;
  /** Lowest bid, price units. */
  readonly low: number;
  /** Last bid, price units; must be positive (log returns). */
  readonly close: number;
  /** Mean spread of the bar's ticks, in points; finite and >= 0. */
  readonly spreadAvgPoints: number;
  /** When given, must be the spec's timeframe. */
  readonly timeframe?: Timeframe;
  /** When given, must be true: a forming bar is refused. */
  readonly closed?: boolean;
}

/**
 * A broker-export bar as a {@link FeatureBar}: its spread (MT5 `spread`, points) stands in for the mean spread.
 * MT5 keeps one spread per bar and does not document it as a mean, so on live bars (mean of the ticks' spreads)
 * `spread_points` and `spread_atr` may sit a little apart from what a model trained on an export saw.
 * @example
 * const bars = parseMt5BarsCsv(text, 180).map(featureBarFromSource);
 */
export function featureBarFromSource(bar: SourceBar): FeatureBar {
  return { tsMs: bar.tsMs, high: bar.high, low: bar.low, close: bar.close, spreadAvgPoints: bar.spreadPoints };
}

/** The 16 raw TA-Lib indicator values of a bar (price units, or the indicator's own scale), `undefined` in warm-up. */
export type RawIndicatorValues = Readonly<Record<RawIndicatorKey, number | undefined>>;

interface FeatureRowBase {
  /** Open time of the bar, epoch ms UTC; the row is known once the bar has closed. */
  readonly tsMs: number;
  /** Raw indicator values, each defined from the end of its own warm-up. */
  readonly raw: RawIndicatorValues;
}

/** The builder's output for one bar: `ready` once every feature is defined. */
export type FeatureRow =
  | (FeatureRowBase & {
      readonly ready: true;
      /** Model features in the spec's `features` order. */
      readonly features: Float64Array;
    })
  | (FeatureRowBase & { readonly ready: false; readonly features: undefined });

/** Plain-JSON state of a {@link FeatureBuilder}. */
export interface FeatureBuilderState {
  readonly kind: "features";
  /** `name@version` of the spec the state was built with. */
  readonly specId: string;
  /** Open time of the latest bar, epoch ms UTC; `null` before the first bar. */
  readonly lastTsMs: number | null;
  readonly sma: SimpleMovingAverageState;
  readonly ema: ExponentialMovingAverageState;
  readonly rsi: RelativeStrengthIndexState;
  readonly macd: MacdState;
  readonly atr: AverageTrueRangeState;
  readonly natr: NormalizedAverageTrueRangeState;
  readonly bbands: BollingerBandsState;
  readonly stoch: StochasticState;
  readonly adx: AverageDirectionalIndexState;
  readonly cci: CommodityChannelIndexState;
  readonly willr: WilliamsPercentRState;
  /** Latest closes, enough for the longest log-return horizon. */
  readonly closes: WindowBufferState;
  /** Latest 1-bar log returns, enough for the longest volatility window. */
  readonly logReturns: WindowBufferState;
  /** Latest ATR values, for the ATR percentile. */
  readonly atrHistory: WindowBufferState;
}

/** The indicators and windows a builder holds; replaced as a whole on restore. */
interface BuilderParts {
  readonly sma: SimpleMovingAverage;
  readonly ema: ExponentialMovingAverage;
  readonly rsi: RelativeStrengthIndex;
  readonly macd: Macd;
  readonly atr: AverageTrueRange;
  readonly natr: NormalizedAverageTrueRange;
  readonly bbands: BollingerBands;
  readonly stoch: Stochastic;
  readonly adx: AverageDirectionalIndex;
  readonly cci: CommodityChannelIndex;
  readonly willr: WilliamsPercentR;
  readonly closes: WindowBuffer;
  readonly logReturns: WindowBuffer;
  readonly atrHistory: WindowBuffer;
}

function createParts(spec: FeatureSpec): BuilderParts {
  const p = spec.parameters;
  return {
    sma: new SimpleMovingAverage({ period: p.sma.period }),
    ema: new ExponentialMovingAverage({ period: p.ema.period }),
    rsi: new RelativeStrengthIndex({ period: p.rsi.period }),
    macd: new Macd(p.macd),
    atr: new AverageTrueRange({ period: p.atr.period }),
    natr: new NormalizedAverageTrueRange({ period: p.natr.period }),
    bbands: new BollingerBands(p.bbands),
    stoch: new Stochastic(p.stoch),
    adx: new AverageDirectionalIndex({ period: p.adx.period }),
    cci: new CommodityChannelIndex({ period: p.cci.period }),
    willr: new WilliamsPercentR({ period: p.willr.period }),
    closes: new WindowBuffer(Math.max(Math.max(...p.returnBars) + 1, p.bbands.period)),
    logReturns: new WindowBuffer(Math.max(...p.volatilityBars)),
    atrHistory: new WindowBuffer(p.atrPercentileBars),
  };
}

/** Sample standard deviation of the newest `count` values of `window` (two passes, newest first). */
function sampleStandardDeviation(window: WindowBuffer, count: number): number {
  let sum = 0;
  for (let age = 0; age < count; age += 1) sum += window.newest(age);
  const mean = sum / count;
  let squares = 0;
  for (let age = 0; age < count; age += 1) {
    const deviation = window.newest(age) - mean;
    squares += deviation * deviation;
  }
  return Math.sqrt(squares / (count - 1));
}

/** Mid-rank of the newest value among all values of a full window: (values below + half the ties) / size. */
function midRank(window: WindowBuffer): number {
  const current = window.newest(0);
  let below = 0;
  let ties = 0;
  for (let slot = 0; slot < window.capacity; slot += 1) {
    const value = window.slot(slot);
    if (value < current) below += 1;
    else if (value === current) ties += 1;
  }
  return (below + ties / 2) / window.capacity;
}

/**
 * Mean and population standard deviation of the newest `count` closes, taken on their differences from the newest
 * close (exact for nearby prices), so neither cancels on prices in the thousands as TA-Lib's sum of squares does,
 * and a flat window gives exactly 0. Returns the close's offset from the mean rather than the mean.
 */
function closeDispersion(closes: WindowBuffer, count: number): { offset: number; deviation: number } {
  const close = closes.newest(0);
  let sum = 0;
  for (let age = 1; age < count; age += 1) sum += closes.newest(age) - close;
  const meanOffset = sum / count;
  let squares = meanOffset * meanOffset;
  for (let age = 1; age < count; age += 1) {
    const deviation = closes.newest(age) - close - meanOffset;
    squares += deviation * deviation;
  }
  return { offset: -meanOffset, deviation: Math.sqrt(squares / count) };
}

function requireBar(bar: FeatureBar, spec: FeatureSpec, lastTsMs: number | undefined): void {
  if (!Number.isSafeInteger(bar.tsMs)) {
    throw new RangeError(`${NAME}: bar time must be an integer epoch ms, got ${bar.tsMs}`);
  }
  if (lastTsMs !== undefined && bar.tsMs <= lastTsMs) {
    throw new RangeError(`${NAME}: bar at ${bar.tsMs} is not after the previous bar at ${lastTsMs}`);
  }
  if (bar.closed === false) throw new RangeError(`${NAME}: bar at ${bar.tsMs} is still forming`);
  if (bar.timeframe !== undefined && bar.timeframe !== spec.parameters.timeframe) {
    throw new RangeError(`${NAME}: bar at ${bar.tsMs} is ${bar.timeframe}, the spec is ${spec.parameters.timeframe}`);
  }
  if (!Number.isFinite(bar.high) || !Number.isFinite(bar.low) || !(bar.close > 0) || !Number.isFinite(bar.close)) {
    const prices = `${bar.high}/${bar.low}/${bar.close}`;
    throw new RangeError(`${NAME}: bar at ${bar.tsMs} needs finite prices and a positive close, got ${prices}`);
  }
  if (!(bar.spreadAvgPoints >= 0) || !Number.isFinite(bar.spreadAvgPoints)) {
    throw new RangeError(`${NAME}: bar at ${bar.tsMs} needs a finite spread >= 0, got ${bar.spreadAvgPoints}`);
  }
}

/**
 * Turns closed bid bars into feature rows, one bar at a time, exactly as {@link buildFeatures} does for a whole
 * series. Each bar updates the 11 TA-Lib indicators of the spec, the close and return windows and the ATR history;
 * the row carries the 16 raw values and, once every one of them and every window is warm, the model features.
 * Only moves forward: a bar not strictly after the previous one is refused with a RangeError and changes nothing.
 * State is plain JSON, so a Durable Object can persist it and resume with exactly the rows an uninterrupted run
 * gives. Windows and horizons count bars, not minutes: across a market gap (a weekend) they span the gap. The
 * warm-up is counted in bars from the first one fed; a gap does not restart it. O(longest window) per bar (the ATR
 * percentile and the volatility windows are re-scanned).
 * @example
 * const builder = new FeatureBuilder(XAU_M1_CORE_SPEC);
 * const row = builder.update(closedBar);
 * if (row.ready) model.predict(row.features);
 * const resumed = new FeatureBuilder(XAU_M1_CORE_SPEC, JSON.parse(JSON.stringify(builder.snapshot())));
 */
export class FeatureBuilder {
  readonly spec: FeatureSpec;
  /** Bars consumed before the first ready row: the index of the first ready row of a series. */
  readonly warmUpBars: number;
  private readonly catalogue: readonly FeatureDefinition[];
  /** Closes the longest log return needs: its horizon plus one. */
  private readonly closesNeeded: number;
  private parts: BuilderParts;
  private lastTsMs: number | undefined;

  constructor(spec: FeatureSpec = XAU_M1_CORE_SPEC, state?: FeatureBuilderState) {
    this.spec = requireConsistentFeatureSpec(spec);
    this.catalogue = featureCatalogue(this.spec.parameters);
    this.closesNeeded = Math.max(...this.spec.parameters.returnBars) + 1;
    this.parts = createParts(this.spec);
    this.warmUpBars = warmUpBars(this.spec, this.parts);
    if (state) this.restore(state);
  }

  /** Feeds the next closed bar and returns its row. Throws a RangeError, changing nothing, on a refused bar. */
  update(bar: FeatureBar): FeatureRow {
    requireBar(bar, this.spec, this.lastTsMs);
    const parts = this.parts;
    const { close } = bar;
    const previousClose = parts.closes.size > 0 ? parts.closes.newest(0) : undefined;
    this.lastTsMs = bar.tsMs;
    parts.sma.update(close);
    parts.ema.update(close);
    parts.rsi.update(close);
    parts.macd.update(close);
    parts.bbands.update(close);
    parts.atr.update(bar);
    parts.natr.update(bar);
    parts.stoch.update(bar);
    parts.adx.update(bar);
    parts.cci.update(bar);
    parts.willr.update(bar);
    parts.closes.push(close);
    if (previousClose !== undefined) parts.logReturns.push(Math.log(close / previousClose));
    const atr = parts.atr.value();
    if (atr !== undefined) parts.atrHistory.push(atr);
    return this.row(bar);
  }

  /** True once rows carry features; stays true (every part stays warm) until a restore to an earlier state. */
  isReady(): boolean {
    const { parts } = this;
    return (
      parts.closes.size >= this.closesNeeded &&
      parts.logReturns.isFull &&
      parts.atrHistory.isFull &&
      parts.sma.isReady() &&
      parts.ema.isReady() &&
      parts.rsi.isReady() &&
      parts.macd.isReady() &&
      parts.atr.isReady() &&
      parts.natr.isReady() &&
      parts.bbands.isReady() &&
      parts.stoch.isReady() &&
      parts.adx.isReady() &&
      parts.cci.isReady() &&
      parts.willr.isReady()
    );
  }

  /** Open time of the latest bar (epoch ms UTC), `undefined` before the first bar. */
  latestTsMs(): number | undefined {
    return this.lastTsMs;
  }

  /** Forgets every bar: back to a fresh builder of the same spec. */
  reset(): void {
    this.parts = createParts(this.spec);
    this.lastTsMs = undefined;
  }

  /** A deep copy of the state as plain JSON. */
  snapshot(): FeatureBuilderState {
    const { parts } = this;
    return {
      kind: "features",
      specId: featureSpecId(this.spec),
      lastTsMs: this.lastTsMs ?? null,
      sma: parts.sma.snapshot(),
      ema: parts.ema.snapshot(),
      rsi: parts.rsi.snapshot(),
      macd: parts.macd.snapshot(),
      atr: parts.atr.snapshot(),
      natr: parts.natr.snapshot(),
      bbands: parts.bbands.snapshot(),
      stoch: parts.stoch.snapshot(),
      adx: parts.adx.snapshot(),
      cci: parts.cci.snapshot(),
      willr: parts.willr.snapshot(),
      closes: parts.closes.snapshot(),
      logReturns: parts.logReturns.snapshot(),
      atrHistory: parts.atrHistory.snapshot(),
    };
  }

  /**
   * Replaces the state with a snapshot of a builder of the same spec. Throws a RangeError, leaving the current
   * state untouched, when the snapshot is of another spec or malformed.
   */
  restore(state: FeatureBuilderState): void {
    const specId = featureSpecId(this.spec);
    const problem = (text: string) => new RangeError(`${NAME}: cannot restore snapshot: ${text}`);
    if (state.kind !== "features" || state.specId !== specId) throw problem(`expected a snapshot of ${specId}`);
    const started = state.lastTsMs !== null;
    if (started && !Number.isSafeInteger(state.lastTsMs)) throw problem("bad lastTsMs");
    const p = this.spec.parameters;
    const fresh = createParts(this.spec);
    fresh.closes.restore(state.closes, NAME);
    fresh.logReturns.restore(state.logReturns, NAME);
    fresh.atrHistory.restore(state.atrHistory, NAME);
    const parts: BuilderParts = {
      sma: new SimpleMovingAverage({ period: p.sma.period }, state.sma),
      ema: new ExponentialMovingAverage({ period: p.ema.period }, state.ema),
      rsi: new RelativeStrengthIndex({ period: p.rsi.period }, state.rsi),
      macd: new Macd(p.macd, state.macd),
      atr: new AverageTrueRange({ period: p.atr.period }, state.atr),
      natr: new NormalizedAverageTrueRange({ period: p.natr.period }, state.natr),
      bbands: new BollingerBands(p.bbands, state.bbands),
      stoch: new Stochastic(p.stoch, state.stoch),
      adx: new AverageDirectionalIndex({ period: p.adx.period }, state.adx),
      cci: new CommodityChannelIndex({ period: p.cci.period }, state.cci),
      willr: new WilliamsPercentR({ period: p.willr.period }, state.willr),
      closes: fresh.closes,
      logReturns: fresh.logReturns,
      atrHistory: fresh.atrHistory,
    };
    if (started !== parts.closes.size > 0) throw problem("lastTsMs does not match the close window");
    this.parts = parts;
    this.lastTsMs = state.lastTsMs ?? undefined;
  }

  private row(bar: FeatureBar): FeatureRow {
    const parts = this.parts;
    const macd = parts.macd.value();
    const bands = parts.bbands.value();
    const stoch = parts.stoch.value();
    const adx = parts.adx.value();
    const raw: RawIndicatorValues = {
      sma: parts.sma.value(),
      ema: parts.ema.value(),
      rsi: parts.rsi.value(),
      macd: macd?.macd,
      macdSignal: macd?.signal,
      macdHist: macd?.hist,
      atr: parts.atr.value(),
      natr: parts.natr.value(),
      bbUpper: bands?.upper,
      bbMiddle: bands?.middle,
      bbLower: bands?.lower,
      stochK: stoch?.k,
      stochD: stoch?.d,
      adx: adx?.adx,
      cci: parts.cci.value(),
      willr: parts.willr.value(),
    };
    const inputs = this.isReady() ? this.inputs(bar, raw, adx?.plusDi, adx?.minusDi) : undefined;
    if (inputs === undefined) return { tsMs: bar.tsMs, raw, ready: false, features: undefined };
    const features = new Float64Array(this.catalogue.length);
    this.catalogue.forEach((feature, index) => {
      features[index] = feature.compute(inputs);
    });
    return { tsMs: bar.tsMs, raw, ready: true, features };
  }

  /** The feature inputs, or `undefined` if any is missing (never once `isReady()`). */
  private inputs(
    bar: FeatureBar,
    raw: RawIndicatorValues,
    plusDi: number | undefined,
    minusDi: number | undefined,
  ): FeatureInputs | undefined {
    const { sma, ema, rsi, macd, macdHist, atr, natr, stochK, stochD, adx, cci, willr } = raw;
    if (
      sma === undefined ||
      ema === undefined ||
      rsi === undefined ||
      macd === undefined ||
      macdHist === undefined ||
      atr === undefined ||
      natr === undefined ||
      stochK === undefined ||
      stochD === undefined ||
      adx === undefined ||
      plusDi === undefined ||
      minusDi === undefined ||
      cci === undefined ||
      willr === undefined
    ) {
      return undefined;
    }
    const { closes, logReturns, atrHistory } = this.parts;
    const p = this.spec.parameters;
    const bands = closeDispersion(closes, p.bbands.period);
    return {
      tsMs: bar.tsMs,
      close: bar.close,
      spreadPoints: bar.spreadAvgPoints,
      sma,
      ema,
      rsi,
      macd,
      macdHist,
      atr,
      natr,
      bbOffset: bands.offset,
      bbDeviation: bands.deviation,
      stochK,
      stochD,
      adx,
      plusDi,
      minusDi,
      cci,
      willr,
      logReturns: p.returnBars.map((bars) => Math.log(bar.close / closes.newest(bars))),
      realisedVolatilities: p.volatilityBars.map((bars) => sampleStandardDeviation(logReturns, bars)),
      atrPercentile: midRank(atrHistory),
    };
  }
}

/** Index of the first bar on which every part of a fresh builder is warm. */
function warmUpBars(spec: FeatureSpec, parts: BuilderParts): number {
  const p = spec.parameters;
  return Math.max(
    ...[parts.sma, parts.ema, parts.rsi, parts.macd, parts.natr, parts.bbands].map((part) => part.lookback),
    ...[parts.stoch, parts.adx, parts.cci, parts.willr].map((part) => part.lookback),
    Math.max(...p.returnBars),
    Math.max(...p.volatilityBars),
    parts.atr.lookback + p.atrPercentileBars - 1,
  );
}

/**
 * The rows of a whole bar series, oldest first: the fold of {@link FeatureBuilder.update} over `bars` on a fresh
 * builder, so it gives exactly the streaming rows. Throws the builder's RangeError on a refused bar.
 * @example
 * const rows = buildFeatures(bars); // rows[i].ready from i = new FeatureBuilder().warmUpBars on
 */
export function buildFeatures(bars: Iterable<FeatureBar>, spec: FeatureSpec = XAU_M1_CORE_SPEC): FeatureRow[] {
  const builder = new FeatureBuilder(spec);
  const rows: FeatureRow[] = [];
  for (const bar of bars) rows.push(builder.update(bar));
  return rows;
}
