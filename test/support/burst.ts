/**
 * A burst of requests in one channel, run to its end with Slack's rate limits on, and what the
 * burst tests assert of it (test/integration/burst-*.test.ts): every operation done, one card
 * each showing its true last state, each thread with its completion notice, no call before a
 * Retry-After, and all within a bound computed from Slack's limits.
 */
import { expect } from "vitest";
import { POST_BURST, POST_REFILL_MS, perMinute, WINDOW_MS } from "../../lib/slack/rate-tiers";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { drain, earlyCalls, operation, settled, slash, thread } from "./stack-harness";

/** How long the commands of a burst may take to send, all of them: the 10 s. */
export const BURST_SEND_MS = 10_000;

/**
 * Adds `count` servers with the sample image to the ECL simulator and sends one slash command
 * for each, by id, in `channel`, as fast as the front door answers. Returns the operation ids.
 */
export async function sendBurst(
  stack: LocalStack,
  channel: string,
  count: number,
  user = "U0REQUESTER",
): Promise<string[]> {
  const started = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: `burst-${channel.toLowerCase()}-${i}`,
      media: [SAMPLE.image],
    });
    const answer = await slash(stack, `detach ${server?.id} ${SAMPLE.image} burst ${i}`, {
      channel,
      user,
    });
    expect(answer.operationId).toMatch(/^op-/);
    ids.push(answer.operationId as string);
  }
  expect(Date.now() - started).toBeLessThan(BURST_SEND_MS);
  return ids;
}

/**
 * Delivers the queue and runs the follow-up until every operation has settled (ended, its last
 * message posted, its trail written); `each` runs every round (a click on the cards that have
 * arrived, say).
 */
export async function runBurst(
  stack: LocalStack,
  ids: string[],
  timeoutMs: number,
  each: () => Promise<void> = async () => {},
): Promise<void> {
  await drain(
    stack,
    async () => {
      await each();
      await stack.followup(2000);
      for (const id of ids) if (!(await settled(stack, id))) return false;
      return true;
    },
    timeoutMs,
  );
}

/**
 * The shortest time Slack's limits allow for the Web API calls made since call `from`: the posts
 * in one channel past its burst, one a second; and each method's calls past its tier's minute.
 */
export function slackMinimumMs(stack: LocalStack, from: number): number {
  const counts = new Map<string, number>();
  for (const call of stack.slack?.calls.slice(from) ?? [])
    if (call.error !== "ratelimited") counts.set(call.method, (counts.get(call.method) ?? 0) + 1);
  let minimum = 0;
  for (const [method, n] of counts) {
    minimum = Math.max(minimum, Math.floor((n - 1) / perMinute(method)) * WINDOW_MS);
    if (method === "chat.postMessage")
      minimum = Math.max(minimum, Math.max(0, n - POST_BURST) * POST_REFILL_MS);
  }
  return minimum;
}

/** The bound a burst must end within: twice the limits' minimum for the posts it needs, plus 30 s. */
export function burstBoundMs(ops: number, postsEach: number): number {
  return 2 * Math.max(0, ops * postsEach - POST_BURST) * POST_REFILL_MS + 30_000;
}

/**
 * What a burst must show once it has run: each operation `done`, exactly one card each in the
 * channel (and nothing else posted there), each card's last state Done, each thread ending with
 * its completion notice, and no call before a Retry-After.
 */
export async function assertBurst(stack: LocalStack, ids: string[], channel: string) {
  const ops = await Promise.all(ids.map((id) => operation(stack, id)));
  expect(ops.map((op) => op.state)).toEqual(ids.map(() => "done"));
  const top = stack.slack?.history(channel).filter((m) => !m.threadTs) ?? [];
  expect(top.map((m) => m.ts).sort()).toEqual(ops.map((op) => op.parentTs).sort());
  for (const op of ops) {
    const seen = thread(stack, op);
    expect(seen.parent).toContain(`*Media detach* \`${op.id}\` · :white_check_mark: Done`);
    expect(seen.replies.at(-1)).toMatch(
      new RegExp(`^:white_check_mark: <@U0REQUESTER> done: image \`${SAMPLE.image}\` is detached`),
    );
    expect(seen.replies.filter((r) => r.includes(" done: image "))).toHaveLength(1);
  }
  expect(earlyCalls(stack)).toEqual([]);
}
