/**
 * HTTP client of the model registry (`/api/v1/models`): list models, download a model's ONNX file, upload a trained
 * model (manifest + model.onnx as multipart/form-data) and deploy it. Used by the trainer (`--upload`) and by
 * `npm start` (the demo model). Network failures, 5xx and 429 (after its Retry-After) are retried with backoff, other
 * 4xx never are (training/platform-http.ts).
 */
import { z } from "zod";
import { MODEL_FILE_NAME, type ModelManifest } from "../core/ml/index.js";
import {
  DeployedSchema,
  type DeployRequest,
  type ModelRecord,
  ModelPageSchema,
  type ModelStatus,
  ModelUploadedSchema,
  PromotionDecisionSchema,
} from "../core/schemas/registry.js";
import { errorOf, expectAnswer, PLATFORM_BAD_RESPONSE, PlatformClient, PlatformError } from "./platform-http.js";

export type { DeployRequest, ModelRecord } from "../core/schemas/registry.js";

/** The registry id of a model. */
export type ModelId = ModelRecord["id"];

/** A promotion decision as the registry answers it (core/schemas/registry `PromotionDecisionSchema`). */
export type DeployDecision = z.infer<typeof PromotionDecisionSchema>;

/** What a deploy call came to: deployed (PROMOTE or FORCED), or refused by the promotion gate. */
export type DeployOutcome =
  | { readonly deployed: true; readonly model: ModelRecord; readonly decision: DeployDecision }
  | { readonly deployed: false; readonly decision: DeployDecision; readonly message: string };

/**
 * The model registry's API, over the global `fetch`.
 * @example
 * const registry = new RegistryClient({ baseUrl: "http://127.0.0.1:8787", apiKey: process.env.AURUM_KEY ?? "" });
 * const [champion] = await registry.listModels({ symbol: "XAUUSD", status: "champion" });
 */
export class RegistryClient extends PlatformClient {
  /**
   * `GET /api/v1/models?symbol=…[&status=…]`: the symbol's models, newest first, optionally of one status (every
   * page, following `next`).
   * @example
   * const champions = await registry.listModels({ symbol: "XAUUSD", status: "champion" });
   */
  async listModels(query: { readonly symbol: string; readonly status?: ModelStatus }): Promise<ModelRecord[]> {
    const models: ModelRecord[] = [];
    let before: number | null = null;
    do {
      const search = new URLSearchParams({ symbol: query.symbol });
      if (query.status !== undefined) search.set("status", query.status);
      if (before !== null) search.set("before", String(before));
      const page = expectAnswer(await this.http.request("GET", `/api/v1/models?${search.toString()}`), 200, ModelPageSchema);
      models.push(...page.models);
      if (page.next !== null && before !== null && page.next >= before) {
        throw new PlatformError(PLATFORM_BAD_RESPONSE, `the model list's next page ${page.next} does not move back`, 200);
      }
      before = page.next;
    } while (before !== null);
    return models;
  }

  /**
   * `GET /api/v1/models/{id}/model.onnx`: the model's ONNX bytes.
   * @example
   * const bytes = await registry.downloadModel(champion.id);
   */
  async downloadModel(id: ModelId): Promise<Uint8Array> {
    const answer = await this.http.request("GET", `${modelPath(id)}/${MODEL_FILE_NAME}`);
    if (answer.status !== 200) throw errorOf(answer);
    return answer.body;
  }

  /**
   * `POST /api/v1/models` (multipart: `manifest` = the manifest JSON, `model` = model.onnx): registers a trained
   * model and returns its record (201). A retried upload the registry had already taken answers with its refusal
   * (a version is unique), never a second copy.
   * @example
   * const record = await registry.uploadModel(manifest, readFileSync("model.onnx"));
   */
  async uploadModel(manifest: ModelManifest, onnx: Uint8Array): Promise<ModelRecord> {
    const manifestJson = JSON.stringify(manifest);
    const answer = await this.http.request("POST", "/api/v1/models", () => {
      const form = new FormData();
      form.set("manifest", manifestJson);
      form.set("model", new Blob([onnx], { type: "application/octet-stream" }), MODEL_FILE_NAME);
      return form;
    });
    return expectAnswer(answer, 201, ModelUploadedSchema).model;
  }

  /**
   * `POST /api/v1/models/{id}/deploy`: asks the promotion gate to make the model its symbol's champion. A refusal
   * (409 `PROMOTION_REFUSED` with `details.decision`) is an answer, returned as `deployed: false`; other failures
   * throw a {@link PlatformError}.
   * @example
   * const outcome = await registry.deployModel(record.id);
   * if (!outcome.deployed) console.log(outcome.decision.refusals.map((r) => r.code));
   */
  async deployModel(id: ModelId, request: Partial<DeployRequest> = {}): Promise<DeployOutcome> {
    const body = JSON.stringify(request);
    const answer = await this.http.request("POST", `${modelPath(id)}/deploy`, () => body);
    if (answer.status === 409) {
      const error = errorOf(answer);
      const refused = z.object({ decision: PromotionDecisionSchema }).safeParse(error.details);
      if (error.code === "PROMOTION_REFUSED" && refused.success) {
        return { deployed: false, decision: refused.data.decision, message: error.message };
      }
      throw error;
    }
    const { model, decision } = expectAnswer(answer, 200, DeployedSchema);
    return { deployed: true, model, decision };
  }
}

function modelPath(id: ModelId): string {
  return `/api/v1/models/${id}`;
}
