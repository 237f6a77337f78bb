/**
 * A burst holds with approvals (issue 24): 20 requests in the changes channel within 10 s, Slack's
 * rate limits on, each approved by the second approver as its card arrives. Every operation ends
 * done, one card each showing its true state, its completion notice in its thread, no call
 * before a Retry-After, within a bound from Slack's limits (test/support/burst.ts).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack";
import { assertBurst, burstBoundMs, runBurst, sendBurst, slackMinimumMs } from "../support/burst";
import { click, operation, testStack } from "../support/stack-harness";

const OPERATIONS = 20;
/** The posts each approved detach needs at least: its card and its completion notice. */
const POSTS_EACH = 2;
const BOUND_MS = burstBoundMs(OPERATIONS, POSTS_EACH) * 2;

let stack: LocalStack;
beforeAll(async () => {
  stack = await testStack({ taskMs: 100, env: { BM_DETACH_TIMEOUT_S: "600" } });
});
afterAll(() => stack.close());

it(
  `20 approved detaches in one changes channel end done, told, within ${BOUND_MS / 1000} s`,
  async () => {
    const started = Date.now();
    const ids = await sendBurst(stack, "C0CHANGES", OPERATIONS);
    const clicked = new Set<string>();
    // Each card approved as soon as it is up, by an approver who is not the requester.
    const approveArrived = async () => {
      for (const id of ids) {
        if (clicked.has(id)) continue;
        const op = await operation(stack, id);
        if (op.state !== "awaiting_approval" || !op.parentTs) continue;
        const answer = await click(stack, op, "bm_approve", "U0APPROVER2");
        expect(answer.status).toBe(200);
        clicked.add(id);
      }
    };
    await runBurst(stack, ids, BOUND_MS, approveArrived);
    const tookMs = Date.now() - started;
    expect(clicked.size).toBe(OPERATIONS);
    await assertBurst(stack, ids, "C0CHANGES");
    const minimumMs = slackMinimumMs(stack, 0);
    console.info(
      JSON.stringify({
        burst: "approvals",
        tookMs,
        minimumMs,
        boundMs: BOUND_MS,
        calls: stack.slack?.calls.length,
      }),
    );
    expect(tookMs).toBeLessThanOrEqual(BOUND_MS);
  },
  BOUND_MS + 60_000,
);
