/** The pure risk engine: exit levels, sizing, VaR and correlation, and the account's risk state machine. */
export { AccountBook, type AccountBookOptions, type AccountEvent, type RiskReport } from "./account-book.js";
export {
  type AccountBookState,
  AccountBookStateSchema,
  type HeldPosition,
  HeldPositionSchema,
  type Reservation,
  ReservationSchema,
} from "./account-book-state.js";
export {
  capacityInUse,
  type CapacityInUse,
  dailyLossLimitUsd,
  DAY_MS,
  drawdownPct,
  type ExtraExposure,
  isDailyLossBreached,
  sideSign,
  symbolExposure,
  type SymbolExposure,
  unrealisedPnlUsd,
  utcDayStartMs,
} from "./account-measures.js";
export { advanceStop, type ExitLevels, initialExitLevels, type StopHolder, type StopReason, type StopState } from "./exit-levels.js";
export { inverseNormalCdf } from "./inverse-normal.js";
export { type AccountView, checkOpenOrder, type DecisionContext, type OpenOrderVerdict } from "./open-order-checks.js";
export {
  type AlignedReturns,
  DEFAULT_HISTORY_BARS,
  ReturnHistory,
  type ReturnHistoryState,
  ReturnHistoryStateSchema,
  type SymbolCloses,
  SymbolClosesSchema,
} from "./return-history.js";
export { LOT_NOISE_STEPS, roundLotsDown, sizeOrder, type SizingContext, type SizingResult } from "./sizing.js";
export {
  BARS_PER_DAY,
  type CorrelationMatrix,
  correlationAdjustedExposureUsd,
  correlationMatrix,
  covarianceMatrix,
  historicalVar,
  MIN_HISTORY_RETURNS,
  parametricVar,
  portfolioVar,
  scenarioPnlUsd,
  unknownCorrelation,
  type VarConfidence,
  type VarHorizon,
  type VarReport,
  zScore,
} from "./var.js";
