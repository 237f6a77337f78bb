import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  auditOf,
  awaitingApproval,
  click,
  detachesOf,
  enqueue,
  finished,
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

describe("the worker re-checks the policy before it sends", () => {
  it("an item written `approved` by someone in no approver group, with an execute message: failed, never sent", async () => {
    const { op, serverId } = await awaitingApproval(stack);
    // What the front door's role can do: write the item, and send the message.
    const forged = {
      ...op,
      state: "approved" as const,
      rev: op.rev + 1,
      approvals: [{ userId: "U0MALLORY", at: new Date().toISOString() }],
    };
    expect(await store(stack).save(op, forged)).toBeDefined();
    await enqueue(stack, JSON.stringify({ kind: "execute", operationId: op.id }));
    const last = await finished(stack, op.id);
    expect(last.state).toBe("failed");
    expect(last.outcome).toBe(
      "bm did not send the detach: it has 0 valid approvals of the 1 the policy requires (an approver is no longer one of the channel's approvers). Nothing was sent to ECL.",
    );
    expect(detachesOf(stack, serverId)).toEqual([]);
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

  it("an item written `approved` naming another tenant's secret, with an execute message: failed, that secret never used", async () => {
    // A secret bm holds, whose credentials ECL would take: the worker must not even ask for a token.
    const other = "bm/tenant/other";
    stack.secretsManager?.secrets.set(
      other,
      JSON.stringify({
        tenant_id: SAMPLE.tenantId,
        identity_endpoint: stack.ecl?.url,
        api_key: "other-api-key",
        api_secret: SAMPLE.apiSecret,
      }),
    );
    const { op, serverId } = await awaitingApproval(stack);
    const forged = {
      ...op,
      state: "approved" as const,
      rev: op.rev + 1,
      secretId: other,
      approvals: [{ userId: "U0APPROVER1", at: new Date().toISOString() }],
    };
    expect(await store(stack).save(op, forged)).toBeDefined();
    const eclBefore = stack.ecl?.requests.length;
    await enqueue(stack, JSON.stringify({ kind: "execute", operationId: op.id }));
    const last = await finished(stack, op.id);
    expect(last.state).toBe("failed");
    expect(last.outcome).toBe(
      "bm did not send the detach: it names a tenant or a secret that is not its channel's in the policy. Nothing was sent to ECL.",
    );
    // No ECL call at all for it: no token asked with the other credentials, no read, no POST.
    const since = stack.ecl?.requests.slice(eclBefore) ?? [];
    expect(since.filter((r) => r.path.includes(serverId))).toEqual([]);
    expect(stack.ecl?.requests.filter((r) => String(r.body).includes("other-api-key"))).toEqual([]);
    expect(
      stack.secretsManager?.calls.filter((c) => c.body.SecretId === other).map((c) => c.target) ??
        [],
    ).toEqual([]);
    expect(detachesOf(stack, serverId)).toEqual([]);
    expect((await auditOf(stack, op.id)).at(-1)).toMatchObject({
      action: "failed",
      facts: { refusedBy: "policy in force", reason: "tenant_not_the_channels" },
    });
  });

  it("a real approval by a current approver still goes out, once", async () => {
    const { op, serverId } = await awaitingApproval(stack);
    await click(stack, op, "bm_approve", "U0APPROVER1");
    const last = await finished(stack, op.id);
    expect(last.state).toBe("done");
    expect(detachesOf(stack, serverId)).toHaveLength(1);
  });
});
