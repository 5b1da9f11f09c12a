/** Prometheus registry: exact text exposition for a small registry, escaping, ordering, and refused definitions and uses. */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../core/errors/app-error.js";
import { LATENCY_BUCKETS_S, MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from "../../../workers/observability/metrics.js";

describe("MetricsRegistry.render", () => {
  it("renders a small registry exactly, metrics sorted by name and series by label values", () => {
    const registry = new MetricsRegistry();
    const latency = registry.histogram({ name: "http_request_duration_seconds", help: "Request latency.", labelNames: ["route"], bucketsS: [0.1, 0.5, 1] });
    const requests = registry.counter({ name: "http_requests_total", help: "Requests served.", labelNames: ["method", "status"] });
    const open = registry.gauge({ name: "connections_open", help: "Open WebSockets." });
    requests.inc({ status: "200", method: "POST" });
    requests.inc({ method: "GET", status: "500" });
    requests.inc({ method: "GET", status: "200" }, 3);
    requests.inc({ method: "POST", status: "200" });
    open.inc({}, 5);
    open.inc({}, -2);
    for (const valueS of [0.0625, 0.125, 0.5, 0.75, 4]) latency.observe({ route: "/api/ticks" }, valueS);
    latency.observe({ route: "/api/bars" }, 0.25);

    expect(registry.render()).toBe(
      [
        "# HELP connections_open Open WebSockets.",
        "# TYPE connections_open gauge",
        "connections_open 3",
        "# HELP http_request_duration_seconds Request latency.",
        "# TYPE http_request_duration_seconds histogram",
        'http_request_duration_seconds_bucket{route="/api/bars",le="0.1"} 0',
        'http_request_duration_seconds_bucket{route="/api/bars",le="0.5"} 1',
        'http_request_duration_seconds_bucket{route="/api/bars",le="1"} 1',
        'http_request_duration_seconds_bucket{route="/api/bars",le="+Inf"} 1',
        'http_request_duration_seconds_sum{route="/api/bars"} 0.25',
        'http_request_duration_seconds_count{route="/api/bars"} 1',
        'http_request_duration_seconds_bucket{route="/api/ticks",le="0.1"} 1',
        'http_request_duration_seconds_bucket{route="/api/ticks",le="0.5"} 3',
        'http_request_duration_seconds_bucket{route="/api/ticks",le="1"} 4',
        'http_request_duration_seconds_bucket{route="/api/ticks",le="+Inf"} 5',
        'http_request_duration_seconds_sum{route="/api/ticks"} 5.4375',
        'http_request_duration_seconds_count{route="/api/ticks"} 5',
        "# HELP http_requests_total Requests served.",
        "# TYPE http_requests_total counter",
        'http_requests_total{method="GET",status="200"} 3',
        'http_requests_total{method="GET",status="500"} 1',
        'http_requests_total{method="POST",status="200"} 2',
        "",
      ].join("\n"),
    );
  });

  it("escapes backslash, quote and newline in label values, and backslash and newline in help", () => {
    const registry = new MetricsRegistry();
    const errors = registry.counter({ name: "errors_total", help: 'Errors by "kind",\\ path\nsecond line.', labelNames: ["kind"] });
    errors.inc({ kind: 'C:\\tmp "x"\nnext' });
    expect(registry.render()).toBe(
      ['# HELP errors_total Errors by "kind",\\\\ path\\nsecond line.', "# TYPE errors_total counter", 'errors_total{kind="C:\\\\tmp \\"x\\"\\nnext"} 1', ""].join("\n"),
    );
  });

  it("shows unlabelled metrics at 0 before any use, labelled ones without samples, and an empty registry as nothing", () => {
    expect(new MetricsRegistry().render()).toBe("");
    const registry = new MetricsRegistry();
    registry.counter({ name: "b_total", help: "B." });
    registry.counter({ name: "a_total", help: "A.", labelNames: ["x"] });
    registry.histogram({ name: "c_seconds", help: "C.", bucketsS: [1] });
    expect(registry.render()).toBe(
      [
        "# HELP a_total A.",
        "# TYPE a_total counter",
        "# HELP b_total B.",
        "# TYPE b_total counter",
        "b_total 0",
        "# HELP c_seconds C.",
        "# TYPE c_seconds histogram",
        'c_seconds_bucket{le="1"} 0',
        'c_seconds_bucket{le="+Inf"} 0',
        "c_seconds_sum 0",
        "c_seconds_count 0",
        "",
      ].join("\n"),
    );
  });

  it("formats gauge infinities as +Inf and -Inf, and NaN as NaN", () => {
    const registry = new MetricsRegistry();
    const gauge = registry.gauge({ name: "g", help: "G.", labelNames: ["k"] });
    gauge.set({ k: "a" }, Number.POSITIVE_INFINITY);
    gauge.set({ k: "b" }, Number.NEGATIVE_INFINITY);
    gauge.set({ k: "c" }, Number.NaN);
    gauge.set({ k: "d" }, -0.5);
    expect(registry.render().split("\n").slice(2)).toEqual(['g{k="a"} +Inf', 'g{k="b"} -Inf', 'g{k="c"} NaN', 'g{k="d"} -0.5', ""]);
  });

  it("uses the latency buckets 5 ms to 10 s by default and puts values above the last bound only in +Inf", () => {
    expect(LATENCY_BUCKETS_S).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    const registry = new MetricsRegistry();
    registry.histogram({ name: "lat_seconds", help: "L." }).observe({}, 12);
    const les = [...registry.render().matchAll(/le="([^"]+)"\} (\d+)/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(les).toEqual(["0.005=0", "0.01=0", "0.025=0", "0.05=0", "0.1=0", "0.25=0", "0.5=0", "1=0", "2.5=0", "5=0", "10=0", "+Inf=1"]);
    expect(PROMETHEUS_CONTENT_TYPE).toBe("text/plain; version=0.0.4; charset=utf-8");
  });
});

describe("definitions", () => {
  it.each([
    ["a name starting with a digit", () => new MetricsRegistry().counter({ name: "1_total", help: "x" })],
    ["a name with a dash", () => new MetricsRegistry().counter({ name: "http-requests", help: "x" })],
    ["an empty name", () => new MetricsRegistry().gauge({ name: "", help: "x" })],
    ["a label with a dash", () => new MetricsRegistry().counter({ name: "c", help: "x", labelNames: ["bad-label"] })],
    ["a reserved __ label", () => new MetricsRegistry().counter({ name: "c", help: "x", labelNames: ["__name"] })],
    ["a label with a colon", () => new MetricsRegistry().counter({ name: "c", help: "x", labelNames: ["a:b"] })],
    ["a duplicate label", () => new MetricsRegistry().counter({ name: "c", help: "x", labelNames: ["a", "a"] })],
    ["a histogram label le", () => new MetricsRegistry().histogram({ name: "h", help: "x", labelNames: ["le"] })],
    ["equal buckets", () => new MetricsRegistry().histogram({ name: "h", help: "x", bucketsS: [1, 1] })],
    ["decreasing buckets", () => new MetricsRegistry().histogram({ name: "h", help: "x", bucketsS: [2, 1] })],
    ["an infinite bucket", () => new MetricsRegistry().histogram({ name: "h", help: "x", bucketsS: [1, Number.POSITIVE_INFINITY] })],
  ])("refuses %s with ConfigError", (_name, define) => {
    expect(define).toThrow(ConfigError);
  });

  it("accepts colons in metric names (the control for the name cases)", () => {
    const registry = new MetricsRegistry();
    registry.counter({ name: "job:requests:rate5m", help: "x" });
    expect(registry.render()).toContain("job:requests:rate5m 0\n");
  });

  it("refuses a second metric of the same name, and names that clash with histogram samples either way", () => {
    const registry = new MetricsRegistry();
    registry.counter({ name: "dup", help: "x" });
    expect(() => registry.gauge({ name: "dup", help: "x" })).toThrow(ConfigError);
    registry.histogram({ name: "lat", help: "x" });
    expect(() => registry.counter({ name: "lat_count", help: "x" })).toThrow(ConfigError);
    expect(() => registry.counter({ name: "lat", help: "x" })).toThrow(ConfigError);
    registry.counter({ name: "req_sum", help: "x" });
    expect(() => registry.histogram({ name: "req", help: "x" })).toThrow(ConfigError);
    expect(() => registry.counter({ name: "lat_total", help: "x" })).not.toThrow();
  });
});

describe("uses", () => {
  it("refuses missing, extra or non-string labels", () => {
    const registry = new MetricsRegistry();
    const counter = registry.counter({ name: "c_total", help: "x", labelNames: ["a", "b"] });
    expect(() => counter.inc({ a: "1" } as { a: string; b: string })).toThrow(RangeError);
    expect(() => counter.inc({ a: "1", b: "2", c: "3" } as { a: string; b: string })).toThrow(RangeError);
    expect(() => counter.inc({ a: "1", b: 2 } as unknown as { a: string; b: string })).toThrow(RangeError);
    expect(() => registry.gauge({ name: "g", help: "x" }).set({ a: "1" } as Record<never, string>, 1)).toThrow(RangeError);
    expect(registry.render()).not.toContain("c_total{");
  });

  it("refuses a counter decrease or a non-finite increase, and a non-finite observation", () => {
    const registry = new MetricsRegistry();
    const counter = registry.counter({ name: "c_total", help: "x" });
    expect(() => counter.inc({}, -1)).toThrow(RangeError);
    expect(() => counter.inc({}, Number.NaN)).toThrow(RangeError);
    expect(() => counter.inc({}, Number.POSITIVE_INFINITY)).toThrow(RangeError);
    const histogram = registry.histogram({ name: "h_seconds", help: "x" });
    expect(() => histogram.observe({}, Number.NaN)).toThrow(RangeError);
    counter.inc({}, 0.5);
    counter.inc();
    expect(registry.render()).toContain("c_total 1.5\n");
    expect(registry.render()).toContain("h_seconds_count 0\n");
  });
});
