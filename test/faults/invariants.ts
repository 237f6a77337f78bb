/**
 * The invariants of docs/reliability.md, checked on one operation after its faults have passed
 * and the queue and the follow-up have had their turns.
 */
import { expect } from "vitest";
import { isTerminal } from "../../lib/operations/operation";
import type { LocalStack } from "../../local/stack";
import { auditOf, drain, ECL_ACTIONS, operation, settled, thread } from "../support/stack-harness";

/** Secrets of the local stack that must appear in no message (I6). */
const SECRETS = [
  "local-signing-secret-only-for-the-local-stack",
  "xoxb-local-bot-token",
  "sample-api-key",
  "sample-api-secret",
];

/** Lets deliveries and follow-up rounds run until the operation has ended and said so. */
export async function settle(stack: LocalStack, id: string, timeoutMs = 15_000): Promise<void> {
  await drain(
    stack,
    async () => {
      await stack.followup(150);
      return settled(stack, id);
    },
    timeoutMs,
  );
}

/** Asserts I1–I6 for one operation; `outcome` is the end it must have reached. */
export async function assertInvariants(
  stack: LocalStack,
  id: string,
  outcome: string,
  /** Where this operation's ECL requests start, when others went to the same server before. */
  eclFrom = 0,
): Promise<void> {
  const op = await operation(stack, id);
  // I2: it ended (and its last message is posted).
  expect(op.state).toBe(outcome);
  expect(isTerminal(op.state)).toBe(true);
  // I1: at most one detach accepted by ECL for it.
  const posts = ECL_ACTIONS(stack)
    .slice(eclFrom)
    .filter(
      (r) =>
        !!op.serverId &&
        r.path.includes(op.serverId) &&
        (r.status ?? 0) >= 200 &&
        (r.status ?? 0) < 300,
    );
  expect(posts.length).toBeLessThanOrEqual(1);
  // I3: its audit trail is numbered 1..n without a hole, one event per step.
  const events = (await auditOf(stack, id)).filter((e) => e.seq > 0);
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: op.seq }, (_, i) => i + 1));
  // I4: one parent card, and no thread notice twice.
  const cards = stack.slack?.history(op.channelId).filter((m) => m.text.includes(op.id)) ?? [];
  expect(cards).toHaveLength(1);
  const replies = thread(stack, op).replies;
  expect(new Set(replies).size).toBe(replies.length);
  // I5: the requester heard the outcome, in the thread (mentioned) or privately.
  const told = [
    ...replies,
    ...(stack.slack?.ephemerals.filter((e) => e.user === op.requester).map((e) => e.text) ?? []),
  ];
  expect(told.some((t) => t.includes(`<@${op.requester}>`) || t.includes(op.id))).toBe(true);
  // I6: no secret in any message.
  const everything = JSON.stringify([
    stack.slack?.channels.get(op.channelId),
    stack.slack?.ephemerals,
  ]);
  for (const secret of SECRETS) expect(everything).not.toContain(secret);
}
