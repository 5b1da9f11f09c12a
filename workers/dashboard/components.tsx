/** Small building blocks every dashboard page uses: values with units, UTC times, panels, errors, tables, badges. */
import type { Child } from "hono/jsx";
import { formatAge, formatNumber, formatPercent, formatUsd, formatUtc, toneOf } from "../../core/display/format.js";
import type { ApiFailure, ApiResult } from "./api-client.js";

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

/** An API failure shown where its data would have been: code, message and the request id to quote. */
export function ApiError(props: { failure: ApiFailure; what?: string }) {
  const { error, status } = props.failure;
  return (
    <div class="alert alert-bad" role="alert">
      <strong>{props.what ? `Could not load ${props.what}` : "Request failed"}</strong>: {error.message}{" "}
      <span class="muted">
        ({status} {error.code}
        {error.requestId ? `, request ${error.requestId}` : ""})
      </span>
    </div>
  );
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

/**
 * A lowercase, dash-separated id from a title.
 * @example slug("Open positions") // "open-positions"
 */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
