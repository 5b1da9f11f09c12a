/**
 * One instrument's live stream (`/api/v1/stream/{symbol}`, authenticated by the session cookie): every message
 * validated with the stream's schema, a ping every few seconds so silence can be told from a quiet market, and
 * reconnects with exponential backoff and jitter (core/live/backoff.ts). A socket silent past the limit is given up
 * and replaced, so a half-open connection cannot freeze a page.
 */
import { attemptAfterClose, reconnectDelayMs } from "../../../../core/live/backoff.js";
import { SOCKET_SILENCE_MS, STREAM_PING_INTERVAL_MS, type SocketState } from "../../../../core/live/staleness.js";
import { StreamMessageSchema, type StreamMessage } from "../../../../core/schemas/market-data.js";

export interface LiveStreamHandlers {
  /** A validated message (hello, tick, bar, signal). */
  readonly onMessage: (message: StreamMessage) => void;
  /** The socket's state changed; `retryAtMs` is when the next attempt is due while reconnecting. */
  readonly onState?: (state: SocketState, retryAtMs: number | null) => void;
}

export class LiveStream {
  state: SocketState = "connecting";
  /** When anything (a message or a pong) last arrived, or when the page started listening (epoch ms). */
  lastHeardAtMs = Date.now();
  /** When the next reconnect attempt is due while reconnecting (epoch ms). */
  retryAtMs: number | null = null;
  private socket: WebSocket | null = null;
  private openedAtMs: number | null = null;
  private attempt: number | null = null;
  private retryTimer: number | undefined;
  private readonly pingTimer: number;

  constructor(
    readonly symbol: string,
    private readonly handlers: LiveStreamHandlers,
  ) {
    this.pingTimer = window.setInterval(() => this.ping(), STREAM_PING_INTERVAL_MS);
    this.connect();
  }

  /** Drops the current socket (if any) and reconnects by the backoff schedule (e.g. after a failed resync). */
  restart(): void {
    this.drop();
  }

  private connect(): void {
    const url = new URL(`/api/v1/stream/${encodeURIComponent(this.symbol)}`, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url);
    this.socket = socket;
    this.openedAtMs = null;
    socket.addEventListener("open", () => {
      if (socket !== this.socket) return;
      this.openedAtMs = Date.now();
      this.lastHeardAtMs = this.openedAtMs;
      this.setState("connected", null);
    });
    socket.addEventListener("message", (event: MessageEvent) => {
      if (socket !== this.socket) return;
      this.lastHeardAtMs = Date.now();
      if (typeof event.data !== "string" || event.data === "pong") return;
      this.deliver(event.data);
    });
    // A failed upgrade (401 after the session ended, 503 when full) fires error then close: close handles both.
    socket.addEventListener("close", () => {
      if (socket === this.socket) this.drop();
    });
  }

  private deliver(text: string): void {
    let parsed: ReturnType<typeof StreamMessageSchema.safeParse>;
    try {
      parsed = StreamMessageSchema.safeParse(JSON.parse(text));
    } catch {
      console.warn(`stream ${this.symbol}: a message that is not JSON was ignored`);
      return;
    }
    if (!parsed.success) {
      console.warn(`stream ${this.symbol}: a message of an unknown shape was ignored`, parsed.error.issues.slice(0, 3));
      return;
    }
    this.handlers.onMessage(parsed.data);
  }

  private ping(): void {
    const socket = this.socket;
    if (socket === null || socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastHeardAtMs > SOCKET_SILENCE_MS) {
      // Not even a pong for three pings: the connection is dead without knowing it.
      this.drop();
      return;
    }
    socket.send("ping");
  }

  /** Forgets the socket and schedules the next attempt. */
  private drop(): void {
    const socket = this.socket;
    this.socket = null;
    if (socket !== null && socket.readyState <= WebSocket.OPEN) socket.close(1000, "reconnecting");
    const openForMs = this.openedAtMs === null ? null : Date.now() - this.openedAtMs;
    this.attempt = attemptAfterClose(this.attempt, openForMs);
    const delayMs = reconnectDelayMs(this.attempt, Math.random());
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => {
      this.setState("connecting", null);
      this.connect();
    }, delayMs);
    this.setState("reconnecting", Date.now() + delayMs);
  }

  private setState(state: SocketState, retryAtMs: number | null): void {
    this.state = state;
    this.retryAtMs = retryAtMs;
    this.handlers.onState?.(state, retryAtMs);
  }

  /** Stops for good (the page is going away). */
  close(): void {
    window.clearInterval(this.pingTimer);
    window.clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "page closed");
  }
}
