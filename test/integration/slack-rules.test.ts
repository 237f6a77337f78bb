/**
 * Slack as it really is, through the real handlers against the strict Slack stand-in: text that
 * is hostile or long, a bot nobody invited, Slack errors that pass and errors that do not, a
 * trigger id that expired. Every message Slack was asked to take, it took, unless the test says.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
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
  submitReject,
  testStack,
  thread,
} from "../support/stack-harness";

let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack({
    taskMs: 100,
  });
});
afterAll(() => stack.close());

let web: { id: string; name: string };
beforeEach(() => {
  const name = `sr-${Math.random().toString(36).slice(2, 8)}`;
  const server = stack.ecl?.model.addServer(SAMPLE.tenantId, { name, media: [SAMPLE.image] });
  web = { id: server?.id ?? "", name };
});

async function runToEnd(id: string | undefined): Promise<void> {
  await drain(stack, async () => {
    await stack.followup(150);
    return settled(stack, id);
  });
}

/** A request awaiting approval in C0CHANGES, its card posted. */
async function pending() {
  const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`, {
    channel: "C0CHANGES",
    user: "U0ALICE",
  });
  await drain(
    stack,
    async () => (await operation(stack, answer.operationId)).parentTs !== undefined,
  );
  return operation(stack, answer.operationId);
}

/** Every call Slack refused since `from`, as `method: error`. */
const refusals = (from = 0) =>
  (stack.slack?.calls.slice(from) ?? [])
    .filter((c) => c.error)
    .map((c) => `${c.method}: ${c.error}`);
/** What only `user` saw, oldest first. */
const privately = (user: string) =>
  stack.slack?.ephemerals.filter((e) => e.user === user).map((e) => e.text) ?? [];
const everything = (op: { channelId: string }) =>
  JSON.stringify(stack.slack?.history(op.channelId));

describe("text from outside, escaped once", () => {
  it("a reason typed as R&D <ticket> shows as typed, not escaped twice", async () => {
    const answer = await slash(stack, `detach ${web.id} ${SAMPLE.image} R&D <ticket>`, {
      user: "U0ALICE",
    });
    await runToEnd(answer.operationId);
    const op = await operation(stack, answer.operationId);
    expect(op.reason).toBe("R&D <ticket>");
    expect(thread(stack, op).parent).toContain("*Reason*\nR&amp;D &lt;ticket&gt;");
    expect(everything(op)).not.toContain("&amp;amp;");
  });

  it("a server renamed in ECL to ping the channel behind a phishing link pings nobody", async () => {
    const evil = "<!channel> <https://evil.example|web04>";
    const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: evil,
      media: [SAMPLE.image],
    });
    const from = stack.slack?.calls.length ?? 0;
    const answer = await slash(stack, `detach ${server?.id} ${SAMPLE.image}`, { user: "U0ALICE" });
    await runToEnd(answer.operationId);
    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("done");

    await slash(stack, `status ${server?.id}`, { user: "U0ALICE" });
    const history = await slash(stack, "history", { user: "U0ALICE" });
    await drain(stack);

    const posted = everything(op);
    const status = privately("U0ALICE").at(-1) ?? "";
    for (const said of [posted, status, history.text]) {
      expect(said).not.toContain("<!channel>");
      expect(said).not.toContain("<https://evil.example");
    }
    expect(thread(stack, op).parent).toContain(
      "`&lt;!channel&gt; &lt;https://evil.example|web04&gt;`",
    );
    expect(status).toContain("*&lt;!channel&gt; &lt;https://evil.example|web04&gt;*");
    expect(refusals(from)).toEqual([]);
  });

  it("a 500-character rejection of & fits the card after escaping, and the history", async () => {
    const request = await pending();
    const from = stack.slack?.calls.length ?? 0;
    await click(stack, request, "bm_reject", "U0APPROVER1");
    const submitted = await submitReject(stack, request, "U0APPROVER1", "&".repeat(500));
    expect(submitted.status).toBe(200);
    await runToEnd(request.id);

    const op = await operation(stack, request.id);
    expect(op.state).toBe("rejected");
    expect(thread(stack, op).parent).toMatch(/rejected: (&amp;)+…/);
    expect(thread(stack, op).replies.at(-1)).toMatch(
      /rejected the request: (&amp;){500}\. Nothing/,
    );
    const history = await slash(stack, "history", { channel: "C0CHANGES", user: "U0ALICE" });
    expect(history.text).toContain(`("${"&amp;".repeat(80)}…")`);
    expect(refusals(from)).toEqual([]);
  });
});

describe("a bot nobody invited", () => {
  it("in an incident channel: the detach still happens, and the requester hears how to fix it and how it ended", async () => {
    const from = stack.slack?.calls.length ?? 0;
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image} INC-9`, {
      channel: "C0NOBOT",
      user: "U0CAROL",
    });
    expect(answer.followUp).toContain("Recorded");
    await runToEnd(answer.operationId);

    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("done");
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(web.id))).toHaveLength(1);
    expect(refusals(from)).toEqual(["chat.postMessage: not_in_channel"]);
    expect(privately("U0CAROL").slice(-2)).toEqual([
      `:warning: bm could not post about \`${op.id}\` in <#C0NOBOT>: Slack answered \`not_in_channel\`. bm is not a member of this channel: invite it with \`/invite @bm\`, then ask again.\nbm goes on with \`${op.id}\` (detach image \`${SAMPLE.image}\` from \`${web.name}\`) and will tell you here how it ends.`,
      expect.stringMatching(
        new RegExp(
          `^:white_check_mark: <@U0CAROL> done: image \`${SAMPLE.image}\` is detached from \`${web.name}\``,
        ),
      ),
    ]);
    const events = await auditOf(stack, op.id);
    expect(events.find((e) => e.action === "slack_refused")?.facts).toEqual({
      error: "not_in_channel",
      method: "chat.postMessage",
    });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });

  it("in an approval channel: the request cannot be approved, so it ends, and the requester is told why", async () => {
    const from = stack.slack?.calls.length ?? 0;
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`, {
      channel: "C0NOBOTCHANGES",
      user: "U0CAROL",
    });
    await runToEnd(answer.operationId);

    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("failed");
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(web.id))).toEqual([]);
    expect(refusals(from)).toEqual(["chat.postMessage: not_in_channel"]);
    expect(privately("U0CAROL").at(-1)).toBe(
      `:warning: bm could not post about \`${op.id}\` in <#C0NOBOTCHANGES>: Slack answered \`not_in_channel\`. bm is not a member of this channel: invite it with \`/invite @bm\`, then ask again.\n:x: <@U0CAROL> the detach failed: bm could not post the approval request in this channel (Slack answered not_in_channel), so nobody could approve it; nothing was sent to ECL.`,
    );
    expect((await auditOf(stack, op.id)).map((e) => e.action)).toEqual([
      "requested",
      "awaiting_approval",
      "slack_refused",
      "failed",
    ]);
  });

  it("/bm status answers through the response_url, where chat.postEphemeral would be refused", async () => {
    const from = stack.slack?.calls.length ?? 0;
    await slash(stack, `status ${web.name}`, { channel: "C0NOBOT", user: "U0DAVE" });
    await drain(stack);
    expect(privately("U0DAVE").at(-1)).toContain(`*${web.name}* \`${web.id}\`: ACTIVE`);
    // Who the asker is (users.info, each container once) is read; the answer only goes out
    // through the response_url.
    expect(
      stack.slack?.calls
        .slice(from)
        .map((c) => c.method)
        .filter((m) => m !== "users.info"),
    ).toEqual(["response_url"]);
  });
});

describe("Slack errors that end cleanly", () => {
  it("a revoked token: never retried, the requester is told to have bm reinstalled, the detach goes on", async () => {
    stack.slack?.refuse("chat.postMessage", "token_revoked");
    const from = stack.slack?.calls.length ?? 0;
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`, { user: "U0ERIN" });
    await runToEnd(answer.operationId);
    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("done");
    expect(op.slackRefused?.code).toBe("token_revoked");
    expect(
      stack.slack?.calls.slice(from).filter((c) => c.method === "chat.postMessage"),
    ).toHaveLength(1);
    expect(privately("U0ERIN").at(-2)).toContain(
      "Slack answered `token_revoked`. bm's Slack token no longer works here: ask a Slack admin to reinstall bm.",
    );
    expect(privately("U0ERIN").at(-1)).toMatch(/^:white_check_mark: <@U0ERIN> done/);
  });

  it("Slack down for a while holds back neither the detach nor the card, and posts it once", async () => {
    stack.slack?.serverError("chat.postMessage", 2);
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await runToEnd(answer.operationId);
    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("done");
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(web.id))).toHaveLength(1);
    expect(stack.slack?.history("C0INCIDENT").filter((m) => m.text.includes(op.id))).toHaveLength(
      1,
    );
    expect(thread(stack, op).replies.at(-1)).toMatch(/done:/);
  });
});

describe("the reject modal", () => {
  it("opens before anything else is looked up, while the trigger is fresh", async () => {
    const op = await pending();
    const from = stack.slack?.calls.length ?? 0;
    await click(stack, op, "bm_reject", "U0APPROVER2");
    expect(stack.slack?.calls[from]?.method).toBe("views.open");
    expect(refusals(from)).toEqual([]);
  });

  it("when the trigger expired (a slow cold start), tells the clicker to click again", async () => {
    const op = await pending();
    const from = stack.slack?.calls.length ?? 0;
    await click(stack, op, "bm_reject", "U0APPROVER1", { triggerAgeMs: 3500 });
    expect(refusals(from)).toEqual(["views.open: expired_trigger_id"]);
    expect(privately("U0APPROVER1").at(-1)).toBe(
      "bm could not open the form for your reason (Slack answered `expired_trigger_id`): click Reject again.",
    );
    expect((await operation(stack, op.id)).state).toBe("awaiting_approval");
  });

  it("someone who is not an approver sees the form turn into the refusal, with nothing to submit", async () => {
    // Prepare
    const op = await pending();
    const before = privately("U0MALLORY").length;
    const from = stack.slack?.calls.length ?? 0;
    // Act
    await click(stack, op, "bm_reject", "U0MALLORY");
    // Assess: the modal opened while the trigger was fresh, then became the refusal, by its id.
    const calls = stack.slack?.calls.slice(from).map((c) => c.method) ?? [];
    expect(calls.filter((m) => m.startsWith("views."))).toEqual(["views.open", "views.update"]);
    expect(refusals(from)).toEqual([]);
    const shown = stack.slack?.views.at(-1);
    expect(shown?.updates).toBe(1);
    expect(shown?.view).toEqual({
      type: "modal",
      callback_id: "bm_reject_refused",
      title: { type: "plain_text", text: "Cannot reject" },
      close: { type: "plain_text", text: "Close" },
      blocks: [
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: "You may not reject requests in this channel: you are not one of its approvers in the policy.",
            verbatim: true,
          },
        },
      ],
    });
    // Said in the modal, so not again behind it.
    expect(privately("U0MALLORY")).toHaveLength(before);
    expect((await operation(stack, op.id)).state).toBe("awaiting_approval");
  });

  it("when the modal cannot be turned into the refusal, the refusal is told in the channel", async () => {
    const op = await pending();
    stack.slack?.refuse("views.update", "not_found");
    const from = stack.slack?.calls.length ?? 0;
    await click(stack, op, "bm_reject", "U0MALLORY");
    expect(refusals(from)).toEqual(["views.update: not_found"]);
    expect(privately("U0MALLORY").at(-1)).toBe(
      "You may not reject requests in this channel: you are not one of its approvers in the policy.",
    );
  });

  it("still refuses someone who is not an approver, when they submit", async () => {
    const op = await pending();
    await submitReject(stack, op, "U0MALLORY", "no");
    expect((await operation(stack, op.id)).state).toBe("awaiting_approval");
  });
});
