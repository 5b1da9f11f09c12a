/**
 * The training hand-off on real D1, R2, Queues and the InstrumentDO: a trainer claims a model_training task under a
 * lease, heartbeats, uploads and completes; the promotion gate's decision goes into the result and a promotable
 * model gets a model_deploy task that the queue runs to a new champion. Lost leases answer 409; failures retry or
 * fail; an expired lease hands the task to the next trainer.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ModelManifest } from "../../core/ml/manifest.js";
import type { ModelRecord } from "../../core/schemas/registry.js";
import type { TaskRecord, TrainingClaim } from "../../core/schemas/tasks.js";
import { createTask, requireTask, sweepTasks } from "../../workers/tasks/task-store.js";
import { REGISTRY_MODEL_BASE64 } from "../fixtures/models/registry-bytes.js";
import registryManifestJson from "../fixtures/models/registry-manifest.json";
import { createApiKey, freshState } from "./fresh-state.js";
import { call, postJson, type As } from "./http.js";
import { childrenOf, eventKinds, settleQueue, waitForStatus } from "./task-support.js";

beforeEach(freshState);
afterEach(() => settleQueue(), 40_000);

const MODEL_BYTES = Uint8Array.from(atob(REGISTRY_MODEL_BASE64.binary), (c) => c.charCodeAt(0));

async function trainer(): Promise<As> {
  return { headers: { "x-api-key": (await createApiKey("trader", ["read", "models"], "trainer daemon")).key } };
}

async function upload(version: string, as: As): Promise<ModelRecord> {
  const manifest = structuredClone(registryManifestJson as ModelManifest);
  manifest.version = version;
  const form = new FormData();
  form.append("manifest", JSON.stringify(manifest));
  form.append("model", new File([MODEL_BYTES], "model.onnx", { type: "application/octet-stream" }));
  const response = await call("/api/v1/models", { method: "POST", body: form }, as);
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { model: ModelRecord }).model;
}

async function trainingTask(payload: Record<string, unknown> = {}): Promise<TaskRecord> {
  return (await createTask(env, { type: "model_training", payload: { symbol: "XAUUSD", ...payload }, createdBy: "test" }, Date.now())).task;
}

async function claim(as: As, worker = "test-trainer", leaseMs = 300_000): Promise<TrainingClaim> {
  const response = await postJson("/api/v1/training/claim", { worker, leaseMs }, as);
  expect(response.status).toBe(200);
  return (await response.json()) as TrainingClaim;
}

describe("the training hand-off", () => {
  it("claim → heartbeat → upload → complete; a promotable model gets a deploy task the queue runs", async () => {
    const as = await trainer();
    expect((await claim(as)).task).toBeNull();
    const low = await trainingTask({ reason: "low priority" });
    const { task: high } = await createTask(env, { type: "model_training", payload: { symbol: "XAUUSD" }, priority: 8, createdBy: "test" }, Date.now());
    const claimed = await claim(as);
    expect(claimed.task).toMatchObject({ id: high.id, status: "running", attempts: 1, leaseOwner: "trainer:test-trainer" });
    const leaseToken = claimed.leaseToken ?? "";

    const beat = await postJson(`/api/v1/training/tasks/${high.id}/heartbeat`, { leaseToken, leaseMs: 600_000, progress: "training" }, as);
    expect(beat.status).toBe(200);
    expect(((await beat.json()) as { task: TaskRecord }).task.leaseExpiresAtMs).toBeGreaterThan(Date.now() + 500_000);
    expect((await postJson(`/api/v1/training/tasks/${high.id}/heartbeat`, { leaseToken: "someone-else" }, as)).status).toBe(409);

    const model = await upload("2026.11.22-handoff", as);
    const body = { leaseToken, modelId: model.id, version: model.version, summary: { rows: 1234 } };
    const completed = await postJson(`/api/v1/training/tasks/${high.id}/complete`, body, as);
    expect(completed.status, await completed.clone().text()).toBe(200);
    const done = ((await completed.json()) as { task: TaskRecord }).task;
    expect(done).toMatchObject({ status: "succeeded", result: { modelId: model.id, version: model.version, summary: { rows: 1234 }, promotion: { promote: true, code: "PROMOTE" } } });
    // Completing again with the same lease (a lost answer, retried) answers the same success.
    const repeated = await postJson(`/api/v1/training/tasks/${high.id}/complete`, body, as);
    expect(repeated.status).toBe(200);
    expect(await eventKinds(high.id)).toEqual(["created", "queued", "claimed", "heartbeat", "succeeded", "follow_up"]);

    const [deploy] = await childrenOf(high.id);
    expect(deploy).toMatchObject({ type: "model_deploy", dedupe_key: `deploy:model:${model.id}` });
    const deployed = await waitForStatus(deploy?.id ?? "", ["succeeded", "failed", "dead"]);
    expect(deployed.status).toBe("succeeded");
    const models = (await (await call("/api/v1/models?symbol=XAUUSD", {}, as)).json()) as { models: ModelRecord[] };
    expect(models.models.find((m) => m.id === model.id)?.status).toBe("champion");
    // The other task is still waiting for a trainer.
    expect((await requireTask(env, low.id)).status).toBe("queued");
  });

  it("records the gate's refusal and creates no deploy task; deploy: false never deploys", async () => {
    const as = await trainer();
    const task = await trainingTask({ deploy: false });
    const claimed = await claim(as);
    const model = await upload("2026.11.22-nodeploy", as);
    const completed = await postJson(`/api/v1/training/tasks/${task.id}/complete`, { leaseToken: claimed.leaseToken, modelId: model.id, version: model.version }, as);
    expect(((await completed.json()) as { task: TaskRecord }).task.result).toMatchObject({ promotion: { promote: true } });
    expect(await childrenOf(task.id)).toEqual([]);
  });

  it("refuses a completion naming another symbol's or version's model (422) and keeps the lease", async () => {
    const as = await trainer();
    const task = await trainingTask();
    const claimed = await claim(as);
    const model = await upload("2026.11.22-mismatch", as);
    const wrong = await postJson(`/api/v1/training/tasks/${task.id}/complete`, { leaseToken: claimed.leaseToken, modelId: model.id, version: "other" }, as);
    expect(wrong.status).toBe(422);
    const missing = await postJson(`/api/v1/training/tasks/${task.id}/complete`, { leaseToken: claimed.leaseToken, modelId: 99_999, version: "x" }, as);
    expect(missing.status).toBe(422);
    expect((await requireTask(env, task.id)).status).toBe("running");
  });

  it("fails: retryable goes back to the queue after its backoff, permanent fails for good", async () => {
    const as = await trainer();
    const retryable = await trainingTask();
    const first = await claim(as);
    const failed = await postJson(`/api/v1/training/tasks/${retryable.id}/fail`, { leaseToken: first.leaseToken, error: "out of memory", retryable: true }, as);
    expect(((await failed.json()) as { task: TaskRecord }).task).toMatchObject({ status: "queued", error: { class: "retryable", willRetry: true, nextDelayS: 1 } });
    expect((await claim(as)).task).toBeNull(); // not due yet
    const permanent = await trainingTask({ reason: "bad" });
    const second = await claim(as);
    expect(second.task?.id).toBe(permanent.id);
    await postJson(`/api/v1/training/tasks/${permanent.id}/fail`, { leaseToken: second.leaseToken, error: "too few bars", retryable: false }, as);
    expect(await requireTask(env, permanent.id)).toMatchObject({ status: "failed", error: { class: "permanent", message: "too few bars" } });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await claim(as)).task?.id).toBe(retryable.id);
  });

  it("an expired lease hands the task to the next trainer; the first one's calls answer 409", async () => {
    const as = await trainer();
    const task = await trainingTask();
    const first = await claim(as, "trainer-a", 30_000);
    // The clock jumps past the lease (trainer-a died without heartbeats).
    await env.DB.prepare("UPDATE tasks SET lease_expires_at_ms = ? WHERE id = ?").bind(Date.now() - 1, task.id).run();
    const report = await sweepTasks(env, Date.now());
    expect(report.requeued).toEqual([task.id]);
    const second = await claim(as, "trainer-b");
    expect(second.task).toMatchObject({ id: task.id, attempts: 2, leaseOwner: "trainer:trainer-b" });
    expect((await postJson(`/api/v1/training/tasks/${task.id}/heartbeat`, { leaseToken: first.leaseToken }, as)).status).toBe(409);
    expect((await postJson(`/api/v1/training/tasks/${task.id}/fail`, { leaseToken: first.leaseToken, error: "late" }, as)).status).toBe(409);
    expect(await eventKinds(task.id)).toEqual(["created", "queued", "claimed", "lease_expired", "claimed"]);
  });

  it("a cancelled task's trainer gets 409 on its next heartbeat", async () => {
    const as = await trainer();
    const task = await trainingTask();
    const claimed = await claim(as);
    const admin = { headers: { "x-api-key": (await createApiKey("admin", ["read"], "admin")).key } };
    expect((await postJson(`/api/v1/tasks/${task.id}/cancel`, { reason: "wrong data" }, admin)).status).toBe(200);
    const beat = await postJson(`/api/v1/training/tasks/${task.id}/heartbeat`, { leaseToken: claimed.leaseToken }, as);
    expect(beat.status).toBe(409);
  });

  it("needs the models scope", async () => {
    const reader = { headers: { "x-api-key": (await createApiKey("trader", ["read"], "no models")).key } };
    expect((await postJson("/api/v1/training/claim", { worker: "w" }, reader)).status).toBe(403);
  });
});
