/**
 * Checks of an uploaded manifest before anything is stored: it parses and passes the manifest schema (400, details
 * name the fields), and it was trained for the platform's feature spec, width and timeframe (422).
 */
import type { ZodError } from "zod";
import { PayloadTooLargeError, UnprocessableError, ValidationError } from "../../core/errors/app-error.js";
import { ModelManifestSchema, type ModelManifest } from "../../core/ml/manifest.js";
import { MAX_MANIFEST_BYTES } from "../../core/schemas/registry.js";
import type { PlatformFeatures } from "./platform-target.js";

/** Where and why the manifest failed, in the envelope's `details` shape. */
function manifestIssues(error: ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
}

/**
 * The manifest part (text field or file) parsed with `ModelManifestSchema`: 413 beyond {@link MAX_MANIFEST_BYTES},
 * 400 for text that is not JSON or a manifest that fails the schema (details name the fields).
 */
export async function parseUploadedManifest(part: string | File): Promise<ModelManifest> {
  const text = typeof part === "string" ? part : await part.text();
  const bytes = new TextEncoder().encode(text).byteLength;
  if (bytes > MAX_MANIFEST_BYTES) throw new PayloadTooLargeError(`manifest of ${bytes} bytes exceeds ${MAX_MANIFEST_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error: unknown) {
    throw new ValidationError("the manifest part is not valid JSON", { cause: error });
  }
  const parsed = ModelManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError("invalid model manifest", { details: manifestIssues(parsed.error), cause: parsed.error });
  }
  return parsed.data;
}

/** 422 unless the manifest names the platform's feature spec (by hash), its width and the timeframe it is built on. */
export function checkManifestFitsPlatform(manifest: ModelManifest, platform: PlatformFeatures): void {
  if (manifest.timeframe !== platform.timeframe) {
    throw new UnprocessableError(`the model is for ${manifest.timeframe} bars; the platform builds features on ${platform.timeframe} bars`, {
      details: { field: "timeframe", expected: platform.timeframe, got: manifest.timeframe },
    });
  }
  if (manifest.featureSpec.sha256 !== platform.sha256) {
    throw new UnprocessableError(
      `the model was trained on feature spec ${manifest.featureSpec.name}@${manifest.featureSpec.version} ` +
        `(sha256 ${manifest.featureSpec.sha256}); the platform builds ${platform.name}@${platform.version} (sha256 ${platform.sha256})`,
      { details: { field: "featureSpec.sha256", expected: platform.sha256, got: manifest.featureSpec.sha256 } },
    );
  }
  if (manifest.inputWidth !== platform.inputWidth) {
    throw new UnprocessableError(`the manifest says ${manifest.inputWidth} inputs; the platform builds ${platform.inputWidth} features`, {
      details: { field: "inputWidth", expected: platform.inputWidth, got: manifest.inputWidth },
    });
  }
}
