/** GET /api/v1/stream/:symbol: hibernating WebSocket subscribers get a hello, ticks and bar closes. */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { freshState } from "./fresh-state.js";
import type { StreamMessage } from "../../core/schemas/market-data.js";
import { makeTickWalk, T0_MS } from "../support/builders.js";
import { call, ingest } from "./http.js";

beforeEach(freshState);
afterEach(() => {
  vi.useRealTimers();
});

async function subscribe(symbol: string): Promise<{ messages: StreamMessage[]; texts: string[]; socket: WebSocket }> {
  const response = await call(`/api/v1/stream/${symbol}`, { headers: { upgrade: "websocket" } });
  expect(response.status).toBe(101);
  const socket = response.webSocket;
  if (!socket) throw new Error("no WebSocket in the upgrade response");
  const messages: StreamMessage[] = [];
  const texts: string[] = [];
  socket.addEventListener("message", (event) => {
    const text = String(event.data);
    texts.push(text);
    if (text.startsWith("{")) messages.push(JSON.parse(text) as StreamMessage);
  });
  socket.accept();
  return { messages, texts, socket };
}

/** Waits (bounded, no timing assertion) until `predicate` holds. */
async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!predicate()) throw new Error(`timed out waiting for ${what}`);
}

describe("stream", () => {
  it("pushes a hello, the bars each batch closes, and the newest tick", async () => {
    const { messages, socket } = await subscribe("XAUUSD");
    await until(() => messages.length > 0, "hello");
    expect(messages[0]).toEqual({ type: "hello", symbol: "XAUUSD", timeframes: ["M1", "M5", "M15", "H1"], forming: [] });
    const ticks = makeTickWalk(130, { stepMs: 1_000 });
    await ingest("XAUUSD", ticks);
    await until(() => messages.filter((m) => m.type === "bar").length === 2 && messages.some((m) => m.type === "tick"), "two bar closes");
    const bars = messages.filter((m) => m.type === "bar");
    expect(bars.map((m) => m.type === "bar" && [m.timeframe, m.bar.ts, m.bar.closed, m.bar.tickVolume])).toEqual([
      ["M1", T0_MS, true, 60],
      ["M1", T0_MS + 60_000, true, 60],
    ]);
    const last = ticks.at(-1);
    expect(messages.at(-1)).toEqual({ type: "tick", symbol: "XAUUSD", tick: { ts: last?.tsMs, bid: last?.bid, ask: last?.ask } });
    socket.close(1000, "done");
  });

  it("answers ping with pong without waking the object's code", async () => {
    const { messages, texts, socket } = await subscribe("XAUUSD");
    socket.send("ping");
    await until(() => texts.includes("pong"), "pong");
    expect(messages.map((m) => m.type)).toEqual(["hello"]);
    socket.close(1000, "done");
  });

  it("closes a live feed's bar on the clock, without waiting for the next tick", async () => {
    const nowMs = Date.now();
    const minuteMs = Math.floor(nowMs / 60_000) * 60_000;
    const { messages, socket } = await subscribe("BTCUSD");
    await ingest("BTCUSD", makeTickWalk(5, { startMs: minuteMs, stepMs: 1, startBid: 90_000 }));
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(minuteMs + 66_000); // past the 5 s clock-close grace
    const stub = env.INSTRUMENT_DO.get(env.INSTRUMENT_DO.idFromName("BTCUSD"));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    vi.useRealTimers();
    await until(() => messages.some((m) => m.type === "bar"), "clock close");
    expect(messages.find((m) => m.type === "bar")).toMatchObject({ timeframe: "M1", bar: { ts: minuteMs, closed: true, tickVolume: 5 } });
    const stored = await call(`/api/v1/market/data?symbol=BTCUSD&timeframe=M1`);
    expect(((await stored.json()) as { bars: { closed: boolean }[] }).bars).toEqual([expect.objectContaining({ ts: minuteMs, closed: true })]);
    socket.close(1000, "done");
  });

  it("closes a subscriber that sends anything but ping", async () => {
    const { socket } = await subscribe("XAUUSD");
    const closed = new Promise<number>((resolve) => socket.addEventListener("close", (event) => resolve(event.code)));
    socket.send("subscribe M5");
    expect(await closed).toBe(1003);
  });

  it("throttles tick pushes but always delivers the newest tick (trailing push)", async () => {
    const { messages, socket } = await subscribe("XAUUSD");
    const ticks = makeTickWalk(40, { stepMs: 1_000 });
    for (let i = 0; i < ticks.length; i += 4) await ingest("XAUUSD", ticks.slice(i, i + 4));
    const last = ticks.at(-1);
    await until(() => messages.some((m) => m.type === "tick" && m.tick.ts === last?.tsMs), "the newest tick");
    const tickMessages = messages.filter((m) => m.type === "tick");
    expect(tickMessages.length).toBeLessThan(10); // ten batches inside one 100 ms throttle window or a few
    socket.close(1000, "done");
  });

  it("answers 426 in the envelope without an Upgrade header, 404 for an undeclared symbol", async () => {
    const plain = await call("/api/v1/stream/XAUUSD");
    expect(plain.status).toBe(426);
    expect(await plain.json()).toMatchObject({ ok: false, error: { code: "UPGRADE_REQUIRED" } });
    expect((await call("/api/v1/stream/NOPE1", { headers: { upgrade: "websocket" } })).status).toBe(404);
  });
});
