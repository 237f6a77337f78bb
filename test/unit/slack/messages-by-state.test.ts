/**
 * What bm says about an operation in each state, word for word: the card (every block, every
 * button) and the thread notice of the transition that led there. The lives are built with the
 * real state machine, so the words are those of a real operation.
 */
import { describe, expect, it } from "vitest";
import {
  type Operation,
  record,
  STATES,
  type State,
  transition,
} from "../../../lib/operations/operation";
import { checkView } from "../../../lib/slack/block-kit-limits";
import {
  broadcasts,
  buttonLabel,
  parentMessage,
  refusalModal,
  rejectModal,
  rejectOpenedFrom,
  requesterNotice,
  threadNotice,
} from "../../../lib/slack/messages";
import { md } from "../../../lib/slack/mrkdwn";
import { slackFix as slackFixOf } from "../../../lib/slack/slack-error";
import { AT, sampleOperation } from "../operations/sample-operation";

const bm = { teamId: "T1", userId: "bm" };
const later = (s: number) => new Date(AT.getTime() + s * 1000);
const SERVER = "c880a4b5-0230-4925-a8f5-16fb48249275";

/** An operation moved along `path` by bm, one second apart, with `changes` at the last step. */
function lived(
  path: State[],
  changes: Partial<Operation> = {},
  facts: Record<string, string | number | boolean> = {},
  base: Partial<Operation> = {},
): Operation {
  let op = sampleOperation(
    { serverId: SERVER, serverName: "web01", taskState: "None", powerState: "RUNNING", ...base },
    "INC-1",
  );
  path.forEach((to, i) => {
    const last = i === path.length - 1;
    op = transition(op, to, bm, later(i + 1), last ? changes : {}, last ? facts : {});
  });
  return op;
}

/** The card as a person reads it: each block's text, and its buttons. */
function card(op: Operation): string[] {
  return (parentMessage(op).blocks ?? []).map((b) => {
    const block = b as {
      text?: { text: string };
      fields?: Array<{ text: string }>;
      elements?: Array<{ text: string | { text: string }; action_id?: string; style?: string }>;
    };
    if (block.fields) return block.fields.map((f) => f.text).join(" | ");
    if (block.elements)
      return block.elements
        .map((e) =>
          typeof e.text === "string" ? e.text : `[${e.text.text} ${e.action_id} ${e.style ?? ""}]`,
        )
        .join(" ");
    return block.text?.text ?? "";
  });
}
const notice = (op: Operation) => threadNotice(op, later(100), 60)?.text;

describe("the card in each state", () => {
  it.each([
    ["awaiting approval", ["awaiting_approval"], "2 needed from <!subteam^S0APP>, <@U0A1>"],
    ["approved", ["awaiting_approval", "approved"], "2 needed"],
    ["done", ["awaiting_approval", "approved", "executing", "detaching", "done"], "2 needed"],
    ["expired", ["awaiting_approval", "expired"], "2 needed"],
  ] as const)(
    "the approvers are named (a group mentioned) only while asked: %s",
    (_, path, said) => {
      const op = lived([...path], {}, {}, { approvalsRequired: 2, approvers: ["S0APP", "U0A1"] });
      const approval = card(op)[1]?.split("*Approval*\n")[1]?.split("\n")[0];
      expect(approval).toBe(said);
      expect(JSON.stringify(parentMessage(op)).includes("<!subteam^")).toBe(path.length === 1);
    },
  );

  it("awaiting approval: who may approve, when it expires, the buttons", () => {
    const op = lived(
      ["awaiting_approval"],
      { requestExpiresAt: later(1800).toISOString() },
      {},
      { approvalsRequired: 2, approvers: ["S0APP", "U0A1"] },
    );
    expect(card(op)).toEqual([
      "*Media detach* `op-0123456789` · :raised_hand: Awaiting approval",
      "*Requested by*\n<@U1> | *Server*\n`web01` (`c880a4b5-0230-4925-a8f5-16fb48249275`) | *Image*\n`3339fd5f-ec06-4ef8-9337-c1c70218a748` | *Server state*\ntask_state None, power RUNNING | *Reason*\nINC-1 | *Approval*\n2 needed from <!subteam^S0APP>, <@U0A1>\nexpires <!date^1795689000^{date_num} {time}|2026-11-26 10:30 UTC>",
      "[Approve bm_approve primary] [Reject bm_reject danger] [Cancel bm_cancel ]",
      "Tenant `prod` · requested <!date^1795687200^{date_num} {time}|2026-11-26 10:00 UTC>",
    ]);
    expect(parentMessage(op).text).toBe(
      "<@U1> asks to detach image 3339fd5f-ec06-4ef8-9337-c1c70218a748 from web01: INC-1 — needs 2 approvals from <!subteam^S0APP>, <@U0A1> (op-0123456789)",
    );
    expect(notice(op)).toBeUndefined();
  });

  it("awaiting approval: each button says what it does to which detach; Approve and Cancel ask first", () => {
    const op = lived(["awaiting_approval"], {}, {}, { approvalsRequired: 1 });
    const actions = parentMessage(op).blocks?.find((b) => b.type === "actions");
    expect(actions).toEqual({
      type: "actions",
      block_id: "bm_approval",
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: "Approve" },
          action_id: "bm_approve",
          value: "op-0123456789",
          accessibility_label: "Approve detaching 3339fd5f… from web01 (op-0123456789)",
          style: "primary",
          confirm: {
            title: { type: "plain_text", text: "Approve this detach?" },
            text: {
              type: "plain_text",
              text: "Once 1 approval is given, bm detaches image 3339fd5f-ec06-4ef8-9337-c1c70218a748 from web01 (op-0123456789) at once. A detach cannot be undone.",
            },
            confirm: { type: "plain_text", text: "Approve" },
            deny: { type: "plain_text", text: "Back" },
            style: "primary",
          },
        },
        {
          type: "button",
          text: { type: "plain_text", text: "Reject" },
          action_id: "bm_reject",
          value: "op-0123456789",
          accessibility_label: "Reject detaching 3339fd5f… from web01 (op-0123456789)",
          style: "danger",
        },
        {
          type: "button",
          text: { type: "plain_text", text: "Cancel" },
          action_id: "bm_cancel",
          value: "op-0123456789",
          accessibility_label: "Cancel detaching 3339fd5f… from web01 (op-0123456789)",
          confirm: {
            title: { type: "plain_text", text: "Cancel this request?" },
            text: {
              type: "plain_text",
              text: "Nothing is sent to ECL, and nobody can approve op-0123456789 afterwards: the requester would have to ask again.",
            },
            confirm: { type: "plain_text", text: "Cancel the request" },
            deny: { type: "plain_text", text: "Keep it" },
            style: "danger",
          },
        },
      ],
    });
    const two = lived(["awaiting_approval"], {}, {}, { approvalsRequired: 2 });
    const approve = parentMessage(two).blocks?.find((b) => b.type === "actions") as {
      elements: Array<{ confirm?: { text: { text: string } } }>;
    };
    expect(approve.elements[0]?.confirm?.text.text).toBe(
      "Once 2 approvals are given, bm detaches image 3339fd5f-ec06-4ef8-9337-c1c70218a748 from web01 (op-0123456789) at once. A detach cannot be undone.",
    );
  });

  it("a server not yet named: the dialog and the labels say it as typed", () => {
    const op = lived(["awaiting_approval"], {}, {}, { serverName: "", serverRef: "asked01" });
    const json = JSON.stringify(parentMessage(op).blocks);
    expect(json).toContain("from asked01 (op-0123456789) at once.");
    expect(json).toContain(
      '"accessibility_label":"Approve detaching 3339fd5f… from asked01 (op-0123456789)"',
    );
    expect(parentMessage(op).text).toContain("from asked01: INC-1");
  });

  it("the notification: what is needed counts what was given; no reason given says so", () => {
    let op = lived(["awaiting_approval"], {}, {}, { approvalsRequired: 3, reason: "" });
    expect(parentMessage(op).text).toBe(
      "<@U1> asks to detach image 3339fd5f-ec06-4ef8-9337-c1c70218a748 from web01: no reason given — needs 3 approvals from the approvers (op-0123456789)",
    );
    op = record(op, "approval", { teamId: "T1", userId: "U0A1" }, later(5), {
      approvals: [{ userId: "U0A1", at: later(5).toISOString() }],
    });
    expect(parentMessage(op).text).toMatch(/ — needs 2 more approvals from the approvers \(op-/);
    op = record(op, "approval", { teamId: "T1", userId: "U0A2" }, later(6), {
      approvals: [...(op.approvals ?? []), { userId: "U0A2", at: later(6).toISOString() }],
    });
    expect(parentMessage(op).text).toMatch(/ — needs 1 more approval from the approvers \(op-/);
  });

  it("the notification carries at most 300 characters of the reason, then what is needed", () => {
    const op = lived(
      ["awaiting_approval"],
      {},
      {},
      { approvalsRequired: 1, reason: "r".repeat(301) },
    );
    expect(parentMessage(op).text).toBe(
      `<@U1> asks to detach image 3339fd5f-ec06-4ef8-9337-c1c70218a748 from web01: ${"r".repeat(298)}… — needs 1 approval from the approvers (op-0123456789)`,
    );
    const at = lived(
      ["awaiting_approval"],
      {},
      {},
      { approvalsRequired: 1, reason: "r".repeat(300) },
    );
    expect(parentMessage(at).text).toContain(`: ${"r".repeat(300)} — needs`);
  });

  it("one approval of two: shown on the card with its time, the thread told", () => {
    let op = lived(["awaiting_approval"], {}, {}, { approvalsRequired: 2 });
    op = record(op, "approval", { teamId: "T1", userId: "U0A1" }, later(5), {
      approvals: [{ userId: "U0A1", at: later(5).toISOString() }],
    });
    expect(card(op)[1]).toContain(
      "*Approval*\n2 needed from the approvers\n:white_check_mark: <@U0A1> approved, <!date^1795687205^{date_num} {time}|2026-11-26 10:00 UTC>",
    );
    expect(notice(op)).toBe(":white_check_mark: <@U0A1> approved (1 of 2).");
  });

  it("approved after two approvals: the thread names them; no buttons left", () => {
    const op = lived(
      ["awaiting_approval", "approved"],
      {
        approvals: [
          { userId: "U0A1", at: AT.toISOString() },
          { userId: "U0A2", at: AT.toISOString() },
        ],
      },
      {},
      { approvalsRequired: 2 },
    );
    expect(card(op).some((line) => line.includes("bm_approve"))).toBe(false);
    expect(card(op)[0]).toBe("*Media detach* `op-0123456789` · :white_check_mark: Approved");
    expect(notice(op)).toBe(
      ":white_check_mark: Approved by <@U0A1>, <@U0A2>. bm goes on with the detach.",
    );
  });

  it("needing no approval, bm going ahead is not shown as Approved: the card says it is sending", () => {
    const op = lived(["approved"]);
    expect(card(op)[0]).toBe(
      "*Media detach* `op-0123456789` · :arrow_forward: Sending the detach to ECL",
    );
    expect(parentMessage(op).text).toBe(
      "Sending the detach to ECL: <@U1> asked to detach image 3339fd5f-ec06-4ef8-9337-c1c70218a748 from web01: INC-1 (op-0123456789)",
    );
    expect(card(op)[1]).toContain("*Approval*\nnone needed in this channel");
  });

  it.each([
    [["approved"] as State[], {}, undefined],
    [
      ["approved", "waiting_for_idle"] as State[],
      { taskState: "REBOOTING" },
      ":hourglass_flowing_sand: `web01` is busy (task_state REBOOTING). ECL accepts a detach only when task_state is None, so bm will try again until it is idle, for up to 1m 00s.",
    ],
    [
      ["approved", "executing", "waiting_for_idle"] as State[],
      { busyRefusals: 1 },
      ":hourglass_flowing_sand: ECL answered 409 (task_state not None): a task started on `web01` just before the detach reached it, and ECL took nothing. bm waits for the server to be idle and sends the detach again, for up to 1m 00s in all.",
    ],
    [["approved", "executing", "waiting_for_idle"] as State[], { busyRefusals: 2 }, undefined],
    // ECL's acceptance is said on the card, updated then anyway: no thread reply of its own.
    [["approved", "executing", "detaching"] as State[], { detachRequestId: "req-9" }, undefined],
  ])("%j %j: the thread says %j", (path, changes, said) => {
    expect(notice(lived(path, changes))).toBe(said);
  });

  it.each([
    [
      { eclStatus: 429, retryAfterS: 30 },
      ":hourglass_flowing_sand: ECL answered 429 (too many requests) and took nothing. bm waits the 30 s it asked for and sends the detach again, for up to 1m 00s in all.",
    ],
    [
      { eclStatus: 503 },
      ":hourglass_flowing_sand: ECL answered 503 (service unavailable) and took nothing. bm waits a moment and sends the detach again, for up to 1m 00s in all.",
    ],
    [
      { eclStatus: 409 },
      ":hourglass_flowing_sand: ECL answered 409 (task_state not None): a task started on `web01` just before the detach reached it, and ECL took nothing. bm waits for the server to be idle and sends the detach again, for up to 1m 00s in all.",
    ],
  ])("a POST refused untried (%j): said once, with what bm does", (facts, said) => {
    const path = ["approved", "executing", "waiting_for_idle"] as State[];
    expect(notice(lived(path, { busyRefusals: 1 }, facts))).toBe(said);
    expect(notice(lived(path, { busyRefusals: 2 }, facts))).toBeUndefined();
  });

  it("back to waiting because the audit trail could not be written: said so, whatever the refusals", () => {
    const path = ["approved", "executing", "waiting_for_idle"] as State[];
    const said =
      ":hourglass_flowing_sand: bm could not write the audit trail, so it has not sent the detach; it tries again shortly.";
    expect(notice(lived(path, {}, { auditNotWritten: true }))).toBe(said);
    expect(notice(lived(path, { busyRefusals: 2 }, { auditNotWritten: true }))).toBe(said);
    expect(notice(lived(path, { busyRefusals: 1 }, { auditNotWritten: false }))).toContain(
      "ECL answered 409",
    );
  });

  it.each([
    [
      "done, counted from the POST bm sent (ECL answered it 8 s later)",
      ["approved", "executing", "detaching", "done"],
      { detachSentAt: later(2).toISOString(), detachStartedAt: later(10).toISOString() },
      ":white_check_mark: <@U1> done: image `3339fd5f-ec06-4ef8-9337-c1c70218a748` is detached from `web01` and the server is idle, 1m 38s after bm sent it to ECL.",
    ],
    [
      "done, recorded before bm kept when it sent: counted from ECL's acceptance, and said so",
      ["approved", "executing", "detaching", "done"],
      { detachStartedAt: later(3).toISOString() },
      ":white_check_mark: <@U1> done: image `3339fd5f-ec06-4ef8-9337-c1c70218a748` is detached from `web01` and the server is idle, 1m 37s after ECL accepted it.",
    ],
    [
      "done, media not listed",
      ["approved", "executing", "detaching", "done"],
      {
        detachSentAt: later(2).toISOString(),
        detachStartedAt: later(3).toISOString(),
        mediaUnknown: true,
      },
      ":white_check_mark: <@U1> done: `web01` is idle again after the detach of image `3339fd5f-ec06-4ef8-9337-c1c70218a748`, 1m 38s after bm sent it to ECL. ECL did not list media for this server, so bm judged completion by task_state alone and cannot confirm that the image is gone.",
    ],
    [
      "done, neither time kept: counted from the request",
      ["approved", "executing", "detaching", "done"],
      {},
      ":white_check_mark: <@U1> done: image `3339fd5f-ec06-4ef8-9337-c1c70218a748` is detached from `web01` and the server is idle, 1m 40s after it was requested.",
    ],
    [
      "noop",
      ["noop"],
      { outcome: "image is not attached." },
      ":information_source: <@U1> nothing to do: image is not attached.",
    ],
    [
      "noop, another detach first",
      ["awaiting_approval", "noop"],
      {
        outcome: "op-0000000009 (in channel C0INC) detached this image first; … <!here>",
        detachedFirst: { by: "op-0000000009", channelId: "C0INC" },
      },
      ":information_source: <@U1> nothing to do: `op-0000000009` (in <#C0INC>) detached this image first; this request cannot send a second detach. Nothing was sent to ECL.",
    ],
    [
      "failed",
      ["failed"],
      { outcome: "ECL answered 500." },
      ":x: <@U1> the detach failed: ECL answered 500.",
    ],
    [
      "timed out while detaching",
      ["approved", "executing", "detaching", "timed_out"],
      { outcome: "after 15m it still shows task_state MEDIA_DETACHING." },
      ":warning: <@U1> `web01` has not settled: after 15m it still shows task_state MEDIA_DETACHING. bm has stopped watching; check the server in the ECL console.",
    ],
    [
      "timed out without an answer",
      ["approved", "executing", "timed_out"],
      { outcome: "no answer." },
      ":warning: <@U1> the outcome of the detach is unknown: no answer.",
    ],
    [
      "cancelled",
      ["cancelled"],
      { cancelledBy: "U1" },
      ":heavy_multiplication_x: <@U1> cancelled the request. Nothing was sent to ECL.",
    ],
  ] as const)("%s: the thread says it, mentioning the requester", (_, path, changes, said) => {
    expect(notice(lived([...path], changes as Partial<Operation>))).toBe(said);
  });

  it("rejected: who and why, on the card and in the thread", () => {
    const op = lived(
      ["awaiting_approval", "rejected"],
      { rejectedBy: "U0A1", rejectReason: "freeze" },
      {},
      { approvalsRequired: 1 },
    );
    expect(card(op)[1]).toContain("*Approval*\n1 needed\n:no_entry: <@U0A1> rejected: freeze");
    expect(notice(op)).toBe(
      ":no_entry: <@U1> <@U0A1> rejected the request: freeze. Nothing was sent to ECL.",
    );
  });

  it("expired: said, with how long it waited", () => {
    const op = lived(["awaiting_approval", "expired"], {}, {}, { approvalsRequired: 1 });
    expect(notice(op)).toBe(
      ":clock3: <@U1> nobody approved within 30 min, so the request has expired. Nothing was sent to ECL.",
    );
  });

  it("timed out: the card carries a Re-check button, and so does its notice", () => {
    const op = lived(["approved", "executing", "detaching", "timed_out"], { outcome: "x." });
    expect(card(op)).toContain("[Re-check bm_recheck ]");
    const message = threadNotice(op, later(100), 60);
    expect(JSON.stringify(message?.blocks)).toContain('"action_id":"bm_recheck"');
  });

  it("done after a re-check: the thread names who re-checked", () => {
    let op = lived(["approved", "executing", "detaching", "timed_out"], { outcome: "x." });
    op = transition(op, "done", { teamId: "T1", userId: "U0A9" }, later(9), {
      detachSentAt: later(1).toISOString(),
      detachStartedAt: later(3).toISOString(),
    });
    expect(notice(op)).toBe(
      ":white_check_mark: <@U1> done after all: <@U0A9>'s re-check found image `3339fd5f-ec06-4ef8-9337-c1c70218a748` detached from `web01` and the server idle, 1m 39s after bm sent it to ECL.",
    );
  });

  it("a server not yet resolved shows as typed, and a state not yet read as unknown", () => {
    const op = sampleOperation({}, "");
    const lines = card(op);
    expect(lines[1]).toContain("*Server*\n`web01` | ");
    expect(lines[1]).toContain("*Server state*\nunknown");
    expect(lines[1]).toContain("*Reason*\n_none given_");
    expect(lines[1]).toContain("*Approval*\nnone needed in this channel");
  });
});

describe("what only the requester is told, and the reject modal", () => {
  it("a refused channel: how to fix it, and that bm goes on", () => {
    const op = lived(["approved"]);
    const told = requesterNotice(op, later(3), 60, "not_in_channel");
    expect(told.text).toContain(
      "bm could not post about `op-0123456789` in <#C1>: Slack answered `not_in_channel`.",
    );
    expect(told.text).toContain(
      "bm goes on with `op-0123456789` (detach image `3339fd5f-ec06-4ef8-9337-c1c70218a748` from `web01`) and will tell you here how it ends.",
    );
  });

  it("the reject modal asks for a required reason, kept with the request's id", () => {
    const modal = rejectModal("op-0123456789");
    expect(modal).toMatchObject({
      type: "modal",
      callback_id: "bm_reject_reason",
      private_metadata: "op-0123456789",
      title: { type: "plain_text", text: "Reject the request" },
    });
    expect(JSON.stringify(modal.blocks)).toContain('"multiline":true');
    expect(rejectModal("x".repeat(4000)).private_metadata).toHaveLength(3000);
  });

  it("the reject modal opened from the Home tab says so in its private_metadata, read back as it was", () => {
    expect(rejectModal("op-0123456789", true).private_metadata).toBe("op-0123456789 home");
    expect(rejectModal("op-0123456789", false).private_metadata).toBe("op-0123456789");
    expect(rejectOpenedFrom("op-0123456789 home")).toStrictEqual({
      operationId: "op-0123456789",
      fromHome: true,
    });
    expect(rejectOpenedFrom("op-0123456789")).toStrictEqual({
      operationId: "op-0123456789",
      fromHome: false,
    });
    // Only the end says where: the id is never cut short, and the mark stays within Slack's 3,000.
    expect(rejectOpenedFrom("op-0123456789 homeward")).toStrictEqual({
      operationId: "op-0123456789 homeward",
      fromHome: false,
    });
    const long = rejectModal("x".repeat(4000), true).private_metadata;
    expect(long).toBe(`${"x".repeat(2995)} home`);
    expect(rejectOpenedFrom(long as string)).toStrictEqual({
      operationId: "x".repeat(2995),
      fromHome: true,
    });
  });

  it("the reject modal turned into a refusal: the words, Close, nothing to submit; Slack takes it", () => {
    const modal = refusalModal(md`You may not reject ${"<this>"}.`);
    expect(modal).toStrictEqual({
      type: "modal",
      callback_id: "bm_reject_refused",
      title: { type: "plain_text", text: "Cannot reject" },
      close: { type: "plain_text", text: "Close" },
      blocks: [
        {
          type: "section",
          text: { type: "mrkdwn", text: "You may not reject &lt;this&gt;.", verbatim: true },
        },
      ],
    });
    expect(checkView(modal)).toBeUndefined();
    expect(checkView(refusalModal(md`${"x".repeat(4000)}`))).toBeUndefined();
  });
});

describe("the card and the thread, at their edges", () => {
  it("ten approvals shown, the rest counted", () => {
    const approvals = Array.from({ length: 12 }, (_, i) => ({
      userId: `U0A${i}`,
      at: AT.toISOString(),
    }));
    const op = lived(["awaiting_approval"], { approvals }, {}, { approvalsRequired: 20 });
    const text = card(op)[1] ?? "";
    expect(text).toContain("<@U0A9> approved");
    expect(text).not.toContain("<@U0A10> approved");
    expect(text).toContain("… and 2 more approvals");
  });

  it("a server without a name yet shows as asked, beside its id", () => {
    const op = lived(["approved"], {}, {}, { serverName: "", serverRef: "web-asked" });
    expect(card(op)[1]).toContain("*Server*\n`web-asked` (`c880a4b5-0230-4925-a8f5-16fb48249275`)");
    expect(
      notice(
        lived(["approved", "waiting_for_idle"], {}, {}, { serverName: "", serverRef: "web-asked" }),
      ),
    ).toContain("`web-asked` is busy");
  });

  it("a re-check that changed nothing owes no thread notice; an approval without its list says someone", () => {
    const op = lived(["approved", "executing", "detaching", "timed_out"], { outcome: "x." });
    const rechecked = record(op, "recheck", { teamId: "T1", userId: "U0A9" }, later(9));
    expect(notice(rechecked)).toBeUndefined();
    const waiting = lived(["awaiting_approval"], {}, {}, { approvalsRequired: 2 });
    const approval = record(waiting, "approval", { teamId: "T1", userId: "U0A1" }, later(9));
    expect(notice(approval)).toBe(":white_check_mark: someone approved (0 of 2).");
  });

  it("an approval that needed none owes no thread notice", () => {
    expect(notice(lived(["approved"]))).toBeUndefined();
  });

  it("an end without its sentence still says what it is", () => {
    expect(notice(lived(["failed"]))).toBe(":x: <@U1> the detach failed: unknown error");
    expect(notice(lived(["noop"]))).toBe(
      ":information_source: <@U1> nothing to do: the image is not attached",
    );
    expect(notice(lived(["approved", "executing", "timed_out"]))).toBe(
      ":warning: <@U1> the outcome of the detach is unknown: ",
    );
    const unread = lived(["approved", "waiting_for_idle"]);
    delete unread.taskState;
    expect(notice(unread)).toContain("is busy (task_state unknown)");
  });

  it("a rejection without its approver's id says an approver", () => {
    expect(notice(lived(["awaiting_approval", "rejected"], { rejectReason: "no" }))).toBe(
      ":no_entry: <@U1> an approver rejected the request: no. Nothing was sent to ECL.",
    );
  });

  it("the card: its outcome, media not listed, the cancel, and a timed-out one's button", () => {
    const failed = lived(["failed"], { outcome: "ECL said no." });
    expect(card(failed)).toContain("ECL said no.");
    const unlisted = lived(["approved"], { mediaUnknown: true });
    expect(card(unlisted)[1]).toContain(
      "*Server state*\ntask_state None, power RUNNING, media not listed by ECL",
    );
    const cancelled = lived(
      ["awaiting_approval", "cancelled"],
      { cancelledBy: "U1" },
      {},
      { approvalsRequired: 1 },
    );
    expect(card(cancelled)[1]).toContain("cancelled by <@U1>");
    expect(card(cancelled).some((l) => l.includes("bm_"))).toBe(false);
  });

  it("a request another detach made moot: its card names that one and links its channel", () => {
    const moot = lived(
      ["awaiting_approval", "noop"],
      {
        outcome: "op-0000000009 (in channel C0INC) detached this image first.",
        detachedFirst: { by: "op-0000000009", channelId: "C0INC" },
      },
      {},
      { approvalsRequired: 1 },
    );
    expect(card(moot)[2]).toBe(
      "`op-0000000009` (in <#C0INC>) detached this image first; this request cannot send a second detach. Nothing was sent to ECL.",
    );
    expect(card(moot).some((l) => l.includes("bm_"))).toBe(false);
    // Told privately when the channel refuses bm: the same words.
    expect(requesterNotice(moot, later(10), 60).text).toBe(
      ":information_source: <@U1> nothing to do: `op-0000000009` (in <#C0INC>) detached this image first; this request cannot send a second detach. Nothing was sent to ECL.",
    );
  });

  it("the requester alone, told how it ended", () => {
    const done = lived(["approved", "executing", "detaching", "done"], {
      detachStartedAt: later(3).toISOString(),
    });
    expect(requesterNotice(done, later(10), 60).text).toMatch(
      /^:white_check_mark: <@U1> done: image/,
    );
    const approved = lived(["approved"], {}, {}, { serverName: "", serverRef: "asked" });
    expect(requesterNotice(approved, later(10), 60).text).toBe(
      "bm goes on with `op-0123456789` (detach image `3339fd5f-ec06-4ef8-9337-c1c70218a748` from `asked`) and will tell you here how it ends.",
    );
  });

  it("the notification text names the state without its emoji", () => {
    expect(parentMessage(lived(["failed"])).text).toBe(
      "Failed: <@U1> asked to detach image 3339fd5f-ec06-4ef8-9337-c1c70218a748 from web01: INC-1 (op-0123456789)",
    );
  });
});

describe("every state's words, and what a card or notice leaves out", () => {
  it("each state's header on the card, and in the notification text without its emoji", () => {
    const headers: Array<[State[], string]> = [
      [[], ":inbox_tray: Requested"],
      [["awaiting_approval"], ":raised_hand: Awaiting approval"],
      [["approved"], ":arrow_forward: Sending the detach to ECL"],
      [
        ["approved", "waiting_for_idle"],
        ":hourglass_flowing_sand: Waiting for the server to be idle",
      ],
      [["approved", "executing"], ":arrow_forward: Sending the detach to ECL"],
      [["approved", "executing", "detaching"], ":arrows_counterclockwise: Detaching"],
      [["approved", "executing", "detaching", "done"], ":white_check_mark: Done"],
      [["noop"], ":information_source: Nothing to do"],
      [["failed"], ":x: Failed"],
      [["approved", "executing", "timed_out"], ":warning: Timed out"],
      [["awaiting_approval", "rejected"], ":no_entry: Rejected"],
      [["awaiting_approval", "expired"], ":clock3: Expired"],
      [["cancelled"], ":heavy_multiplication_x: Cancelled"],
    ];
    for (const [path, header] of headers) {
      const op = lived(path);
      expect(card(op)[0]).toBe(`*Media detach* \`op-0123456789\` · ${header}`);
      const words = header.replace(/^:[a-z_0-9]+: /, "");
      expect(parentMessage(op).text).toBe(
        op.state === "awaiting_approval"
          ? "<@U1> asks to detach image 3339fd5f-ec06-4ef8-9337-c1c70218a748 from web01: INC-1 — needs 1 approval from the approvers (op-0123456789)"
          : `${words}: <@U1> asked to detach image 3339fd5f-ec06-4ef8-9337-c1c70218a748 from web01: INC-1 (op-0123456789)`,
      );
    }
  });

  it("the buttons' blocks are named as the local stand-in's clicks name them", () => {
    const blockIds = (op: Operation) =>
      (parentMessage(op).blocks ?? []).flatMap((b) =>
        b.type === "actions" ? [(b as { block_id?: string }).block_id] : [],
      );
    expect(blockIds(lived(["awaiting_approval"], {}, {}, { approvalsRequired: 1 }))).toEqual([
      "bm_approval",
    ]);
    const timedOut = lived(["approved", "executing", "timed_out"], { outcome: "x." });
    expect(blockIds(timedOut)).toEqual(["bm_recheck"]);
    expect(threadNotice(timedOut, later(9), 60)?.blocks?.at(-1)).toMatchObject({
      block_id: "bm_recheck",
    });
  });

  it("exactly ten approvals: all shown, none counted", () => {
    const approvals = Array.from({ length: 10 }, (_, i) => ({
      userId: `U0A${i}`,
      at: AT.toISOString(),
    }));
    const op = lived(["awaiting_approval"], { approvals }, {}, { approvalsRequired: 20 });
    expect(card(op)[1]).toContain("<@U0A9> approved");
    expect(card(op)[1]).not.toContain("more approvals");
  });

  it("the expiry is shown only while the request awaits approval", () => {
    const expiresAt = later(1800).toISOString();
    const approved = lived(
      ["awaiting_approval", "approved"],
      { requestExpiresAt: expiresAt },
      {},
      { approvalsRequired: 1 },
    );
    expect(card(approved)[1]).not.toContain("expires");
  });

  it("a rejection without its reason, on the card and in the thread", () => {
    const op = lived(
      ["awaiting_approval", "rejected"],
      { rejectedBy: "U0A1" },
      {},
      {
        approvalsRequired: 1,
      },
    );
    expect(card(op)[1]).toContain(":no_entry: <@U0A1> rejected: ");
    expect(card(op)[1]?.endsWith("rejected: ")).toBe(true);
    expect(notice(op)).toBe(
      ":no_entry: <@U1> <@U0A1> rejected the request: . Nothing was sent to ECL.",
    );
  });

  it("a server state without its power state", () => {
    const op = lived(["approved"], {}, {}, { powerState: undefined as never });
    delete op.powerState;
    expect(card(op)[1]).toContain("*Server state*\ntask_state None |");
  });

  it("only a timed-out notice carries a button", () => {
    const done = lived(["approved", "executing", "detaching", "done"]);
    expect(threadNotice(done, later(9), 60)?.blocks).toBeUndefined();
  });

  it("approved by approvals that were never listed: the notice names nobody", () => {
    const op = lived(["awaiting_approval", "approved"], {}, {}, { approvalsRequired: 1 });
    delete op.approvals;
    expect(notice(op)).toBe(":white_check_mark: Approved by . bm goes on with the detach.");
  });

  it("accepted by ECL: the card says when, the request id, and that the thread will say the end", () => {
    const op = lived(["approved", "executing", "detaching"], {
      detachRequestId: "req-9",
      detachStartedAt: later(3).toISOString(),
    });
    expect(card(op)).toEqual([
      "*Media detach* `op-0123456789` · :arrows_counterclockwise: Detaching",
      "*Requested by*\n<@U1> | *Server*\n`web01` (`c880a4b5-0230-4925-a8f5-16fb48249275`) | *Image*\n`3339fd5f-ec06-4ef8-9337-c1c70218a748` | *Server state*\ntask_state None, power RUNNING | *Reason*\nINC-1 | *Approval*\nnone needed in this channel",
      ":arrows_counterclockwise: ECL accepted the detach <!date^1795687203^{date_num} {time}|2026-11-26 10:00 UTC>. bm says in the thread when `web01` has settled.",
      "Tenant `prod` · requested <!date^1795687200^{date_num} {time}|2026-11-26 10:00 UTC> · ECL request id `req-9`",
    ]);
    expect(notice(op)).toBeUndefined();
    // A name ECL never gave: the server as it was asked for.
    expect(card({ ...op, serverName: "", serverRef: "asked01" })[2]).toContain(
      "when `asked01` has settled",
    );
    // Once it has ended, the card keeps ECL's request id, and the acceptance line is gone.
    const done = lived(["approved", "executing", "detaching", "done"], {}, {}, {});
    expect(card({ ...done, detachRequestId: "req-9" }).at(-1)).toContain("ECL request id `req-9`");
    expect(card(done).join("\n")).not.toContain("ECL accepted");
  });

  it("accepted by ECL without a request id or a time, and with media not listed", () => {
    const op = lived(["approved", "executing", "detaching"], { mediaUnknown: true });
    delete op.detachRequestId;
    delete op.detachStartedAt;
    expect(card(op)).toContain(
      ":arrows_counterclockwise: ECL accepted the detach. bm says in the thread when `web01` has settled. ECL did not list media for this server; bm cannot tell whether the image is attached, so it judges completion by task_state alone.",
    );
    expect(card(op).at(-1)).toBe(
      "Tenant `prod` · requested <!date^1795687200^{date_num} {time}|2026-11-26 10:00 UTC>",
    );
    expect(notice(op)).toBeUndefined();
  });

  it("done after a re-check, by task_state alone", () => {
    const timedOut = lived(["approved", "executing", "detaching", "timed_out"], {
      detachStartedAt: later(3).toISOString(),
      mediaUnknown: true,
    });
    const done = transition(timedOut, "done", { teamId: "T1", userId: "U0BOB" }, later(60));
    expect(notice(done)).toContain(
      "<@U0BOB>'s re-check found image `3339fd5f-ec06-4ef8-9337-c1c70218a748` detached from `web01` and the server idle (by task_state alone: ECL did not list media for this server), ",
    );
  });

  it("a detach that never settled, without its sentence", () => {
    expect(notice(lived(["approved", "executing", "detaching", "timed_out"]))).toBe(
      ":warning: <@U1> `web01` has not settled:  bm has stopped watching; check the server in the ECL console.",
    );
  });

  it("the requester told of a refusal and of the end, one line each; an end the thread would not repeat, said plainly", () => {
    const failed = lived(["failed"], { outcome: "ECL said no." });
    expect(requesterNotice(failed, later(3), 60, "not_in_channel").text).toBe(
      [
        `:warning: bm could not post about \`op-0123456789\` in <#${failed.channelId}>: Slack answered \`not_in_channel\`. ${slackFixOf("not_in_channel")}`,
        ":x: <@U1> the detach failed: ECL said no.",
      ].join("\n"),
    );
    const timedOut = lived(["approved", "executing", "detaching", "timed_out"], { outcome: "x." });
    const rechecked = record(timedOut, "recheck", { teamId: "T1", userId: "U0A9" }, later(9));
    expect(requesterNotice(rechecked, later(10), 60).text).toBe("`op-0123456789` is timed out.");
  });
});

describe("broadcasts", () => {
  it("shows a failure and a time-out in the channel, and nothing else", () => {
    const shown = STATES.filter((state) => broadcasts({ ...lived([]), state }));
    expect(shown).toEqual(["failed", "timed_out"]);
  });
});

describe("buttonLabel", () => {
  it.each<[string, Partial<Operation>, string]>([
    [
      "the whole image id, when it fits",
      { imageId: "img-1", serverName: "web01" },
      "Approve detaching img-1 from web01 (op-0123456789)",
    ],
    [
      "the image by its first 8 characters, when the whole does not fit",
      { serverName: "web01" },
      "Approve detaching 3339fd5f… from web01 (op-0123456789)",
    ],
    [
      "the server as typed while it has no name",
      { serverName: "", serverRef: "asked" },
      "Approve detaching 3339fd5f… from asked (op-0123456789)",
    ],
    [
      "the operation and the server alone, for a long name",
      { serverName: "s".repeat(30) },
      `Approve op-0123456789: detaching from ${"s".repeat(30)}`,
    ],
  ])("%s", (_, changes, label) => {
    expect(buttonLabel("Approve", lived([], {}, {}, changes))).toBe(label);
  });

  it("is at most 75 characters at each edge", () => {
    // 75 characters whole: "Approve detaching " + image + " from " + server + " (op-…)".
    const fits = (image: string, server: string) =>
      buttonLabel("Approve", lived([], {}, {}, { imageId: image, serverName: server }));
    const whole = fits("i".repeat(30), "web01");
    expect(whole).toBe(`Approve detaching ${"i".repeat(30)} from web01 (op-0123456789)`);
    expect(whole).toHaveLength(75);
    expect(fits("i".repeat(31), "web01")).toBe(
      "Approve detaching iiiiiiii… from web01 (op-0123456789)",
    );
    const short = fits("i".repeat(36), "s".repeat(26));
    expect(short).toHaveLength(75);
    expect(short).toContain("iiiiiiii…");
    expect(fits("i".repeat(36), "s".repeat(27))).toBe(
      `Approve op-0123456789: detaching from ${"s".repeat(27)}`,
    );
  });

  it("names the re-check of a timed-out detach", () => {
    const op = lived(["approved", "executing", "detaching", "timed_out"]);
    const recheck = (parentMessage(op).blocks ?? []).find((b) => b.block_id === "bm_recheck") as {
      elements: Array<{ accessibility_label?: string }>;
    };
    expect(recheck.elements[0]?.accessibility_label).toBe(
      "Re-check detaching 3339fd5f… from web01 (op-0123456789)",
    );
  });
});
