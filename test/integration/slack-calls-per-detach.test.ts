/**
 * The Slack calls one detach costs, by method, counted at the Slack stand-in (its rate limits
 * on): one that needs no approval, and one approved by a click. The numbers before and after bm
 * paced its calls are in docs/testing.md#slacks-rate-limits.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  awaitingApproval,
  click,
  earlyCalls,
  finished,
  slash,
  testStack,
} from "../support/stack-harness";

let stack: LocalStack;
beforeAll(async () => {
  stack = await testStack({ taskMs: 100 });
  // A warm container: its once-per-container calls (auth.test) are made before counting, in a
  // channel of its own, so that its posts leave the measured channels' pace alone.
  const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
    name: "warm",
    media: [SAMPLE.image],
  });
  const answer = await slash(stack, `detach ${server?.id} ${SAMPLE.image} warm`, {
    channel: "C0OPS",
    user: "U0OPERATOR",
  });
  await finished(stack, answer.operationId as string);
});
afterAll(() => stack.close());

/**
 * The Web API calls Slack answered since `from`, by method (a 429 is not counted here: the tests
 * assert there is none; response_url posts are not Web API calls).
 */
function callsSince(from: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of stack.slack?.calls.slice(from) ?? [])
    if (call.error !== "ratelimited") counts[call.method] = (counts[call.method] ?? 0) + 1;
  return counts;
}

describe("Slack calls per detach", () => {
  it("no approval: the card, its two updates and one notice; the permalink built, not asked", async () => {
    const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: `calls-${Math.random().toString(36).slice(2, 8)}`,
      media: [SAMPLE.image],
    });
    const from = stack.slack?.calls.length ?? 0;
    const answer = await slash(stack, `detach ${server?.id} ${SAMPLE.image} INC-1`, {
      channel: "C0INCIDENT",
    });
    const op = await finished(stack, answer.operationId as string);
    expect(op.state).toBe("done");
    // users.info: the requester, new to the front door's and the worker's caches.
    // ECL's acceptance rides on the card's update to Detaching: the thread's one reply is the end.
    expect(callsSince(from)).toEqual({ "chat.postMessage": 2, "chat.update": 2, "users.info": 2 });
    expect(stack.slack?.rateRefusals()).toEqual([]);
    expect(earlyCalls(stack)).toEqual([]);
  });

  it("one approval: the card, four updates, two notices, the approver told privately", async () => {
    const from = stack.slack?.calls.length ?? 0;
    const { op } = await awaitingApproval(stack, "C0CHANGES");
    await click(stack, op, "bm_approve", "U0APPROVER1");
    const done = await finished(stack, op.id);
    expect(done.state).toBe("done");
    // The approvers' group: asked by the front door and by the worker's in-force check, each in a
    // cache of its own (lib/runtime/backend.ts); not for the Home tabs, since nobody in this stack
    // has opened one (lib/front-door/republish-home.ts). The approver (front door and worker, each once per container),
    // the clicker's private note; the response_url is the requester's answer.
    const calls = callsSince(from);
    // Approved, Detaching, Done; the worker does not tell `executing` (nothing may stand between
    // its write and the POST to ECL), so the card shows it only when another announcer (the
    // follow-up `finished` runs) finds it owed while the POST is in flight: 3 updates or 4, as
    // the timing falls. Coalescing itself is pinned in test/unit/operations/announce.test.ts.
    expect(calls["chat.update"]).toBeGreaterThanOrEqual(3);
    expect(calls["chat.update"]).toBeLessThanOrEqual(4);
    expect({ ...calls, "chat.update": 0 }).toEqual({
      "chat.postMessage": 3,
      "chat.update": 0,
      "chat.postEphemeral": 1,
      "usergroups.users.list": 2,
      "users.info": 2,
      response_url: 1,
    });
    expect(stack.slack?.rateRefusals()).toEqual([]);
    expect(earlyCalls(stack)).toEqual([]);
  });
});
