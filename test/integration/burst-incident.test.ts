/**
 * A burst holds (issue 24): 40 slash commands for 40 servers in one incident channel within
 * 10 s, Slack's rate limits on. Every operation ends done, with one card each showing its true
 * state and its completion notice in its thread, no call is made before a Retry-After, and all
 * of it within a bound from Slack's limits (test/support/burst.ts).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack";
import { assertBurst, burstBoundMs, runBurst, sendBurst, slackMinimumMs } from "../support/burst";
import { testStack } from "../support/stack-harness";

const OPERATIONS = 40;
/** The posts each detach needs at least: its card and its completion notice. */
const POSTS_EACH = 2;
const BOUND_MS = burstBoundMs(OPERATIONS, POSTS_EACH);

let stack: LocalStack;
beforeAll(async () => {
  stack = await testStack({ taskMs: 100, env: { BM_DETACH_TIMEOUT_S: "600" } });
});
afterAll(() => stack.close());

it(
  `40 detaches in one incident channel end done, told, within ${BOUND_MS / 1000} s`,
  async () => {
    const started = Date.now();
    const ids = await sendBurst(stack, "C0INCIDENT", OPERATIONS);
    await runBurst(stack, ids, BOUND_MS);
    const tookMs = Date.now() - started;
    await assertBurst(stack, ids, "C0INCIDENT");
    const minimumMs = slackMinimumMs(stack, 0);
    console.info(
      JSON.stringify({
        burst: "incident",
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
