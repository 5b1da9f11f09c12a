/**
 * What the platform feeds models now: the feature spec its Durable Objects build (name, version, SHA-256 of its
 * canonical JSON, width) and the timeframe it is built on. A model must match it to be registered and served.
 */
import { canonicalFeatureSpecJson, XAU_M1_CORE_SPEC, type FeatureSpec } from "../../core/features/index.js";
import type { Timeframe } from "../../core/market/timeframe.js";
import type { PromotionTarget } from "../../core/ml/promotion.js";

/** The spec the platform builds features with. */
export const PLATFORM_FEATURE_SPEC: FeatureSpec = XAU_M1_CORE_SPEC;

/** The platform's feature spec as a model manifest refers to it, with its width and timeframe. */
export interface PlatformFeatures {
  readonly name: string;
  readonly version: number;
  /** SHA-256 (hex) of `canonicalFeatureSpecJson(PLATFORM_FEATURE_SPEC)`. */
  readonly sha256: string;
  /** Features per row. */
  readonly inputWidth: number;
  readonly timeframe: Timeframe;
}

/** SHA-256 of `data` (a string is hashed as UTF-8) as 64 lower-case hex digits. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

let cached: Promise<PlatformFeatures> | undefined;

/** The platform's features, hashed once per isolate. */
export function platformFeatures(): Promise<PlatformFeatures> {
  cached ??= sha256Hex(canonicalFeatureSpecJson(PLATFORM_FEATURE_SPEC)).then((sha256) => ({
    name: PLATFORM_FEATURE_SPEC.name,
    version: PLATFORM_FEATURE_SPEC.version,
    sha256,
    inputWidth: PLATFORM_FEATURE_SPEC.features.length,
    timeframe: PLATFORM_FEATURE_SPEC.parameters.timeframe,
  }));
  return cached;
}

/**
 * The slot a model of `symbol` would serve, as the promotion rule takes it.
 * @example decidePromotion({ candidate, champion, target: await promotionTarget("XAUUSD") })
 */
export async function promotionTarget(symbol: string): Promise<PromotionTarget> {
  const features = await platformFeatures();
  return { symbol, timeframe: features.timeframe, featureSpecSha256: features.sha256, inputWidth: features.inputWidth };
}
