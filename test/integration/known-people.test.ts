import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  auditOf,
  awaitingApproval,
  click,
  drain,
  ECL_ACTIONS,
  operation,
  operationCount,
  slash,
  testStack,
} from "../support/stack-harness";

/**
 * Guests and people from other organisations, through the real handlers: listed only through
 * "*" or a user group, they are refused, as Slack's `users.info` tells bm who they are; named by
 * their id, they may act.
 */
let stack: LocalStack;
const groups = {
  S0APPROVERS: ["U0APPROVER1", "U0APPROVER2", "U0GUEST", "U0VENDOR"],
  S0OPERATORS: ["U0OPERATOR"],
};

beforeAll(async () => {
  stack = await testStack({ groups });
  stack.slack?.setPerson("U0GUEST", { is_restricted: true });
  stack.slack?.setPerson("U0VENDOR", { is_stranger: true, team_id: "T0VENDOR" });
  stack.slack?.setPerson("U0SINGLE", { is_ultra_restricted: true });
});
afterAll(() => stack.close());

const ONLY_BY_NAME =
  "Guests and people from other organisations may act in this channel only where the policy names them by their user id.";

describe("guests and people from other organisations", () => {
  it.each(["U0GUEST", "U0SINGLE", "U0VENDOR"])(
    '%s may not request where requesters are "*": refused, nothing recorded',
    async (user) => {
      const before = await operationCount(stack);
      const answer = await slash(stack, `detach web01 ${SAMPLE.image} INC-1`, {
        channel: "C0INCIDENT",
        user,
      });
      expect(answer.status).toBe(200);
      expect(answer.text).toBe(
        `You may not request media detaches in this channel. ${ONLY_BY_NAME}`,
      );
      expect(await operationCount(stack)).toBe(before);
    },
  );

  it.each([
    ["a guest", "U0GUEST", "not_an_approver_guest"],
    ["someone from another organisation", "U0VENDOR", "not_an_approver_external"],
  ])(
    "%s in the approver group may not approve: refused, audited, nothing sent",
    async (_, user, reason) => {
      const { op, serverId } = await awaitingApproval(stack);
      await click(stack, op, "bm_approve", user);
      expect((await operation(stack, op.id)).state).toBe("awaiting_approval");
      const refusals = (await auditOf(stack, op.id)).filter((e) => e.action.startsWith("refused"));
      expect(refusals).toEqual([
        expect.objectContaining({
          action: `refused:${reason}`,
          actor: expect.objectContaining({ userId: user }),
        }),
      ]);
      const told = stack.slack?.ephemerals.filter((e) => e.user === user).map((e) => e.text) ?? [];
      expect(told.at(-1)).toBe(`You may not approve requests in this channel. ${ONLY_BY_NAME}`);
      await drain(stack);
      expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(serverId))).toEqual([]);
    },
  );

  it("a refusal repeated within a minute is one audit event, each click still answered", async () => {
    const { op } = await awaitingApproval(stack);
    for (let i = 0; i < 5; i++) await click(stack, op, "bm_approve", "U0NOBODY");
    const refusals = (await auditOf(stack, op.id)).filter((e) => e.action.startsWith("refused"));
    // One a minute (two, should the clicks straddle one), its minute named.
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    expect(refusals.length).toBeLessThanOrEqual(2);
    for (const r of refusals) expect(r.facts.minute).toBe(r.at.slice(0, 16));
    const told = stack.slack?.ephemerals.filter((e) => e.user === "U0NOBODY") ?? [];
    expect(told).toHaveLength(5);
  });

  it("a member of the group still approves", async () => {
    const { op } = await awaitingApproval(stack);
    await click(stack, op, "bm_approve", "U0APPROVER1");
    expect((await operation(stack, op.id)).state).toBe("approved");
  });
});
