/** Streaming technical indicators with TA-Lib 0.4.0's exact definitions and warm-up, plus their batch fold. */
export { runBatch, type HlcBar, type Indicator } from "./indicator.js";
export { trueRange } from "./true-range.js";
export { isTaLibZero, isTaLibZeroOrNegative, TA_LIB_ZERO_EPSILON } from "./talib-numerics.js";
export { WindowBuffer, type WindowBufferState } from "./window-buffer.js";
export {
  SimpleMovingAverage,
  type SimpleMovingAverageOptions,
  type SimpleMovingAverageState,
} from "./simple-moving-average.js";
export {
  ExponentialMovingAverage,
  type ExponentialMovingAverageOptions,
  type ExponentialMovingAverageState,
} from "./exponential-moving-average.js";
export {
  RelativeStrengthIndex,
  type RelativeStrengthIndexOptions,
  type RelativeStrengthIndexState,
} from "./relative-strength-index.js";
export { Macd, type MacdOptions, type MacdState, type MacdValue } from "./macd.js";
export { AverageTrueRange, type AverageTrueRangeOptions, type AverageTrueRangeState } from "./average-true-range.js";
export {
  NormalizedAverageTrueRange,
  type NormalizedAverageTrueRangeOptions,
  type NormalizedAverageTrueRangeState,
} from "./normalized-average-true-range.js";
export {
  BollingerBands,
  type BollingerBandsOptions,
  type BollingerBandsState,
  type BollingerBandsValue,
} from "./bollinger-bands.js";
export { Stochastic, type StochasticOptions, type StochasticState, type StochasticValue } from "./stochastic.js";
export {
  AverageDirectionalIndex,
  type AverageDirectionalIndexOptions,
  type AverageDirectionalIndexState,
  type AverageDirectionalIndexValue,
} from "./average-directional-index.js";
export {
  CCI_SCALE,
  CommodityChannelIndex,
  type CommodityChannelIndexOptions,
  type CommodityChannelIndexState,
} from "./commodity-channel-index.js";
export { WilliamsPercentR, type WilliamsPercentROptions, type WilliamsPercentRState } from "./williams-percent-r.js";
