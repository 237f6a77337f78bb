import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Operation } from "../../lib/operations/operation";
import { httpApiEvent, lambdaContext } from "../../local/lambda-events";
import { deliverEvent } from "../../local/slack-events";
import {
  appHomeOpenedBody,
  eventHeaders,
  newEventId,
  slackHeaders,
  urlVerificationBody,
} from "../../local/slack-request";
import type { LocalStack } from "../../local/stack";
import {
  auditOf,
  awaitingApproval,
  drain,
  finished,
  operation,
  submitReject,
  testStack,
} from "../support/stack-harness";

/** The Events API through the real front door: signed JSON, as Slack sends it. */
let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack();
});
afterAll(() => stack.close());

async function send(body: string, headers: Record<string, string>) {
  const result = (await stack.handlers.slack(
    httpApiEvent("POST", "/slack/events", headers, body),
    lambdaContext("bm-slack", 6000),
  )) as { statusCode?: number; body?: string };
  return { status: result.statusCode ?? 200, body: result.body ?? "" };
}

const homeOpened = (user: string, fields: { team?: string; eventId?: string } = {}) =>
  appHomeOpenedBody({
    teamId: fields.team ?? "T0001",
    userId: user,
    ...(fields.eventId ? { eventId: fields.eventId } : {}),
  });
const openHome = (user: string, fields: { team?: string; eventId?: string } = {}) => {
  const body = homeOpened(user, fields);
  return send(body, eventHeaders(stack.signingSecret, body));
};

/** The Home tab's text as the person reads it: every section's text, in order. */
function homeText(user: string): string {
  const view = stack.slack?.homes.get(user)?.view as
    | { blocks: Array<{ text?: { text: string }; elements?: Array<{ text?: unknown }> }> }
    | undefined;
  return (view?.blocks ?? [])
    .map((b) => b.text?.text ?? "")
    .filter(Boolean)
    .join("\n");
}

function homeButtons(user: string): Array<{ blockId: string; actionId: string; value: string }> {
  const view = stack.slack?.homes.get(user)?.view as
    | {
        blocks: Array<{
          type: string;
          block_id?: string;
          elements?: Array<{ action_id: string; value: string }>;
        }>;
      }
    | undefined;
  return (view?.blocks ?? [])
    .filter((b) => b.type === "actions")
    .flatMap((b) =>
      (b.elements ?? []).map((e) => ({
        blockId: b.block_id ?? "",
        actionId: e.action_id,
        value: e.value,
      })),
    );
}

let homeClicks = 0;

/**
 * A click on the person's Home tab: a block_actions from a view of type home, no channel, its
 * trigger id new and issued `triggerAgeMs` ago (now unless told). Answers the trigger id.
 */
async function clickOnHome(
  op: Operation,
  actionId: string,
  user: string,
  options: { triggerAgeMs?: number } = {},
) {
  const triggerId = `${Date.now() - (options.triggerAgeMs ?? 0)}.${++homeClicks}.home`;
  const payload = {
    type: "block_actions",
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: "T0001" },
    api_app_id: "A0LOCALBM",
    token: "deprecated-verification-token",
    container: { type: "view", view_id: `VH${user}` },
    trigger_id: triggerId,
    team: { id: "T0001", domain: "local" },
    enterprise: null,
    is_enterprise_install: false,
    view: { id: `VH${user}`, type: "home", blocks: [], private_metadata: "", callback_id: "" },
    actions: [
      {
        type: "button",
        block_id: `bm_home_${op.id}`,
        action_id: actionId,
        value: op.id,
        text: { type: "plain_text", text: actionId },
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return { ...(await send(body, slackHeaders(stack.signingSecret, body))), triggerId };
}

/** The modal a click's trigger id opened, as Slack shows it now (after any views.update). */
const modalOf = (triggerId: string) => stack.slack?.views.find((v) => v.triggerId === triggerId);

/** The card of the request in its channel, as it reads now. */
const cardOf = (op: Operation) =>
  JSON.stringify(stack.slack?.history(op.channelId).find((m) => m.ts === op.parentTs)?.blocks);

describe("the Events API at the front door", () => {
  it("answers Slack's url_verification with its challenge, once signed", async () => {
    const body = urlVerificationBody("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
    const answer = await send(body, eventHeaders(stack.signingSecret, body));
    expect(answer).toEqual({
      status: 200,
      body: JSON.stringify({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" }),
    });
  });

  it("refuses a url_verification or an event with a wrong signature: 401, nothing published", async () => {
    const check = urlVerificationBody("abc");
    expect((await send(check, eventHeaders("not-the-secret", check))).status).toBe(401);
    const body = homeOpened("U0BADSIG");
    expect((await send(body, eventHeaders("not-the-secret", body))).status).toBe(401);
    expect(stack.slack?.homes.has("U0BADSIG")).toBe(false);
  });

  it("takes no event from another workspace: 200 (Slack would retry anything else), nothing published", async () => {
    const answer = await openHome("U0OTHERTEAM", { team: "T0OTHER" });
    expect(answer.status).toBe(200);
    expect(stack.slack?.homes.has("U0OTHERTEAM")).toBe(false);
    expect(
      stack.slack?.callsOf("views.publish").filter((c) => c.args.user_id === "U0OTHERTEAM"),
    ).toEqual([]);
  });

  it("refuses a signed event whose envelope it cannot read: 400, nothing published", async () => {
    const body = JSON.stringify({
      type: "event_callback",
      team_id: "T0001",
      event: { type: "app_home_opened", user: "U0X" },
    });
    expect((await send(body, eventHeaders(stack.signingSecret, body))).status).toBe(400);
    expect(stack.slack?.homes.has("U0X")).toBe(false);
  });
});

describe("app_home_opened", () => {
  it("publishes the opener's Home: what waits for their approval, with the card's buttons", async () => {
    const { op } = await awaitingApproval(stack, "C0CHANGES", "U0REQUESTER");
    const answer = await openHome("U0APPROVER1");
    expect(answer).toEqual({ status: 200, body: "" });
    const text = homeText("U0APPROVER1");
    expect(text).toContain("*bm: media detach* for <@U0APPROVER1>");
    expect(text).toMatch(/\*Waiting for your approval\* \(\d+\)/);
    expect(text).toContain(
      `\`${op.id}\` \`${op.serverName}\` image \`${op.imageId}\` in <#C0CHANGES>\nasked by <@U0REQUESTER>: CHG-1\n0 of 1 approvals, expires `,
    );
    expect(homeButtons("U0APPROVER1")).toContainEqual({
      blockId: `bm_home_${op.id}`,
      actionId: "bm_approve",
      value: op.id,
    });
    expect(homeButtons("U0APPROVER1")).toContainEqual({
      blockId: `bm_home_${op.id}`,
      actionId: "bm_reject",
      value: op.id,
    });
    // The requester sees it among their own requests, and no buttons: they may not approve it.
    await openHome("U0REQUESTER");
    expect(homeText("U0REQUESTER")).toContain(
      `• \`${op.id}\` \`${op.serverName}\` in <#C0CHANGES>: *awaiting approval* since `,
    );
    expect(homeButtons("U0REQUESTER").filter((b) => b.value === op.id)).toEqual([]);
    expect(homeText("U0REQUESTER")).toContain(
      `\`${op.serverName}\` (\`${op.serverId}\`) image \`${op.imageId}\`, seen `,
    );
  });

  it("does the work once for an event and its retry (X-Slack-Retry-Num), and for the same event_id again", async () => {
    const eventId = newEventId();
    const body = homeOpened("U0RETRY", { eventId });
    const before = stack.slack?.callsOf("views.publish").length ?? 0;
    expect((await send(body, eventHeaders(stack.signingSecret, body))).status).toBe(200);
    const retried = await send(
      body,
      eventHeaders(stack.signingSecret, body, { num: 1, reason: "http_timeout" }),
    );
    expect(retried).toEqual({ status: 200, body: "" });
    expect((await send(body, eventHeaders(stack.signingSecret, body))).status).toBe(200);
    expect((stack.slack?.callsOf("views.publish").length ?? 0) - before).toBe(1);
  });

  it("answers inside Slack's 3 s, so Slack's delivery needs no retry", async () => {
    const body = homeOpened("U0TIMED");
    const attempts = await deliverEvent(
      (headers, b) => send(b, headers).then((a) => a.status),
      stack.signingSecret,
      body,
      { delaysMs: [0, 10, 10] },
    );
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.status).toBe(200);
    expect(attempts[0]?.ms).toBeLessThan(3000);
  });
});

describe("Approve and Reject on the Home tab", () => {
  it("Approve from the Home approves with the card's rules and audit, and the Home shows the answer", async () => {
    const { op } = await awaitingApproval(stack, "C0CHANGES", "U0REQUESTER");
    await openHome("U0APPROVER2");
    const answer = await clickOnHome(op, "bm_approve", "U0APPROVER2");
    expect(answer.status).toBe(200);
    expect(homeText("U0APPROVER2")).toContain(
      `You approved \`${op.id}\` (1 of 1): bm goes on with the detach.`,
    );
    expect(homeButtons("U0APPROVER2").filter((b) => b.value === op.id)).toEqual([]);
    const done = await finished(stack, op.id);
    expect(done.state).toBe("done");
    const approved = (await auditOf(stack, op.id)).find((e) => e.action === "approved");
    expect(approved?.actor).toEqual({ teamId: "T0001", userId: "U0APPROVER2" });
    expect(approved?.facts).toEqual({ approvals: 1, needed: 1 });
  });

  it("the requester's own Approve from the Home is refused as on the card, and audited so", async () => {
    const { op } = await awaitingApproval(stack, "C0CHANGES", "U0REQUESTER");
    await clickOnHome(op, "bm_approve", "U0REQUESTER");
    expect(homeText("U0REQUESTER")).toContain(
      "You may not approve requests in this channel: you are not one of its approvers in the policy.",
    );
    await drain(stack);
    expect((await operation(stack, op.id)).state).toBe("awaiting_approval");
    const refused = (await auditOf(stack, op.id)).filter((e) => e.action.startsWith("refused:"));
    expect(refused.map((e) => e.actor.userId)).toEqual(["U0REQUESTER"]);
  });
});

describe("Reject on the Home tab", () => {
  it("an approver's Reject opens the card's modal; its submission rejects, audited, and the card and Homes show it", async () => {
    const { op } = await awaitingApproval(stack, "C0CHANGES", "U0REQUESTER");
    await openHome("U0APPROVER1");
    await openHome("U0REQUESTER");
    const ephemerals = stack.slack?.ephemerals.length ?? 0;
    const { status, triggerId } = await clickOnHome(op, "bm_reject", "U0APPROVER1");
    expect(status).toBe(200);
    // The card's modal, by the click's trigger id, marked as opened from the Home.
    const modal = modalOf(triggerId);
    expect(modal?.view).toMatchObject({
      callback_id: "bm_reject_reason",
      private_metadata: `${op.id} home`,
    });
    expect(modal?.updates).toBe(0);
    const submitted = await submitReject(
      stack,
      op,
      "U0APPROVER1",
      "not <!here> today",
      String(modal?.view.private_metadata),
    );
    expect(submitted.status).toBe(200);
    // Told on the Home it was opened from (a modal has no channel), never privately in one.
    expect(homeText("U0APPROVER1")).toContain(`You rejected \`${op.id}\`.`);
    expect(stack.slack?.ephemerals.length ?? 0).toBe(ephemerals);
    const rejected = await finished(stack, op.id);
    expect(rejected).toMatchObject({
      state: "rejected",
      rejectedBy: "U0APPROVER1",
      rejectReason: "not <!here> today",
    });
    const audited = (await auditOf(stack, op.id)).find((e) => e.action === "rejected");
    expect(audited?.actor).toEqual({ teamId: "T0001", userId: "U0APPROVER1" });
    // The card as after a Reject on it: the reason escaped, the buttons gone.
    expect(cardOf(rejected)).toContain(
      ":no_entry: <@U0APPROVER1> rejected: not &lt;!here&gt; today",
    );
    expect(cardOf(rejected)).not.toContain("bm_approve");
    // Both Homes published again: nothing left to approve, and the requester's request rejected.
    expect(homeButtons("U0APPROVER1").filter((b) => b.value === op.id)).toEqual([]);
    expect(homeText("U0REQUESTER")).toContain(
      `• \`${op.id}\` \`${op.serverName}\` in <#C0CHANGES>: *rejected* <!date^`,
    );
  });

  it("a non-approver's Reject: the modal turns into the refusal, audited, nothing recorded", async () => {
    const { op } = await awaitingApproval(stack, "C0CHANGES", "U0REQUESTER");
    const ephemerals = stack.slack?.ephemerals.length ?? 0;
    const { triggerId } = await clickOnHome(op, "bm_reject", "U0MALLORY");
    const modal = modalOf(triggerId);
    expect(modal?.updates).toBe(1);
    expect(modal?.view).toMatchObject({
      callback_id: "bm_reject_refused",
      title: { type: "plain_text", text: "Cannot reject" },
      blocks: [
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: "You may not reject requests in this channel: you are not one of its approvers in the policy.",
          },
        },
      ],
    });
    expect(stack.slack?.ephemerals.length ?? 0).toBe(ephemerals);
    await drain(stack);
    expect((await operation(stack, op.id)).state).toBe("awaiting_approval");
    const audit = await auditOf(stack, op.id);
    expect(audit.filter((e) => e.action.startsWith("refused:")).map((e) => e.actor.userId)).toEqual(
      ["U0MALLORY"],
    );
    expect(audit.filter((e) => e.action === "rejected")).toEqual([]);
  });

  it("a non-approver whose modal Slack did not open (a stale trigger) is told on their Home", async () => {
    const { op } = await awaitingApproval(stack, "C0CHANGES", "U0REQUESTER");
    const from = stack.slack?.calls.length ?? 0;
    const { triggerId } = await clickOnHome(op, "bm_reject", "U0MALLORY", { triggerAgeMs: 3500 });
    const calls = stack.slack?.calls.slice(from) ?? [];
    expect(calls.filter((c) => c.method === "views.open").map((c) => c.error)).toEqual([
      "expired_trigger_id",
    ]);
    expect(modalOf(triggerId)).toBeUndefined();
    expect(homeText("U0MALLORY")).toContain(
      "You may not reject requests in this channel: you are not one of its approvers in the policy.",
    );
    expect((await operation(stack, op.id)).state).toBe("awaiting_approval");
  });

  it("a refusal Slack would not put in the modal (views.update refused) is told on the Home", async () => {
    const { op } = await awaitingApproval(stack, "C0CHANGES", "U0REQUESTER");
    stack.slack?.refuse("views.update", "not_found");
    const { triggerId } = await clickOnHome(op, "bm_reject", "U0MALLORY");
    expect(modalOf(triggerId)?.updates).toBe(0);
    expect(homeText("U0MALLORY")).toContain(
      "You may not reject requests in this channel: you are not one of its approvers in the policy.",
    );
  });

  it("an approver whose modal Slack did not open is told on the Home to click again, nothing recorded", async () => {
    const { op } = await awaitingApproval(stack, "C0CHANGES", "U0REQUESTER");
    await clickOnHome(op, "bm_reject", "U0APPROVER2", { triggerAgeMs: 3500 });
    expect(homeText("U0APPROVER2")).toContain(
      "bm could not open the form for your reason (Slack answered `expired_trigger_id`): click Reject again.",
    );
    expect((await auditOf(stack, op.id)).filter((e) => e.action === "rejected")).toEqual([]);
    expect((await operation(stack, op.id)).state).toBe("awaiting_approval");
  });
});

describe("the stand-in's views.open, as strict as Slack", () => {
  it("a trigger id opens one view: used again, exchanged_trigger_id", async () => {
    const { op } = await awaitingApproval(stack, "C0CHANGES", "U0REQUESTER");
    const { triggerId } = await clickOnHome(op, "bm_reject", "U0APPROVER1");
    expect(modalOf(triggerId)).toBeDefined();
    const secrets = JSON.parse(
      readFileSync(join(import.meta.dirname, "../../infra/local/secrets.json"), "utf8"),
    ) as Record<string, Record<string, string>>;
    const again = (await (
      await fetch(`${stack.slack?.apiUrl}views.open`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${secrets["bm/slack"]?.bot_token}`,
          "content-type": "application/json; charset=utf-8",
        },
        body: JSON.stringify({ trigger_id: triggerId, view: modalOf(triggerId)?.view }),
      })
    ).json()) as { ok: boolean; error?: string };
    expect(again).toEqual({ ok: false, error: "exchanged_trigger_id" });
    expect(stack.slack?.views.filter((v) => v.triggerId === triggerId)).toHaveLength(1);
  });
});

describe("the Home published again when what it shows changes", () => {
  it("an approval on the card publishes again the Homes of the requester and of the approvers who opened theirs", async () => {
    const { op } = await awaitingApproval(stack, "C0CHANGES", "U0REQUESTER");
    await openHome("U0APPROVER1");
    await openHome("U0REQUESTER");
    expect(homeButtons("U0APPROVER1").filter((b) => b.value === op.id)).toHaveLength(2);
    const published = () => stack.slack?.callsOf("views.publish").length ?? 0;
    const before = published();
    await clickOnHome(op, "bm_approve", "U0APPROVER2");
    const done = await finished(stack, op.id);
    expect(done.state).toBe("done");
    // Neither opened it again: the worker and the follow-up published their Homes anew.
    expect(homeButtons("U0APPROVER1").filter((b) => b.value === op.id)).toEqual([]);
    expect(homeText("U0REQUESTER")).toContain(
      `• \`${op.id}\` \`${op.serverName}\` in <#C0CHANGES>: *done* `,
    );
    expect(published() - before).toBeGreaterThan(2);
  });
});

describe("the stand-in's views.publish, as strict as Slack", () => {
  it("a hash, when given, must be the last publish's: else hash_conflict, and the Home stays", async () => {
    const secrets = JSON.parse(
      readFileSync(join(import.meta.dirname, "../../infra/local/secrets.json"), "utf8"),
    ) as Record<string, Record<string, string>>;
    const publish = async (fields: Record<string, unknown>) =>
      (await (
        await fetch(`${stack.slack?.apiUrl}views.publish`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${secrets["bm/slack"]?.bot_token}`,
            "content-type": "application/json; charset=utf-8",
          },
          body: JSON.stringify(fields),
        })
      ).json()) as { ok: boolean; error?: string; view?: { hash?: string } };
    const view = (text: string) => ({
      type: "home",
      blocks: [{ type: "section", text: { type: "mrkdwn", text } }],
    });
    const first = await publish({ user_id: "U0HASH", view: view("one") });
    expect(first.ok).toBe(true);
    expect(await publish({ user_id: "U0HASH", view: view("two"), hash: "stale" })).toEqual({
      ok: false,
      error: "hash_conflict",
    });
    expect(homeText("U0HASH")).toBe("one");
    const again = await publish({ user_id: "U0HASH", view: view("three"), hash: first.view?.hash });
    expect(again.ok).toBe(true);
    expect(again.view?.hash).not.toBe(first.view?.hash);
    expect(homeText("U0HASH")).toBe("three");
    expect((await publish({ view: view("four") })).error).toBe("invalid_arguments");
  });
});
