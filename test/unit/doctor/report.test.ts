import { describe, expect, it, vi } from "vitest";
import { exitCode, formatLine, summary } from "../../../lib/doctor/report";
import { CheckTimeoutError, explain, regionFlag, within } from "../../../lib/doctor/words";
import { PolicyError } from "../../../lib/policy/policy";
import { SecretError } from "../../../lib/secrets/secret-source";
import { SlackSecretError } from "../../../lib/slack/slack-secret";

const good = { ok: true, check: "policy", text: "loads" };
const bad = { ok: false, check: "channel C1", text: "bm is not a member" };

describe("the report", () => {
  it("puts ok or FAIL first, aligned", () => {
    expect(formatLine(good)).toBe("ok   policy: loads");
    expect(formatLine(bad)).toBe("FAIL channel C1: bm is not a member");
  });

  it("sums up, with the time", () => {
    expect(summary([good, good], 1234)).toBe("all 2 checks hold (1.2 s)");
    expect(summary([good], 50)).toBe("all 1 check hold (0.1 s)");
    expect(summary([good, bad], 0)).toBe("1 of 2 checks failed (0.0 s)");
  });

  it("exits 0 only when every check holds", () => {
    expect(exitCode([good, good])).toBe(0);
    expect(exitCode([good, bad])).toBe(1);
    expect(exitCode([])).toBe(0);
  });
});

describe("the words", () => {
  it("gives a region flag only for a region", () => {
    expect(regionFlag("jp1")).toBe(" --region jp1");
    expect(regionFlag(undefined)).toBe("");
  });

  it("gives a deployer's errors by their own message, and others as bm tells users", () => {
    expect(explain(new PolicyError("the policy is invalid: x"))).toBe("the policy is invalid: x");
    expect(explain(new SlackSecretError("Slack secret is invalid: y"))).toBe(
      "Slack secret is invalid: y",
    );
    expect(explain(new SecretError("denied", "s", "may not be read"))).toBe(
      'secret "s" may not be read',
    );
    expect(explain(new Error("a secret inside"))).toBe(
      "internal error (Error); nothing more is shown, to keep secrets out of messages",
    );
    expect(explain(new SecretError("not_found", "s", "was not found"), "jp1")).toBe(
      "secret \"s\" was not found: create it with `aws secretsmanager create-secret --name s --region jp1 --secret-string '{…}'`",
    );
  });

  it("says a check that timed out may pass another time", () => {
    const late = new CheckTimeoutError(1500);
    expect([late.name, late.passing, late.forUsers, late.message]).toEqual([
      "CheckTimeoutError",
      true,
      true,
      "no answer within 1.5 s",
    ]);
  });

  it("leaves no timer behind once the work is done", async () => {
    vi.useFakeTimers();
    try {
      await within(60_000, Promise.resolve(1));
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("gives work its time, and no more", async () => {
    expect(await within(50, Promise.resolve(7))).toBe(7);
    // An answer that is itself undefined is an answer, not a late one.
    expect(await within(50, Promise.resolve(undefined))).toBeUndefined();
    await expect(within(20, new Promise(() => {}))).rejects.toThrow("no answer within 0.02 s");
    await expect(within(50, Promise.reject(new Error("no")))).rejects.toThrow("no");
  });

  it("waits the whole time for work that takes a while", async () => {
    vi.useFakeTimers();
    try {
      const slow = new Promise((resolve) => setTimeout(() => resolve("late but in time"), 900));
      const answer = within(1_000, slow);
      await vi.advanceTimersByTimeAsync(900);
      expect(await answer).toBe("late but in time");
    } finally {
      vi.useRealTimers();
    }
  });
});
