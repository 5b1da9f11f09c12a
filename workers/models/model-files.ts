/**
 * A model's files in the MODELS bucket: `models/<symbol>/<version>/model.onnx` and `manifest.json`. Written once
 * (create-only puts, so a concurrent upload of the same version never overwrites the other's bytes), read back
 * validated (a stub of storage is a trust boundary too).
 */
import { ConflictError, UpstreamError } from "../../core/errors/app-error.js";
import { ModelManifestSchema, type ModelManifest } from "../../core/ml/manifest.js";
import { modelObjectKey } from "../../core/schemas/serving.js";

/** Where a model's files are. */
export interface ModelFileKeys {
  readonly onnxKey: string;
  readonly manifestKey: string;
}

export function modelFileKeys(symbol: string, version: string): ModelFileKeys {
  return { onnxKey: modelObjectKey(symbol, version, "model.onnx"), manifestKey: modelObjectKey(symbol, version, "manifest.json") };
}

/** Put only when no object has the key. */
const CREATE_ONLY: R2Conditional = { etagDoesNotMatch: "*" };

/**
 * Stores model.onnx (R2 checks the bytes against `onnxSha256`, kept as custom metadata too) and manifest.json.
 * 409 when either key is taken; on any failure what this call wrote is deleted again.
 */
export async function storeModelFiles(
  bucket: R2Bucket,
  symbol: string,
  version: string,
  files: { readonly onnx: Uint8Array; readonly onnxSha256: string; readonly manifestJson: string },
): Promise<ModelFileKeys> {
  const keys = modelFileKeys(symbol, version);
  const onnx = await bucket.put(keys.onnxKey, files.onnx, {
    onlyIf: CREATE_ONLY,
    sha256: files.onnxSha256,
    httpMetadata: { contentType: "application/octet-stream" },
    customMetadata: { sha256: files.onnxSha256 },
  });
  if (onnx === null) throw new ConflictError(`the MODELS bucket already holds ${keys.onnxKey}`, { details: { key: keys.onnxKey } });
  try {
    const manifest = await bucket.put(keys.manifestKey, files.manifestJson, {
      onlyIf: CREATE_ONLY,
      httpMetadata: { contentType: "application/json" },
    });
    if (manifest === null) throw new ConflictError(`the MODELS bucket already holds ${keys.manifestKey}`, { details: { key: keys.manifestKey } });
  } catch (error: unknown) {
    await bucket.delete(keys.onnxKey);
    throw error;
  }
  return keys;
}

/** Deletes both files (after a failed registration). */
export async function deleteModelFiles(bucket: R2Bucket, keys: ModelFileKeys): Promise<void> {
  await bucket.delete([keys.onnxKey, keys.manifestKey]);
}

/** The model's manifest from R2, validated; 502 when it is missing or no longer a valid manifest. */
export async function readManifest(bucket: R2Bucket, symbol: string, version: string): Promise<ModelManifest> {
  const { manifestKey } = modelFileKeys(symbol, version);
  const object = await bucket.get(manifestKey);
  if (object === null) throw new UpstreamError(`the MODELS bucket has no ${manifestKey}`, { details: { key: manifestKey } });
  const parsed = ModelManifestSchema.safeParse(await object.json().catch(() => undefined));
  if (!parsed.success) throw new UpstreamError(`${manifestKey} in the MODELS bucket is not a valid manifest`, { details: { key: manifestKey }, cause: parsed.error });
  return parsed.data;
}

/** The model's ONNX object from R2 (body not yet read); 502 when it is missing. */
export async function readOnnx(bucket: R2Bucket, symbol: string, version: string): Promise<R2ObjectBody> {
  const { onnxKey } = modelFileKeys(symbol, version);
  const object = await bucket.get(onnxKey);
  if (object === null) throw new UpstreamError(`the MODELS bucket has no ${onnxKey}`, { details: { key: onnxKey } });
  return object;
}
