/**
 * Small building blocks every dashboard page uses: values with units, UTC times, panels, errors, tables, badges,
 * filter forms and pagers of self-refreshing lists.
 */
import type { Child } from "hono/jsx";
import { z } from "zod";
import { formatAge, formatNumber, formatPercent, formatUsd, formatUtc, toneOf } from "../../core/display/format.js";
import type { TradingState } from "../../core/schemas/account.js";
import type { HealthStatus } from "../../core/schemas/health.js";
import { withQuery, type ApiFailure, type ApiResult, type Query } from "./api-client.js";

/** An instant in UTC with the offset shown; the full ISO form in the machine-readable attribute. */
export function Time(props: { ms: number | null | undefined; seconds?: boolean }) {
  if (props.ms === null || props.ms === undefined) return <span class="muted">—</span>;
  return <time datetime={new Date(props.ms).toISOString()}>{formatUtc(props.ms, { seconds: props.seconds ?? true })}</time>;
}

/** "12 s ago", kept current in the browser (data-age-ms) so a page left open never shows a frozen age. */
export function Age(props: { ms: number | null | undefined; nowMs: number }) {
  if (props.ms === null || props.ms === undefined) return <span class="muted">never</span>;
  return (
    <time datetime={new Date(props.ms).toISOString()} data-age-ms={String(props.ms)} title={formatUtc(props.ms)}>
      {formatAge(props.ms, props.nowMs)}
    </time>
  );
}

/** US dollars, coloured by sign when `signed`. */
export function Usd(props: { usd: number | null | undefined; signed?: boolean }) {
  const text = formatUsd(props.usd, { signed: props.signed ?? false });
  return props.signed ? <span class={`num ${toneOf(props.usd)}`}>{text}</span> : <span class="num">{text}</span>;
}

export function Num(props: { value: number | null | undefined; decimals: number; unit?: string; signed?: boolean }) {
  const text = formatNumber(props.value, props.decimals, { signed: props.signed ?? false });
  return <span class={props.signed ? `num ${toneOf(props.value)}` : "num"}>{props.unit && text !== "—" ? `${text} ${props.unit}` : text}</span>;
}

export function Pct(props: { fraction: number | null | undefined; decimals?: number; signed?: boolean }) {
  const text = formatPercent(props.fraction, props.decimals ?? 2, { signed: props.signed ?? false });
  return <span class={props.signed ? `num ${toneOf(props.fraction)}` : "num"}>{text}</span>;
}

export type Tone = "ok" | "warn" | "bad" | "info" | "neutral";

export function Badge(props: { tone: Tone; children: Child; label?: string }) {
  return (
    <span class={`badge badge-${props.tone}`} {...(props.label ? { "aria-label": props.label } : {})}>
      {props.children}
    </span>
  );
}

/**
 * One value of a closed set (a status, a role) as a badge showing the value, in the tone `tones` gives it.
 * @example <ValueBadge value="failed" tones={{ succeeded: "ok", failed: "bad" }} /> // <span class="badge badge-bad">failed</span>
 */
export function ValueBadge<T extends string>(props: { value: T; tones: Readonly<Record<T, Tone>> }) {
  return <Badge tone={props.tones[props.value]}>{props.value}</Badge>;
}

/** The tone of a health-check status, wherever one is shown. */
export const HEALTH_TONES: Readonly<Record<HealthStatus, Tone>> = { ok: "ok", degraded: "warn", critical: "bad" };
/** The tone of the account's trading state, wherever it is shown. */
export const TRADING_STATE_TONES: Readonly<Record<TradingState, Tone>> = { ACTIVE: "ok", REDUCING: "warn", HALTED: "bad" };

/** A titled section of a page. */
export function Panel(props: { title: string; id?: string; wide?: boolean; actions?: Child; children: Child }) {
  const headingId = `${props.id ?? slug(props.title)}-title`;
  return (
    <section class={props.wide ? "panel panel-wide" : "panel"} id={props.id} aria-labelledby={headingId}>
      <header class="panel-head">
        <h2 id={headingId}>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}

/** One label and value of a summary strip. */
export function Stat(props: { label: string; children: Child; hint?: string }) {
  return (
    <div class="stat">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
      {props.hint ? <dd class="stat-hint">{props.hint}</dd> : null}
    </div>
  );
}

/**
 * A failed API call: `headline` says what failed, then come the API's message (and `detail`, e.g. the fields it
 * names) and the status, code and request id to quote.
 */
export function FailureAlert(props: { failure: ApiFailure; headline: string; detail?: Child }) {
  const { error, status } = props.failure;
  return (
    <div class="alert alert-bad" role="alert">
      <strong>{props.headline}</strong>: {error.message}
      {props.detail}{" "}
      <span class="muted">
        ({status} {error.code}
        {error.requestId ? `, request ${error.requestId}` : ""})
      </span>
    </div>
  );
}

/** An API failure shown where its data would have been: "Could not load {what}", message, code and request id. */
export function ApiError(props: { failure: ApiFailure; what?: string }) {
  return <FailureAlert failure={props.failure} headline={props.what ? `Could not load ${props.what}` : "Request failed"} />;
}

/** An action the API refused or failed, as "Could not {what}" (e.g. "Could not retry task tsk_…"). */
export function ActionFailed(props: { failure: ApiFailure; what: string }) {
  return <FailureAlert failure={props.failure} headline={`Could not ${props.what}`} />;
}

/** A form the API refused, as "{what} refused" (e.g. "Creating the user refused"), with an optional `detail`. */
export function Refused(props: { failure: ApiFailure; what: string; detail?: Child }) {
  return <FailureAlert failure={props.failure} headline={`${props.what} refused`} detail={props.detail} />;
}

const ValidationIssuesSchema = z.array(
  z.object({ path: z.union([z.string(), z.array(z.union([z.string(), z.number()]))]).optional(), message: z.string() }),
);

/**
 * The `{ path, message }` issues an API validation failure carries in its details (a path as dotted text, "" for the
 * whole request); none for any other failure.
 * @example validationIssues(failure) // [{ path: "sizing.lots", message: "Too small: expected number to be >0" }]
 */
export function validationIssues(failure: ApiFailure): { path: string; message: string }[] {
  const parsed = ValidationIssuesSchema.safeParse(failure.error.details);
  if (!parsed.success) return [];
  return parsed.data.map((issue) => ({ path: Array.isArray(issue.path) ? issue.path.join(".") : (issue.path ?? ""), message: issue.message }));
}

/** A 400 answer's fragment for a form that did not parse: every problem, in one line. */
export function FormProblems(props: { error: z.ZodError }) {
  return <Notice tone="bad">Check the form: {props.error.issues.map((issue) => issue.message).join("; ")}</Notice>;
}

/** Renders `ok` with the value of a successful API result, or the failure in its place. */
export function Loaded<T>(props: { result: ApiResult<T>; what: string; ok: (value: T) => Child }) {
  return props.result.ok ? <>{props.ok(props.result.value)}</> : <ApiError failure={props.result} what={props.what} />;
}

/** A notice after an action: what happened, announced to screen readers. */
export function Notice(props: { tone: "ok" | "bad" | "warn"; children: Child }) {
  return (
    <div class={`alert alert-${props.tone}`} role={props.tone === "bad" ? "alert" : "status"}>
      {props.children}
    </div>
  );
}

/** A table that scrolls sideways on a phone instead of squeezing its columns. */
export function Table(props: { caption: string; head: readonly string[]; numeric?: readonly number[]; empty: string; rows: readonly Child[]; id?: string }) {
  const numeric = new Set(props.numeric ?? []);
  return (
    <div class="table-wrap" role="region" aria-label={props.caption} tabindex={0}>
      <table id={props.id}>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.head.map((h, i) => (
              <th scope="col" class={numeric.has(i) ? "num" : undefined}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? (
            <tr>
              <td colspan={props.head.length} class="empty">
                {props.empty}
              </td>
            </tr>
          ) : (
            props.rows
          )}
        </tbody>
      </table>
    </div>
  );
}

/** A labelled form field (label, control, hint) laid out consistently. */
export function Field(props: { label: string; for: string; hint?: string; children: Child }) {
  return (
    <div class="field">
      <label for={props.for}>{props.label}</label>
      {props.children}
      {props.hint ? <small class="hint">{props.hint}</small> : null}
    </div>
  );
}

/** Where the answers of a page's actions (notices, refusals) appear, announced to screen readers; hidden while empty. */
export function ResultRegion(props: { id: string }) {
  return <div id={props.id} class="action-result" aria-live="polite"></div>;
}

/**
 * A labelled filter select whose first option (`any`, e.g. "Any status") means no filter. `value` "" or undefined
 * selects it; a value that is not among the options (it came in a link) still shows, as itself: the API decides
 * whether it matches anything.
 */
export function FilterSelect<T extends string>(props: { label: string; id: string; name: string; value: string | undefined; any: string; options: readonly T[]; optionLabel?: (value: T) => string }) {
  const value = props.value ?? "";
  const known = value === "" || props.options.some((option) => option === value);
  const label = props.optionLabel ?? ((option: T) => option);
  return (
    <Field label={props.label} for={props.id}>
      <select id={props.id} name={props.name}>
        <option value="" selected={value === ""}>
          {props.any}
        </option>
        {props.options.map((option) => (
          <option value={option} selected={option === value}>
            {label(option)}
          </option>
        ))}
        {known ? null : (
          <option value={value} selected>
            {value}
          </option>
        )}
      </select>
    </Field>
  );
}

/**
 * A list that reloads itself as an htmx fragment: the element `#id` the fragment replaces (outerHTML), the page the
 * list is part of (links and forms work without JavaScript), and the route that answers the list alone.
 */
export interface ListFragment {
  readonly id: string;
  readonly page: string;
  readonly fragment: string;
}

/** The filters of a self-refreshing list: each change reloads the list in place; the button is for browsers without JavaScript. */
export function FilterToolbar(props: { list: ListFragment; children: Child }) {
  const { list } = props;
  return (
    <form class="toolbar" method="get" action={list.page} hx-get={list.fragment} hx-target={`#${list.id}`} hx-swap="outerHTML" hx-trigger="change">
      {props.children}
      <noscript>
        <button type="submit" class="button">
          Filter
        </button>
      </noscript>
    </form>
  );
}

/** A link to a page of a self-refreshing list: the whole page without JavaScript, the list's fragment with htmx. */
function ListLink(props: { list: ListFragment; query: Query; class: string; children: Child }) {
  const { list } = props;
  return (
    <a class={props.class} href={withQuery(list.page, props.query)} hx-get={withQuery(list.fragment, props.query)} hx-target={`#${list.id}`} hx-swap="outerHTML">
      {props.children}
    </a>
  );
}

/**
 * The pager of a newest-first, keyset-paged list: "Newest" back to the first page (when not on it) and `older` to
 * the next page, keeping `filters`; `end` stands where the older link would when there is no next page.
 */
export function ListPager(props: {
  list: ListFragment;
  label: string;
  filters: Query;
  /** The query parameter of the keyset cursor, its value on this page, and the next page's (none on the last). */
  cursor: { name: string; current: string | undefined; next: string | null | undefined };
  older: string;
  end?: Child;
}) {
  const { list, filters, cursor } = props;
  return (
    <nav class="pager" aria-label={props.label}>
      {cursor.current ? (
        <ListLink list={list} query={filters} class="button button-quiet">
          Newest
        </ListLink>
      ) : null}
      {cursor.next ? (
        <ListLink list={list} query={{ ...filters, [cursor.name]: cursor.next }} class="button">
          {props.older}
        </ListLink>
      ) : (
        (props.end ?? null)
      )}
    </nav>
  );
}

/**
 * A lowercase, dash-separated id from a title.
 * @example slug("Open positions") // "open-positions"
 */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
