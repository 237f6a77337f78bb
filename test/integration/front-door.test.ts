import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operationIdFor } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import { slackHeaders, slackHeadersAt } from "../../local/slack-request";
import type { LocalStack } from "../../local/stack";
import { expectErrorLogs } from "../support/error-logs";
import {
  auditOf,
  drain,
  operation,
  operationCount,
  operationIdOf,
  sendToFrontDoor,
  slash,
  slashBody,
  testStack,
} from "../support/stack-harness";

/** The front door alone: signatures, parsing, policy, recording, enqueueing. */
let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack({ groups: { S0OPERATORS: ["U0OPERATOR"] } });
});
afterAll(() => stack.close());

const queued = () => stack.queue?.sent.map((m) => JSON.parse(m.body)) ?? [];

describe("signatures", () => {
  const body = slashBody({ text: `detach ${SAMPLE.web01} ${SAMPLE.image}` });

  const withoutHeader = (name: string) => (secret: string) => {
    const headers: Record<string, string> = slackHeaders(secret, body);
    delete headers[name];
    return headers;
  };
  it.each([
    ["a wrong signature", () => slackHeaders("not-the-signing-secret", body), 0],
    ["no signature header", withoutHeader("x-slack-signature"), 0],
    ["no timestamp header", withoutHeader("x-slack-request-timestamp"), 0],
    [
      "a timestamp 6 minutes old",
      (secret: string) => slackHeadersAt(secret, body, Math.floor(Date.now() / 1000) - 360),
      0,
    ],
    // Without a timestamp the edge refuses it before Bolt reads the body.
    ["no headers at all", () => ({}), 0],
  ])("%s → 401, nothing recorded", async (_, headers, unreadable) => {
    const bolt = expectErrorLogs(/Failed to parse body as JSON data for content-type: undefined/);
    const before = { ops: await operationCount(stack), sent: queued().length };
    const answer = await sendToFrontDoor(stack, body, headers(stack.signingSecret));
    expect(answer.status).toBe(401);
    expect(await operationCount(stack)).toBe(before.ops);
    expect(queued()).toHaveLength(before.sent);
    expect(bolt.lines).toHaveLength(unreadable);
  });

  it("an unsigned body that is not even a form → 401, not 500", async () => {
    const bolt = expectErrorLogs(/Failed to parse body as JSON data for content-type: text\/plain/);
    const answer = await sendToFrontDoor(stack, "{not json", { "content-type": "text/plain" });
    expect(answer.status).toBe(401);
    expect(bolt.lines).toHaveLength(0);
  });

  it("a signed body that is not even a form → 400 (Bolt's words have nothing of the body)", async () => {
    const bolt = expectErrorLogs(/Failed to parse body as JSON data for content-type: text\/plain/);
    const headers = {
      ...slackHeaders(stack.signingSecret, "{not json"),
      "content-type": "text/plain",
    };
    const answer = await sendToFrontDoor(stack, "{not json", headers);
    expect(answer.status).toBe(400);
    expect(bolt.lines).toHaveLength(1);
    expect(bolt.lines[0]).not.toContain("not json");
  });
});

describe("commands", () => {
  it("answers help", async () => {
    const answer = await slash(stack, "help");
    expect(answer.text).toContain("`/bm detach SERVER [IMAGE-ID [REASON…]]`");
    expect(answer.text).not.toMatch(/[<>]/);
  });

  it.each([
    ["detatch web01 x", "`detatch` is not a bm command. Did you mean `/bm detach`?"],
    ["hlep", "`hlep` is not a bm command. Did you mean `/bm help`?"],
    ["reboot web01", "`reboot` is not a bm command."],
    ["detach", "`/bm detach` needs a server, and the image id if you know it"],
    ["detach web01 ubuntu.iso", 'The image must be an image id (a UUID), not "ubuntu.iso".'],
    [`detach web/01 ${SAMPLE.image}`, "is not a server name bm accepts"],
  ])("%j gets a plain answer and the usage, recording nothing", async (text, said) => {
    const before = await operationCount(stack);
    const answer = await slash(stack, text);
    expect(answer.status).toBe(200);
    expect(answer.text).toContain(said);
    expect(answer.text).toContain("`/bm help`");
    expect(await operationCount(stack)).toBe(before);
  });
});

describe("recording a request", () => {
  it("writes the operation, enqueues prepare, and names the operation in the ack", async () => {
    const answer = await slash(stack, `detach ${SAMPLE.web01} ${SAMPLE.image} disk swap`, {
      user: "U0ALICE",
      triggerId: "111.222.abc",
    });
    const id = operationIdFor("T0001", "111.222.abc");
    expect(answer.operationId).toBe(id);
    const op = await operation(stack, id);
    expect(op).toMatchObject({
      state: "requested",
      requester: "U0ALICE",
      channelId: "C0INCIDENT",
      tenant: "sample",
      secretId: "bm/tenant/sample",
      serverRef: SAMPLE.web01,
      imageId: SAMPLE.image,
      reason: "disk swap",
    });
    expect(queued().at(-1)).toEqual({ kind: "prepare", operationId: id });
    expect((await auditOf(stack, id)).map((e) => e.action)).toEqual(["requested"]);
  });

  it("a server named by name: the worker looks it up, then records the request, and the requester hears it privately", async () => {
    // A server of its own: the detach of web01 the test above left in the queue is delivered
    // by the drain below too, and may detach the image before the lookup reads web01.
    const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: "fd-lookup01",
      media: [SAMPLE.image],
    });
    const before = await operationCount(stack);
    const answer = await slash(stack, `detach fd-lookup01 ${SAMPLE.image} disk swap`, {
      user: "U0ALICE",
      follow: false,
    });
    expect(answer.text).toBe(
      "Looking up `fd-lookup01` in tenant `sample`: bm records the request once it knows which server is meant, and tells you here in a moment, for you only.",
    );
    expect(answer.operationId).toBeUndefined();
    expect(await operationCount(stack)).toBe(before + 1); // the pending choice, no operation
    expect(queued().at(-1)).toEqual({ kind: "lookup", choiceId: expect.stringMatching(/^ch-/) });

    await drain(
      stack,
      async () => (stack.slack?.ephemeralsOf("C0INCIDENT", "U0ALICE").length ?? 0) > 0,
    );
    const [said] = stack.slack?.ephemeralsOf("C0INCIDENT", "U0ALICE") ?? [];
    expect(said?.text).toMatch(
      new RegExp(
        `^Recorded \`(op-[a-z0-9]{10})\`: detach image \`${SAMPLE.image}\` from \`fd-lookup01\` \\(\`${server?.id}\`\\)\\. bm will check the server and post progress in this channel\\.$`,
      ),
    );
    const op = await operation(stack, operationIdOf(said?.text ?? ""));
    expect(op).toMatchObject({
      state: "requested",
      requester: "U0ALICE",
      serverRef: server?.id,
      serverName: "fd-lookup01",
      reason: "disk swap",
    });
    expect(queued().at(-1)).toEqual({ kind: "prepare", operationId: op.id });
  });

  it("a repeated delivery creates no second operation", async () => {
    const body = slashBody({
      text: `detach ${SAMPLE.web01} ${SAMPLE.image}`,
      triggerId: "333.444.def",
    });
    const first = await sendToFrontDoor(stack, body);
    const before = await operationCount(stack);
    const again = await sendToFrontDoor(stack, body);
    expect(again.operationId).toBe(first.operationId);
    expect(again.text).toBe(
      `This request is already recorded as \`${first.operationId}\` (requested).`,
    );
    expect(await operationCount(stack)).toBe(before);
    expect((await auditOf(stack, first.operationId as string)).map((e) => e.action)).toEqual([
      "requested",
    ]);
  });

  it("takes a base64 body, as API Gateway sends it", async () => {
    // The harness always sends isBase64Encoded bodies; a plain one must work too.
    const body = slashBody({ text: "help" });
    const event = await import("../../local/lambda-events");
    const plain = {
      ...event.httpApiEvent("POST", "/slack/events", slackHeaders(stack.signingSecret, body), body),
      body,
      isBase64Encoded: false,
    };
    const result = (await stack.handlers.slack(plain, event.lambdaContext("bm-slack", 6000))) as {
      statusCode: number;
    };
    expect(result.statusCode).toBe(200);
  });

  it("never calls auth.test, nor any Slack method for a plain request", async () => {
    const before = stack.slack?.calls.length ?? 0;
    await slash(stack, `detach ${SAMPLE.web01} ${SAMPLE.image}`);
    expect(
      stack.slack?.calls
        .slice(before)
        .map((c) => c.method)
        .filter((m) => m !== "usergroups.users.list"),
    ).toEqual([]);
    // The worker asks auth.test once per container (for permalinks); the front door never.
    expect(stack.slack?.calls.slice(before).filter((c) => c.method === "auth.test")).toEqual([]);
  });
});

describe("policy", () => {
  it.each([
    [
      "an unbound channel",
      { channel: "C0UNKNOWN", user: "U0ALICE" },
      "refused:channel_not_bound",
      "bm is not enabled in this channel",
    ],
    [
      "a user outside the requesters group",
      { channel: "C0OPS", user: "U0ALICE" },
      "refused:not_a_requester",
      "You may not request media detaches in this channel",
    ],
  ])("%s: a clear refusal, an audit event, nothing else", async (_, where, action, said) => {
    const before = { ops: await operationCount(stack), sent: queued().length };
    const triggerId = `refuse.${Math.random()}`;
    // Refused before anything is looked up or recorded, by name as by id.
    const answer = await slash(stack, `detach web01 ${SAMPLE.image}`, {
      ...where,
      triggerId,
    });
    expect(answer.text).toContain(said);
    expect(await operationCount(stack)).toBe(before.ops);
    expect(queued()).toHaveLength(before.sent);
    const events = await auditOf(stack, operationIdFor("T0001", triggerId));
    expect(events).toEqual([
      expect.objectContaining({
        seq: 0,
        action,
        actor: { teamId: "T0001", userId: where.user },
        // One event a minute for the same refusal of the same user: its minute is named.
        facts: {
          channel: where.channel,
          server: "web01",
          image: SAMPLE.image,
          minute: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d$/),
        },
      }),
    ]);
  });

  it("a channel that needs approvals records the request and says so", async () => {
    const answer = await slash(stack, `detach ${SAMPLE.web01} ${SAMPLE.image}`, {
      channel: "C0CHANGES",
      user: "U0ALICE",
    });
    expect(answer.text).toMatch(
      /^Recorded `op-\w+`: .* It needs 1 approval; bm will post the request in this channel for approvers\.$/,
    );
    expect(
      stack.slack?.callsOf("usergroups.users.list").map((c) => c.args.usergroup),
    ).not.toContain("S0APPROVERS");
  });

  it("a member of the requesters' user group may request", async () => {
    const answer = await slash(stack, `detach ${SAMPLE.web01} ${SAMPLE.image}`, {
      channel: "C0OPS",
      user: "U0OPERATOR",
    });
    expect(answer.text).toMatch(/^Recorded `op-/);
    expect(stack.slack?.callsOf("usergroups.users.list").at(-1)?.args).toMatchObject({
      usergroup: "S0OPERATORS",
    });
  });

  it("keeps group members for a few minutes instead of asking Slack for every command", async () => {
    const before = stack.slack?.callsOf("usergroups.users.list").length;
    const answer = await slash(stack, `detach ${SAMPLE.web01} ${SAMPLE.image}`, {
      channel: "C0OPS",
      user: "U0OPERATOR",
    });
    expect(answer.text).toMatch(/^Recorded `op-/);
    expect(stack.slack?.callsOf("usergroups.users.list").length).toBe(before);
  });
});
