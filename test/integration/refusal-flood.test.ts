import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AuditEvent } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { slash, testStack } from "../support/stack-harness";

/**
 * A flood of refused commands, through the real front door: each `/bm detach` is a new
 * operation id, yet one user's refusals in one channel leave one event a minute and its count,
 * not one row each (the audit trail cannot be used as a weapon).
 */
let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack();
});
afterAll(async () => {
  vi.useRealTimers();
  await stack.close();
});

async function refusalsOf(userId: string): Promise<AuditEvent[]> {
  const { Items = [] } = await stack.dynamo.send(
    new ScanCommand({ TableName: stack.env.BM_AUDIT_TABLE }),
  );
  return Items.map((i) => unmarshall(i) as AuditEvent)
    .filter((e) => e.actor.userId === userId && e.action.startsWith("refused:"))
    .sort((a, b) => a.at.localeCompare(b.at));
}

describe("refused commands in a flood", () => {
  it("30 refused detaches of one user in one channel: the first, then one count", async () => {
    // Only the clock is the test's (timers, sockets and the stand-ins' waits stay real): the 30
    // fall in one minute, and the next request comes after it, without waiting a minute.
    vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
    const minute = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
    vi.setSystemTime(minute + 100);
    for (let i = 0; i < 30; i++) {
      const answer = await slash(stack, `detach ${SAMPLE.web01} ${SAMPLE.image} flood-${i}`, {
        channel: "C0OPS",
        user: "U0FLOODER",
      });
      expect(answer.text).toContain("may not request");
    }
    expect((await refusalsOf("U0FLOODER")).length).toBe(1);
    // The minute over, the container's next request (any) writes its count.
    vi.setSystemTime(minute + 61_000);
    await slash(stack, "help", { channel: "C0OPS", user: "U0FLOODER" });
    vi.useRealTimers();
    const events = await refusalsOf("U0FLOODER");
    expect(events.length).toBeLessThanOrEqual(2);
    const at = new Date(minute).toISOString().slice(0, 16);
    expect(events.map((e) => [e.action, e.at.slice(0, 16), e.facts.count])).toEqual([
      ["refused:not_a_requester", at, undefined],
      ["refused:not_a_requester", at, 30],
    ]);
    expect(events[1]?.facts).toMatchObject({ channel: "C0OPS", first: events[0]?.at });
  }, 60_000);
});
