/**
 * HTTP load generation with wrk (C, one thread): it costs the shared cores far less than a Node client, so the
 * figures measure the server. Request bodies are made by a LuaJIT script so each tick is new.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface LoadResult {
  requests: number;
  perSecond: number;
  /** Sum of the "accepted" counts in the answers (ingest scenarios), or null when the answers carry none. */
  accepted: number | null;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers plus socket errors. */
  failures: number;
}

export interface LoadSpec {
  readonly url: URL;
  readonly connections: number;
  readonly durationMs: number;
  /** Lua defining `request()` (or `wrk.method`/`wrk.body`); the result reporter is appended. */
  readonly lua?: string;
}

const REPORT = `
local threads = {}
setup = function(thread) table.insert(threads, thread) end
accepted_total = nil
response = function(status, headers, body)
  local a = body:match('"accepted":(%d+)')
  if a then accepted_total = (accepted_total or 0) + tonumber(a) end
end
done = function(summary, latency, requests)
  local e = summary.errors
  local accepted = -1
  for _, t in ipairs(threads) do
    local a = t:get("accepted_total")
    if a then accepted = math.max(accepted, 0) + a end
  end
  io.write(string.format('WRK_RESULT {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"failures":%d,"accepted":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout, accepted))
end
`;

let scriptCount = 0;

/** The q-quantile (0..1) of sorted values, nearest-rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export async function runLoad(spec: LoadSpec, workDir: string): Promise<LoadResult> {
  const scriptPath = join(workDir, `load-${scriptCount++}.lua`);
  writeFileSync(scriptPath, `${spec.lua ?? ""}\n${REPORT}`);
  const seconds = Math.max(1, Math.round(spec.durationMs / 1000));
  const { stdout } = await run("wrk", ["-t1", `-c${spec.connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", scriptPath, spec.url.href]);
  const line = stdout.split("\n").find((l) => l.startsWith("WRK_RESULT "));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  const r = JSON.parse(line.slice("WRK_RESULT ".length)) as { requests: number; durationUs: number; p50Us: number; p99Us: number; failures: number; accepted: number };
  const elapsedS = r.durationUs / 1e6;
  return {
    requests: r.requests,
    perSecond: r.requests / elapsedS,
    accepted: r.accepted < 0 ? null : r.accepted,
    p50Ms: r.p50Us / 1000,
    p99Ms: r.p99Us / 1000,
    failures: r.failures,
  };
}

/** Lua quoting for a string constant. */
export function luaString(text: string): string {
  return JSON.stringify(text);
}
