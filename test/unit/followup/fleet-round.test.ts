import { describe, expect, it } from "vitest";
import { PROGRESS_MS, progressDue } from "../../../lib/followup/fleet-round";

const AT = "2026-11-26T10:00:00.000Z";
const at = Date.parse(AT);

describe("progressDue", () => {
  it("a tenth of the targets more ended, rounded up, and the interval passed", () => {
    expect(PROGRESS_MS).toBe(10_000);
    expect(progressDue(undefined, 3, 30, at)).toBe(true);
    expect(progressDue(undefined, 2, 30, at)).toBe(false);
    expect(progressDue(undefined, 1, 5, at)).toBe(true);
    expect(progressDue(undefined, 20, 200, at)).toBe(true);
    expect(progressDue(undefined, 19, 200, at)).toBe(false);
    const shown = { counts: "{}", ended: 3, at: AT };
    expect(progressDue(shown, 6, 30, at + PROGRESS_MS)).toBe(true);
    expect(progressDue(shown, 6, 30, at + PROGRESS_MS - 1)).toBe(false);
    expect(progressDue(shown, 5, 30, at + PROGRESS_MS)).toBe(false);
  });
});
