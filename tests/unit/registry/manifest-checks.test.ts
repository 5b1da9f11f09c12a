/** Uploaded manifests: parsed and schema-checked (400, 413), and refused unless they fit the platform (422). */
import { describe, expect, it } from "vitest";
import { PayloadTooLargeError, UnprocessableError, ValidationError } from "../../../core/errors/app-error.js";
import type { ModelManifest } from "../../../core/ml/manifest.js";
import { checkManifestFitsPlatform, parseUploadedManifest } from "../../../workers/models/manifest-checks.js";
import { platformFeatures } from "../../../workers/models/platform-target.js";
import { manifestFixture, SPEC_SHA256 } from "../ml/manifest-fixture.js";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.unreachable("expected a rejection"), (error: unknown) => error);
}

describe("platformFeatures", () => {
  it("is the xau-m1-core spec: its SHA-256, 29 features, M1", async () => {
    expect(await platformFeatures()).toEqual({ name: "xau-m1-core", version: 1, sha256: SPEC_SHA256, inputWidth: 29, timeframe: "M1" });
  });
});

describe("parseUploadedManifest", () => {
  it("takes the manifest as text or as a file", async () => {
    const text = JSON.stringify(manifestFixture());
    expect(await parseUploadedManifest(text)).toEqual(manifestFixture());
    expect(await parseUploadedManifest(new File([text], "manifest.json"))).toEqual(manifestFixture());
  });

  it("refuses text that is not JSON, and a manifest failing the schema with the failing fields (400)", async () => {
    expect(await rejection(parseUploadedManifest("{"))).toBeInstanceOf(ValidationError);
    const broken = { ...manifestFixture(), inputWidth: 0, extra: true };
    const error = (await rejection(parseUploadedManifest(JSON.stringify(broken)))) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect((error.details as { path: string }[]).map((d) => d.path).sort()).toEqual(["", "inputWidth"]);
  });

  it("refuses a manifest over 256 KiB (413)", async () => {
    const huge = manifestFixture((m) => void (m.hyperParameters = { note: "x".repeat(300_000) }));
    expect(await rejection(parseUploadedManifest(JSON.stringify(huge)))).toBeInstanceOf(PayloadTooLargeError);
  });
});

describe("checkManifestFitsPlatform", () => {
  const PLATFORM = { name: "xau-m1-core", version: 1, sha256: SPEC_SHA256, inputWidth: 29, timeframe: "M1" } as const;

  it("accepts the platform's spec, width and timeframe", () => {
    expect(() => checkManifestFitsPlatform(manifestFixture(), PLATFORM)).not.toThrow();
  });

  const cases: [string, (m: ModelManifest) => void, string][] = [
    ["another feature spec", (m) => void (m.featureSpec.sha256 = "f".repeat(64)), "featureSpec.sha256"],
    ["another width", (m) => void (m.inputWidth = 30), "inputWidth"],
    ["another timeframe", (m) => void (m.timeframe = "M5"), "timeframe"],
  ];
  it.each(cases)("refuses %s with 422 naming the field", (_, change, field) => {
    try {
      checkManifestFitsPlatform(manifestFixture(change), PLATFORM);
      expect.unreachable("expected a refusal");
    } catch (error: unknown) {
      expect(error).toBeInstanceOf(UnprocessableError);
      expect((error as UnprocessableError).details).toMatchObject({ field });
    }
  });
});
