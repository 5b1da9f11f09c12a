/**
 * The task system's fault drill against the real platform (`wrangler dev`: real Queues, D1, R2): with 30 % of
 * processor runs failing at random, every task ends succeeded or dead with a complete event trail and no run of a
 * task overlapping another (scripts/fault-drill.ts checks each trail; its exit status says whether one broke).
 */
import { describe, expect, it } from "vitest";
import { runCli } from "../support/node/run-cli.js";

describe("fault drill", () => {
  it("every task ends succeeded or dead, with complete, non-overlapping event trails", async () => {
    const run = await runCli("scripts/fault-drill.ts", ["--tasks", "60", "--fault-rate", "0.3", "--timeout-s", "180"]);
    expect(run.status, `${run.stdout}\n${run.stderr.slice(-3_000)}`).toBe(0);
    const outcome = /outcome: (\d+) succeeded, (\d+) dead, (\d+) other/.exec(run.stdout);
    const tasks = /fault drill: (\d+) tasks/.exec(run.stdout);
    expect(outcome?.[3]).toBe("0");
    expect(Number(outcome?.[1]) + Number(outcome?.[2])).toBe(Number(tasks?.[1]));
    const injected = /injected failures (\d+) = ([\d.]+) % of runs/.exec(run.stdout);
    // At 30 % there are failures to retry (the chance of none in 60+ runs is below 1e-9).
    expect(Number(injected?.[1])).toBeGreaterThan(0);
    expect(run.stdout).toContain("event trails: complete, no run overlapped another");
  });
});
