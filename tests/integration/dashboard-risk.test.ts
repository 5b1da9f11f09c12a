/**
 * The risk page through the dashboard's own forms: the emergency stop (traders) and the reset (admins) change the
 * account the API reports and answer the outcome with the new state; the limits editor saves a valid change and
 * shows the API's field errors for an invalid one without changing anything; each role sees exactly the controls
 * the API would let it use, and a refused role's forms change nothing.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Portfolio } from "../../core/schemas/portfolio-api.js";
import type { RiskLimits } from "../../core/schemas/trading.js";
import { getPage, htmxPost, logIn, logInAs, textOf, type Browser } from "./dashboard-support.js";
import { drainOutbox } from "./drain-outbox.js";
import { freshState } from "./fresh-state.js";
import { call } from "./http.js";

beforeEach(freshState);

const account = () => env.ACCOUNT_DO.get(env.ACCOUNT_DO.idFromName("default"));

async function portfolio(): Promise<Portfolio> {
  const response = await call("/api/v1/portfolio");
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

async function limits(): Promise<RiskLimits> {
  const response = await call("/api/v1/risk/limits");
  expect(response.status).toBe(200);
  return response.json();
}

/** The text of the element with `id` (its first closing tag of the same name ends it). */
function textOfId(html: string, id: string): string {
  const match = new RegExp(`<(\\w+)[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  if (!match) throw new Error(`no element #${id}`);
  return textOf(match[2] ?? "");
}

const decode = (value: string): string => value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/** The values a browser would submit from the form with `id`: its inputs and the selected option of each select. */
function formValues(html: string, id: string): Record<string, string> {
  const start = html.indexOf(`id="${id}"`);
  expect(start, `form #${id}`).toBeGreaterThanOrEqual(0);
  const form = html.slice(start, html.indexOf("</form>", start));
  const values: Record<string, string> = {};
  for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
    const name = /\bname="([^"]*)"/.exec(tag)?.[1];
    if (name !== undefined) values[name] = decode(/\bvalue="([^"]*)"/.exec(tag)?.[1] ?? "");
  }
  for (const [, name, options] of form.matchAll(/<select\b[^>]*\bname="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) {
    values[name!] = decode(/<option value="([^"]*)"[^>]*\bselected/.exec(options ?? "")?.[1] ?? "");
  }
  return values;
}

const has = (html: string, id: string): boolean => html.includes(`id="${id}"`);

async function riskPage(browser: Browser): Promise<string> {
  const page = await getPage(browser, "/risk");
  expect(page.status, page.html).toBe(200);
  return page.html;
}

describe("emergency stop and reset", () => {
  it("stops trading from the page, shows the outcome and the halted state; an admin's reset resumes it", async () => {
    const trader = await logInAs("trader");
    const before = await riskPage(trader);
    expect(textOfId(before, "trading-state")).toBe("ACTIVE");
    expect(has(before, "emergency-stop-button")).toBe(true);
    expect(has(before, "emergency-stop-reason")).toBe(true);
    expect(before).toContain("hx-confirm=");

    const stop = await htmxPost(trader, "/risk/emergency-stop", { reason: "dashboard drill" }, { currentUrl: "/risk" });
    expect(stop.status, stop.html).toBe(200);
    expect(stop.headers.get("hx-trigger")).toBe("risk-changed");
    const stopText = textOf(stop.html);
    expect(stopText).toContain("Emergency stop: trading is HALTED");
    expect(stopText).toMatch(/Told to drop their orders and flatten on their next tick: [A-Z]{6}/);
    expect(stopText).toContain("Every trading instrument was reached.");
    // The state rides along out of band, so the page shows HALTED without waiting for its refresh.
    expect(stop.html).toMatch(/<div id="risk-state"[^>]*hx-swap-oob="true"/);
    expect(textOfId(stop.html, "trading-state")).toBe("HALTED");
    expect(stopText).toContain("dashboard drill (by");

    const halted = await portfolio();
    expect(halted.tradingState).toBe("HALTED");
    expect(halted.stateReason).toMatch(/^dashboard drill \(by /);

    // A trader may stop but not resume: no reset control, and its reset is refused with nothing changed.
    expect(has(stop.html, "risk-reset-button")).toBe(false);
    const refused = await htmxPost(trader, "/risk/reset", { reason: "not mine to lift" });
    expect(refused.status).toBe(403);
    expect(textOf(refused.html)).toContain("This needs the admin role.");
    expect((await portfolio()).tradingState).toBe("HALTED");

    const admin = await logIn();
    const adminPage = await riskPage(admin);
    expect(textOfId(adminPage, "trading-state")).toBe("HALTED");
    expect(has(adminPage, "risk-reset-button")).toBe(true);
    expect(has(adminPage, "risk-reset-reason")).toBe(true);
    const reset = await htmxPost(admin, "/risk/reset", { reason: "drill over" }, { currentUrl: "/risk" });
    expect(reset.status, reset.html).toBe(200);
    expect(textOf(reset.html)).toContain("Trading is ACTIVE again");
    expect(textOfId(reset.html, "trading-state")).toBe("ACTIVE");
    expect((await portfolio()).tradingState).toBe("ACTIVE");
  });

  it("refuses a stop without a reason on the page and leaves the account trading", async () => {
    const trader = await logInAs("trader");
    const answer = await htmxPost(trader, "/risk/emergency-stop", { reason: "   " });
    expect(answer.status).toBe(400);
    expect(textOf(answer.html)).toContain("Give a reason for the emergency stop");
    expect(textOfId(answer.html, "trading-state")).toBe("ACTIVE");
    expect((await portfolio()).tradingState).toBe("ACTIVE");
  });

  it("lists the stop among the risk alerts once the account's outbox reached D1", async () => {
    const admin = await logIn();
    expect((await htmxPost(admin, "/risk/emergency-stop", { reason: "alert drill" })).status).toBe(200);
    await drainOutbox(account(), () => account().outboxPending());
    const critical = await getPage(admin, "/risk/alerts?severity=critical", { htmx: true });
    expect(critical.status).toBe(200);
    expect(critical.html).toMatch(/^<div id="risk-alerts"/);
    const text = textOf(critical.html);
    expect(text).toContain("emergency-stop");
    expect(text).toContain("emergency stop: alert drill");
    const resets = await getPage(admin, "/risk/alerts?kind=reset", { htmx: true });
    expect(textOf(resets.html)).toContain("No risk alerts match these filters.");
    // The whole page shows them too.
    expect(textOf(await riskPage(admin))).toContain("emergency stop: alert drill");
  });
});

describe("limits editor", () => {
  it("shows every limit with its unit, prefilled, and saves a valid change", async () => {
    const admin = await logIn();
    const page = await riskPage(admin);
    const form = formValues(page, "risk-limits-form");
    const current = await limits();
    expect(form).toMatchObject({
      "sizing.kind": "fixed-lots",
      "sizing.lots": String((current.sizing as { lots: number }).lots),
      "lots.lotStep": String(current.lots.lotStep),
      maxPositionsPerSymbol: String(current.maxPositionsPerSymbol),
      maxNotionalUsd: String(current.maxNotionalUsd),
      maxDailyLossPct: String(current.maxDailyLossPct),
      maxVarPct: "",
    });
    const pageText = textOf(page);
    for (const label of ["Open notional (USD)", "Daily loss (%)", "Cooldown length (min)", "Largest order (lots)", "VaR limit (% of equity)"]) expect(pageText).toContain(label);
    // Everyone sees the limits in force, with units.
    expect(pageText).toContain("Fixed lots: 1 lot per order");
    expect(pageText).toContain("Open per instrument 1 position");
    expect(pageText).toContain("$5,000,000.00");

    const saved = await htmxPost(admin, "/risk/limits", { ...form, maxPositionsPerSymbol: "2", maxVarPct: "3.5" });
    expect(saved.status, saved.html).toBe(200);
    expect(textOf(saved.html)).toContain("Limits saved");
    expect(saved.html).toMatch(/<div id="risk-limits-view" hx-swap-oob="true"/);
    expect(await limits()).toEqual({ ...current, maxPositionsPerSymbol: 2, maxVarPct: 3.5 });
    expect(formValues(saved.html, "risk-limits-form")).toMatchObject({ maxPositionsPerSymbol: "2", maxVarPct: "3.5" });
  });

  it("shows the API's field errors next to the fields and changes nothing", async () => {
    const admin = await logIn();
    const form = formValues(await riskPage(admin), "risk-limits-form");
    const before = await limits();
    const refused = await htmxPost(admin, "/risk/limits", { ...form, maxDailyLossPct: "150", leverage: "lots" });
    expect(refused.status, refused.html).toBe(400);
    expect(textOf(refused.html)).toContain("The API refused the limits (2 problems, shown next to the fields). Nothing was changed.");
    expect(refused.html).toContain('id="limit-maxDailyLossPct-error"');
    expect(refused.html).toContain('id="limit-leverage-error"');
    expect(textOfId(refused.html, "limit-maxDailyLossPct-error")).toMatch(/100/);
    expect(refused.html).toMatch(/id="limit-maxDailyLossPct"[^>]*aria-invalid="true"/);
    // The typed values stay in the form to be corrected.
    expect(formValues(refused.html, "risk-limits-form")).toMatchObject({ maxDailyLossPct: "150", leverage: "lots" });
    expect(await limits()).toEqual(before);
  });
});

describe("role-aware controls", () => {
  it("shows a viewer the state, limits and alerts but no controls, and refuses its forms", async () => {
    const viewer = await logInAs("viewer");
    const page = await riskPage(viewer);
    expect(textOfId(page, "trading-state")).toBe("ACTIVE");
    expect(textOf(page)).toContain("Limits in force");
    expect(textOf(page)).toContain("Risk alerts");
    for (const id of ["emergency-stop-button", "emergency-stop-reason", "risk-reset-button", "risk-reset-reason", "risk-limits-form", "risk-controls"]) {
      expect(has(page, id), id).toBe(false);
    }
    const before = await limits();
    for (const [path, form] of [
      ["/risk/emergency-stop", { reason: "viewer tries" }],
      ["/risk/reset", { reason: "viewer tries" }],
      ["/risk/limits", { maxPositionsPerSymbol: "9" }],
    ] as const) {
      const answer = await htmxPost(viewer, path, form);
      expect(answer.status, path).toBe(403);
    }
    expect((await portfolio()).tradingState).toBe("ACTIVE");
    expect(await limits()).toEqual(before);
  });

  it("shows a trader the stop but neither the reset nor the limits editor", async () => {
    const trader = await logInAs("trader");
    const page = await riskPage(trader);
    expect(has(page, "emergency-stop-button")).toBe(true);
    expect(has(page, "risk-reset-button")).toBe(false);
    expect(has(page, "risk-limits-form")).toBe(false);
    const answer = await htmxPost(trader, "/risk/limits", { maxPositionsPerSymbol: "9" });
    expect(answer.status).toBe(403);
  });

  it("refreshes the state section as a fragment", async () => {
    const viewer = await logInAs("viewer");
    const fragment = await getPage(viewer, "/risk/state", { htmx: true });
    expect(fragment.status).toBe(200);
    expect(fragment.html).toMatch(/^<div id="risk-state"[^>]*hx-trigger="every 10s"/);
    expect(fragment.html).not.toContain("hx-swap-oob");
    const text = textOf(fragment.html);
    expect(text).toContain("Equity");
    expect(text).toContain("Drawdown below peak");
    expect(text).toContain("Historical VaR 99 %");
    expect(text).toContain("No open positions: nothing is at risk.");
  });
});
