/** The model features: one stationary, price-relative number each, defined once for the spec and the builder. */
import type { FeatureParameters } from "./feature-spec.js";

/** Milliseconds in a UTC day. */
const DAY_MS = 86_400_000;
/** 1 January 1970 was a Thursday: day 0 is weekday 4 when Sunday is 0. */
const EPOCH_WEEKDAY = 4;

/**
 * Everything a feature is computed from, on one closed bar once every indicator is warm. Prices are bid prices;
 * indicator values are TA-Lib's (RSI, stochastic, DI and ADX in 0..100, %R in -100..0, NATR in % of the close),
 * except the Bollinger statistics: TA-Lib's bands come from a sum of squares that cancels on prices in the
 * thousands (a few 1e-6 of an ATR of noise that changes with the price level), so the band features use the same
 * mean and population deviation computed on differences from the close instead.
 */
export interface FeatureInputs {
  /** Bar open time, epoch ms UTC. */
  readonly tsMs: number;
  readonly close: number;
  /** The bar's mean spread, in points. */
  readonly spreadPoints: number;
  readonly sma: number;
  readonly ema: number;
  readonly rsi: number;
  readonly macd: number;
  readonly macdHist: number;
  readonly atr: number;
  readonly natr: number;
  /** Close minus the mean of the latest `bbands.period` closes (the Bollinger middle), price units. */
  readonly bbOffset: number;
  /** Population standard deviation of the same closes, price units; exactly 0 on a flat window. */
  readonly bbDeviation: number;
  readonly stochK: number;
  readonly stochD: number;
  readonly adx: number;
  readonly plusDi: number;
  readonly minusDi: number;
  readonly cci: number;
  readonly willr: number;
  /** `ln(close / close n bars earlier)` for each horizon n of `returnBars`, in that order. */
  readonly logReturns: readonly number[];
  /** Sample standard deviation of the latest n 1-bar log returns for each window n of `volatilityBars`, in order. */
  readonly realisedVolatilities: readonly number[];
  /** Mid-rank of the current ATR among the latest `atrPercentileBars` ATR values, in (0, 1). */
  readonly atrPercentile: number;
}

/** One model feature. */
export interface FeatureDefinition {
  /** Column name, e.g. "dist_ema20_atr". */
  readonly name: string;
  /** What it is and in which units, one line. */
  readonly description: string;
  /** The value on one bar; always finite for finite inputs. */
  readonly compute: (inputs: FeatureInputs) => number;
}

/** `numerator / denominator`, or 0 when the denominator is not positive (an ATR or band width of 0 on flat bars). */
function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? numerator / denominator : 0;
}

/** Angle of a UTC time within its day, in radians from 0 (midnight) to 2π. */
function timeOfDayAngle(tsMs: number): number {
  return (2 * Math.PI * (((tsMs % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS;
}

/** Angle of a UTC time's weekday (Sunday 0 … Saturday 6), in radians: 2π · weekday / 7. */
function dayOfWeekAngle(tsMs: number): number {
  const weekday = (((Math.floor(tsMs / DAY_MS) + EPOCH_WEEKDAY) % 7) + 7) % 7;
  return (2 * Math.PI * weekday) / 7;
}

/**
 * The model features of `parameters`, in feature-vector order. Every one is stationary and free of the price level:
 * a distance is in ATR units, a level is a ratio or a log return, an oscillator is rescaled to about [-1, 1] or
 * [0, 1]. The two exceptions are explicit: `spread_points` (points) and the time features (UTC clock).
 * @example
 * featureCatalogue(XAU_M1_CORE_SPEC.parameters).map((feature) => feature.name); // ["dist_sma20_atr", …]
 */
export function featureCatalogue(parameters: FeatureParameters): FeatureDefinition[] {
  const smaPeriod = parameters.sma.period;
  const emaPeriod = parameters.ema.period;
  const percentileBars = parameters.atrPercentileBars;
  const halfWidth = (x: FeatureInputs): number => parameters.bbands.deviations * x.bbDeviation;
  return [
    {
      name: `dist_sma${smaPeriod}_atr`,
      description: `(close - SMA${smaPeriod}) / ATR: distance of the close above its SMA, in ATRs`,
      compute: (x) => ratio(x.close - x.sma, x.atr),
    },
    {
      name: `dist_ema${emaPeriod}_atr`,
      description: `(close - EMA${emaPeriod}) / ATR: distance of the close above its EMA, in ATRs`,
      compute: (x) => ratio(x.close - x.ema, x.atr),
    },
    {
      name: "dist_bb_upper_atr",
      description: "(close - upper Bollinger band) / ATR: negative inside the bands, in ATRs",
      compute: (x) => ratio(x.bbOffset - halfWidth(x), x.atr),
    },
    {
      name: "dist_bb_lower_atr",
      description: "(close - lower Bollinger band) / ATR: positive inside the bands, in ATRs",
      compute: (x) => ratio(x.bbOffset + halfWidth(x), x.atr),
    },
    {
      name: "bb_pct_b",
      description: "Bollinger %B, (close - lower) / (upper - lower): 0 at the lower band, 1 at the upper; 0.5 if flat",
      compute: (x) => (halfWidth(x) > 0 ? (x.bbOffset + halfWidth(x)) / (2 * halfWidth(x)) : 0.5),
    },
    {
      name: "bb_width_pct",
      description: "Bollinger width (upper - lower) / middle, in % of the middle band",
      compute: (x) => ((2 * halfWidth(x)) / (x.close - x.bbOffset)) * 100,
    },
    {
      name: "macd_atr",
      description: "MACD line (fast EMA - slow EMA) / ATR, in ATRs",
      compute: (x) => ratio(x.macd, x.atr),
    },
    {
      name: "macd_hist_atr",
      description: "MACD histogram (MACD - signal) / ATR, in ATRs",
      compute: (x) => ratio(x.macdHist, x.atr),
    },
    {
      name: "rsi_scaled",
      description: "(RSI - 50) / 50: -1 all losses, +1 all gains, dimensionless",
      compute: (x) => (x.rsi - 50) / 50,
    },
    {
      name: "stoch_k_scaled",
      description: "(slow %K - 50) / 50: -1 at the range low, +1 at the range high, dimensionless",
      compute: (x) => (x.stochK - 50) / 50,
    },
    {
      name: "stoch_d_scaled",
      description: "(slow %D - 50) / 50: the smoothed %K on the same scale, dimensionless",
      compute: (x) => (x.stochD - 50) / 50,
    },
    {
      name: "willr_scaled",
      description: "(Williams %R + 50) / 50: -1 at the range low, +1 at the range high, dimensionless",
      compute: (x) => (x.willr + 50) / 50,
    },
    {
      name: "cci_scaled",
      description: `CCI / ${parameters.cciDivisor}: about 95 % of XAUUSD M1 bars in [-1, 1], dimensionless`,
      compute: (x) => x.cci / parameters.cciDivisor,
    },
    {
      name: "adx_scaled",
      description: "ADX / 100: trend strength whatever its direction, 0..1 (regime input)",
      compute: (x) => x.adx / 100,
    },
    {
      name: "di_diff_scaled",
      description: "(+DI - -DI) / 100: trend direction, -1..1",
      compute: (x) => (x.plusDi - x.minusDi) / 100,
    },
    {
      name: "natr_pct",
      description: "NATR: ATR in % of the close",
      compute: (x) => x.natr,
    },
    ...parameters.returnBars.map(
      (bars, index): FeatureDefinition => ({
        name: `ret_log_${bars}`,
        description: `ln(close / close ${bars} bar(s) earlier): log return, about the fractional change`,
        compute: (x) => x.logReturns[index] ?? Number.NaN,
      }),
    ),
    ...parameters.volatilityBars.map(
      (bars, index): FeatureDefinition => ({
        name: `rv_log_${bars}`,
        description: `sample std (n - 1) of the latest ${bars} 1-bar log returns: realised volatility per bar`,
        compute: (x) => x.realisedVolatilities[index] ?? Number.NaN,
      }),
    ),
    {
      name: "spread_points",
      description: "the bar's mean spread, in points (not price-relative: a cost in the instrument's points)",
      compute: (x) => x.spreadPoints,
    },
    {
      name: "spread_atr",
      description: "the bar's mean spread in price units / ATR: trading cost against volatility, in ATRs",
      compute: (x) => ratio(x.spreadPoints * parameters.pointSize, x.atr),
    },
    {
      name: "tod_sin",
      description: "sin of the UTC time of day of the bar's open (a full turn per day), -1..1",
      compute: (x) => Math.sin(timeOfDayAngle(x.tsMs)),
    },
    {
      name: "tod_cos",
      description: "cos of the UTC time of day of the bar's open, -1..1",
      compute: (x) => Math.cos(timeOfDayAngle(x.tsMs)),
    },
    {
      name: "dow_sin",
      description: "sin of the UTC weekday of the bar's open (Sunday 0, a full turn per week), -1..1",
      compute: (x) => Math.sin(dayOfWeekAngle(x.tsMs)),
    },
    {
      name: "dow_cos",
      description: "cos of the UTC weekday of the bar's open, -1..1",
      compute: (x) => Math.cos(dayOfWeekAngle(x.tsMs)),
    },
    {
      name: `atr_pctile_${percentileBars}`,
      description: `mid-rank of the ATR among its latest ${percentileBars} values (volatility regime), 0..1`,
      compute: (x) => x.atrPercentile,
    },
  ];
}
