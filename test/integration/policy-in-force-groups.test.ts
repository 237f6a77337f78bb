import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack";
import {
  awaitingApproval,
  click,
  detachesOf,
  finished,
  operation,
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

describe("the worker asks Slack again who is in a group", () => {
  it("an approver removed from the group between the click and the worker: failed, never sent", async () => {
    const { op, serverId } = await awaitingApproval(stack);
    // The click, recorded at the front door; the worker has not run yet.
    await click(stack, op, "bm_approve", "U0APPROVER2");
    expect((await operation(stack, op.id)).state).toBe("approved");
    groups.S0APPROVERS = ["U0APPROVER1"];
    try {
      const last = await finished(stack, op.id);
      expect(last.state).toBe("failed");
      expect(last.outcome).toContain("it has 0 valid approvals of the 1 the policy requires");
      expect(detachesOf(stack, serverId)).toEqual([]);
    } finally {
      groups.S0APPROVERS = ["U0APPROVER1", "U0APPROVER2"];
    }
  });
});
