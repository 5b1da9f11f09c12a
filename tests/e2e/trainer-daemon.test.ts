/**
 * The trainer daemon against the running platform (`npm start` with the demo data and the deployed demo model): a
 * model_training task created over the API is claimed by `npm run trainer -- --once`, trained on the last 20 days of
 * XAUUSD M1 bars, uploaded and completed; its event trail shows the hand-off, the model is in the registry, and a
 * model that passed the promotion gate has its model_deploy follow-up task.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BarsResponseSchema } from "../../core/schemas/market-data.js";
import { ModelPageSchema } from "../../core/schemas/registry.js";
import { TaskDetailSchema, TaskLeaseAnswerSchema, TaskPageSchema } from "../../core/schemas/tasks.js";
import { localAdminToken } from "../../scripts/lib/dev-vars.js";
import { startPlatform, stopPlatform, type RunningPlatform } from "../support/node/platform-process.js";

const DAY_MS = 86_400_000;
const persistDir = mkdtempSync(join(tmpdir(), "aurum-e2e-trainer-"));
const outDir = mkdtempSync(join(tmpdir(), "aurum-e2e-trainer-out-"));
let platform: RunningPlatform | undefined;

afterAll(async () => {
  if (platform) await stopPlatform(platform);
  rmSync(persistDir, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
});

interface Run {
  readonly status: number | null;
  readonly output: string;
}

/** `npm run trainer -- <args>` from the repository root, as a user runs it. */
function runTrainer(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "trainer", "--", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output }));
  });
}

describe("npm run trainer against the running platform", () => {
  it("claims the training task, trains, uploads and completes it, with its event trail and follow-up", async () => {
    platform = await startPlatform({ persistDir, demo: true });
    const { baseUrl } = platform;
    const admin = { authorization: `Bearer ${await localAdminToken(baseUrl)}`, "content-type": "application/json" };

    const keyAnswer = await fetch(`${baseUrl}/api/v1/api-keys`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name: "e2e trainer", role: "trader", scopes: ["read", "models"] }),
    });
    expect(keyAnswer.status).toBe(201);
    const { key } = (await keyAnswer.json()) as { key: string };

    const newest = await fetch(`${baseUrl}/api/v1/market/data?symbol=XAUUSD&timeframe=M1&limit=1`, { headers: admin });
    const lastBarMs = BarsResponseSchema.parse(await newest.json()).bars.at(-1)?.ts;
    if (lastBarMs === undefined) throw new Error("the demo data has no bars");
    const fromMs = lastBarMs - 20 * DAY_MS;

    const created = await fetch(`${baseUrl}/api/v1/tasks`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({
        type: "model_training",
        priority: 9,
        payload: { symbol: "XAUUSD", model: "logistic", trials: 1, fromMs, reason: "e2e trainer daemon" },
      }),
    });
    expect(created.status).toBe(201);
    const { task } = TaskLeaseAnswerSchema.parse(await created.json());
    expect(task.status).toBe("queued");

    const run = await runTrainer(["--url", baseUrl, "--key", key, "--once", "--heartbeat-ms", "2000", "--out", outDir]);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain(`trainer: ${task.id}: claimed`);
    expect(run.output).toMatch(new RegExp(`trainer: ${task.id}: completed: model \\d+ version XAUUSD-M1-`));

    const detail = await fetch(`${baseUrl}/api/v1/tasks/${task.id}`, { headers: admin });
    expect(detail.status).toBe(200);
    const { task: done, events } = TaskDetailSchema.parse(await detail.json());
    expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
    const result = done.result as { modelId: number; version: string; summary: Record<string, unknown>; promotion: { promote: boolean; code: string } };
    expect(result.modelId).toBeGreaterThan(0);
    expect(result.summary).toMatchObject({ symbol: "XAUUSD", modelKind: "logistic", trials: 1, data: { fromMs: expect.any(Number) } });
    expect((result.summary.data as { fromMs: number }).fromMs).toBeGreaterThanOrEqual(fromMs);
    const kinds = events.map((event) => event.kind).join(" ");
    expect(kinds).toMatch(/^created queued claimed( heartbeat)* succeeded( follow_up)?$/);
    const claimed = events.find((event) => event.kind === "claimed");
    expect(claimed?.actor).toMatch(/^trainer:/);

    const models = await fetch(`${baseUrl}/api/v1/models?symbol=XAUUSD`, { headers: admin });
    const uploaded = ModelPageSchema.parse(await models.json()).models.find((model) => model.id === result.modelId);
    expect(uploaded).toMatchObject({ version: result.version, modelKind: "logistic", symbol: "XAUUSD" });

    const deploys = await fetch(`${baseUrl}/api/v1/tasks?type=model_deploy&limit=500`, { headers: admin });
    const followUps = TaskPageSchema.parse(await deploys.json()).tasks.filter((candidate) => candidate.parentTaskId === task.id);
    if (result.promotion.promote) {
      expect(followUps).toHaveLength(1);
      expect(followUps[0]?.payload).toMatchObject({ modelId: result.modelId });
      expect(kinds.endsWith("follow_up")).toBe(true);
    } else {
      expect(followUps).toEqual([]);
    }
  });
});
