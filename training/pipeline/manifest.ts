/**
 * The manifest draft a training run produces: a core/ml `ModelManifest` without what only the exporter or the
 * registry knows (the version, its parent, the champion's score on the held-out rows), checked as far as it goes.
 */
import { z } from "zod";
import { type ChampionMetrics, type ModelManifest, ModelManifestSchema } from "../../core/ml/index.js";

/** A manifest minus `version` and `parentVersion`; `metrics.heldOut.champion` is null until the exporter scores one. */
export type ManifestDraft = Omit<ModelManifest, "version" | "parentVersion">;

/** Version the draft is validated under (never stored): any valid version the draft cannot collide with. */
const PLACEHOLDER_VERSION = "draft";

/** What completes a draft. */
export interface ManifestCompletion {
  /** The model's version in the registry, e.g. "2026-05-28.1". */
  readonly version: string;
  /** Version it was retrained from; default null. */
  readonly parentVersion?: string | null;
  /** The champion scored (by the exporter, with the same runtime) on the draft's held-out rows; default null. */
  readonly champion?: ChampionMetrics | null;
}

/**
 * The manifest of a completed draft, parsed by `ModelManifestSchema` (strict, cross-field checks). Throws a
 * RangeError naming every problem.
 * @example
 * const manifest = completeManifest(result.manifestDraft, { version: "2026-05-28.1", parentVersion: null });
 */
export function completeManifest(draft: ManifestDraft, completion: ManifestCompletion): ModelManifest {
  const candidate = {
    ...draft,
    version: completion.version,
    parentVersion: completion.parentVersion ?? null,
    metrics: {
      ...draft.metrics,
      heldOut: { ...draft.metrics.heldOut, champion: completion.champion ?? draft.metrics.heldOut.champion },
    },
  };
  const parsed = ModelManifestSchema.safeParse(candidate);
  if (!parsed.success) throw new RangeError(`manifest: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * Checks every field of the draft (under a placeholder version) and returns it unchanged. Throws a RangeError
 * naming every problem.
 * @example
 * const draft = validateManifestDraft(JSON.parse(readFileSync("manifest-draft.json", "utf8")));
 */
export function validateManifestDraft(draft: ManifestDraft): ManifestDraft {
  completeManifest(draft, { version: PLACEHOLDER_VERSION });
  return draft;
}
