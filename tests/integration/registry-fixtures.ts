/** The registry's fixture model (29 inputs, XAUUSD M1) and manifest builders, shared by the registry and models-page suites. */
import type { ModelManifest } from "../../core/ml/manifest.js";
import { REGISTRY_MODEL_BASE64 } from "../fixtures/models/registry-bytes.js";
import registryManifestJson from "../fixtures/models/registry-manifest.json";

export const decodeBase64 = (base64: string): Uint8Array => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** The binary classifier over the platform's 29 features, as model.onnx bytes. */
export const BINARY_29 = decodeBase64(REGISTRY_MODEL_BASE64.binary);

/** The fixture manifest as committed. */
export const BASE_MANIFEST = registryManifestJson as ModelManifest;

/** The fixture manifest (a first XAUUSD M1 model, better than the prior) as `version`, changed by `change`. */
export function manifest(version: string, change: (m: ModelManifest) => void = () => undefined): ModelManifest {
  const m = structuredClone(BASE_MANIFEST);
  m.version = version;
  change(m);
  return m;
}

/** A successor of `championVersion` that beat it on its own held-out rows. */
export function successor(version: string, championVersion: string, championLogLoss = 0.69): ModelManifest {
  return manifest(version, (m) => {
    m.parentVersion = championVersion;
    m.metrics.heldOut.champion = { version: championVersion, logLoss: championLogLoss, auc: 0.52, brier: 0.249, accuracy: 0.51 };
  });
}
