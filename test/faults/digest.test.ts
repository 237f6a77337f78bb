/**
 * Faults around the media digest, through the real follow-up: its claim failing three ways
 * (an error, a hang, a put that took effect whose answer was lost), the tenant's list failing after
 * it, and the claim's giving back failing three ways.
 * Whatever fails, a channel gets at most one digest a day; a claim that could not be answered
 * posts nothing and is asked again the next round. Only the clock is the test's (vi's fake Date).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import type { LocalStack } from "../../local/stack";
import { slash } from "../support/stack-harness";
import { useFaultStack } from "./matrix";

const HOUR = 3_600_000;
const policy = parse(readFileSync(join(import.meta.dirname, "../fixtures/policy.yml"), "utf8"));
policy.channels.C0INCIDENT.media_digest = "09:00 UTC";
policy.channels.C0INCIDENT.stale_after_hours = 1;
const policyFile = join(mkdtempSync(join(tmpdir(), "bm-digest-faults-")), "policy.yml");
writeFileSync(policyFile, stringify(policy));

const fixture = useFaultStack({ policyFile });
let stack: LocalStack;
/** 07:00 UTC of the day after today; each test has a day of its own after it. */
const START = (Math.floor(Date.now() / (24 * HOUR)) + 1) * 24 * HOUR + 7 * HOUR;
let day = 0;
beforeAll(async () => {
  vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
  vi.setSystemTime(START);
  // /bm media's first sightings: stale (an hour) by 09:00 of every day after.
  await slash(fixture.stack(), "media", { user: "U0DIGESTF" });
});
afterAll(() => vi.useRealTimers());
beforeEach(() => {
  stack = fixture.stack();
  stack.ecl?.model.clearFaults();
  day++;
});

const digests = () =>
  (stack.slack?.history("C0INCIDENT") ?? []).filter((m) =>
    m.text.startsWith("Media mounted for more than 1 hour"),
  ).length;
const claims = (input: Record<string, unknown>) =>
  JSON.stringify(input.Item ?? {}).includes("digest#C0INCIDENT#");
/** The follow-up at 09:00 UTC of this test's day, `minutes` later. */
async function followUpAt(minutes: number): Promise<void> {
  vi.setSystemTime(START + day * 24 * HOUR + 2 * HOUR + minutes * 60_000);
  await stack.followup(3000);
}

describe("the digest's claim", () => {
  it.each(["error", "hang"] as const)(
    "%s: nothing posted; the next round posts one",
    async (kind) => {
      const before = digests();
      stack.faults.dynamo?.inject({ target: "PutItem", kind, when: claims, times: 10 });
      await followUpAt(0);
      expect(digests()).toBe(before);
      stack.faults.dynamo?.clear();
      await followUpAt(1);
      expect(digests()).toBe(before + 1);
      await followUpAt(2);
      expect(digests()).toBe(before + 1);
    },
  );

  it("lost-answer: the put took effect; its retry finds the claim its own, and one is posted", async () => {
    const before = digests();
    stack.faults.dynamo?.inject({ target: "PutItem", kind: "lost-answer", when: claims, times: 1 });
    await followUpAt(0);
    await followUpAt(1);
    expect(digests()).toBe(before + 1);
  });
});

describe("after the claim", () => {
  it("the tenant's list failing: the claim given back; posted once, 10 min later", async () => {
    const before = digests();
    stack.ecl?.model.inject({ route: "list", status: 500, times: 20 });
    await followUpAt(0);
    stack.ecl?.model.clearFaults();
    expect(digests()).toBe(before);
    await followUpAt(9);
    expect(digests()).toBe(before);
    await followUpAt(10);
    expect(digests()).toBe(before + 1);
    await followUpAt(30);
    expect(digests()).toBe(before + 1);
  });

  it.each(["error", "hang"] as const)(
    "its giving back failing (%s): that day's digest is lost, the next day's comes",
    async (kind) => {
      const before = digests();
      stack.ecl?.model.inject({ route: "list", status: 500, times: 20 });
      stack.faults.dynamo?.inject({
        target: "PutItem",
        kind,
        when: (input) => JSON.stringify(input.Item ?? {}).includes('"released:'),
        times: 10,
      });
      await followUpAt(0);
      stack.ecl?.model.clearFaults();
      stack.faults.dynamo?.clear();
      await followUpAt(10);
      await followUpAt(20);
      expect(digests()).toBe(before);
      day++;
      await followUpAt(0);
      expect(digests()).toBe(before + 1);
    },
  );

  it("its giving back's answer lost: given back all the same, posted once later", async () => {
    const before = digests();
    stack.ecl?.model.inject({ route: "list", status: 500, times: 20 });
    stack.faults.dynamo?.inject({
      target: "PutItem",
      kind: "lost-answer",
      when: (input) => JSON.stringify(input.Item ?? {}).includes('"released:'),
      times: 1,
    });
    await followUpAt(0);
    stack.ecl?.model.clearFaults();
    await followUpAt(10);
    expect(digests()).toBe(before + 1);
  });
});
