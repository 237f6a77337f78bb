import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Operation } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  auditOf,
  click,
  drain,
  ECL_ACTIONS,
  operation,
  settled,
  slash,
  testStack,
  thread,
} from "../support/stack-harness";

/**
 * Break-glass is never blocked by a request that only waits (issue 21, finding 3): the lock on a
 * server's image is held from approval (or from the start of an operation needing none) to the
 * end, not from the moment the card goes up. C0CHANGES (1 approval) and C0INCIDENT (none) are
 * bound to the same tenant in the tests' policy.
 */
let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack();
});
afterAll(() => stack.close());

async function finish(id: string): Promise<Operation> {
  await drain(stack, async () => {
    await stack.followup(200);
    return settled(stack, id);
  });
  return operation(stack, id);
}

describe("a request left awaiting approval, then the on-call's detach of the same image", () => {
  it("break-glass ends done; the pending request is told, ends, and never sends a second detach", async () => {
    // Prepare: a request in the change channel, left awaiting approval, its card up.
    const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: `bg-${Math.random().toString(36).slice(2, 8)}`,
      media: [SAMPLE.image],
    });
    const serverId = server?.id as string;
    const request = await slash(stack, `detach ${serverId} ${SAMPLE.image} CHG-9 planned`, {
      channel: "C0CHANGES",
      user: "U0REQUESTER",
    });
    await drain(
      stack,
      async () => (await operation(stack, request.operationId)).state === "awaiting_approval",
    );
    await drain(stack);
    const pending = await operation(stack, request.operationId);
    expect(pending.state).toBe("awaiting_approval");

    // Act: the on-call detaches the same image of the same server in the incident channel.
    const incident = await slash(stack, `detach ${serverId} ${SAMPLE.image} reboot loop`, {
      channel: "C0INCIDENT",
      user: "U0ONCALL",
    });
    const breakGlass = await finish(incident.operationId as string);

    // Assess: break-glass went through; ECL shows the image gone.
    expect(breakGlass.state).toBe("done");
    expect(stack.ecl?.model.server(serverId)?.media).toEqual([]);
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(serverId))).toHaveLength(1);

    // The pending request was told, in its card and its thread, and has ended.
    const told = await finish(pending.id);
    expect(told.state).toBe("noop");
    const said = `\`${breakGlass.id}\` (in <#C0INCIDENT>) detached this image first; this request cannot send a second detach. Nothing was sent to ECL.`;
    const seen = thread(stack, told);
    expect(seen.parent).toContain(`:information_source: Nothing to do`);
    expect(seen.parent).toContain(said);
    expect(seen.parent).not.toContain("bm_approve");
    expect(seen.replies.at(-1)).toBe(`:information_source: <@U0REQUESTER> nothing to do: ${said}`);
    const trail = await auditOf(stack, pending.id);
    expect(trail.map((e) => e.action)).toEqual(["requested", "awaiting_approval", "noop"]);
    expect(trail.at(-1)?.facts).toMatchObject({ detachedBy: breakGlass.id });

    // An approval that comes after changes nothing: no second detach reaches ECL.
    const late = await click(stack, told, "bm_approve", "U0APPROVER1");
    expect(late.status).toBe(200);
    expect(stack.slack?.ephemerals.filter((e) => e.user === "U0APPROVER1").at(-1)?.text).toBe(
      `\`${pending.id}\` is noop: there is nothing to approve any more.`,
    );
    await drain(stack);
    await stack.followup(200);
    expect((await operation(stack, pending.id)).state).toBe("noop");
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(serverId))).toHaveLength(1);
  });

  it("a request approved while break-glass is detaching meets its lock, names it, and sends nothing", async () => {
    const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: `bg-${Math.random().toString(36).slice(2, 8)}`,
      media: [SAMPLE.image],
    });
    const serverId = server?.id as string;
    const request = await slash(stack, `detach ${serverId} ${SAMPLE.image} CHG-10`, {
      channel: "C0CHANGES",
    });
    await drain(
      stack,
      async () => (await operation(stack, request.operationId)).state === "awaiting_approval",
    );
    await drain(stack);

    // Break-glass is accepted by ECL; the approval lands while it is still detaching.
    stack.ecl?.model.hold(serverId);
    const incident = await slash(stack, `detach ${serverId} ${SAMPLE.image} now`, {
      channel: "C0INCIDENT",
      user: "U0ONCALL",
    });
    await drain(
      stack,
      async () => (await operation(stack, incident.operationId)).state === "detaching",
    );
    await click(stack, await operation(stack, request.operationId), "bm_approve", "U0APPROVER1");
    const approved = await finish(request.operationId as string);

    // It met the break-glass operation holding the lock, and named it.
    expect(approved.state).toBe("noop");
    expect(approved.outcome).toContain(`another request, ${incident.operationId}, is already`);
    stack.ecl?.model.release(serverId);
    expect((await finish(incident.operationId as string)).state).toBe("done");
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(serverId))).toHaveLength(1);
  });
});
