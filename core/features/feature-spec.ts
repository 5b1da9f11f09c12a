/** The versioned feature spec of the Durable Object and the trainer: parameters, column names, canonical JSON. */
import {
  AverageDirectionalIndex,
  AverageTrueRange,
  BollingerBands,
  CommodityChannelIndex,
  ExponentialMovingAverage,
  Macd,
  NormalizedAverageTrueRange,
  RelativeStrengthIndex,
  SimpleMovingAverage,
  Stochastic,
  WilliamsPercentR,
} from "../indicators/index.js";
import { TIMEFRAMES, type Timeframe } from "../market/timeframe.js";
import { canonicalJson } from "./canonical-json.js";
import { featureCatalogue } from "./feature-catalogue.js";

/** Parameters of every indicator and rolling window a spec uses; periods and windows are in bars. */
export interface FeatureParameters {
  /** Timeframe of the bars fed in; a bar that says it is of another timeframe is refused. */
  readonly timeframe: Timeframe;
  /** Size of one point in price units (0.01 for XAUUSD): converts the spread in points to price units. */
  readonly pointSize: number;
  readonly sma: { readonly period: number };
  readonly ema: { readonly period: number };
  readonly rsi: { readonly period: number };
  readonly macd: { readonly fastPeriod: number; readonly slowPeriod: number; readonly signalPeriod: number };
  readonly atr: { readonly period: number };
  readonly natr: { readonly period: number };
  /** Bollinger Bands: SMA period and band distance in population standard deviations. */
  readonly bbands: { readonly period: number; readonly deviations: number };
  readonly stoch: { readonly fastKPeriod: number; readonly slowKPeriod: number; readonly slowDPeriod: number };
  readonly adx: { readonly period: number };
  readonly cci: { readonly period: number };
  readonly willr: { readonly period: number };
  /** CCI is divided by this to land mostly in [-1, 1] (|CCI| < 200 on about 95 % of XAUUSD M1 bars). */
  readonly cciDivisor: number;
  /** Horizons of the log-return features, strictly increasing integers >= 1. */
  readonly returnBars: readonly number[];
  /** Windows of the realised-volatility features (1-bar log returns), strictly increasing integers >= 2. */
  readonly volatilityBars: readonly number[];
  /** ATR values the ATR percentile ranks the current ATR among (current one included), an integer >= 2. */
  readonly atrPercentileBars: number;
}

/** Keys of the raw indicator values, in column order. */
export const RAW_INDICATOR_KEYS = [
  "sma",
  "ema",
  "rsi",
  "macd",
  "macdSignal",
  "macdHist",
  "atr",
  "natr",
  "bbUpper",
  "bbMiddle",
  "bbLower",
  "stochK",
  "stochD",
  "adx",
  "cci",
  "willr",
] as const;
export type RawIndicatorKey = (typeof RAW_INDICATOR_KEYS)[number];

/**
 * A versioned feature spec: everything that decides what the feature vector holds. Build one with
 * {@link createFeatureSpec}; the column names are derived from the parameters, so they cannot drift apart.
 */
export interface FeatureSpec {
  /** Spec family, e.g. "xau-m1-core": lower-case letters, digits, '-' and '.'. */
  readonly name: string;
  /** Positive integer, bumped whenever a parameter or a feature definition changes. */
  readonly version: number;
  readonly parameters: FeatureParameters;
  /** Raw indicator column names (TA-Lib values on bid bars), in {@link RAW_INDICATOR_KEYS} order, e.g. "sma_20". */
  readonly rawColumns: readonly string[];
  /** Model feature names, in the order of the feature vector. */
  readonly features: readonly string[];
}

const SPEC_NAME = /^[a-z0-9][a-z0-9.-]*$/;

function requireStrictlyIncreasing(name: string, values: readonly number[], min: number): void {
  let previous = min - 1;
  for (const value of values) {
    if (!Number.isInteger(value) || value <= previous) {
      const got = `[${values.join(", ")}]`;
      throw new RangeError(`FeatureSpec: ${name} must be strictly increasing integers >= ${min}, got ${got}`);
    }
    previous = value;
  }
  if (values.length === 0) throw new RangeError(`FeatureSpec: ${name} must not be empty`);
}

/** Throws the indicators' own RangeError when a period or multiplier is out of TA-Lib's range. */
function requireIndicatorParameters(parameters: FeatureParameters): void {
  const checks = [
    () => new SimpleMovingAverage({ period: parameters.sma.period }),
    () => new ExponentialMovingAverage({ period: parameters.ema.period }),
    () => new RelativeStrengthIndex({ period: parameters.rsi.period }),
    () => new Macd({ ...parameters.macd }),
    () => new AverageTrueRange({ period: parameters.atr.period }),
    () => new NormalizedAverageTrueRange({ period: parameters.natr.period }),
    () => new BollingerBands({ ...parameters.bbands }),
    () => new Stochastic({ ...parameters.stoch }),
    () => new AverageDirectionalIndex({ period: parameters.adx.period }),
    () => new CommodityChannelIndex({ period: parameters.cci.period }),
    () => new WilliamsPercentR({ period: parameters.willr.period }),
  ];
  for (const check of checks) check();
}

/**
 * The raw indicator column names of `parameters`, in {@link RAW_INDICATOR_KEYS} order: indicator, then its
 * parameters joined by '_'.
 * @example
 * rawIndicatorColumns(XAU_M1_CORE_SPEC.parameters).slice(0, 4); // ["sma_20", "ema_20", "rsi_14", "macd_12_26_9"]
 */
export function rawIndicatorColumns(parameters: FeatureParameters): Record<RawIndicatorKey, string> {
  const { macd, bbands, stoch } = parameters;
  const macdSuffix = `${macd.fastPeriod}_${macd.slowPeriod}_${macd.signalPeriod}`;
  const bandsSuffix = `${bbands.period}_${bbands.deviations}`;
  const stochSuffix = `${stoch.fastKPeriod}_${stoch.slowKPeriod}_${stoch.slowDPeriod}`;
  return {
    sma: `sma_${parameters.sma.period}`,
    ema: `ema_${parameters.ema.period}`,
    rsi: `rsi_${parameters.rsi.period}`,
    macd: `macd_${macdSuffix}`,
    macdSignal: `macd_signal_${macdSuffix}`,
    macdHist: `macd_hist_${macdSuffix}`,
    atr: `atr_${parameters.atr.period}`,
    natr: `natr_${parameters.natr.period}`,
    bbUpper: `bb_upper_${bandsSuffix}`,
    bbMiddle: `bb_middle_${bandsSuffix}`,
    bbLower: `bb_lower_${bandsSuffix}`,
    stochK: `stoch_k_${stochSuffix}`,
    stochD: `stoch_d_${stochSuffix}`,
    adx: `adx_${parameters.adx.period}`,
    cci: `cci_${parameters.cci.period}`,
    willr: `willr_${parameters.willr.period}`,
  };
}

/**
 * Builds a spec from its name, version and parameters (copied), deriving the column and feature names; the result
 * is deeply frozen. Throws a RangeError on a bad name, version, timeframe, point size, CCI divisor, window list or
 * indicator parameter (checked by the indicators themselves, against TA-Lib's ranges).
 * @example
 * const spec = createFeatureSpec("xau-m1-core", 2, { ...XAU_M1_CORE_SPEC.parameters, atrPercentileBars: 480 });
 */
export function createFeatureSpec(name: string, version: number, parameters: FeatureParameters): FeatureSpec {
  if (!SPEC_NAME.test(name)) throw new RangeError(`FeatureSpec: name must match ${SPEC_NAME}, got '${name}'`);
  if (!Number.isInteger(version) || version < 1) {
    throw new RangeError(`FeatureSpec: version must be a positive integer, got ${version}`);
  }
  if (!(parameters.pointSize > 0) || !Number.isFinite(parameters.pointSize)) {
    throw new RangeError(`FeatureSpec: pointSize must be a positive number, got ${parameters.pointSize}`);
  }
  if (!(parameters.cciDivisor > 0) || !Number.isFinite(parameters.cciDivisor)) {
    throw new RangeError(`FeatureSpec: cciDivisor must be a positive number, got ${parameters.cciDivisor}`);
  }
  if (!TIMEFRAMES.includes(parameters.timeframe)) {
    throw new RangeError(`FeatureSpec: timeframe must be one of ${TIMEFRAMES.join(", ")}, got ${parameters.timeframe}`);
  }
  requireIndicatorParameters(parameters);
  requireStrictlyIncreasing("returnBars", parameters.returnBars, 1);
  requireStrictlyIncreasing("volatilityBars", parameters.volatilityBars, 2);
  requireStrictlyIncreasing("atrPercentileBars", [parameters.atrPercentileBars], 2);
  const columns = rawIndicatorColumns(parameters);
  return deepFreeze({
    name,
    version,
    parameters: structuredClone(parameters),
    rawColumns: RAW_INDICATOR_KEYS.map((key) => columns[key]),
    features: featureCatalogue(parameters).map((feature) => feature.name),
  });
}

/** Freezes `value` and everything in it, so that a shared spec cannot be changed under a running builder. */
function deepFreeze<T extends object>(value: T): T {
  for (const item of Object.values(value)) {
    if (typeof item === "object" && item !== null) deepFreeze(item);
  }
  return Object.freeze(value);
}

/** The XAUUSD M1 core spec: TA-Lib's default periods, returns over 1/5/15/60 bars, a 240-bar ATR percentile. */
export const XAU_M1_CORE_SPEC: FeatureSpec = createFeatureSpec("xau-m1-core", 1, {
  timeframe: "M1",
  pointSize: 0.01,
  sma: { period: 20 },
  ema: { period: 20 },
  rsi: { period: 14 },
  macd: { fastPeriod: 12, slowPeriod: 26, signalPeriod: 9 },
  atr: { period: 14 },
  natr: { period: 14 },
  bbands: { period: 20, deviations: 2 },
  stoch: { fastKPeriod: 14, slowKPeriod: 3, slowDPeriod: 3 },
  adx: { period: 14 },
  cci: { period: 20 },
  willr: { period: 14 },
  cciDivisor: 200,
  returnBars: [1, 5, 15, 60],
  volatilityBars: [15, 60],
  atrPercentileBars: 240,
});

/**
 * The spec as canonical JSON: object keys sorted at every level, arrays in order, no whitespace. Equal specs give
 * the same string, so its SHA-256 (taken by the runtime shells with WebCrypto) identifies the spec exactly.
 * @example
 * const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalFeatureSpecJson(spec)));
 */
export function canonicalFeatureSpecJson(spec: FeatureSpec): string {
  return canonicalJson({
    name: spec.name,
    version: spec.version,
    parameters: spec.parameters,
    rawColumns: spec.rawColumns,
    features: spec.features,
  });
}

/**
 * Short id of a spec for logs: `name@version`.
 * @example
 * featureSpecId(XAU_M1_CORE_SPEC); // "xau-m1-core@1"
 */
export function featureSpecId(spec: Pick<FeatureSpec, "name" | "version">): string {
  return `${spec.name}@${spec.version}`;
}

/**
 * Checks a spec that may not come from {@link createFeatureSpec} (one read back from JSON, say): returns it rebuilt
 * (frozen, with its own copy of the parameters) when its names are the ones its parameters give, and throws a
 * RangeError otherwise.
 * @example
 * const spec = requireConsistentFeatureSpec(JSON.parse(manifestText) as FeatureSpec);
 */
export function requireConsistentFeatureSpec(spec: FeatureSpec): FeatureSpec {
  const rebuilt = createFeatureSpec(spec.name, spec.version, spec.parameters);
  if (canonicalFeatureSpecJson(rebuilt) !== canonicalFeatureSpecJson(spec)) {
    throw new RangeError(`FeatureSpec ${featureSpecId(spec)}: column or feature names do not match its parameters`);
  }
  return rebuilt;
}
