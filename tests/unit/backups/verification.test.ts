/** Verification findings: every way a file can differ from its manifest entry, and a manifest changed after the fact. */
import { describe, expect, it } from "vitest";
import { fileProblems, manifestHashProblem } from "../../../core/backups/verification.js";

const EXPECTED = { key: "backups/b/tables/trades.ndjson.gz", bytes: 100, sha256: "a".repeat(64), rows: 7 };

describe("fileProblems", () => {
  it("finds nothing in a file as the manifest describes it", () => {
    expect(fileProblems(EXPECTED, { found: true, bytes: 100, sha256: "a".repeat(64), rows: 7 })).toEqual([]);
  });

  it("reports a missing file", () => {
    expect(fileProblems(EXPECTED, { found: false })).toEqual([{ key: EXPECTED.key, kind: "missing", expected: EXPECTED.sha256, actual: null, message: `${EXPECTED.key} is missing` }]);
  });

  it("reports size, hash and row count differences, each on its own", () => {
    const problems = fileProblems(EXPECTED, { found: true, bytes: 101, sha256: "b".repeat(64), rows: 6 });
    expect(problems.map((p) => [p.kind, p.expected, p.actual])).toEqual([
      ["bytes", 100, 101],
      ["sha256", "a".repeat(64), "b".repeat(64)],
      ["rows", 7, 6],
    ]);
  });

  it("reports unreadable content instead of a row count", () => {
    const problems = fileProblems(EXPECTED, { found: true, bytes: 100, sha256: "a".repeat(64), unreadable: "after 3 rows: not JSON" });
    expect(problems).toEqual([expect.objectContaining({ kind: "unreadable", message: `${EXPECTED.key}: after 3 rows: not JSON` })]);
  });

  it("does not count rows of model files", () => {
    expect(fileProblems({ key: "m", bytes: 5, sha256: "c".repeat(64) }, { found: true, bytes: 5, sha256: "c".repeat(64) })).toEqual([]);
  });
});

describe("manifestHashProblem", () => {
  it("flags a manifest whose hash is not the registry's", () => {
    expect(manifestHashProblem("k", "a".repeat(64), "b".repeat(64))).toEqual([expect.objectContaining({ kind: "manifest", expected: "a".repeat(64), actual: "b".repeat(64) })]);
  });

  it("accepts the registry's hash, and has nothing to compare without a registry row", () => {
    expect(manifestHashProblem("k", "a".repeat(64), "a".repeat(64))).toEqual([]);
    expect(manifestHashProblem("k", null, "b".repeat(64))).toEqual([]);
  });
});
