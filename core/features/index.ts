/** Versioned feature spec and the feature builder shared by the Durable Object (streaming) and the trainer (batch). */
export { canonicalJson } from "./canonical-json.js";
export { type FeatureDefinition, type FeatureInputs, featureCatalogue } from "./feature-catalogue.js";
export {
  canonicalFeatureSpecJson,
  createFeatureSpec,
  type FeatureParameters,
  type FeatureSpec,
  featureSpecId,
  RAW_INDICATOR_KEYS,
  type RawIndicatorKey,
  rawIndicatorColumns,
  requireConsistentFeatureSpec,
  XAU_M1_CORE_SPEC,
} from "./feature-spec.js";
export {
  buildFeatures,
  type FeatureBar,
  featureBarFromSource,
  FeatureBuilder,
  type FeatureBuilderState,
  type FeatureRow,
  type RawIndicatorValues,
} from "./feature-builder.js";
