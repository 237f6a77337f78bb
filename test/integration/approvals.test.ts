import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Operation } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  auditOf,
  awaitingApproval,
  click,
  drain,
  ECL_ACTIONS,
  finished,
  operation,
  slash,
  store,
  submitReject,
  testStack,
  thread,
} from "../support/stack-harness";

/** Approvals through the real handlers: signed block_actions and view_submission payloads. */
let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack();
});
afterAll(() => stack.close());

const awaiting = (channel: string, requester?: string) =>
  awaitingApproval(stack, channel, requester);
const finish = (id: string) => finished(stack, id);

const ephemeralsOf = (user: string) =>
  stack.slack?.ephemerals.filter((e) => e.user === user).map((e) => e.text) ?? [];
const buttons = (op: Operation) =>
  JSON.stringify(
    stack.slack?.history(op.channelId).find((m) => m.ts === op.parentTs)?.blocks ?? [],
  );

describe("the approval card", () => {
  it("shows who asks, why, the server's state, what is needed from whom, the expiry, and three buttons", async () => {
    const { op, serverId } = await awaiting("C0CHANGES");
    const seen = thread(stack, op);
    expect(seen.parent).toContain(`*Media detach* \`${op.id}\` · :raised_hand: Awaiting approval`);
    expect(seen.parent).toContain("*Requested by*\n<@U0REQUESTER>");
    expect(seen.parent).toContain(`(\`${serverId}\`)`);
    expect(seen.parent).toContain("*Server state*\ntask_state None, power RUNNING");
    expect(seen.parent).toContain("*Reason*\nCHG-1");
    expect(seen.parent).toMatch(
      /\*Approval\*\n1 needed from <!subteam\^S0APPROVERS>\nexpires <!date\^\d+\^\{date_num\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>/,
    );
    // The notification says who asks, for which server, why, and what is needed from whom.
    expect(stack.slack?.history(op.channelId).find((m) => m.ts === op.parentTs)?.text).toMatch(
      new RegExp(
        `^<@U0REQUESTER> asks to detach image [0-9a-f-]{36} from \\S+: CHG-1 — needs 1 approval from <!subteam\\^S0APPROVERS> \\(${op.id}\\)$`,
      ),
    );
    const card = buttons(op);
    for (const action of ["bm_approve", "bm_reject", "bm_cancel"])
      expect(card).toContain(`"action_id":"${action}","value":"${op.id}"`);
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(serverId))).toEqual([]);
  });
});

describe("approving", () => {
  it("one approval from a member of the approvers group: approved, executed, done; the card loses its buttons", async () => {
    const { op, serverId } = await awaiting("C0CHANGES");
    await click(stack, op, "bm_approve", "U0APPROVER1");
    expect(ephemeralsOf("U0APPROVER1").at(-1)).toBe(
      `You approved \`${op.id}\` (1 of 1): bm goes on with the detach.`,
    );

    const done = await finish(op.id);
    expect(done.state).toBe("done");
    expect(done.approvals?.map((a) => a.userId)).toEqual(["U0APPROVER1"]);
    const seen = thread(stack, done);
    expect(seen.parent).toMatch(
      /:white_check_mark: <@U0APPROVER1> approved, <!date\^\d+\^\{date_num\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>/,
    );
    expect(buttons(done)).not.toContain("bm_approve");
    expect(seen.replies[0]).toBe(
      ":white_check_mark: Approved by <@U0APPROVER1>. bm goes on with the detach.",
    );
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(serverId))).toHaveLength(1);
    const events = await auditOf(stack, op.id);
    expect(events.find((e) => e.action === "approved")?.actor).toEqual({
      teamId: "T0001",
      userId: "U0APPROVER1",
    });
  });

  it("two approvals needed: the first is counted and shown, the second executes", async () => {
    const { op } = await awaiting("C0TWOKEYS");
    await click(stack, op, "bm_approve", "U0LEAD");
    await drain(stack);
    const half = await operation(stack, op.id);
    expect(half.state).toBe("awaiting_approval");
    expect(thread(stack, half).replies).toEqual([
      ":white_check_mark: <@U0LEAD> approved (1 of 2).",
    ]);
    expect(buttons(half)).toContain("bm_approve");

    await click(stack, half, "bm_approve", "U0APPROVER2");
    const done = await finish(op.id);
    expect(done.state).toBe("done");
    expect(done.approvals?.map((a) => a.userId)).toEqual(["U0LEAD", "U0APPROVER2"]);
    expect((await auditOf(stack, op.id)).map((e) => e.action)).toEqual([
      "requested",
      "awaiting_approval",
      "approval",
      "approved",
      "executing",
      "detaching",
      "done",
    ]);
  });

  it("refuses a self-approval where the policy forbids it, and allows it where it allows it", async () => {
    const forbidden = await awaiting("C0CHANGES", "U0APPROVER1");
    await click(stack, forbidden.op, "bm_approve", "U0APPROVER1");
    expect(ephemeralsOf("U0APPROVER1").at(-1)).toBe(
      "You may not approve your own request in this channel: a second person must.",
    );
    expect((await operation(stack, forbidden.op.id)).state).toBe("awaiting_approval");
    expect((await auditOf(stack, forbidden.op.id)).at(-1)).toMatchObject({
      action: "refused:self_approval",
      actor: { userId: "U0APPROVER1" },
    });

    const allowed = await awaiting("C0TWOKEYS", "U0LEAD");
    await click(stack, allowed.op, "bm_approve", "U0LEAD");
    expect(ephemeralsOf("U0LEAD").at(-1)).toBe(`You approved \`${allowed.op.id}\` (1 of 2).`);
  });

  it("refuses an outsider, and a second click by the same approver, changing nothing", async () => {
    const { op } = await awaiting("C0TWOKEYS");
    await click(stack, op, "bm_approve", "U0OUTSIDER");
    expect(ephemeralsOf("U0OUTSIDER").at(-1)).toBe(
      "You may not approve requests in this channel: you are not one of its approvers in the policy.",
    );

    await click(stack, op, "bm_approve", "U0APPROVER1");
    const before = await operation(stack, op.id);
    await click(stack, op, "bm_approve", "U0APPROVER1");
    expect(ephemeralsOf("U0APPROVER1").at(-1)).toBe("You have already approved this request.");
    const after = await operation(stack, op.id);
    expect(after.approvals).toEqual(before.approvals);
    expect(after.state).toBe("awaiting_approval");
    const refusals = (await auditOf(stack, op.id))
      .filter((e) => e.action.startsWith("refused:"))
      .map((e) => e.action);
    expect(refusals).toEqual(["refused:not_an_approver", "refused:already_approved"]);
  });

  it("two approvers clicking at once with one approval needed: one approval, one detach", async () => {
    const { op, serverId } = await awaiting("C0CHANGES");
    await Promise.all([
      click(stack, op, "bm_approve", "U0APPROVER1"),
      click(stack, op, "bm_approve", "U0APPROVER2"),
    ]);
    const done = await finish(op.id);
    expect(done.state).toBe("done");
    expect(done.approvals).toHaveLength(1);
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(serverId))).toHaveLength(1);
    expect(
      ephemeralsOf("U0APPROVER1")
        .concat(ephemeralsOf("U0APPROVER2"))
        .filter((t) => t.includes(op.id) && t.includes("there is nothing to approve")),
    ).toHaveLength(1);
  });
});

describe("rejecting", () => {
  it("opens the modal, and a reason rejects: the card shows who and why, without buttons", async () => {
    const { op, serverId } = await awaiting("C0CHANGES");
    await click(stack, op, "bm_reject", "U0APPROVER2");
    const modal = stack.slack?.views.at(-1)?.view as {
      callback_id: string;
      private_metadata: string;
      blocks: Array<{ block_id?: string; element?: { action_id: string } }>;
    };
    expect(modal.callback_id).toBe("bm_reject_reason");
    expect(modal.private_metadata).toBe(op.id);
    expect(modal.blocks.find((b) => b.block_id === "reason")?.element?.action_id).toBe("reason");

    const submitted = await submitReject(stack, op, "U0APPROVER2", "not during the freeze");
    expect(submitted.status).toBe(200);
    expect(stack.slack?.ephemerals.at(-1)).toMatchObject({
      channel: "C0CHANGES",
      user: "U0APPROVER2",
      text: `You rejected \`${op.id}\`.`,
    });
    const rejected = await finish(op.id);
    expect(rejected).toMatchObject({
      state: "rejected",
      rejectedBy: "U0APPROVER2",
      rejectReason: "not during the freeze",
    });
    expect(thread(stack, rejected).parent).toContain(
      ":no_entry: <@U0APPROVER2> rejected: not during the freeze",
    );
    expect(buttons(rejected)).not.toContain("bm_approve");
    expect(thread(stack, rejected).replies.at(-1)).toBe(
      ":no_entry: <@U0REQUESTER> <@U0APPROVER2> rejected the request: not during the freeze. Nothing was sent to ECL.",
    );
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(serverId))).toEqual([]);
  });

  it("a reject without a reason is refused by the modal", async () => {
    const { op } = await awaiting("C0CHANGES");
    const submitted = await submitReject(stack, op, "U0APPROVER1", "   ");
    expect(JSON.parse(submitted.body)).toEqual({
      response_action: "errors",
      errors: { reason: "A reason is required." },
    });
    expect((await operation(stack, op.id)).state).toBe("awaiting_approval");
  });
});

describe("cancelling", () => {
  it("by the requester, with the button or the command", async () => {
    const first = await awaiting("C0CHANGES", "U0ALICE");
    await click(stack, first.op, "bm_cancel", "U0ALICE");
    expect((await finish(first.op.id)).state).toBe("cancelled");
    expect(thread(stack, await operation(stack, first.op.id)).replies.at(-1)).toBe(
      ":heavy_multiplication_x: <@U0ALICE> cancelled the request. Nothing was sent to ECL.",
    );

    const second = await awaiting("C0CHANGES", "U0ALICE");
    const answer = await slash(stack, `cancel ${second.op.id}`, {
      channel: "C0CHANGES",
      user: "U0ALICE",
    });
    expect(answer.text).toBe(`You cancelled \`${second.op.id}\`. Nothing was sent to ECL.`);
    expect((await operation(stack, second.op.id)).cancelledBy).toBe("U0ALICE");
  });

  it("refused for anyone else, and audited", async () => {
    const { op } = await awaiting("C0CHANGES", "U0ALICE");
    await click(stack, op, "bm_cancel", "U0APPROVER1");
    expect(ephemeralsOf("U0APPROVER1").at(-1)).toBe(
      `Only the person who asked for \`${op.id}\` may cancel it.`,
    );
    const answer = await slash(stack, `cancel ${op.id}`, { channel: "C0CHANGES", user: "U0BOB" });
    expect(answer.text).toBe(`Only the person who asked for \`${op.id}\` may cancel it.`);
    expect((await operation(stack, op.id)).state).toBe("awaiting_approval");
    expect(
      (await auditOf(stack, op.id)).filter((e) => e.action === "refused:not_the_requester"),
    ).toHaveLength(2);
  });
});

describe("expiry", () => {
  /** Moves the request's deadline into the past, as time passing would. */
  async function expire(op: Operation): Promise<Operation> {
    const current = await operation(stack, op.id);
    const past = (await store(stack).save(current, {
      ...current,
      requestExpiresAt: new Date(Date.now() - 1000).toISOString(),
    })) as Operation;
    return past;
  }

  it("the follow-up expires an unanswered request: the card says so without buttons, and the thread too", async () => {
    const { op } = await awaiting("C0TWOKEYS");
    await expire(op);
    const expired = await finish(op.id);
    expect(expired.state).toBe("expired");
    expect(thread(stack, expired).parent).toContain(":clock3: Expired");
    expect(buttons(expired)).not.toContain("bm_approve");
    expect(thread(stack, expired).replies.at(-1)).toBe(
      ":clock3: <@U0REQUESTER> nobody approved within 5 min, so the request has expired. Nothing was sent to ECL.",
    );
  });

  it("an approval racing the expiry: exactly one outcome", async () => {
    const { op, serverId } = await awaiting("C0CHANGES");
    const late = await expire(op);
    await Promise.all([click(stack, late, "bm_approve", "U0APPROVER1"), stack.followup(150)]);
    const end = await finish(op.id);
    expect(end.state).toBe("expired");
    expect(ephemeralsOf("U0APPROVER1").at(-1)).toMatch(
      new RegExp(
        `\`${op.id}\` (has expired: nobody approved it within 30 min\\.|is expired: there is nothing to approve any more\\.)`,
      ),
    );
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(serverId))).toEqual([]);
    expect((await auditOf(stack, op.id)).filter((e) => e.action === "expired")).toHaveLength(1);
  });
});

describe("an approval binds to the image on the card", () => {
  it("an image detached by someone else before execute: noop, said plainly", async () => {
    const { op, serverId } = await awaiting("C0CHANGES");
    const ecl = stack.ecl?.model.server(serverId);
    if (ecl) ecl.media = [];
    await click(stack, op, "bm_approve", "U0APPROVER1");
    const end = await finish(op.id);
    expect(end.state).toBe("noop");
    expect(thread(stack, end).replies.at(-1)).toBe(
      `:information_source: <@${end.requester}> nothing to do: image \`${SAMPLE.image}\` is no longer attached to \`${end.serverName}\` (detached by someone else?); nothing was sent to ECL.`,
    );
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(serverId))).toEqual([]);
  });
});

describe("how approvers are told", () => {
  it("the approver group is mentioned once for a request: on the card as it is first posted", async () => {
    const from = stack.slack?.calls.length ?? 0;
    const { op } = await awaiting("C0CHANGES");
    // The card up first, as an approver would see it (earlier tests may have spent Slack's rate,
    // leaving the post to the follow-up).
    await drain(stack, async () => {
      await stack.followup(200);
      return (await operation(stack, op.id)).parentTs !== undefined;
    });
    await click(stack, op, "bm_approve", "U0APPROVER1");
    const last = await finish(op.id);
    expect(last.state).toBe("done");
    // Every message bm sent for it, in its channel and its thread, posted, updated or private.
    const sent = (stack.slack?.calls.slice(from) ?? []).filter(
      (c) => /^chat\.(postMessage|update|postEphemeral)$/.test(c.method) && !c.error,
    );
    const mentioning = sent.filter((c) => JSON.stringify(c.args).includes("<!subteam^"));
    expect(sent.length).toBeGreaterThan(3);
    expect(mentioning.map((c) => [c.method, c.args.thread_ts ?? null])).toEqual([
      ["chat.postMessage", null],
    ]);
    expect(mentioning[0]?.args.channel).toBe("C0CHANGES");
  });
});
