/**
 * /app/overview.js: keeps the overview's data-freshness table live. One stream per instrument moves the bid, ask,
 * spread and last-tick cells on every pushed tick, and the feed badge is judged again every second (core/live/
 * staleness.ts): STALE when the market is open and the newest tick is too old, or when the stream has gone silent.
 * The table's htmx refresh replaces the rows; the newest quote of either source is kept and shown again at once.
 * A live signal makes the signals section reload.
 */
import { formatNumber } from "../../../core/display/format.js";
import type { LiveInstrument, LivePageConfig } from "../../../core/live/page-config.js";
import { judgeLive, socketStateText } from "../../../core/live/staleness.js";
import { spreadPoints } from "../../../core/market/tick.js";
import type { StreamMessage } from "../../../core/schemas/market-data.js";
import { LiveStream } from "./lib/live-stream.js";
import { readLiveConfig, setText, showAge, showFreshness, showTime } from "./lib/live-view.js";

interface Quote {
  readonly ts: number;
  readonly bid: number;
  readonly ask: number;
}

interface Followed {
  readonly instrument: LiveInstrument;
  quote: Quote | null;
  stream: LiveStream | null;
}

const rowOf = (symbol: string): HTMLTableRowElement | null => document.querySelector<HTMLTableRowElement>(`tr[data-live-row="${symbol}"]`);
const cellOf = (row: HTMLElement, name: string): HTMLElement | null => row.querySelector<HTMLElement>(`[data-live="${name}"]`);

/** The quote a server-rendered row shows, or null when it shows none. */
function quoteOfRow(row: HTMLElement | null): Quote | null {
  if (row === null || !row.dataset["lastTickTs"]) return null;
  const quote = { ts: Number(row.dataset["lastTickTs"]), bid: Number(row.dataset["bid"]), ask: Number(row.dataset["ask"]) };
  return Number.isFinite(quote.ts) && Number.isFinite(quote.bid) && Number.isFinite(quote.ask) ? quote : null;
}

const newer = (a: Quote | null, b: Quote | null): Quote | null => (a === null ? b : b === null || a.ts >= b.ts ? a : b);

function showRow(entry: Followed, config: LivePageConfig, nowMs: number): void {
  const row = rowOf(entry.instrument.symbol);
  if (row === null) return;
  const { digits, pointSize } = entry.instrument;
  const quote = entry.quote;
  if (quote !== null && row.dataset["shownTickTs"] !== String(quote.ts)) {
    setText(cellOf(row, "bid"), formatNumber(quote.bid, digits));
    setText(cellOf(row, "ask"), formatNumber(quote.ask, digits));
    setText(cellOf(row, "spread"), `${formatNumber(spreadPoints(quote, pointSize), 1)} points`);
    const lastTick = cellOf(row, "last-tick");
    if (lastTick !== null) showTime(lastTick, quote.ts);
    const age = cellOf(row, "age");
    if (age !== null) showAge(age, quote.ts, nowMs);
    row.dataset["shownTickTs"] = String(quote.ts);
    row.dataset["lastTickTs"] = String(quote.ts);
    row.dataset["bid"] = String(quote.bid);
    row.dataset["ask"] = String(quote.ask);
  }
  const stream = entry.stream;
  if (stream === null) return;
  const badge = cellOf(row, "freshness");
  if (badge !== null) {
    showFreshness(badge, judgeLive({ instrument: entry.instrument, lastTickTsMs: quote?.ts ?? null, lastHeardAtMs: stream.lastHeardAtMs, nowMs, feedMaxAgeMs: config.feedMaxAgeMs }));
  }
  setText(cellOf(row, "socket"), socketStateText(stream.state, stream.retryAtMs, nowMs));
  row.dataset["liveSocket"] = stream.state;
}

function start(config: LivePageConfig): void {
  const followed = config.instruments.map((instrument): Followed => ({ instrument, quote: quoteOfRow(rowOf(instrument.symbol)), stream: null }));
  const showAll = (): void => {
    const nowMs = Date.now();
    for (const entry of followed) showRow(entry, config, nowMs);
  };
  const onMessage = (entry: Followed, message: StreamMessage): void => {
    if (message.type === "tick") {
      entry.quote = newer(entry.quote, message.tick);
      showRow(entry, config, Date.now());
    } else if (message.type === "signal" && message.signal.role === "champion") {
      document.body.dispatchEvent(new CustomEvent("aurum-signal", { detail: { symbol: message.symbol } }));
    }
  };
  for (const entry of followed) {
    entry.stream = new LiveStream(entry.instrument.symbol, {
      onMessage: (message) => onMessage(entry, message),
      onState: () => showRow(entry, config, Date.now()),
    });
  }
  // The markets fragment was swapped in: keep whichever quote is newer, the server's or the stream's.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLElement) || target.id !== "overview-markets") return;
    for (const entry of followed) entry.quote = newer(entry.quote, quoteOfRow(rowOf(entry.instrument.symbol)));
    showAll();
  });
  window.addEventListener("pagehide", () => {
    for (const entry of followed) entry.stream?.close();
  });
  // Back from the page cache with its streams closed: load afresh.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) window.location.reload();
  });
  showAll();
  window.setInterval(showAll, 1_000);
}

const config = readLiveConfig();
if (config !== null) start(config);
