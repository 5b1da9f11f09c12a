/** A tiny Prometheus registry for one isolate: counters, gauges and histograms rendered in text format 0.0.4. */
import { ConfigError } from "../../core/errors/app-error.js";

/** Content-Type of `MetricsRegistry.render()` output. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
/** Request-latency histogram bounds, seconds (5 ms to 10 s). */
export const LATENCY_BUCKETS_S: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface MetricOptions<L extends string> {
  /** Metric name, matching `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
  readonly name: string;
  readonly help: string;
  /** Label names, matching `[a-zA-Z_][a-zA-Z0-9_]*` and not starting with `__`; rendered in this order. Default none. */
  readonly labelNames?: readonly L[];
}

export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds in seconds, strictly increasing and finite; `+Inf` is added. Default LATENCY_BUCKETS_S. */
  readonly bucketsS?: readonly number[];
}

interface Renderable {
  readonly name: string;
  sampleNames(): string[];
  render(): string[];
}

type Sample = [suffix: string, extra: readonly [string, string] | undefined, value: number];

abstract class Metric<L extends string, S> {
  private readonly series = new Map<string, { values: string[]; state: S }>();
  readonly labelNames: readonly L[];

  constructor(
    private readonly type: "counter" | "gauge" | "histogram",
    private readonly options: MetricOptions<L>,
    private readonly suffixes: readonly string[],
  ) {
    const { name, labelNames = [] } = options;
    if (!METRIC_NAME.test(name)) throw new ConfigError("invalid metric name", { details: { name } });
    if (labelNames.some((label) => !LABEL_NAME.test(label) || label.startsWith("__"))) throw new ConfigError("invalid label name", { details: { name } });
    if (new Set(labelNames).size !== labelNames.length) throw new ConfigError("duplicate label name", { details: { name } });
    this.labelNames = labelNames;
  }

  get name(): string {
    return this.options.name;
  }

  /** The sample names this metric writes, to detect clashes between metrics. */
  sampleNames(): string[] {
    return this.suffixes.map((suffix) => this.name + suffix);
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.options.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${this.name} ${this.type}`];
    const ordered = [...this.series.values()].sort((a, b) => compareValues(a.values, b.values));
    for (const { values, state } of ordered) {
      for (const [suffix, extra, value] of this.samples(state)) {
        const pairs = this.labelNames.map((label, i): readonly [string, string] => [label, values[i] ?? ""]);
        const all = extra === undefined ? pairs : [...pairs, extra];
        const text = all.length === 0 ? "" : `{${all.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
        lines.push(`${this.name}${suffix}${text} ${formatNumber(value)}`);
      }
    }
    return lines;
  }

  protected abstract initial(): S;
  protected abstract samples(state: S): Sample[];

  /** The series for these labels (exactly the declared names, string values, else RangeError), created on first use. */
  protected state(labels: Readonly<Record<L, string>>): S {
    const keys = Object.keys(labels);
    if (keys.length !== this.labelNames.length || this.labelNames.some((label) => typeof labels[label] !== "string")) {
      throw new RangeError(`metric ${this.name} takes exactly the labels [${this.labelNames.join(", ")}], got [${keys.join(", ")}]`);
    }
    const values = this.labelNames.map((label) => labels[label]);
    const key = JSON.stringify(values);
    const found = this.series.get(key) ?? { values, state: this.initial() };
    this.series.set(key, found);
    return found.state;
  }

  /** An unlabelled metric has its one series from the start, so it renders 0 before any use. */
  protected touchUnlabelled(): void {
    if (this.labelNames.length === 0) this.state({} as Record<L, string>);
  }
}

abstract class ValueMetric<L extends string> extends Metric<L, { value: number }> {
  constructor(type: "counter" | "gauge", options: MetricOptions<L>) {
    super(type, options, [""]);
    this.touchUnlabelled();
  }
  protected initial(): { value: number } {
    return { value: 0 };
  }
  protected samples(state: { value: number }): Sample[] {
    return [["", undefined, state.value]];
  }
}

/** A value that only goes up (requests served, errors). */
export class Counter<L extends string = never> extends ValueMetric<L> {
  constructor(options: MetricOptions<L>) {
    super("counter", options);
  }
  /** Adds `by` (default 1; finite and >= 0, else RangeError). */
  inc(labels: Readonly<Record<L, string>> = {} as Record<L, string>, by = 1): void {
    if (!Number.isFinite(by) || by < 0) throw new RangeError(`counter ${this.name} can only grow by a finite amount >= 0`);
    this.state(labels).value += by;
  }
}

/** A value that goes up and down (open connections, queue depth). */
export class Gauge<L extends string = never> extends ValueMetric<L> {
  constructor(options: MetricOptions<L>) {
    super("gauge", options);
  }
  set(labels: Readonly<Record<L, string>>, value: number): void {
    this.state(labels).value = value;
  }
  /** Adds `by` (default 1; negative to subtract). */
  inc(labels: Readonly<Record<L, string>> = {} as Record<L, string>, by = 1): void {
    this.state(labels).value += by;
  }
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

/** A distribution in fixed buckets (request latency in seconds), rendered as cumulative `_bucket`, `_sum`, `_count`. */
export class Histogram<L extends string = never> extends Metric<L, HistogramState> {
  readonly boundsS: readonly number[];

  constructor(options: HistogramOptions<L>) {
    super("histogram", options, ["_bucket", "_sum", "_count"]);
    const bounds = options.bucketsS ?? LATENCY_BUCKETS_S;
    if (bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (bounds[i - 1] ?? b)))) {
      throw new ConfigError("histogram buckets must be finite and strictly increasing", { details: { name: options.name } });
    }
    if (this.labelNames.includes("le" as L)) throw new ConfigError("histograms cannot use the label le", { details: { name: options.name } });
    this.boundsS = [...bounds];
    this.touchUnlabelled();
  }
  /** Records one observation, in the unit of the buckets (finite, else RangeError); a value equal to a bound counts in it. */
  observe(labels: Readonly<Record<L, string>>, value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`histogram ${this.name} observations must be finite`);
    const state = this.state(labels);
    const bucket = this.boundsS.findIndex((bound) => value <= bound);
    if (bucket >= 0) state.counts[bucket] = (state.counts[bucket] ?? 0) + 1;
    state.sum += value;
    state.count += 1;
  }
  protected initial(): HistogramState {
    return { counts: this.boundsS.map(() => 0), sum: 0, count: 0 };
  }
  protected samples(state: HistogramState): Sample[] {
    let cumulative = 0;
    const buckets = this.boundsS.map((bound, i): Sample => {
      cumulative += state.counts[i] ?? 0;
      return ["_bucket", ["le", formatNumber(bound)], cumulative];
    });
    return [...buckets, ["_bucket", ["le", "+Inf"], state.count], ["_sum", undefined, state.sum], ["_count", undefined, state.count]];
  }
}

/**
 * The metrics of one isolate. Metrics render sorted by name and series by label values, so output is deterministic.
 * @example
 * const metrics = new MetricsRegistry();
 * const requests = metrics.counter({ name: "http_requests_total", help: "Requests.", labelNames: ["status"] });
 * requests.inc({ status: "200" });
 * return new Response(metrics.render(), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
 */
export class MetricsRegistry {
  private readonly metrics = new Map<string, Renderable>();
  private readonly samples = new Set<string>();

  counter<L extends string = never>(options: MetricOptions<L>): Counter<L> {
    return this.add(new Counter(options));
  }
  gauge<L extends string = never>(options: MetricOptions<L>): Gauge<L> {
    return this.add(new Gauge(options));
  }
  histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    return this.add(new Histogram(options));
  }

  /** Text exposition format 0.0.4, one `\n`-terminated line per HELP, TYPE and sample; "" when empty. */
  render(): string {
    const names = [...this.metrics.keys()].sort();
    const lines = names.flatMap((name) => this.metrics.get(name)?.render() ?? []);
    return lines.map((line) => `${line}\n`).join("");
  }

  private add<M extends Renderable>(metric: M): M {
    const names = metric.sampleNames();
    if (this.metrics.has(metric.name) || names.some((n) => this.samples.has(n))) {
      throw new ConfigError("metric name already registered", { details: { name: metric.name } });
    }
    for (const n of names) this.samples.add(n);
    this.metrics.set(metric.name, metric);
    return metric;
  }
}

function compareValues(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}
