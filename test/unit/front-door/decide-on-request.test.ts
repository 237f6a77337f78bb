import { describe, expect, it } from "vitest";
import { type Decision, decideOnRequest } from "../../../lib/front-door/decide-on-request";
import { RefusalTally } from "../../../lib/front-door/refusals";
import type { Operation } from "../../../lib/operations/operation";
import { MAX_REJECT_REASON } from "../../../lib/slack/messages";
import { frontDoorFakes, NOW, operationIn } from "../fakes";

/** A request awaiting approval in C0CHG (two approvals), by U0REQ, expiring in 29 minutes. */
function awaiting(ops: Map<string, Operation>, changes: Partial<Operation> = {}) {
  return operationIn(ops, "C0CHG", ["awaiting_approval"], {
    requestExpiresAt: new Date(NOW.getTime() + 29 * 60_000).toISOString(),
    ...changes,
  });
}

const decide = (
  deps: ReturnType<typeof frontDoorFakes>["deps"],
  op: Operation,
  userId: string,
  action: Decision["action"],
  reason?: string,
) =>
  decideOnRequest(deps, {
    teamId: "T1",
    userId,
    operationId: op.id,
    action,
    ...(reason === undefined ? {} : { reason }),
  });

describe("who may decide what, and what is recorded and said", () => {
  it.each([
    // [who, action, refusal reason, words]
    ["U0OP", "approve", "not_an_approver", "You may not approve requests in this channel"],
    ["U0OUTSIDER", "approve", "not_an_approver", "You may not approve requests in this channel"],
    ["U0REQ", "approve", "not_an_approver", "You may not approve requests in this channel"],
    ["U0OP", "reject", "not_an_approver", "You may not reject requests in this channel"],
    ["U0OUTSIDER", "reject", "not_an_approver", "You may not reject requests in this channel"],
    ["U0A1", "cancel", "not_the_requester", "Only the person who asked for"],
    ["U0OP", "cancel", "not_the_requester", "Only the person who asked for"],
  ] as const)(
    "%s may not %s: refused, audited, nothing changed or queued",
    async (who, action, reason, words) => {
      const { deps, ops, events, sent } = frontDoorFakes();
      const op = awaiting(ops);
      const answer = await decide(deps, op, who, action, action === "reject" ? "no" : undefined);
      expect(answer.text?.text).toContain(words);
      expect(answer.openReject).toBeUndefined();
      expect(ops.get(op.id)).toEqual(op);
      expect(sent).toEqual([]);
      expect(events).toEqual([
        expect.objectContaining({
          operationId: op.id,
          seq: 0,
          action: `refused:${reason}`,
          actor: { teamId: "T1", userId: who },
          facts: { decision: action, state: "awaiting_approval" },
        }),
      ]);
    },
  );

  it("an approver (listed, or in a listed group) approves: the first of two is recorded, the card told", async () => {
    const { deps, ops, events, sent } = frontDoorFakes();
    const op = awaiting(ops);
    const answer = await decide(deps, op, "U0A2", "approve");
    expect(answer.text?.text).toBe(`You approved \`${op.id}\` (1 of 2).`);
    const saved = ops.get(op.id);
    expect(saved?.state).toBe("awaiting_approval");
    expect(saved?.approvals).toEqual([{ userId: "U0A2", at: NOW.toISOString() }]);
    expect(events.map((e) => [e.action, e.actor.userId, e.facts])).toEqual([
      ["approval", "U0A2", { approvals: 1, needed: 2 }],
    ]);
    expect(sent).toEqual([{ kind: "announce", operationId: op.id }]);
  });

  it("the second approver, another person, approves it: the detach goes on", async () => {
    const { deps, ops, events, sent } = frontDoorFakes();
    const op = awaiting(ops, { approvals: [{ userId: "U0A2", at: NOW.toISOString() }] });
    const answer = await decide(deps, op, "U0A1", "approve");
    expect(answer.text?.text).toBe(
      `You approved \`${op.id}\` (2 of 2): bm goes on with the detach.`,
    );
    expect(ops.get(op.id)?.state).toBe("approved");
    expect(events.map((e) => [e.action, e.from, e.to])).toEqual([
      ["approved", "awaiting_approval", "approved"],
    ]);
    expect(sent).toEqual([{ kind: "execute", operationId: op.id }]);
  });

  it("an approver may not approve their own request where the policy says a second person must", async () => {
    const { deps, ops, events, sent } = frontDoorFakes();
    const op = operationIn(ops, "C0CHG", ["awaiting_approval"], {}, "U0A1");
    const answer = await decide(deps, op, "U0A1", "approve");
    expect(answer.text?.text).toBe(
      "You may not approve your own request in this channel: a second person must.",
    );
    expect(ops.get(op.id)).toEqual(op);
    expect(events.map((e) => e.action)).toEqual(["refused:self_approval"]);
    expect(sent).toEqual([]);
  });

  it("an approver who approved already is refused, and the count stays", async () => {
    const { deps, ops, events, sent } = frontDoorFakes();
    const op = awaiting(ops, { approvals: [{ userId: "U0A2", at: NOW.toISOString() }] });
    const answer = await decide(deps, op, "U0A2", "approve");
    expect(answer.text?.text).toBe("You have already approved this request.");
    expect(ops.get(op.id)?.approvals).toHaveLength(1);
    expect(events.map((e) => e.action)).toEqual(["refused:already_approved"]);
    expect(sent).toEqual([]);
  });

  it("an approver among several who approved already is refused too", async () => {
    const { deps, ops, events } = frontDoorFakes();
    const op = awaiting(ops, {
      approvalsRequired: 3,
      approvals: [
        { userId: "U0A1", at: NOW.toISOString() },
        { userId: "U0A2", at: NOW.toISOString() },
      ],
    });
    const answer = await decide(deps, op, "U0A2", "approve");
    expect(answer.text?.text).toBe("You have already approved this request.");
    expect(ops.get(op.id)?.approvals).toHaveLength(2);
    expect(events.map((e) => e.action)).toEqual(["refused:already_approved"]);
  });

  it("where the policy allows it, the requester approves their own request", async () => {
    const { deps, ops, sent } = frontDoorFakes();
    const op = operationIn(ops, "C0SELF", ["awaiting_approval"], {
      requestExpiresAt: new Date(NOW.getTime() + 60_000).toISOString(),
    });
    const answer = await decide(deps, op, "U0REQ", "approve");
    expect(answer.text?.text).toContain("(1 of 1): bm goes on");
    expect(ops.get(op.id)?.state).toBe("approved");
    expect(sent).toEqual([{ kind: "execute", operationId: op.id }]);
  });

  it("an approver rejects: first the modal, then a reason is required, then rejected with it", async () => {
    const { deps, ops, events, sent } = frontDoorFakes();
    const op = awaiting(ops);
    expect(await decide(deps, op, "U0A3", "reject")).toEqual({ openReject: true });
    expect(await decide(deps, op, "U0A3", "reject", "   ")).toEqual({
      reasonError: "A reason is required.",
    });
    expect(events).toEqual([]);
    const long = `change freeze ${"x".repeat(600)}`;
    const answer = await decide(deps, op, "U0A3", "reject", `  ${long}  `);
    expect(answer).toEqual({
      text: expect.objectContaining({ text: `You rejected \`${op.id}\`.` }),
      channelId: "C0CHG",
    });
    const saved = ops.get(op.id);
    expect(saved).toMatchObject({
      state: "rejected",
      rejectedBy: "U0A3",
      rejectReason: long.slice(0, MAX_REJECT_REASON),
    });
    expect(events.map((e) => [e.action, e.actor.userId, e.facts.reason])).toEqual([
      ["rejected", "U0A3", long.slice(0, 300)],
    ]);
    expect(sent).toEqual([{ kind: "announce", operationId: op.id }]);
  });

  it("the requester cancels before the detach is sent, and not after", async () => {
    const { deps, ops, events, sent } = frontDoorFakes();
    const op = awaiting(ops);
    const answer = await decide(deps, op, "U0REQ", "cancel");
    expect(answer.text?.text).toBe(`You cancelled \`${op.id}\`. Nothing was sent to ECL.`);
    expect(ops.get(op.id)).toMatchObject({ state: "cancelled", cancelledBy: "U0REQ" });
    expect(sent).toEqual([{ kind: "announce", operationId: op.id }]);

    const sending = operationIn(ops, "C0INC", ["approved", "executing"]);
    const late = await decide(deps, sending, "U0REQ", "cancel");
    expect(late.text?.text).toBe(`\`${sending.id}\` is executing: it can no longer be cancelled.`);
    expect(ops.get(sending.id)?.state).toBe("executing");
    expect(events.map((e) => e.action)).toEqual(["cancelled", "refused:not_cancellable"]);
  });

  it.each(["approved", "rejected", "cancelled"] as const)(
    "a request already %s has nothing to approve or reject any more",
    async (state) => {
      const { deps, ops, events } = frontDoorFakes();
      const op = operationIn(ops, "C0CHG", ["awaiting_approval", state]);
      for (const action of ["approve", "reject"] as const) {
        const answer = await decide(deps, op, "U0A1", action, "why");
        expect(answer.text?.text).toBe(
          `\`${op.id}\` is ${state}: there is nothing to ${action} any more.`,
        );
      }
      expect(events.map((e) => e.action)).toEqual([
        "refused:not_awaiting_approval",
        "refused:not_awaiting_approval",
      ]);
    },
  );

  it("a click on a request past its expiry expires it, and says so", async () => {
    const { deps, ops, events, sent } = frontDoorFakes();
    const op = awaiting(ops, { requestExpiresAt: NOW.toISOString() });
    const answer = await decide(deps, op, "U0A1", "approve");
    expect(answer.text?.text).toBe(`\`${op.id}\` has expired: nobody approved it within 30 min.`);
    expect(ops.get(op.id)?.state).toBe("expired");
    expect(events.map((e) => [e.action, e.actor.userId])).toEqual([
      ["expired", "bm"],
      ["refused:expired", "U0A1"],
    ]);
    expect(sent).toEqual([{ kind: "announce", operationId: op.id }]);
  });

  it("a minute before its expiry it can still be approved", async () => {
    const { deps, ops } = frontDoorFakes();
    const op = awaiting(ops, {
      requestExpiresAt: new Date(NOW.getTime() + 1).toISOString(),
    });
    await decide(deps, op, "U0A1", "approve");
    expect(ops.get(op.id)?.approvals).toHaveLength(1);
  });

  it("when Slack cannot say who is in the approvers' group: refused, said so, nothing changed", async () => {
    const { deps, ops, events } = frontDoorFakes({
      groupMembers: async () => Promise.reject(new Error("ratelimited")),
    });
    const op = awaiting(ops);
    const answer = await decide(deps, op, "U0A2", "approve");
    expect(answer.text?.text).toContain("could not check your user groups with Slack");
    expect(ops.get(op.id)).toEqual(op);
    expect(events.map((e) => e.action)).toEqual(["refused:group_lookup_failed"]);
  });

  it("a channel no longer in the policy: nothing can be decided there", async () => {
    const { deps, ops, events } = frontDoorFakes();
    const op = awaiting(ops, { channelId: "C0GONE" });
    const answer = await decide(deps, op, "U0A1", "approve");
    expect(answer.text?.text).toBe(
      "This channel is no longer bound to a tenant in the policy: the request cannot be decided here.",
    );
    expect(events.map((e) => e.action)).toEqual(["refused:channel_not_bound"]);
  });

  it("an unknown request, or something that is not a request id", async () => {
    const { deps, events } = frontDoorFakes();
    const unknown = await decideOnRequest(deps, {
      teamId: "T1",
      userId: "U0A1",
      operationId: "op-zzzzzzzzzz",
      action: "approve",
    });
    expect(unknown.text?.text).toBe("There is no request `op-zzzzzzzzzz`.");
    expect(events.map((e) => e.action)).toEqual(["refused:unknown_operation"]);
    for (const operationId of ["op-zzzz", "xop-zzzzzzzzzz", "op-zzzzzzzzzz1", ""]) {
      const answer = await decideOnRequest(deps, {
        teamId: "T1",
        userId: "U0A1",
        operationId,
        action: "approve",
      });
      expect(answer.text?.text).toBe("That is not a bm request.");
    }
    expect(events).toHaveLength(1);
  });

  it("a click that keeps losing the race to other writers says so after three tries", async () => {
    const { deps, ops } = frontDoorFakes();
    const op = awaiting(ops);
    let saves = 0;
    deps.store = {
      ...deps.store,
      save: async () => {
        saves++;
        return undefined;
      },
    };
    const answer = await decide(deps, op, "U0A1", "approve");
    expect(answer.text?.text).toBe(
      "Others were deciding on this request at the same moment; look at the request and try again if still needed.",
    );
    expect(saves).toBe(3);
  });

  it("a lost race is tried again with what the other writer saved", async () => {
    const { deps, ops } = frontDoorFakes();
    const op = awaiting(ops);
    const save = deps.store.save;
    let first = true;
    deps.store = {
      ...deps.store,
      save: async (prev, next) => {
        if (first) {
          first = false;
          // Another approver got there first.
          ops.set(op.id, {
            ...op,
            rev: op.rev + 1,
            approvals: [{ userId: "U0A2", at: NOW.toISOString() }],
          });
          return undefined;
        }
        return save(prev, next);
      },
    };
    const answer = await decide(deps, op, "U0A1", "approve");
    expect(answer.text?.text).toContain("(2 of 2): bm goes on");
    expect(ops.get(op.id)?.state).toBe("approved");
  });

  it("the queue failing after a decision is saved: the decision stands (the follow-up hands it over)", async () => {
    const warnings: string[] = [];
    const { deps, ops } = frontDoorFakes({
      queue: { send: async () => Promise.reject(new Error("sqs down")) },
      log: { info: () => {}, warn: (m) => void warnings.push(m) },
    });
    const op = awaiting(ops, { approvals: [{ userId: "U0A2", at: NOW.toISOString() }] });
    const answer = await decide(deps, op, "U0A1", "approve");
    expect(answer.text?.text).toContain("bm goes on");
    expect(ops.get(op.id)?.state).toBe("approved");
    expect(warnings).toEqual(["could not enqueue; the follow-up will"]);
  });
});

describe("decisions, to the letter", () => {
  it("a request that does not exist: refused, its state said unknown; a refusal names the request's channel", async () => {
    const { deps, ops, events } = frontDoorFakes();
    const gone = await decideOnRequest(deps, {
      teamId: "T1",
      userId: "U0A1",
      operationId: "op-zzzzzzzzzz",
      action: "approve",
    });
    expect(gone.channelId).toBeUndefined();
    expect(events[0]?.facts).toEqual({ decision: "approve", state: "unknown" });
    const op = awaiting(ops);
    expect((await decide(deps, op, "U0OP", "approve")).channelId).toBe("C0CHG");
  });

  it.each([
    ["cancel", "U0REQ", undefined],
    ["reject", "U0A1", "no"],
  ] as const)("a %s that loses every race: said so, not claimed", async (action, who, reason) => {
    const { deps, ops } = frontDoorFakes();
    const op = awaiting(ops);
    deps.store = { ...deps.store, save: async () => undefined };
    const answer = await decide(deps, op, who, action, reason);
    expect(answer.text?.text).toBe(
      "Others were deciding on this request at the same moment; look at the request and try again if still needed.",
    );
  });

  it("a click that finds the request expired expires it, recording the wait", async () => {
    const { deps, ops, events } = frontDoorFakes();
    const op = awaiting(ops, { requestExpiresAt: NOW.toISOString() });
    await decide(deps, op, "U0A1", "approve");
    expect(events.find((e) => e.action === "expired")?.facts).toEqual({ ttlMinutes: 30 });
  });

  it("the approval that completes a request is kept with the others", async () => {
    const { deps, ops } = frontDoorFakes();
    const op = awaiting(ops, {
      approvals: [{ userId: "U0A1", at: NOW.toISOString() }],
    });
    await decide(deps, op, "U0A2", "approve");
    expect(ops.get(op.id)).toMatchObject({
      state: "approved",
      approvals: [
        { userId: "U0A1", at: NOW.toISOString() },
        { userId: "U0A2", at: NOW.toISOString() },
      ],
    });
  });

  it("a decision saved whose hand-over cannot be queued is logged; the follow-up sends it", async () => {
    const { deps, ops } = frontDoorFakes();
    const warned: Array<[string, object | undefined]> = [];
    deps.log = { ...deps.log, warn: (message, extra) => void warned.push([message, extra]) };
    deps.queue = { send: async () => Promise.reject(new Error("throttled")) };
    const op = awaiting(ops);
    expect((await decide(deps, op, "U0REQ", "cancel")).text?.text).toContain("You cancelled");
    expect(warned).toEqual([
      ["could not enqueue; the follow-up will", { operationId: op.id, error: "Error" }],
    ]);
  });
});

describe("refused decisions, repeated", () => {
  it("`/bm cancel` of unknown ids collapses per channel; clicks stay per operation", async () => {
    const f = frontDoorFakes({ refusals: new RefusalTally("c1") });
    const cancel = (operationId: string, channelId?: string) =>
      decideOnRequest(f.deps, {
        teamId: "T1",
        userId: "U0X",
        operationId,
        action: "cancel",
        ...(channelId ? { channelId } : {}),
      });
    await cancel("op-aaaaaaaaaa", "C0INC");
    await cancel("op-bbbbbbbbbb", "C0INC");
    await cancel("op-cccccccccc");
    await cancel("op-dddddddddd");
    expect(f.events.map((e) => [e.operationId, e.action])).toEqual([
      ["op-aaaaaaaaaa", "refused:unknown_operation"],
      ["op-cccccccccc", "refused:unknown_operation"],
      ["op-dddddddddd", "refused:unknown_operation"],
    ]);
  });
});
