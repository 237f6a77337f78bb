import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  auditOf,
  click,
  drain,
  operation,
  settled,
  slash,
  testStack,
  thread,
} from "../support/stack-harness";

/**
 * Re-check: a timed-out detach is often a slow one. Its card and notice carry a Re-check button;
 * the worker reads the server and moves it to done, or tells the clicker what it still shows.
 */
let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack({
    taskMs: 150,
    env: { BM_DETACH_TIMEOUT_S: "1" },
  });
});
afterAll(() => stack.close());

const model = () => {
  const m = stack.ecl?.model;
  if (!m) throw new Error("no simulator");
  return m;
};

/** A detach in `channel` that times out: ECL's task is held, so it does not end by itself. */
async function timedOut(channel = "C0INCIDENT", user = "U0REQUESTER") {
  const server = model().addServer(SAMPLE.tenantId, {
    name: `rc-${Math.random().toString(36).slice(2, 8)}`,
    media: [SAMPLE.image],
  });
  model().hold(server.id);
  const answer = await slash(stack, `detach ${server.name} ${SAMPLE.image}`, { channel, user });
  await drain(
    stack,
    async () => {
      await stack.followup(200);
      return settled(stack, answer.operationId);
    },
    30_000,
  );
  const op = await operation(stack, answer.operationId);
  expect(op.state).toBe("timed_out");
  return { op, server };
}

/** ECL finishes the detach late. */
function finishLate(serverId: string) {
  model().release(serverId);
}

const ephemeralsOf = (user: string) =>
  stack.slack?.ephemerals.filter((e) => e.user === user).map((e) => e.text) ?? [];

const recheckButton = (blocks: unknown) =>
  JSON.stringify(blocks ?? []).includes('"action_id":"bm_recheck"');

describe("Re-check", () => {
  it("is on the card and the notice of a timed-out detach, and nowhere else", async () => {
    const { op } = await timedOut();
    const parent = stack.slack?.history(op.channelId).find((m) => m.ts === op.parentTs);
    expect(recheckButton(parent?.blocks)).toBe(true);
    expect(recheckButton(parent?.replies.at(-1)?.blocks)).toBe(true);
    expect(parent?.replies.slice(0, -1).some((r) => recheckButton(r.blocks))).toBe(false);
  });

  it("moves a detach ECL finished late to done, with the clicker as its actor, and tells the thread", async () => {
    const { op, server } = await timedOut();
    finishLate(server.id);

    const answer = await click(stack, op, "bm_recheck", "U0BOB");
    expect(answer.status).toBe(200);
    expect(ephemeralsOf("U0BOB").at(-1)).toContain(`bm is reading \`${server.name}\` again`);
    await drain(stack, async () => (await operation(stack, op.id)).state === "done");
    await drain(stack, () => settled(stack, op.id));

    const done = await operation(stack, op.id);
    const seen = thread(stack, done);
    expect(seen.parent).toContain(":white_check_mark: Done");
    expect(
      recheckButton(stack.slack?.history(op.channelId).find((m) => m.ts === op.parentTs)?.blocks),
    ).toBe(false);
    expect(seen.replies.at(-1)).toMatch(
      new RegExp(
        `^:white_check_mark: <@U0REQUESTER> done after all: <@U0BOB>'s re-check found image \`${SAMPLE.image}\` detached from \`${server.name}\` and the server idle, \\d+\\.\\ds after bm sent it to ECL\\.$`,
      ),
    );
    expect(ephemeralsOf("U0BOB").at(-1)).toBe(
      `Re-checked: \`${server.name}\` is idle and image \`${SAMPLE.image}\` is detached. \`${op.id}\` is done.`,
    );
    expect((await auditOf(stack, op.id)).at(-1)).toMatchObject({
      action: "done",
      from: "timed_out",
      actor: { userId: "U0BOB" },
      facts: { recheckedBy: "U0BOB", image: "absent" },
    });
  });

  it("done after all: a request awaiting approval for the image is told and ended", async () => {
    const server = model().addServer(SAMPLE.tenantId, {
      name: `rc-${Math.random().toString(36).slice(2, 8)}`,
      media: [SAMPLE.image],
    });
    const change = await slash(stack, `detach ${server.id} ${SAMPLE.image} CHG-11`, {
      channel: "C0CHANGES",
    });
    await drain(
      stack,
      async () => (await operation(stack, change.operationId)).state === "awaiting_approval",
    );
    await drain(stack);
    // Break-glass times out (ECL's task held), then ECL finishes late and a re-check sees it.
    model().hold(server.id);
    const incident = await slash(stack, `detach ${server.id} ${SAMPLE.image} INC-11`);
    await drain(
      stack,
      async () => {
        await stack.followup(200);
        return settled(stack, incident.operationId);
      },
      30_000,
    );
    const timedOutOp = await operation(stack, incident.operationId);
    expect(timedOutOp.state).toBe("timed_out");
    expect((await operation(stack, change.operationId)).state).toBe("awaiting_approval");
    finishLate(server.id);

    await click(stack, timedOutOp, "bm_recheck", "U0BOB");
    await drain(stack, async () => settled(stack, change.operationId));

    expect((await operation(stack, incident.operationId)).state).toBe("done");
    const moot = await operation(stack, change.operationId);
    expect(moot).toMatchObject({
      state: "noop",
      detachedFirst: { by: incident.operationId, channelId: "C0INCIDENT" },
    });
    expect(thread(stack, moot).replies.at(-1)).toBe(
      `:information_source: <@U0REQUESTER> nothing to do: \`${incident.operationId}\` (in <#C0INCIDENT>) detached this image first; this request cannot send a second detach. Nothing was sent to ECL.`,
    );
  });

  it("tells the clicker alone what the server still shows, audited, the thread untouched", async () => {
    const { op, server } = await timedOut();
    const before = thread(stack, op).replies.length;

    await click(stack, op, "bm_recheck", "U0CAROL");
    await drain(stack, async () =>
      ephemeralsOf("U0CAROL").some((t) => t.startsWith("Re-checked:")),
    );

    expect(ephemeralsOf("U0CAROL").at(-1)).toBe(
      `Re-checked: \`${server.name}\` still shows task_state MEDIA_DETACHING with the image attached. \`${op.id}\` stays timed out; re-check again later, or look in the ECL console.`,
    );
    const after = await operation(stack, op.id);
    expect(after.state).toBe("timed_out");
    expect(thread(stack, after).replies).toHaveLength(before);
    expect((await auditOf(stack, op.id)).at(-1)).toMatchObject({
      action: "recheck",
      actor: { userId: "U0CAROL" },
      facts: { recheckedBy: "U0CAROL", taskState: "MEDIA_DETACHING", image: "attached" },
    });
  });

  it("is refused to someone who may not request in the channel, audited", async () => {
    const { op } = await timedOut("C0OPS", "U0OPERATOR");
    await click(stack, op, "bm_recheck", "U0STRANGER");
    expect(ephemeralsOf("U0STRANGER").at(-1)).toBe(
      `You may not re-check here: only the channel's requesters may. \`${op.id}\` is unchanged.`,
    );
    expect((await auditOf(stack, op.id)).some((e) => e.action === "refused:not_a_requester")).toBe(
      true,
    );
  });

  it("/bm status <operation-id> of a timed-out detach re-checks it", async () => {
    const { op, server } = await timedOut();
    finishLate(server.id);
    await slash(stack, `status ${op.id}`, { user: "U0DAVE" });
    await drain(stack, async () => (await operation(stack, op.id)).state === "done");
    expect((await auditOf(stack, op.id)).find((e) => e.action === "done")?.actor.userId).toBe(
      "U0DAVE",
    );
  });

  it("when ECL cannot be read, tries again, and at the last try tells the clicker nothing changed", async () => {
    const { op, server } = await timedOut();
    model().inject({ route: "show", server: server.id, status: 503, times: 1000 });
    await click(stack, op, "bm_recheck", "U0ERIN");
    await drain(
      stack,
      async () => ephemeralsOf("U0ERIN").some((t) => t.startsWith("bm could not re-check")),
      45_000,
    );
    model().clearFaults();
    expect(ephemeralsOf("U0ERIN").at(-1)).toMatch(
      new RegExp(
        `^bm could not re-check \`${op.id}\`: ECL answered 503 .*Nothing changed; click Re-check again later.$`,
      ),
    );
    expect((await operation(stack, op.id)).state).toBe("timed_out");
    expect(stack.queue?.deadLetters ?? []).toHaveLength(0);
  }, 60_000);
});
