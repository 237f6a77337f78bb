/**
 * The edge checks what it is given before anything else reads it: the request's time (Slack's
 * rule: within 5 minutes either way), the shape of every payload bm reads (valibot schemas), and
 * the workspace it comes from (the policy's `team_ids`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Operation, operationIdFor } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import { httpApiEvent, lambdaContext } from "../../local/lambda-events";
import { slackHeaders, slackHeadersAt } from "../../local/slack-request";
import type { LocalStack } from "../../local/stack";
import { expectErrorLogs } from "../support/error-logs";
import {
  auditOf,
  drain,
  operation,
  operationCount,
  sendToFrontDoor,
  slash,
  slashBody,
  testStack,
} from "../support/stack-harness";

let stack: LocalStack;
beforeAll(async () => {
  stack = await testStack();
});
afterAll(() => stack.close());

const queued = () => stack.queue?.sent.length ?? 0;
const auditCount = async () => {
  const { ScanCommand } = await import("@aws-sdk/client-dynamodb");
  const { Count = 0 } = await stack.dynamo.send(
    new ScanCommand({ TableName: stack.env.BM_AUDIT_TABLE, Select: "COUNT" }),
  );
  return Count;
};
/** What the stack holds: operations, audit events, queue messages. */
const held = async () => ({
  ops: await operationCount(stack),
  audit: await auditCount(),
  sent: queued(),
});

/** A Slack payload, changed freely by the tests (that is what they are for). */
// biome-ignore lint/suspicious/noExplicitAny: a test reshapes Slack's JSON at will
type Payload = Record<string, any>;

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, "../fixtures", name), "utf8"));

/** A request left awaiting approval in C0CHANGES, its card posted. */
async function awaiting(): Promise<Operation> {
  const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
    name: `edge-${Math.random().toString(36).slice(2, 8)}`,
    media: [SAMPLE.image],
  });
  const answer = await slash(stack, `detach ${server?.id} ${SAMPLE.image} CHG-1`, {
    channel: "C0CHANGES",
  });
  await drain(
    stack,
    async () => (await operation(stack, answer.operationId)).state === "awaiting_approval",
  );
  await drain(stack);
  return operation(stack, answer.operationId);
}

/** An approval click on `op` by U0APPROVER1, as Slack sends it, with `change` made to it. */
function approvalClick(op: Operation, change: (payload: Payload) => void = () => {}) {
  const payload = fixture("block-actions.json");
  payload.user = { ...payload.user, id: "U0APPROVER1", team_id: op.teamId };
  payload.team = { ...payload.team, id: op.teamId };
  payload.channel = { ...payload.channel, id: op.channelId };
  payload.container = { ...payload.container, channel_id: op.channelId, message_ts: op.parentTs };
  payload.message = { ...payload.message, ts: op.parentTs };
  payload.trigger_id = `${Date.now()}.1.edge`;
  payload.response_url = stack.slack?.newResponseUrl(op.channelId, "U0APPROVER1");
  payload.actions = [
    { ...payload.actions[0], block_id: "bm_approval", action_id: "bm_approve", value: op.id },
  ];
  change(payload);
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

describe("the request's time: within 5 minutes of now, either way", () => {
  const body = slashBody({ text: `detach ${SAMPLE.web01} ${SAMPLE.image}` });
  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    ["6 minutes ahead", 360],
    ["10 years ahead", 10 * 365 * 86_400],
    ["6 minutes old", -360],
  ])("a request signed %s → 401, nothing recorded", async (_, offsetS) => {
    const before = await held();
    const answer = await sendToFrontDoor(
      stack,
      body,
      slackHeadersAt(stack.signingSecret, body, now() + offsetS),
    );
    expect(answer).toEqual({ status: 401, text: "", operationId: undefined });
    expect(await held()).toEqual(before);
  });

  it.each([
    ["4 minutes ahead", 240],
    ["4 minutes old", -240],
  ])("a request signed %s is taken", async (_, offsetS) => {
    const help = slashBody({ text: "help" });
    const answer = await sendToFrontDoor(
      stack,
      help,
      slackHeadersAt(stack.signingSecret, help, now() + offsetS),
    );
    expect(answer.status).toBe(200);
    expect(answer.text).toContain("*bm* detaches virtual media");
  });

  it("the stand-in never signs a request outside them itself", () => {
    expect(() => slackHeaders(stack.signingSecret, body, now() + 301)).toThrow(
      "Slack never sends a request dated more than 5 minutes from now",
    );
    expect(() => slackHeaders(stack.signingSecret, body, now() - 301)).toThrow(
      "Slack never sends a request dated more than 5 minutes from now",
    );
  });
});

describe("a slash command bm cannot read", () => {
  const UNREADABLE =
    "bm could not read this command (a field Slack always sends was missing, doubled or of the wrong kind), so nothing was done.";
  const withBody = (change: (form: URLSearchParams) => void) => {
    const form = new URLSearchParams(
      slashBody({ text: `detach ${SAMPLE.web01} ${SAMPLE.image}`, triggerId: "1.2.edge" }),
    );
    change(form);
    return form.toString();
  };

  it.each([
    ["user_id given twice", (f: URLSearchParams) => f.append("user_id", "U0OTHER")],
    ["team_id given twice", (f: URLSearchParams) => f.append("team_id", "T0001")],
    ["text given twice", (f: URLSearchParams) => f.append("text", "help")],
    ["no user_id", (f: URLSearchParams) => f.delete("user_id")],
    ["no channel_id", (f: URLSearchParams) => f.delete("channel_id")],
    ["no trigger_id", (f: URLSearchParams) => f.delete("trigger_id")],
    ["a user_id that is no user id", (f: URLSearchParams) => f.set("user_id", "alice")],
  ])("%s: a plain answer, nothing recorded or audited", async (_, change) => {
    const before = await held();
    const answer = await sendToFrontDoor(stack, withBody(change));
    expect(answer).toEqual({ status: 200, text: UNREADABLE, operationId: undefined });
    expect(await held()).toEqual(before);
  });
});

describe("an interaction bm cannot read", () => {
  it.each([
    ["a user id that is a number", (p: Payload) => (p.user.id = 5)],
    ["no user", (p: Payload) => delete p.user],
    ["no team", (p: Payload) => delete p.team],
    ["no actions", (p: Payload) => delete p.actions],
    ["an action whose value is a list", (p: Payload) => (p.actions[0].value = ["x"])],
    ["a channel that is text", (p: Payload) => (p.channel = "C0CHANGES")],
  ])("a click with %s → 400, nothing recorded", async (_, change) => {
    const op = await awaiting();
    const before = await held();
    const answer = await sendToFrontDoor(stack, approvalClick(op, change));
    expect(answer.status).toBe(400);
    expect(await held()).toEqual(before);
    expect((await operation(stack, op.id)).approvals ?? []).toEqual([]);
  });

  it("a form with its payload given twice → 400", async () => {
    const op = await awaiting();
    const before = await held();
    const one = JSON.parse(new URLSearchParams(approvalClick(op)).get("payload") ?? "");
    const form = new URLSearchParams();
    form.append("payload", JSON.stringify(one));
    form.append("payload", JSON.stringify(one));
    const answer = await sendToFrontDoor(stack, form.toString());
    expect(answer.status).toBe(400);
    expect(await held()).toEqual(before);
  });

  it("a reject modal submitted without the operation it is for → 400, nothing recorded", async () => {
    const op = await awaiting();
    const payload = fixture("view-submission.json");
    payload.user = { ...payload.user, id: "U0APPROVER1", team_id: "T0001" };
    payload.team = { ...payload.team, id: "T0001" };
    payload.view = {
      ...payload.view,
      callback_id: "bm_reject_reason",
      private_metadata: undefined,
      state: { values: { reason: { reason: { type: "plain_text_input", value: ["no"] } } } },
    };
    const before = await held();
    const answer = await sendToFrontDoor(
      stack,
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    );
    expect(answer.status).toBe(400);
    expect(await held()).toEqual(before);
    expect((await operation(stack, op.id)).state).toBe("awaiting_approval");
  });
});

describe("one workspace: the policy's team_ids", () => {
  const REFUSED =
    "bm serves only its own Slack workspace: it takes no request or click from another workspace or organisation, so nothing was done.";

  it.each([
    ["the payload's team", (p: Payload) => (p.team.id = "T0EVIL")],
    ["only the user's team", (p: Payload) => (p.user.team_id = "T0EVIL")],
  ])(
    "an approval click naming T0EVIL in %s is refused, audited, and changes nothing",
    async (_, change) => {
      const op = await awaiting();
      const sent = queued();
      const answer = await sendToFrontDoor(stack, approvalClick(op, change));
      expect(answer.status).toBe(200);
      const after = await operation(stack, op.id);
      expect(after.state).toBe("awaiting_approval");
      expect(after.approvals ?? []).toEqual([]);
      expect(after.seq).toBe(op.seq);
      expect(queued()).toBe(sent);
      const refusals = (await auditOf(stack, op.id)).filter((e) => e.action.startsWith("refused:"));
      expect(refusals).toEqual([
        expect.objectContaining({
          seq: 0,
          action: "refused:foreign_team",
          actor: { teamId: expect.any(String), userId: "U0APPROVER1" },
        }),
      ]);
      // The clicker is told, privately, in the channel of the click.
      expect(stack.slack?.ephemeralsOf("C0CHANGES", "U0APPROVER1").at(-1)?.text).toBe(REFUSED);
    },
  );

  it("a slash command from another team is refused and audited, and records nothing", async () => {
    const before = { ops: await operationCount(stack), sent: queued() };
    const body = slashBody({
      text: `detach ${SAMPLE.web01} ${SAMPLE.image}`,
      team: "T0EVIL",
      triggerId: "9.9.evil",
    });
    const answer = await sendToFrontDoor(stack, body);
    expect(answer).toEqual({ status: 200, text: REFUSED, operationId: undefined });
    expect({ ops: await operationCount(stack), sent: queued() }).toEqual(before);
    expect(await auditOf(stack, operationIdFor("T0EVIL", "9.9.evil"))).toEqual([
      expect.objectContaining({
        seq: 0,
        action: "refused:foreign_team",
        actor: { teamId: "T0EVIL", userId: "U0REQUESTER" },
        facts: { team: "T0EVIL", enterprise: "E0001", minute: expect.any(String) },
      }),
    ]);
  });
});

describe("a policy refused at load", () => {
  it.each([
    [
      "team_ids missing",
      (policy: string) => policy.replace(/^team_ids: .*$/m, ""),
      "team_ids: missing (the Slack team ids, T…, bm serves; required)",
    ],
    [
      'approvers: ["*"]',
      (policy: string) =>
        policy.replace(
          /(C0CHANGES:\n(?: {4}.*\n)*?) {4}approvers: \[S0APPROVERS\]/,
          '$1    approvers: ["*"]',
        ),
      'channels.C0CHANGES.approvers.0: approvers may not be "*": anyone in the channel could approve; name the approvers (user ids U…, W… or user group ids S…)',
    ],
  ])(
    "%s: says why in the cold start's log line: the field and the rule, and no secret",
    async (_, change, why) => {
      const failed = expectErrorLogs(/"message":"cold start failed"/);
      const file = join(tmpdir(), `bm-edge-policy-${process.pid}.yml`);
      const policy = readFileSync(join(import.meta.dirname, "../fixtures/policy.yml"), "utf8");
      const changed = change(policy);
      expect(changed).not.toBe(policy);
      writeFileSync(file, changed);
      const saved = process.env.BM_POLICY;
      process.env.BM_POLICY = file;
      try {
        // A new container: the front door's module loaded afresh, its cold start still to come.
        vi.resetModules();
        const { handler } = (await import("../../handlers/slack")) as {
          handler: (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyResultV2>;
        };
        const body = slashBody({ text: "help" });
        const answer = (await handler(
          httpApiEvent("POST", "/slack/events", slackHeaders(stack.signingSecret, body), body),
          lambdaContext("bm-slack", 6000),
        )) as { statusCode: number };
        expect(answer.statusCode).toBe(503);
      } finally {
        process.env.BM_POLICY = saved;
      }
      expect(failed.lines.map((l) => JSON.parse(l))).toEqual([
        expect.objectContaining({
          level: "ERROR",
          function: "slack",
          error: "PolicyError",
          reason: `the policy file ${file} is invalid: ${why}`,
        }),
      ]);
      expect(failed.lines[0]).not.toContain(stack.signingSecret);
    },
  );
});
