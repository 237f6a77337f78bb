import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Operation } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  click,
  drain,
  ECL_ACTIONS,
  operation,
  settled,
  slash,
  testStack,
} from "../support/stack-harness";

/**
 * Someone removed from the approvers after their click no longer counts at the worker. A file
 * (so a stack) of its own: the worker keeps a group's members for a minute
 * (WORKER_GROUPS_TTL_MS), so no earlier lookup of S0APPROVERS in its container may stand in for
 * the one asked here.
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

describe("the worker asks Slack again who is in a group", () => {
  it("an approver removed from the group between the click and the worker: failed, never sent", async () => {
    const { op, serverId } = await awaiting();
    // The click, recorded at the front door; the worker has not run yet.
    await click(stack, op, "bm_approve", "U0APPROVER2");
    expect((await operation(stack, op.id)).state).toBe("approved");
    groups.S0APPROVERS = ["U0APPROVER1"];
    try {
      const last = await ended(op.id);
      expect(last.state).toBe("failed");
      expect(last.outcome).toContain("it has 0 valid approvals of the 1 the policy requires");
      expect(detachesOf(serverId)).toEqual([]);
    } finally {
      groups.S0APPROVERS = ["U0APPROVER1", "U0APPROVER2"];
    }
  });
});
