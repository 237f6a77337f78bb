import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Operation } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  auditOf,
  click,
  drain,
  ECL_ACTIONS,
  enqueue,
  operation,
  settled,
  slash,
  store,
  testStack,
  thread,
} from "../support/stack-harness";

/**
 * The worker asks the policy in force before each detach, through the real handlers: what the
 * operations table and the queue say (which the internet-facing front door's role may write) is
 * no proof of who may act.
 */
let stack: LocalStack;
const groups = { S0APPROVERS: ["U0APPROVER1", "U0APPROVER2"], S0OPERATORS: ["U0OPERATOR"] };

beforeAll(async () => {
  stack = await testStack({ groups });
});
afterAll(() => stack.close());

/** A request in C0CHANGES for a fresh server, left awaiting approval with its card up. */
async function awaiting(): Promise<{ op: Operation; serverId: string }> {
  const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
    name: `pf-${Math.random().toString(36).slice(2, 8)}`,
    media: [SAMPLE.image],
  });
  const answer = await slash(stack, `detach ${server?.name} ${SAMPLE.image} CHG-9`, {
    channel: "C0CHANGES",
    user: "U0REQUESTER",
  });
  await drain(
    stack,
    async () => (await operation(stack, answer.operationId)).state === "awaiting_approval",
  );
  await drain(stack);
  return { op: await operation(stack, answer.operationId), serverId: server?.id as string };
}

const detachesOf = (serverId: string) =>
  ECL_ACTIONS(stack).filter((r) => r.path.includes(serverId));

async function ended(id: string): Promise<Operation> {
  await drain(stack, async () => {
    await stack.followup(200);
    return settled(stack, id);
  });
  return operation(stack, id);
}

describe("the worker re-checks the policy before it sends", () => {
  it("an item written `approved` by someone in no approver group, with an execute message: failed, never sent", async () => {
    const { op, serverId } = await awaiting();
    // What the front door's role can do: write the item, and send the message.
    const forged = {
      ...op,
      state: "approved" as const,
      rev: op.rev + 1,
      approvals: [{ userId: "U0MALLORY", at: new Date().toISOString() }],
    };
    expect(await store(stack).save(op, forged)).toBeDefined();
    await enqueue(stack, JSON.stringify({ kind: "execute", operationId: op.id }));
    const last = await ended(op.id);
    expect(last.state).toBe("failed");
    expect(last.outcome).toBe(
      "bm did not send the detach: it has 0 valid approvals of the 1 the policy requires (an approver is no longer one of the channel's approvers). Nothing was sent to ECL.",
    );
    expect(detachesOf(serverId)).toEqual([]);
    expect(stack.ecl?.model.server(serverId)?.media).toContain(SAMPLE.image);
    const trail = await auditOf(stack, op.id);
    expect(trail.at(-1)).toMatchObject({
      action: "failed",
      actor: { userId: "bm" },
      facts: { refusedBy: "policy in force", reason: "approvals_short" },
    });
    expect(thread(stack, last).replies.join("\n")).toContain(
      "<@U0REQUESTER> the detach failed: bm did not send the detach",
    );
  });

  it("a real approval by a current approver still goes out, once", async () => {
    const { op, serverId } = await awaiting();
    await click(stack, op, "bm_approve", "U0APPROVER1");
    const last = await ended(op.id);
    expect(last.state).toBe("done");
    expect(detachesOf(serverId)).toHaveLength(1);
  });
});
