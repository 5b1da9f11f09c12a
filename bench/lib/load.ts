/** HTTP load generation for benchmarks: a fixed number of workers sending requests back to back, with latencies. */

export interface LoadResult {
  requests: number;
  failures: number;
  elapsedMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** The q-quantile (0..1) of sorted values, nearest-rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/**
 * Runs `makeRequest(i)` with `concurrency` loops until `durationMs` passed or `maxRequests` were sent.
 * A response whose status is not `expectStatus` counts as a failure (the run goes on).
 */
export async function runLoad(options: {
  concurrency: number;
  durationMs: number;
  maxRequests?: number;
  expectStatus?: number;
  makeRequest: (i: number) => Request;
}): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const startedMs = performance.now();
  const deadlineMs = startedMs + options.durationMs;
  const maxRequests = options.maxRequests ?? Number.MAX_SAFE_INTEGER;
  const worker = async () => {
    while (performance.now() < deadlineMs && next < maxRequests) {
      const i = next++;
      const request = options.makeRequest(i);
      const t0 = performance.now();
      const response = await fetch(request);
      await response.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (response.status !== (options.expectStatus ?? 200)) failures += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsedMs = performance.now() - startedMs;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    failures,
    elapsedMs,
    perSecond: (latencies.length / elapsedMs) * 1000,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
  };
}
