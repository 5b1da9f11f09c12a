/**
 * The dashboard in a real browser (Debian's Chromium, driven by playwright-core) against the real `npm start` with
 * the demo replay: log in, watch a bar arrive live after ticks are ingested, read the trade list, trigger and reset
 * the emergency stop, deploy a model, see that a viewer gets no controls, and take a screenshot of every page at
 * desktop and phone widths into test-output/screenshots/. No page may request another origin or log an error.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, logInThroughForm, platformContext, VIEWPORTS, waitForAttribute, waitForText } from "../../scripts/lib/browser.js";
import { localAdminToken, readDevVars } from "../../scripts/lib/dev-vars.js";
import { REGISTRY_MODEL_BASE64 } from "../fixtures/models/registry-bytes.js";
import registryManifest from "../fixtures/models/registry-manifest.json";
import { startPlatform, stopPlatform, type RunningPlatform } from "../support/node/platform-process.js";

const SCREENSHOTS = join("test-output", "screenshots");
const persistDir = mkdtempSync(join(tmpdir(), "aurum-browser-"));
let platform: RunningPlatform;
let browser: Browser;
let adminToken: string;
const admin = { username: "", password: "" };
const foreign: string[] = [];
const errors: string[] = [];

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${adminToken}`);
  if (init.body !== undefined) headers.set("content-type", "application/json");
  const response = await fetch(`${platform.baseUrl}${path}`, { ...init, headers });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path} answered ${response.status}: ${text}`);
  return (text === "" ? null : JSON.parse(text)) as T;
}

async function loggedInPage(viewport: { width: number; height: number } = VIEWPORTS.desktop, user = admin): Promise<Page> {
  const { context, foreignRequests, pageErrors } = await platformContext(browser, platform.baseUrl, viewport);
  const page = await context.newPage();
  await logInThroughForm(page, user.username, user.password);
  // Collected for the assertions at the end of the file.
  context.on("close", () => {
    foreign.push(...foreignRequests);
    errors.push(...pageErrors);
  });
  return page;
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  platform = await startPlatform({ persistDir, demo: true });
  const vars = readDevVars();
  admin.username = vars.ADMIN_USERNAME ?? "";
  admin.password = vars.ADMIN_PASSWORD ?? "";
  adminToken = await localAdminToken(platform.baseUrl);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (platform) await stopPlatform(platform);
  rmSync(persistDir, { recursive: true, force: true });
});

describe("the dashboard in Chromium", () => {
  it("logs in through the form and shows the overview with the demo replay's account", async () => {
    const page = await loggedInPage();
    expect(await page.locator("h1").innerText()).toBe("Overview");
    const text = await page.locator("main").innerText();
    expect(text).toMatch(/Equity/);
    expect(text).toMatch(/\$[\d,]+\.\d\d/);
    expect(text).toMatch(/XAUUSD/);
    expect(text).toMatch(/\+00:00/);
    await page.context().close();
  });

  it("draws a bar that arrives live after ticks are ingested", async () => {
    const page = await loggedInPage();
    await page.goto("/instruments/XAUUSD");
    await waitForAttribute(page, "#live-chart", "data-live-socket", "connected", 30_000);
    const status = await api<{ instruments: { symbol: string; lastTick: { ts: number; bid: number; ask: number } | null }[] }>("/api/v1/market/status");
    const last = status.instruments.find((i) => i.symbol === "XAUUSD")?.lastTick;
    if (!last) throw new Error("the demo replay left no XAUUSD tick");
    const minuteMs = 60_000;
    const nextMinute = Math.floor(last.ts / minuteMs) * minuteMs + minuteMs;
    const tick = (ts: number, bid: number) => ({ ts, bid, ask: Math.round((bid + 0.25) * 100) / 100, volume: 1 });
    // The first tick opens a new minute (closing the demo's last bar); the second closes that new bar.
    await api("/api/v1/data/ingest", { method: "POST", body: JSON.stringify({ symbol: "XAUUSD", ticks: [tick(nextMinute + 5_000, last.bid + 1)] }) });
    await waitForAttribute(page, "#live-chart", "data-live-last-tick-ts", String(nextMinute + 5_000), 10_000);
    await api("/api/v1/data/ingest", { method: "POST", body: JSON.stringify({ symbol: "XAUUSD", ticks: [tick(nextMinute + minuteMs + 1_000, last.bid + 2)] }) });
    await waitForAttribute(page, "#live-chart", "data-live-last-bar-ts", String(nextMinute), 10_000);
    await page.context().close();
  });

  it("opens the trade list with the demo replay's trades and filters it", async () => {
    const page = await loggedInPage();
    await page.goto("/trades");
    const rows = page.locator("#trade-table tbody tr");
    expect(await rows.count()).toBeGreaterThan(1);
    expect(await rows.first().innerText()).toContain("XAUUSD");
    await page.context().close();
  });

  it("triggers the emergency stop and resets it, each after a confirmation", async () => {
    const page = await loggedInPage();
    page.on("dialog", (dialog) => void dialog.accept());
    await page.goto("/risk");
    // The demo replay's ema-cross losses leave the account past its drawdown limit (REDUCING) or ACTIVE; either way
    // the stop halts it and the reset makes it ACTIVE.
    const before = (await page.locator("#trading-state").innerText()).trim();
    expect(["ACTIVE", "REDUCING"]).toContain(before);
    await page.locator("#emergency-stop-reason").fill("browser test: stop");
    await page.locator("#emergency-stop-button").click();
    await waitForText(page, "#trading-state", "HALTED", 10_000);
    const halted = await api<{ state: { tradingState: string } }>("/api/v1/portfolio");
    expect(JSON.stringify(halted)).toContain("HALTED");
    await page.locator("#risk-reset-reason").fill("browser test: reset");
    await page.locator("#risk-reset-button").click();
    await waitForText(page, "#trading-state", "ACTIVE", 10_000);
    await page.context().close();
  });

  it("deploys a model from the models page, after a confirmation", async () => {
    // A second XAUUSD M1 model (the registry fixture: 29 inputs, logistic) beside the demo champion.
    const form = new FormData();
    form.append("manifest", JSON.stringify({ ...registryManifest, version: "browser-test-model" }));
    form.append("model", new Blob([Buffer.from(REGISTRY_MODEL_BASE64.binary, "base64")]), "model.onnx");
    const uploaded = await fetch(`${platform.baseUrl}/api/v1/models`, { method: "POST", headers: { authorization: `Bearer ${adminToken}` }, body: form });
    expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    const { model } = (await uploaded.json()) as { model: { id: number } };

    const page = await loggedInPage();
    page.on("dialog", (dialog) => void dialog.accept());
    await page.goto(`/models/${model.id}`);
    await page.locator("#deploy-reason").fill("browser test: deploy");
    // The demo champion may score better on the gate's terms: the admin forces, which the history records.
    await page.locator("#deploy-force").check();
    await page.getByRole("button", { name: "Deploy as champion" }).click();
    await waitForText(page, "#models-result", "browser-test-model", 15_000);
    const deployments = await api<{ serving: { symbol: string; champion: { version: string } | null }[] }>("/api/v1/models/deployments?symbol=XAUUSD");
    expect(JSON.stringify(deployments)).toContain('"browser-test-model"');
    await page.context().close();
  });
});

describe("every page at desktop and phone widths", () => {
  const PAGES = ["/", "/instruments/XAUUSD", "/trades", "/analytics", "/models", "/tasks", "/system/health", "/backups", "/risk", "/admin/users"];
  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    it(`renders without errors or foreign requests (${name})`, async () => {
      const { context, foreignRequests, pageErrors } = await platformContext(browser, platform.baseUrl, viewport);
      const visitor = await context.newPage();
      await visitor.goto("/login");
      await visitor.screenshot({ path: join(SCREENSHOTS, `login-${name}.png`), fullPage: true });
      await context.close();
      foreign.push(...foreignRequests);
      errors.push(...pageErrors);

      const page = await loggedInPage(viewport);
      for (const path of PAGES) {
        const response = await page.goto(path);
        expect(response?.status(), path).toBe(200);
        if (path.startsWith("/instruments/")) await waitForAttribute(page, "#live-chart", "data-live-socket", "connected", 30_000);
        await page.waitForTimeout(300);
        const file = `${path === "/" ? "overview" : path.slice(1).replace(/\//g, "-")}-${name}.png`;
        await page.screenshot({ path: join(SCREENSHOTS, file), fullPage: true });
        // Nothing wider than the viewport: tables scroll inside their own box.
        const overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        expect(overflow, `${path} overflows the ${name} viewport`).toBeLessThanOrEqual(0);
      }
      await page.context().close();
      expect(foreign).toEqual([]);
      expect(errors).toEqual([]);
    });
  }
});
