/** Direction labels of the forward return over a fixed number of bars, defined as data so a manifest can carry them. */
import { z } from "zod";
import type { Bar } from "../market/bar.js";
import { TIMEFRAME_MS, type Timeframe } from "../market/timeframe.js";

/** The label horizon most models use: 15 bars (a quarter of an hour on M1). */
export const DEFAULT_HORIZON_BARS = 15;

/** Longest horizon a label may look ahead, in bars (a week of M1 bars). */
export const MAX_HORIZON_BARS = 10_080;

/** Class sets a direction label can use. */
export const LABEL_CLASS_SETS = ["binary", "three-class"] as const;
export type LabelClassSet = (typeof LABEL_CLASS_SETS)[number];

/** Names of the binary classes, by class index: 0 = down (or flat, with no band), 1 = up. */
export const BINARY_CLASS_LABELS = ["down", "up"] as const;

/** Names of the three-class classes, by class index: 0 = sell, 1 = hold (inside the band), 2 = buy. */
export const THREE_CLASS_LABELS = ["sell", "hold", "buy"] as const;

/**
 * A direction label: the sign of the move of the bid close from bar t to bar t + `horizonBars`, with a no-trade band
 * of `noTradeBandSpreads` times bar t's mean spread around zero. Strict: an unknown key is refused.
 */
export const LabelDefinitionSchema = z
  .strictObject({
    kind: z.literal("direction").describe("Label family: the direction of the forward return"),
    horizonBars: z
      .number()
      .int()
      .min(1)
      .max(MAX_HORIZON_BARS)
      .describe(`Bars the forward return spans (default ${DEFAULT_HORIZON_BARS}); the label at t reads bar t + this`),
    classes: z
      .enum(LABEL_CLASS_SETS)
      .describe("binary: down(0)/up(1), bars inside the band excluded; three-class: sell(0)/hold(1)/buy(2)"),
    noTradeBandSpreads: z
      .number()
      .min(0)
      .max(1_000)
      .describe("Half-width of the no-trade band, in multiples of bar t's mean spread (0 = no band)"),
  })
  .describe("How the training target of a model is computed from bars");
export type LabelDefinition = z.infer<typeof LabelDefinitionSchema>;

/** The default label: binary direction over 15 bars, no band. */
export const DEFAULT_LABEL_DEFINITION: LabelDefinition = Object.freeze({
  kind: "direction",
  horizonBars: DEFAULT_HORIZON_BARS,
  classes: "binary",
  noTradeBandSpreads: 0,
});

/** What a label reads from a bar: a core/market `Bar` satisfies it as it is. */
export type LabelBar = Pick<Bar, "tsMs" | "close" | "spreadAvgPoints">;

/** Instrument and bar facts labelling needs besides the bars. */
export interface LabelContext {
  /** Size of one point in price units (0.01 for XAUUSD): turns prices into points. */
  readonly pointSize: number;
  /** Timeframe of the bars: a forward bar further than `horizonBars` bar lengths away is a gap. */
  readonly timeframe: Timeframe;
}

/** Why a bar has no label. */
export const LABEL_EXCLUSIONS = ["NO_FORWARD_BAR", "GAP", "IN_NO_TRADE_BAND"] as const;
export type LabelExclusion = (typeof LABEL_EXCLUSIONS)[number];

/** The label of one bar, with the numbers it was decided on. */
export interface DirectionLabel {
  /** Open time of bar t, epoch ms UTC. */
  readonly tsMs: number;
  /** Class index (see {@link classLabels}), or undefined when the bar is excluded from training and scoring. */
  readonly label: number | undefined;
  /** Why `label` is undefined; undefined when there is a label. */
  readonly exclusion: LabelExclusion | undefined;
  /** Simple forward return close[t+h] / close[t] − 1; undefined without a usable forward bar (no bar, or a gap). */
  readonly forwardReturn: number | undefined;
  /** Move close[t+h] − close[t] in points, to a millionth of a point; undefined without a usable forward bar. */
  readonly movePoints: number | undefined;
  /** Half-width of the no-trade band in points: `noTradeBandSpreads` × bar t's mean spread, to a millionth. */
  readonly bandPoints: number;
}

/**
 * Class names of a definition, by class index.
 * @example
 * classLabels({ ...DEFAULT_LABEL_DEFINITION, classes: "three-class" }); // ["sell", "hold", "buy"]
 */
export function classLabels(definition: Pick<LabelDefinition, "classes">): readonly string[] {
  return definition.classes === "binary" ? BINARY_CLASS_LABELS : THREE_CLASS_LABELS;
}

/**
 * Number of classes of a definition: 2 or 3.
 * @example
 * classCount(DEFAULT_LABEL_DEFINITION); // 2
 */
export function classCount(definition: Pick<LabelDefinition, "classes">): number {
  return classLabels(definition).length;
}

/** Points are compared to a millionth of a point, so float noise in a price difference never decides a boundary. */
const POINT_DECIMALS = 6;

function toPoints(value: number): number {
  const factor = 10 ** POINT_DECIMALS;
  return Math.round(value * factor) / factor;
}

function requireDefinition(definition: LabelDefinition): LabelDefinition {
  const parsed = LabelDefinitionSchema.safeParse(definition);
  if (!parsed.success) throw new RangeError(`LabelDefinition: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function requireContext(context: LabelContext): void {
  if (!(context.pointSize > 0) || !Number.isFinite(context.pointSize)) {
    throw new RangeError(`labels: pointSize must be a positive number, got ${context.pointSize}`);
  }
  if (TIMEFRAME_MS[context.timeframe] === undefined) {
    throw new RangeError(`labels: unknown timeframe ${String(context.timeframe)}`);
  }
}

/** Throws a RangeError unless bars[from..to] (inclusive) are valid and strictly increasing in time. */
function requireBars(bars: readonly LabelBar[], from: number, to: number): void {
  for (let index = from; index <= to; index += 1) {
    const bar = bars[index];
    if (bar === undefined) continue;
    if (!Number.isFinite(bar.tsMs)) throw new RangeError(`labels: bar ${index} has tsMs ${bar.tsMs}`);
    if (!(bar.close > 0) || !Number.isFinite(bar.close)) {
      throw new RangeError(`labels: bar ${index} close must be a positive number, got ${bar.close}`);
    }
    if (!(bar.spreadAvgPoints >= 0) || !Number.isFinite(bar.spreadAvgPoints)) {
      throw new RangeError(`labels: bar ${index} spreadAvgPoints must be finite and >= 0, got ${bar.spreadAvgPoints}`);
    }
    const previous = index > from ? bars[index - 1] : undefined;
    if (previous !== undefined && bar.tsMs <= previous.tsMs) {
      throw new RangeError(
        `labels: bar ${index} (tsMs ${bar.tsMs}) is not after bar ${index - 1} (tsMs ${previous.tsMs})`,
      );
    }
  }
}

function classify(definition: LabelDefinition, movePoints: number, bandPoints: number): number | undefined {
  if (definition.classes === "three-class") {
    if (movePoints > bandPoints) return 2;
    if (movePoints < -bandPoints) return 0;
    return 1;
  }
  if (movePoints > bandPoints) return 1;
  if (movePoints < -bandPoints || bandPoints === 0) return 0;
  return undefined;
}

/** The label of bar t from bar t and bar t + h (undefined when there is none yet); inputs already checked. */
function labelPair(
  bar: LabelBar,
  forward: LabelBar | undefined,
  definition: LabelDefinition,
  context: LabelContext,
): DirectionLabel {
  const horizon = definition.horizonBars;
  const bandPoints = toPoints(definition.noTradeBandSpreads * bar.spreadAvgPoints);
  const unusable = { tsMs: bar.tsMs, label: undefined, forwardReturn: undefined, movePoints: undefined, bandPoints };
  if (forward === undefined) return { ...unusable, exclusion: "NO_FORWARD_BAR" };
  if (forward.tsMs - bar.tsMs > horizon * TIMEFRAME_MS[context.timeframe]) return { ...unusable, exclusion: "GAP" };
  const movePoints = toPoints((forward.close - bar.close) / context.pointSize);
  const label = classify(definition, movePoints, bandPoints);
  return {
    tsMs: bar.tsMs,
    label,
    exclusion: label === undefined ? "IN_NO_TRADE_BAND" : undefined,
    forwardReturn: forward.close / bar.close - 1,
    movePoints,
    bandPoints,
  };
}

/** The label of bar `index`, reading bars[index] and bars[index + h] only; inputs already checked. */
function labelOne(
  bars: readonly LabelBar[],
  index: number,
  definition: LabelDefinition,
  context: LabelContext,
): DirectionLabel {
  const bar = bars[index];
  if (bar === undefined) throw new RangeError(`labels: no bar at index ${index}`);
  return labelPair(bar, bars[index + definition.horizonBars], definition, context);
}

/**
 * The label of a bar read live: `bar` is bar t, `forward` the bar that closed `horizonBars` bars after it (the
 * caller counts bars; pass undefined while it has not closed). Same rules and result as {@link labelBars}.
 * @example
 * labelForward(signalBar, barFifteenLater, DEFAULT_LABEL_DEFINITION, { pointSize: 0.01, timeframe: "M1" }).label;
 */
export function labelForward(
  bar: LabelBar,
  forward: LabelBar | undefined,
  definition: LabelDefinition,
  context: LabelContext,
): DirectionLabel {
  const checked = requireDefinition(definition);
  requireContext(context);
  requireBars(forward === undefined ? [bar] : [bar, forward], 0, forward === undefined ? 0 : 1);
  return labelPair(bar, forward, checked, context);
}

/**
 * Labels every bar (one result per bar, same order). Bar t is labelled from bars t and t + h only
 * (h = `horizonBars`), and is excluded, with `label` undefined, when:
 * - `NO_FORWARD_BAR`: there is no bar t + h (the last h bars);
 * - `GAP`: bar t + h opens more than h bar lengths after bar t (a weekend, the daily break, or any missing bar in
 *   between): the move would span a period the horizon does not describe;
 * - `IN_NO_TRADE_BAND` (binary only): −band ≤ move ≤ band with band > 0.
 *
 * The move is close[t+h] − close[t] in points, the band `noTradeBandSpreads` × bar t's mean spread in points (the
 * spread in price units is that × `pointSize`), both to a millionth of a point. Binary: 1 when move > band, 0 when
 * move < −band; with a zero band (no band, or a zero spread) every move gets a label and a flat move is 0.
 * Three-class: buy (2) when move > band, sell (0) when move < −band, hold (1) otherwise, a flat move included.
 * `forwardReturn` is the simple return close[t+h]/close[t] − 1 (in exact arithmetic, move > band exactly when
 * forwardReturn > band × pointSize / close[t]). Throws a RangeError on a bad definition or context, a non-positive close, a negative or
 * non-finite spread, or bars not strictly increasing in time.
 * @example
 * const labels = labelBars(bars, DEFAULT_LABEL_DEFINITION, { pointSize: 0.01, timeframe: "M1" });
 * const trainable = labels.filter((row) => row.label !== undefined);
 */
export function labelBars(
  bars: readonly LabelBar[],
  definition: LabelDefinition,
  context: LabelContext,
): DirectionLabel[] {
  const checked = requireDefinition(definition);
  requireContext(context);
  requireBars(bars, 0, bars.length - 1);
  return bars.map((_, index) => labelOne(bars, index, checked, context));
}

/**
 * The label of one bar, as {@link labelBars} gives it, checking only bars `index` to `index + horizonBars`.
 * @example
 * labelAt(bars, 100, DEFAULT_LABEL_DEFINITION, { pointSize: 0.01, timeframe: "M1" }).label; // 0, 1 or undefined
 */
export function labelAt(
  bars: readonly LabelBar[],
  index: number,
  definition: LabelDefinition,
  context: LabelContext,
): DirectionLabel {
  const checked = requireDefinition(definition);
  requireContext(context);
  if (!Number.isInteger(index) || index < 0 || index >= bars.length) {
    throw new RangeError(`labels: index must be an integer in [0, ${bars.length - 1}], got ${index}`);
  }
  requireBars(bars, index, Math.min(index + checked.horizonBars, bars.length - 1));
  return labelOne(bars, index, checked, context);
}

/** Class balance and exclusions of a labelled series. */
export interface LabelSummary {
  /** Labelled bars per class index. */
  readonly byClass: readonly number[];
  /** Excluded bars per reason. */
  readonly excluded: Readonly<Record<LabelExclusion, number>>;
}

/**
 * Counts labels by class and exclusions by reason.
 * @example
 * summarizeLabels(labelBars(bars, DEFAULT_LABEL_DEFINITION, context), DEFAULT_LABEL_DEFINITION).byClass; // [n0, n1]
 */
export function summarizeLabels(labels: readonly DirectionLabel[], definition: LabelDefinition): LabelSummary {
  const byClass = new Array<number>(classCount(definition)).fill(0);
  const excluded: Record<LabelExclusion, number> = { NO_FORWARD_BAR: 0, GAP: 0, IN_NO_TRADE_BAND: 0 };
  for (const row of labels) {
    if (row.exclusion !== undefined) excluded[row.exclusion] += 1;
    else if (row.label !== undefined) byClass[row.label] = (byClass[row.label] ?? 0) + 1;
  }
  return { byClass, excluded };
}
