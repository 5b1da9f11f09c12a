/**
 * The page frame: document head (our own CSS and scripts only — no CDN, no inline script), the navigation the
 * visitor's role may open, who is logged in, the UTC clock, and a live region for notices.
 */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { formatUtc } from "../../core/display/format.js";
import type { Principal } from "../auth/roles.js";
import { allows } from "../http/access.js";

/** The pages in the navigation, in order; each shows only when its declared access admits the visitor. */
export const NAV_PAGES: readonly { readonly id: string; readonly href: string; readonly label: string; readonly key: string }[] = [
  { id: "overview", href: "/", label: "Overview", key: "GET /" },
  { id: "trades", href: "/trades", label: "Trades", key: "GET /trades" },
  { id: "analytics", href: "/analytics", label: "Analytics", key: "GET /analytics" },
  { id: "models", href: "/models", label: "Models", key: "GET /models" },
  { id: "tasks", href: "/tasks", label: "Tasks", key: "GET /tasks" },
  { id: "health", href: "/system/health", label: "Health", key: "GET /system/health" },
  { id: "backups", href: "/backups", label: "Backups", key: "GET /backups" },
  { id: "risk", href: "/risk", label: "Risk", key: "GET /risk" },
  { id: "users", href: "/admin/users", label: "Users & keys", key: "GET /admin/users" },
];

export interface LayoutProps {
  readonly title: string;
  /** The NAV_PAGES id (or "instrument:<SYMBOL>") of the current page. */
  readonly active: string;
  readonly principal: Principal | undefined;
  readonly symbols: readonly string[];
  readonly nowMs: number;
  /** Browser scripts this page needs besides the shared one, e.g. "/app/instrument.js". */
  readonly scripts?: readonly string[];
  readonly children: Child;
}

export function Document(props: { title: string; scripts?: readonly string[]; bodyAttrs?: Record<string, string>; children: Child }) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="dark" />
          <title>{`${props.title} · Aurum Edge`}</title>
          <link rel="stylesheet" href="/css/dashboard.css" />
          <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
          <script src="/vendor/htmx.org/htmx.min.js" defer></script>
          <script src="/app/dashboard.js" type="module"></script>
          {(props.scripts ?? []).map((src) => (
            <script src={src} type="module"></script>
          ))}
        </head>
        <body {...(props.bodyAttrs ?? {})}>{props.children}</body>
      </html>
    </>
  );
}

export function Layout(props: LayoutProps) {
  const principal = props.principal;
  const name = principal?.kind === "user" ? principal.username : principal?.kind === "api-key" ? `key ${principal.prefix}` : "";
  const bodyAttrs: Record<string, string> = {};
  if (principal?.kind === "user") bodyAttrs["data-session-expires-ms"] = String(principal.tokenExpiresAtMs);
  const links = NAV_PAGES.filter((page) => allows(principal, page.key));
  const instrumentLinks = allows(principal, "GET /instruments/{symbol}") ? props.symbols : [];
  return (
    <Document title={props.title} scripts={props.scripts ?? []} bodyAttrs={bodyAttrs}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="/" aria-label="Aurum Edge overview">
          Aurum&nbsp;Edge
        </a>
        <button type="button" class="button nav-toggle" aria-expanded="false" aria-controls="main-nav">
          Menu
        </button>
        <nav id="main-nav" class="nav-menu" aria-label="Main">
            <ul>
              {links.slice(0, 1).map((page) => <NavLink page={page} active={props.active} />)}
              {instrumentLinks.map((symbol) => (
                <li>
                  <a href={`/instruments/${symbol}`} aria-current={props.active === `instrument:${symbol}` ? "page" : undefined}>
                    {symbol}
                  </a>
                </li>
              ))}
              {links.slice(1).map((page) => <NavLink page={page} active={props.active} />)}
            </ul>
        </nav>
        <div class="topbar-right">
          <span class="clock" data-utc-clock aria-label="Current time, UTC">
            {formatUtc(props.nowMs)}
          </span>
          {principal ? (
            <span class="who">
              {name} <span class="badge badge-neutral">{principal.role}</span>
            </span>
          ) : null}
          {principal?.kind === "user" ? (
            <button type="button" class="button button-quiet" hx-post="/logout" hx-swap="none">
              Log out
            </button>
          ) : null}
        </div>
      </header>
      <div id="flash" class="flash" aria-live="polite"></div>
      <main id="main" tabindex={-1}>
        <h1>{props.title}</h1>
        {props.children}
      </main>
      <footer class="footer">
        All times are UTC (+00:00). Amounts in US dollars; prices in the instrument's quote currency. Charts:{" "}
        <a href="https://www.tradingview.com/" rel="noopener noreferrer">
          TradingView Lightweight Charts™
        </a>
        .
      </footer>
    </Document>
  );
}

function NavLink(props: { page: (typeof NAV_PAGES)[number]; active: string }) {
  return (
    <li>
      <a href={props.page.href} aria-current={props.active === props.page.id ? "page" : undefined}>
        {props.page.label}
      </a>
    </li>
  );
}
