/**
 * Shared by every dashboard page: htmx set-up (CSRF header on every request, errors swapped in like answers), the
 * session kept alive before its access token expires (one tab renews for all), live ages and the UTC clock, and
 * the phone menu. Bundled to /app/dashboard.js by `npm run vendor`.
 */
import { formatAge, formatUtc } from "../../../core/display/format.js";
import { readCookie } from "./lib/cookies.js";

interface Htmx {
  config: { responseHandling: { code: string; swap: boolean; error?: boolean }[] };
}
declare global {
  interface Window {
    htmx?: Htmx;
  }
}

const CSRF_COOKIE = "aurum_csrf";
/** Renew the access token this long before it expires, ms. */
const RENEW_BEFORE_MS = 90_000;
const EXPIRY_KEY = "aurum:session-expires-ms";

function setUpHtmx(): void {
  const htmx = window.htmx;
  if (htmx) {
    // Swap 4xx/5xx answers too: the dashboard's fragments explain the failure where the result would have gone.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "[45]..", swap: true, error: true },
    ];
  }
  document.body.addEventListener("htmx:configRequest", (event) => {
    const token = readCookie(document.cookie, CSRF_COOKIE);
    const detail = (event as CustomEvent<{ headers: Record<string, string> }>).detail;
    if (token !== undefined) detail.headers["X-CSRF-Token"] = token;
  });
}

/** Renews the session shortly before the access token expires; tabs share the newest expiry through localStorage. */
function keepSessionAlive(): void {
  const initial = Number(document.body.dataset["sessionExpiresMs"]);
  if (!Number.isFinite(initial) || initial <= 0) return;
  const knownExpiry = (): number => Math.max(initial, Number(localStorage.getItem(EXPIRY_KEY) ?? 0));
  const schedule = (): void => {
    const waitMs = Math.max(5_000, knownExpiry() - RENEW_BEFORE_MS - Date.now());
    window.setTimeout(() => void renew(), waitMs);
  };
  const renew = async (): Promise<void> => {
    const attempt = async (): Promise<void> => {
      // Another tab may have renewed while this one waited.
      if (knownExpiry() - Date.now() > RENEW_BEFORE_MS) return;
      const response = await fetch("/auth/refresh", { method: "POST", credentials: "same-origin" });
      if (response.status === 401) {
        window.location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
        return;
      }
      if (!response.ok) return;
      const body = (await response.json()) as { expires_in: number };
      localStorage.setItem(EXPIRY_KEY, String(Date.now() + body.expires_in * 1000));
    };
    try {
      if (navigator.locks) await navigator.locks.request("aurum-session-renewal", attempt);
      else await attempt();
    } catch {
      // Offline or the platform restarting: try again on the next schedule.
    }
    schedule();
  };
  schedule();
}

function tickClocks(): void {
  const nowMs = Date.now();
  for (const element of document.querySelectorAll<HTMLElement>("[data-utc-clock]")) element.textContent = formatUtc(nowMs);
  for (const element of document.querySelectorAll<HTMLElement>("[data-age-ms]")) {
    element.textContent = formatAge(Number(element.dataset["ageMs"]), nowMs);
  }
}

function setUpMenu(): void {
  const toggle = document.querySelector<HTMLButtonElement>(".nav-toggle");
  const menu = document.getElementById("main-nav");
  if (!toggle || !menu) return;
  toggle.addEventListener("click", () => {
    const open = menu.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });
}

setUpHtmx();
keepSessionAlive();
setUpMenu();
tickClocks();
window.setInterval(tickClocks, 1_000);
