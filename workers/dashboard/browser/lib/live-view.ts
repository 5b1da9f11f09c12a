/** Shared by the live pages: reading the page's live config, and writing times, ages and freshness badges the way the server renders them. */
import { formatAge, formatUtc } from "../../../../core/display/format.js";
import { LIVE_CONFIG_ELEMENT_ID, LivePageConfigSchema, type LivePageConfig } from "../../../../core/live/page-config.js";
import { FRESHNESS_BADGES, type LiveJudgement } from "../../../../core/live/staleness.js";

/** The page's `<script type="application/json" id="live-config">`, validated; null (and a console error) when absent or broken. */
export function readLiveConfig(): LivePageConfig | null {
  const element = document.getElementById(LIVE_CONFIG_ELEMENT_ID);
  if (element === null) return null;
  try {
    return LivePageConfigSchema.parse(JSON.parse(element.textContent ?? ""));
  } catch (error: unknown) {
    console.error("the live config of this page is not valid", error);
    return null;
  }
}

/** Shows a freshness judgement in a badge element: the same words and tone as the server's badge, the reason as its title. */
export function showFreshness(element: HTMLElement, judgement: LiveJudgement): void {
  const badge = FRESHNESS_BADGES[judgement.status];
  const className = `badge badge-${badge.tone}`;
  if (element.className !== className) element.className = className;
  setText(element, badge.label);
  if (element.title !== judgement.reason) element.title = judgement.reason;
  element.dataset["status"] = judgement.status;
}

/** Replaces an element's content with a UTC time, as the server's `<Time>` renders it. */
export function showTime(element: HTMLElement, tsMs: number): void {
  const time = document.createElement("time");
  time.dateTime = new Date(tsMs).toISOString();
  time.textContent = formatUtc(tsMs);
  element.replaceChildren(time);
}

/** Replaces an element's content with a live age ("12 s ago"), which the shared script keeps current. */
export function showAge(element: HTMLElement, tsMs: number, nowMs: number): void {
  const time = document.createElement("time");
  time.dateTime = new Date(tsMs).toISOString();
  time.dataset["ageMs"] = String(tsMs);
  time.title = formatUtc(tsMs);
  time.textContent = formatAge(tsMs, nowMs);
  element.replaceChildren(time);
}

/** Sets an element's text if it differs (no needless layout work at tick rate). */
export function setText(element: Element | null, text: string): void {
  if (element !== null && element.textContent !== text) element.textContent = text;
}
