/**
 * The Models page against the real registry (D1, R2, onnxruntime-web, the InstrumentDO): the registry, what each
 * instrument serves and a model's detail; deploy, gate refusal and the admin's force, shadow, unshadow and rollback
 * driven through the page's own htmx actions and checked through the API; live scores once served signals are
 * scored; a viewer sees no control and is refused every action.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { formatNumber } from "../../core/display/format.js";
import type { ModelManifest } from "../../core/ml/manifest.js";
import type { DeploymentEvent, ModelRecord } from "../../core/schemas/registry.js";
import type { ServingState } from "../../core/schemas/serving.js";
import { DECLARED_ACCESS } from "../../workers/http/access.js";
import { getPage, htmxPost, logInAs, textOf, type Browser } from "./dashboard-support.js";
import { createApiKey, freshState } from "./fresh-state.js";
import { call, postJson, type As } from "./http.js";
import { BINARY_29, manifest, successor } from "./registry-fixtures.js";
import { replaySignalBars } from "./signal-fixture-model.js";

beforeEach(freshState);

const traderKey = async (): Promise<As> => ({ headers: { "x-api-key": (await createApiKey("trader", ["read", "models"], "models page test")).key } });

async function upload(m: ModelManifest, as: As): Promise<ModelRecord> {
  const form = new FormData();
  form.append("manifest", JSON.stringify(m));
  form.append("model", new File([BINARY_29], "model.onnx", { type: "application/octet-stream" }));
  const response = await call("/api/v1/models", { method: "POST", body: form }, as);
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { model: ModelRecord }).model;
}

async function deployByApi(id: number, as: As): Promise<void> {
  const response = await postJson(`/api/v1/models/${id}/deploy`, {}, as);
  expect(response.status, await response.clone().text()).toBe(200);
}

async function deployments(as: As): Promise<DeploymentEvent[]> {
  const response = await call("/api/v1/models/deployments?symbol=XAUUSD", {}, as);
  expect(response.status).toBe(200);
  return ((await response.json()) as { events: DeploymentEvent[] }).events;
}

function servingState(): Promise<ServingState | null> {
  return env.INSTRUMENT_DO.get(env.INSTRUMENT_DO.idFromName("XAUUSD")).servingState();
}

async function page(browser: Browser, path: string, options: { htmx?: boolean } = {}): Promise<{ html: string; text: string }> {
  const answer = await getPage(browser, path, options);
  expect(answer.status, answer.html.slice(0, 500)).toBe(200);
  return { html: answer.html, text: textOf(answer.html) };
}

describe("reading the registry", () => {
  it("shows a viewer the registry, what each instrument serves and a model's detail, without a single control", async () => {
    const as = await traderKey();
    const v1 = await upload(manifest("v1"), as);
    await upload(manifest("v2"), as);
    await deployByApi(v1.id, as);
    const viewer = await logInAs("viewer");

    const list = await page(viewer, "/models");
    expect(list.text).toContain("Serving now");
    expect(list.text).toMatch(/XAUUSD v1 held-out 0\.6800 nats/);
    expect(list.text).toMatch(/v2 #\d+ XAUUSD logistic · M1 registered 0\.6800 nats \+0\.0131 nats 54\.00 % 0\.550 2,800/);
    expect(list.text).toMatch(/deploy v1 none PROMOTE/);
    expect(list.html).toContain(`href="/models/${v1.id}"`);
    expect(list.html).not.toContain('hx-post="/models');

    const detail = await page(viewer, `/models/${v1.id}`);
    expect(detail.text).toContain("Model XAUUSD v1");
    expect(detail.text).toMatch(/Log-loss \(lower is better\) 0\.6800 nats — 0\.6931 nats/);
    expect(detail.text).toContain("Walk-forward folds");
    expect(detail.text).toMatch(/Trained on 2026-01-05 00:00 \+00:00 to 2026-02-20 12:00 \+00:00 \(16,500 labelled rows\)/);
    expect(detail.text).toContain("l2 0.0001");
    // Trained on the platform's feature spec, so its 29 inputs are named.
    expect(detail.text).toContain("The 29 input features of xau-m1-core v1");
    expect(detail.text).toContain("dist_ema20_atr");
    expect(detail.html).not.toContain('hx-post="/models');
  });

  it("draws the manifest's feature importance, largest first, and no panel for a manifest without it", async () => {
    const as = await traderKey();
    const ranked = manifest("ranked", (m) => {
      m.featureImportance = {
        method: "gain",
        features: [
          { feature: "dist_ema20_atr", importance: 30, share: 0.6 },
          { feature: "rsi_14", importance: 15, share: 0.3 },
          { feature: "natr_pct", importance: 5, share: 0.1 },
        ],
      };
    });
    const withImportance = await upload(ranked, as);
    const without = await upload(manifest("plain"), as);
    const viewer = await logInAs("viewer");
    const detail = await page(viewer, `/models/${withImportance.id}`);
    expect(detail.text).toContain("Feature importance");
    expect(detail.text).toMatch(/share of the final trees' total split gain per input, largest first/);
    expect(detail.text).toMatch(/dist_ema20_atr 60\.0 % rsi_14 30\.0 % natr_pct 10\.0 %/);
    expect(detail.html).toContain('style="left:0;width:50.00%"');
    expect((await page(viewer, `/models/${without.id}`)).text).not.toContain("Feature importance");
  });

  it("pages and filters the registry, and explains an empty result", async () => {
    const as = await traderKey();
    const v1 = await upload(manifest("v1"), as);
    const v2 = await upload(manifest("v2"), as);
    await deployByApi(v1.id, as);
    const viewer = await logInAs("viewer");
    const older = await page(viewer, `/models?before=${v2.id}`);
    expect(older.text).toMatch(/Champion since v1 #/);
    expect(older.html).toContain('href="/models">Newest models</a>');
    expect(older.html).not.toContain("Older models");
    const champions = await page(viewer, "/models/registry?status=champion", { htmx: true });
    expect(champions.text).toContain("v1");
    expect(champions.text).not.toContain("v2");
    const retired = await page(viewer, "/models?status=retired&symbol=XAUUSD");
    expect(retired.text).toContain("No models match these filters.");
    expect(retired.html).toContain('<option value="retired" selected="">');
  });

  it("refuses every model action to a viewer with a 403 fragment and changes nothing", async () => {
    const as = await traderKey();
    const v1 = await upload(manifest("v1"), as);
    const viewer = await logInAs("viewer");
    for (const path of [`/models/${v1.id}/deploy`, `/models/${v1.id}/shadow`, `/models/${v1.id}/unshadow`, "/models/rollback"]) {
      const answer = await htmxPost(viewer, path, { symbol: "XAUUSD" });
      expect(answer.status, path).toBe(403);
      expect(textOf(answer.html), path).toBe("This needs the trader role.");
    }
    expect(await deployments(as)).toEqual([]);
    expect((await servingState())?.champion ?? null).toBeNull();
    // Each route is declared under its clean key, with the API's own rule for the actions.
    for (const key of ["GET /models", "GET /models/{id}", "GET /models/{id}/state", "GET /models/serving", "GET /models/registry"]) {
      expect(DECLARED_ACCESS.get(key), key).toEqual({ kind: "page", requirement: { role: "viewer", scope: "read" } });
    }
    for (const key of ["POST /models/{id}/deploy", "POST /models/{id}/shadow", "POST /models/{id}/unshadow", "POST /models/rollback"]) {
      expect(DECLARED_ACCESS.get(key), key).toEqual({ kind: "page", requirement: { role: "trader", scope: "models" } });
    }
  });

  it("answers a model that does not exist with a 404 page", async () => {
    const viewer = await logInAs("viewer");
    const missing = await getPage(viewer, "/models/999");
    expect(missing.status).toBe(404);
    expect(textOf(missing.html)).toContain("Could not load model 999 : no model 999 (404 NOT_FOUND");
  });
});

describe("changing the serving slots through the page", () => {
  it("deploys a model: a notice, the sections reload, and the API serves it", async () => {
    const as = await traderKey();
    const v1 = await upload(manifest("v1"), as);
    const trader = await logInAs("trader");
    const detail = await page(trader, `/models/${v1.id}`);
    expect(detail.html).toContain(`hx-post="/models/${v1.id}/deploy"`);
    expect(detail.html).toContain('hx-confirm="Make v1 the champion of XAUUSD?');
    expect(detail.html).not.toContain('name="force"'); // forcing is for admins

    const answer = await htmxPost(trader, `/models/${v1.id}/deploy`, { reason: "first model" });
    expect(answer.status, answer.html).toBe(200);
    expect(answer.headers.get("hx-trigger")).toBe("models-changed");
    expect(textOf(answer.html)).toMatch(/^XAUUSD now serves v1 as champion \(gate: PROMOTE\)\. No shadow\. Held-out log-loss 0\.6800 nats on 2,800 rows/);

    expect(await servingState()).toMatchObject({ champion: { modelId: v1.id, version: "v1" }, shadow: null });
    expect((await deployments(as))[0]).toMatchObject({ event: "deploy", modelId: v1.id, reason: "first model", actor: trader.username });

    const serving = await page(trader, "/models/serving", { htmx: true });
    expect(serving.html).toContain('hx-trigger="models-changed from:body, every 30s"');
    expect(serving.text).toMatch(/XAUUSD v1 held-out 0\.6800 nats no scored outcomes yet none/);
    expect(serving.text).toContain(`deploy v1 none PROMOTE ${trader.username} first model`);
    const state = await page(trader, `/models/${v1.id}/state`, { htmx: true });
    expect(state.text).toMatch(/Status champion/);
    expect(state.html).not.toContain(`/models/${v1.id}/deploy`);
    expect(state.html).toContain('hx-post="/models/rollback"');
  });

  it("shows the promotion gate's refusal; only an admin is offered the force, which deploys", async () => {
    const as = await traderKey();
    const weak = await upload(manifest("weak", (m) => void (m.metrics.heldOut.logLoss = 0.6931)), as);
    const trader = await logInAs("trader");
    const refused = await htmxPost(trader, `/models/${weak.id}/deploy`, {});
    expect(refused.status).toBe(409);
    const refusedText = textOf(refused.html);
    expect(refusedText).toContain("The promotion gate refused XAUUSD weak: NOT_BETTER_THAN_PRIOR");
    expect(refusedText).toContain("Only an admin can override this refusal.");
    expect(refused.html).not.toContain("Deploy anyway");
    expect(refused.headers.get("hx-trigger")).toBeNull();
    expect((await servingState())?.champion ?? null).toBeNull();

    const admin = await logInAs("admin");
    expect((await page(admin, `/models/${weak.id}`)).html).toContain('name="force"');
    const offered = await htmxPost(admin, `/models/${weak.id}/deploy`, { reason: "" });
    expect(offered.status).toBe(409);
    expect(offered.html).toContain('<input type="hidden" name="force" value="on"/>');
    expect(offered.html).toContain('hx-confirm="Override the promotion gate and make XAUUSD weak the champion anyway?"');
    expect(textOf(offered.html)).toContain("Deploy anyway (force)");

    const forced = await htmxPost(admin, `/models/${weak.id}/deploy`, { force: "on", reason: "accepting a flat model for the demo" });
    expect(forced.status, forced.html).toBe(200);
    expect(textOf(forced.html)).toContain("XAUUSD now serves weak as champion (gate: FORCED, overriding NOT_BETTER_THAN_PRIOR)");
    expect(await servingState()).toMatchObject({ champion: { modelId: weak.id } });
    expect((await deployments(as))[0]).toMatchObject({ event: "force-deploy", reason: "accepting a flat model for the demo", decision: { code: "FORCED" } });
  });

  it("sets and removes a shadow, and reports a refused action with the API's reason", async () => {
    const as = await traderKey();
    const v1 = await upload(manifest("v1"), as);
    const v2 = await upload(manifest("v2"), as);
    await deployByApi(v1.id, as);
    const trader = await logInAs("trader");
    expect((await page(trader, `/models/${v2.id}`)).html).toContain(`hx-post="/models/${v2.id}/shadow"`);

    const shadowed = await htmxPost(trader, `/models/${v2.id}/shadow`);
    expect(shadowed.status, shadowed.html).toBe(200);
    expect(shadowed.headers.get("hx-trigger")).toBe("models-changed");
    expect(textOf(shadowed.html)).toBe("v2 now shadows XAUUSD , scored beside champion v1 without trading.");
    expect(await servingState()).toMatchObject({ champion: { version: "v1" }, shadow: { modelId: v2.id, version: "v2" } });
    const state = await page(trader, `/models/${v2.id}/state`, { htmx: true });
    expect(state.html).toContain(`hx-post="/models/${v2.id}/unshadow"`);
    expect(state.html).not.toContain(`hx-post="/models/${v2.id}/shadow"`);

    const again = await htmxPost(trader, `/models/${v2.id}/shadow`);
    expect(again.status).toBe(409);
    expect(textOf(again.html)).toMatch(new RegExp(`^Could not make model ${v2.id} the shadow : .+ \\(409 CONFLICT, request `));

    const removed = await htmxPost(trader, `/models/${v2.id}/unshadow`);
    expect(removed.status, removed.html).toBe(200);
    expect(textOf(removed.html)).toBe("XAUUSD has no shadow now : v2 is registered.");
    expect(await servingState()).toMatchObject({ champion: { version: "v1" }, shadow: null });
    expect((await deployments(as)).map((e) => [e.event, e.modelVersion])).toEqual([["unshadow", "v2"], ["shadow", "v2"], ["deploy", "v1"]]);
  });

  it("rolls a champion back, and says so when there is nothing to roll back to", async () => {
    const as = await traderKey();
    const v1 = await upload(manifest("v1"), as);
    const v2 = await upload(successor("v2", "v1"), as);
    await deployByApi(v1.id, as);
    await deployByApi(v2.id, as);
    const trader = await logInAs("trader");
    const list = await page(trader, "/models");
    expect(list.html).toContain('hx-confirm="Roll XAUUSD back? Champion v2 is retired and the champion it replaced serves again."');

    const rolled = await htmxPost(trader, "/models/rollback", { symbol: "XAUUSD", reason: "v2 misbehaves live" });
    expect(rolled.status, rolled.html).toBe(200);
    expect(rolled.headers.get("hx-trigger")).toBe("models-changed");
    expect(textOf(rolled.html)).toBe("XAUUSD rolled back: v1 is champion again ; v2 is retired.");
    expect(await servingState()).toMatchObject({ champion: { modelId: v1.id, version: "v1" } });
    expect((await deployments(as))[0]).toMatchObject({ event: "rollback", modelVersion: "v1", replacedModelVersion: "v2", reason: "v2 misbehaves live" });

    const nothing = await htmxPost(trader, "/models/rollback", { symbol: "XAUUSD" });
    expect(nothing.status).toBe(409);
    expect(textOf(nothing.html)).toContain("Could not roll XAUUSD back : XAUUSD M1 has no previous champion to roll back to (409 CONFLICT");
    const bad = await htmxPost(trader, "/models/rollback", { reason: "no symbol" });
    expect(bad.status).toBe(400);
    expect(textOf(bad.html)).toMatch(/^Check the form:/);
  });
});

describe("live scores", () => {
  it("shows the served model's live scores beside its held-out ones once its signals are scored", async () => {
    const as = await traderKey();
    const v1 = await upload(manifest("v1"), as);
    const trader = await logInAs("trader");
    expect((await htmxPost(trader, `/models/${v1.id}/deploy`, {})).status).toBe(200);
    await replaySignalBars(320);

    const performance = (await (await call("/api/v1/signals/XAUUSD/performance", {}, as)).json()) as { models: { modelId: number; outcomes: number; logLoss: number; accuracy: number }[] };
    const live = performance.models.find((m) => m.modelId === v1.id);
    expect(live?.outcomes).toBeGreaterThan(0);
    const logLoss = `${formatNumber(live!.logLoss, 4)} nats`;

    const detail = await page(trader, `/models/${v1.id}`);
    expect(detail.text).toContain(`Log-loss (lower is better) 0.6800 nats ${logLoss} 0.6931 nats`);
    expect(detail.text).toContain(`Rows scored 2,800 ${formatNumber(live!.outcomes, 0)} outcomes`);
    expect(detail.text).toContain("serving as champion");
    const list = await page(trader, "/models");
    expect(list.text).toContain(`${logLoss} (${formatNumber(live!.outcomes, 0)} outcomes)`);
  });
});
