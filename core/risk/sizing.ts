/** Position sizing: an order's lots from the request, the sizing rule and the account's equity, on the broker's lot grid. */
import type { OrderRequest, RiskLimits } from "../schemas/trading.js";

/** The values that decided a sizing outcome (a RiskDecision's `context`). */
export type SizingContext = Record<string, number | string | boolean | null>;

/** Lots for an order, or the reason there are none. */
export type SizingResult =
  | { readonly ok: true; readonly lots: number }
  | {
      readonly ok: false;
      readonly code: "INVALID_STOP" | "SIZE_BELOW_MINIMUM";
      readonly message: string;
      readonly context: SizingContext;
    };

/**
 * Float noise forgiven when rounding lots down, in lot steps: 0.2999999999 lots on a 0.01 grid is 30 steps, not 29.
 * A millionth of a step is far below anything a broker fills.
 */
export const LOT_NOISE_STEPS = 1e-6;

/** Most decimals a lot step may have (0.00000001 lots). */
const MAX_STEP_DECIMALS = 8;

/**
 * Rounds `lots` down to a whole number of `lotStep`s and returns it as the cleanest decimal (0.07, never
 * 0.07000000000000001). Amounts within {@link LOT_NOISE_STEPS} of the next step up count as that step. Non-positive or
 * non-finite `lots` give 0.
 * @example
 * roundLotsDown(0.1 + 0.2, 0.1); // 0.3
 * roundLotsDown(0.079, 0.01); // 0.07
 */
export function roundLotsDown(lots: number, lotStep: number): number {
  if (!(lots > 0) || !Number.isFinite(lots)) return 0;
  if (!(lotStep > 0) || !Number.isFinite(lotStep)) throw new RangeError(`roundLotsDown: lotStep must be a positive number, got ${lotStep}`);
  const decimals = stepDecimals(lotStep);
  const scale = 10 ** decimals;
  const stepUnits = Math.round(lotStep * scale);
  const steps = Math.floor(lots / lotStep + LOT_NOISE_STEPS);
  // Integer × integer ÷ power of ten: one correctly rounded division, so the result is the decimal's nearest double.
  return (steps * stepUnits) / scale;
}

/**
 * Sizes an open order. The raw size is, in this order: the request's `requestedLots` when set (manual orders); else
 * `limits.sizing.lots` (fixed-lots); else, for fixed-fractional, `riskPct / 100 × equityUsd ÷ (stopDistance ×
 * contractSize)` — the lots that lose `riskPct` % of equity between entry and stop, which needs a finite
 * `stopDistance > 0` (else INVALID_STOP). The raw size is capped at `limits.lots.maxLots`, rounded down to the lot
 * step ({@link roundLotsDown}), and refused with SIZE_BELOW_MINIMUM when below `limits.lots.minLots`.
 * `equityUsd` is the account's current equity (a non-positive equity sizes fixed-fractional orders to 0).
 * @example
 * sizeOrder(request, 100_000, limits); // { ok: true, lots: 0.33 } for 1 % risk, a 30.0 stop and 100-oz lots
 */
export function sizeOrder(request: OrderRequest, equityUsd: number, limits: RiskLimits): SizingResult {
  const { lotStep, minLots, maxLots } = limits.lots;
  const sizing = limits.sizing;
  let rawLots: number;
  let riskUsd: number | null = null;
  let basis: string;
  if (request.requestedLots !== null) {
    rawLots = request.requestedLots;
    basis = "requested";
  } else if (sizing.kind === "fixed-lots") {
    rawLots = sizing.lots;
    basis = "fixed-lots";
  } else {
    const stopDistance = request.stopDistance;
    if (stopDistance === null || !(stopDistance > 0) || !Number.isFinite(stopDistance)) {
      return {
        ok: false,
        code: "INVALID_STOP",
        message: `fixed-fractional sizing needs a stop distance above 0, got ${stopDistance}`,
        context: { stopDistance, riskPct: sizing.riskPct, sizing: sizing.kind },
      };
    }
    riskUsd = (sizing.riskPct / 100) * Math.max(equityUsd, 0);
    rawLots = riskUsd / (stopDistance * request.contractSize);
    basis = "fixed-fractional";
  }
  const lots = roundLotsDown(Math.min(rawLots, maxLots), lotStep);
  if (lots <= 0 || lots + lotStep * LOT_NOISE_STEPS < minLots) {
    return {
      ok: false,
      code: "SIZE_BELOW_MINIMUM",
      message: `${basis} size ${lots} lots is below the minimum of ${minLots} lots`,
      context: { sizing: basis, rawLots, lots, minLots, maxLots, lotStep, equityUsd, riskUsd, stopDistance: request.stopDistance },
    };
  }
  return { ok: true, lots };
}

/** Decimals of a lot step: 0.01 → 2, 0.5 → 1, 1 → 0. */
function stepDecimals(lotStep: number): number {
  for (let decimals = 0; decimals < MAX_STEP_DECIMALS; decimals += 1) {
    const scaled = lotStep * 10 ** decimals;
    if (Math.abs(scaled - Math.round(scaled)) <= 1e-9 * Math.max(1, scaled)) return decimals;
  }
  return MAX_STEP_DECIMALS;
}
