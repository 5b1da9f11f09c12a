/** Reading D1's quick_check and foreign_key_check answers into a pass or a list of findings. */
import { describe, expect, it } from "vitest";
import { assessIntegrity, MAX_LISTED_FINDINGS } from "../../../core/health/database-integrity.js";

describe("assessIntegrity", () => {
  it("passes a single 'ok' and no foreign-key violation", () => {
    expect(assessIntegrity(["ok"], [])).toEqual({ ok: true, findings: [] });
  });

  it("lists every quick_check problem and every row with a missing parent", () => {
    const assessment = assessIntegrity(
      ["*** in database main ***", "Page 7: btreeInitPage() returns error code 11"],
      [{ table: "model_deployments", rowid: 4, parent: "models", fkid: 0 }],
    );
    expect(assessment).toEqual({
      ok: false,
      findings: [
        "quick_check: *** in database main ***",
        "quick_check: Page 7: btreeInitPage() returns error code 11",
        "foreign key: model_deployments row 4 references a missing models row (foreign key 0)",
      ],
    });
  });

  it("fails on foreign-key violations alone, and on an empty quick_check answer", () => {
    expect(assessIntegrity(["ok"], [{ table: "refresh_tokens", rowid: null, parent: "users", fkid: 0 }]).ok).toBe(false);
    expect(assessIntegrity([], [])).toEqual({ ok: false, findings: ["quick_check answered nothing"] });
  });

  it("lists at most the first findings and counts the rest", () => {
    const lines = Array.from({ length: MAX_LISTED_FINDINGS + 5 }, (_, i) => `row ${i} missing from index x`);
    const { findings } = assessIntegrity(lines, []);
    expect(findings).toHaveLength(MAX_LISTED_FINDINGS + 1);
    expect(findings.at(-1)).toBe("… and 5 more");
  });
});
