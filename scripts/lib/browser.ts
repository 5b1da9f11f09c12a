/**
 * Headless Chromium from Debian, driven by playwright-core, for the browser tests and the tick → browser latency
 * benchmark. Installs the `chromium` package when it is missing (never `npx playwright install`: its downloads
 * are not reachable). Pages may only talk to the platform: any request to another origin fails the page.
 */
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { ensureDebianPackage } from "./debian-package.js";

export const CHROMIUM_PATH = "/usr/bin/chromium";

/** The viewports the screenshots are taken at. */
export const VIEWPORTS = {
  desktop: { width: 1440, height: 900 },
  phone: { width: 390, height: 844 },
} as const;

export async function launchChromium(): Promise<Browser> {
  ensureDebianPackage("chromium", "chromium");
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
}

/**
 * A browser context for `baseUrl` that records every request leaving that origin (there must be none) and every
 * error the page logs.
 */
export async function platformContext(browser: Browser, baseUrl: string, viewport: { width: number; height: number } = VIEWPORTS.desktop): Promise<{ context: BrowserContext; foreignRequests: string[]; pageErrors: string[] }> {
  const context = await browser.newContext({ viewport, baseURL: baseUrl, timezoneId: "Europe/Berlin" });
  const origin = new URL(baseUrl).origin;
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    foreignRequests.push(url);
    return route.abort();
  });
  context.on("page", (page) => watchErrors(page, pageErrors));
  return { context, foreignRequests, pageErrors };
}

function watchErrors(page: Page, errors: string[]): void {
  page.on("pageerror", (error) => errors.push(`${page.url()}: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${page.url()}: console: ${message.text()}`);
  });
}

/** Logs in through the login form and waits for the overview. */
export async function logInThroughForm(page: Page, username: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await Promise.all([page.waitForURL((url) => url.pathname === "/"), page.getByRole("button", { name: "Log in" }).click()]);
}

/**
 * The page's document, typed just enough for the predicates below (this file is type-checked for Node). The
 * predicates are functions, not strings: Playwright would `eval` a string, which the dashboard's CSP forbids. They
 * are serialised into the page, so they reach `document` through globalThis rather than a helper here.
 */
interface PageDocument {
  querySelector(selector: string): { getAttribute(name: string): string | null; textContent: string | null } | null;
}

/** Waits until the element matching `selector` has attribute `name` equal to `value`. */
export async function waitForAttribute(page: Page, selector: string, name: string, value: string, timeoutMs = 10_000): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, attribute, expected]) => (globalThis as unknown as { document: PageDocument }).document.querySelector(sel)?.getAttribute(attribute) === expected,
      [selector, name, value] as const,
      { timeout: timeoutMs },
    );
  } catch (error: unknown) {
    const actual = await page.locator(selector).first().getAttribute(name).catch(() => null);
    throw new Error(`${selector}[${name}] stayed ${JSON.stringify(actual)}, expected ${JSON.stringify(value)}`, { cause: error });
  }
}

/** Waits until the element matching `selector` contains `text`. */
export async function waitForText(page: Page, selector: string, text: string, timeoutMs = 10_000): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, expected]) => ((globalThis as unknown as { document: PageDocument }).document.querySelector(sel)?.textContent ?? "").includes(expected),
      [selector, text] as const,
      { timeout: timeoutMs },
    );
  } catch (error: unknown) {
    const actual = await page.locator(selector).first().textContent().catch(() => null);
    throw new Error(`${selector} says ${JSON.stringify(actual?.trim().slice(0, 200))}, expected it to contain ${JSON.stringify(text)}`, { cause: error });
  }
}
