/** The promotion rule: a candidate replaces the champion only when it is out-of-sample better and fits the platform. */
import { z } from "zod";
import type { Timeframe } from "../market/timeframe.js";
import type { LabelDefinition } from "./labels.js";
import type { ModelManifest } from "./manifest.js";

/** Every code a promotion decision can carry. */
export const PROMOTION_CODES = [
  "PROMOTE",
  "FORCED",
  "WRONG_INSTRUMENT",
  "FEATURE_SPEC_MISMATCH",
  "TOO_FEW_HELD_OUT_ROWS",
  "NOT_BETTER_THAN_PRIOR",
  "LABEL_MISMATCH",
  "CHAMPION_NOT_EVALUATED",
  "NOT_BETTER_THAN_CHAMPION",
] as const;
export type PromotionCode = (typeof PROMOTION_CODES)[number];

/** The codes of a refusal, in the order they are checked (the first one found is the decision's code). */
export const REFUSAL_CODES = [
  "WRONG_INSTRUMENT",
  "FEATURE_SPEC_MISMATCH",
  "TOO_FEW_HELD_OUT_ROWS",
  "NOT_BETTER_THAN_PRIOR",
  "LABEL_MISMATCH",
  "CHAMPION_NOT_EVALUATED",
  "NOT_BETTER_THAN_CHAMPION",
] as const satisfies readonly PromotionCode[];
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/**
 * Refusals `force` cannot override: a model for another instrument, or fed another feature vector than the one it
 * was trained on, would serve wrong predictions whatever its scores.
 */
export const UNFORCEABLE_REFUSALS: readonly RefusalCode[] = ["WRONG_INSTRUMENT", "FEATURE_SPEC_MISMATCH"];

/** Thresholds of the rule (a deployment may configure them). */
export const PromotionPolicySchema = z.strictObject({
  minImprovement: z
    .number()
    .min(0)
    .max(1)
    .default(0.0005)
    .describe("Held-out log-loss the candidate must gain over the prior and over the champion, absolute nats"),
  minHeldOutRows: z
    .number()
    .int()
    .min(1)
    .default(2_000)
    .describe("Fewest labelled held-out rows the candidate must have been scored on"),
});
export type PromotionPolicy = z.infer<typeof PromotionPolicySchema>;

/** The default thresholds: a gain of 0.0005 in log-loss, 2,000 held-out rows. */
export const DEFAULT_PROMOTION_POLICY: PromotionPolicy = Object.freeze(PromotionPolicySchema.parse({}));

/** The slot the candidate would serve, as the platform runs it now. */
export interface PromotionTarget {
  /** Instrument symbol, e.g. "XAUUSD". */
  readonly symbol: string;
  readonly timeframe: Timeframe;
  /** SHA-256 (hex) of the canonical JSON of the feature spec the platform builds features with now. */
  readonly featureSpecSha256: string;
  /** Length of the feature vector the platform builds now. */
  readonly inputWidth: number;
}

/** Everything the rule looks at. */
export interface PromotionRequest {
  readonly candidate: ModelManifest;
  /** Manifest of the model serving the slot now; null when none does. */
  readonly champion: ModelManifest | null;
  readonly target: PromotionTarget;
  /** Thresholds; missing ones take {@link DEFAULT_PROMOTION_POLICY}'s. */
  readonly policy?: Partial<PromotionPolicy>;
  /** Admin override: forceable refusals become `FORCED`, the refusals kept. Default false. */
  readonly force?: boolean;
}

/** One reason not to promote. */
export interface PromotionRefusal {
  readonly code: RefusalCode;
  /** What failed, with the numbers, for a person. */
  readonly message: string;
}

/** The numbers the decision was made on, for the audit log. */
export interface PromotionEvidence {
  readonly heldOutRows: number;
  /** Candidate's held-out log-loss. */
  readonly logLoss: number;
  /** Constant prior's log-loss on the same rows. */
  readonly priorLogLoss: number;
  /** Champion's log-loss on the same rows; null when there is no champion or it was not scored. */
  readonly championLogLoss: number | null;
  /** priorLogLoss − logLoss: positive when the candidate is better. */
  readonly gainOverPrior: number;
  /** championLogLoss − logLoss; null without a champion score. */
  readonly gainOverChampion: number | null;
}

/** The rule's answer; `promote` is true exactly for PROMOTE and FORCED. */
export type PromotionDecision =
  | {
      readonly code: "PROMOTE";
      readonly promote: true;
      readonly refusals: readonly PromotionRefusal[];
      readonly evidence: PromotionEvidence;
    }
  | {
      readonly code: "FORCED";
      readonly promote: true;
      readonly refusals: readonly PromotionRefusal[];
      readonly evidence: PromotionEvidence;
    }
  | {
      readonly code: RefusalCode;
      readonly promote: false;
      readonly refusals: readonly PromotionRefusal[];
      readonly evidence: PromotionEvidence;
    };

/** Gains are compared to the margin with this slack, so that 0.693 − 0.6925 counts as the 0.0005 it is. */
const GAIN_TOLERANCE = 1e-12;

/** True when `gain` is positive and at least `margin`; false for NaN. */
function clears(gain: number, margin: number): boolean {
  return gain > 0 && gain + GAIN_TOLERANCE >= margin;
}

function sameLabel(a: LabelDefinition, b: LabelDefinition): boolean {
  return (
    a.kind === b.kind &&
    a.horizonBars === b.horizonBars &&
    a.classes === b.classes &&
    a.noTradeBandSpreads === b.noTradeBandSpreads
  );
}

/**
 * Decides whether `candidate` may replace `champion`. Never throws; every check runs and every failure is kept, in
 * {@link REFUSAL_CODES} order:
 * - WRONG_INSTRUMENT: the manifest's symbol or timeframe is not the target's.
 * - FEATURE_SPEC_MISMATCH: its feature spec hash (compared case-insensitively) or input width is not the platform's.
 * - TOO_FEW_HELD_OUT_ROWS: fewer labelled held-out rows than `minHeldOutRows` (default 2,000).
 * - NOT_BETTER_THAN_PRIOR: held-out log-loss not below the constant prior's by more than 0 and at least
 *   `minImprovement` (default 0.0005; compared with a 1e-12 slack for float noise).
 * - LABEL_MISMATCH: the champion predicts another label definition, so their log-losses do not compare.
 * - CHAMPION_NOT_EVALUATED: there is a champion, but the manifest holds no score of that version on the held-out
 *   rows (the champion's own manifest scores it on other rows, so it is never used).
 * - NOT_BETTER_THAN_CHAMPION: held-out log-loss not below the champion's (same rows) by at least the margin.
 * No refusal gives PROMOTE. Otherwise the code is the first refusal's, unless `force` is set and every refusal is
 * forceable (not in {@link UNFORCEABLE_REFUSALS}): then FORCED, with the refusals kept. NaN scores or thresholds
 * refuse. The manifests are taken as parsed by `ModelManifestSchema`.
 * @example
 * const target = { symbol: "XAUUSD", timeframe: "M1", featureSpecSha256, inputWidth: 29 } as const;
 * const decision = decidePromotion({ candidate, champion, target });
 * if (decision.promote) await activate(candidate.version, decision);
 */
export function decidePromotion(request: PromotionRequest): PromotionDecision {
  const { candidate, champion, target } = request;
  const policy: PromotionPolicy = {
    minImprovement: request.policy?.minImprovement ?? DEFAULT_PROMOTION_POLICY.minImprovement,
    minHeldOutRows: request.policy?.minHeldOutRows ?? DEFAULT_PROMOTION_POLICY.minHeldOutRows,
  };
  const heldOut = candidate.metrics.heldOut;
  const refusals: PromotionRefusal[] = [];
  const refuse = (code: RefusalCode, message: string) => refusals.push({ code, message });

  if (candidate.symbol !== target.symbol || candidate.timeframe !== target.timeframe) {
    refuse(
      "WRONG_INSTRUMENT",
      `the model is for ${candidate.symbol} ${candidate.timeframe}, the slot is ${target.symbol} ${target.timeframe}`,
    );
  }
  if (candidate.featureSpec.sha256 !== target.featureSpecSha256.toLowerCase()) {
    refuse(
      "FEATURE_SPEC_MISMATCH",
      `the model was trained on feature spec ${candidate.featureSpec.name}@${candidate.featureSpec.version} ` +
        `(sha256 ${candidate.featureSpec.sha256}), the platform builds sha256 ${target.featureSpecSha256}`,
    );
  } else if (candidate.inputWidth !== target.inputWidth) {
    refuse(
      "FEATURE_SPEC_MISMATCH",
      `the model takes ${candidate.inputWidth} inputs, the platform builds ${target.inputWidth} features`,
    );
  }
  if (!(heldOut.rows >= policy.minHeldOutRows)) {
    refuse("TOO_FEW_HELD_OUT_ROWS", `scored on ${heldOut.rows} held-out rows, fewer than ${policy.minHeldOutRows}`);
  }
  const gainOverPrior = heldOut.prior.logLoss - heldOut.logLoss;
  if (!clears(gainOverPrior, policy.minImprovement)) {
    refuse(
      "NOT_BETTER_THAN_PRIOR",
      `held-out log-loss ${heldOut.logLoss} vs the constant prior's ${heldOut.prior.logLoss}: ` +
        `gain ${gainOverPrior}, needs at least ${policy.minImprovement}`,
    );
  }
  const championScore = champion !== null && heldOut.champion?.version === champion.version ? heldOut.champion : null;
  const gainOverChampion = championScore === null ? null : championScore.logLoss - heldOut.logLoss;
  if (champion !== null) {
    if (!sameLabel(candidate.label, champion.label)) {
      refuse(
        "LABEL_MISMATCH",
        `the champion ${champion.version} predicts ${JSON.stringify(champion.label)}, ` +
          `the candidate ${JSON.stringify(candidate.label)}`,
      );
    }
    if (gainOverChampion === null) {
      refuse(
        "CHAMPION_NOT_EVALUATED",
        `the champion is ${champion.version}, but the held-out rows were scored with ` +
          `${heldOut.champion === null ? "no champion" : `champion ${heldOut.champion.version}`}`,
      );
    } else if (!clears(gainOverChampion, policy.minImprovement)) {
      refuse(
        "NOT_BETTER_THAN_CHAMPION",
        `held-out log-loss ${heldOut.logLoss} vs champion ${champion.version}'s ${championScore?.logLoss}: ` +
          `gain ${gainOverChampion}, needs at least ${policy.minImprovement}`,
      );
    }
  }

  const evidence: PromotionEvidence = {
    heldOutRows: heldOut.rows,
    logLoss: heldOut.logLoss,
    priorLogLoss: heldOut.prior.logLoss,
    championLogLoss: championScore?.logLoss ?? null,
    gainOverPrior,
    gainOverChampion,
  };
  const first = refusals[0];
  if (first === undefined) return { code: "PROMOTE", promote: true, refusals, evidence };
  const forceable = refusals.every((refusal) => !UNFORCEABLE_REFUSALS.includes(refusal.code));
  if (request.force === true && forceable) return { code: "FORCED", promote: true, refusals, evidence };
  return { code: first.code, promote: false, refusals, evidence };
}
