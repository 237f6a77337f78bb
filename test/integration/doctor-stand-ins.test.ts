/**
 * The stand-ins' answers to what `npm run doctor` asks, as strict as the real services. Slack:
 * `auth.test` and the token's scopes in `x-oauth-scopes`, `conversations.info` (membership; a
 * private channel hidden from a bot not in it; the scope of the channel's kind),
 * `usergroups.list`, and `missing_scope` for a method whose scope the token has not got. SQS:
 * `GetQueueAttributes`. IAM: `SimulatePrincipalPolicy`, through the real SDK client.
 */
import { IAMClient, SimulatePrincipalPolicyCommand } from "@aws-sdk/client-iam";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { WebClient } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IamStandIn } from "../../local/stand-ins/iam";
import { MANIFEST_SCOPES, SlackStandIn } from "../../local/stand-ins/slack";
import { SqsStandIn } from "../../local/stand-ins/sqs";

const TOKEN = "xoxb-stand-in-reads";
let slack: SlackStandIn;
let client: WebClient;

beforeAll(async () => {
  slack = await new SlackStandIn({
    botToken: TOKEN,
    channels: {
      C0IN: { member: true },
      C0OUT: { member: false },
      C0OLD: { member: true, archived: true },
      G0SECRET: { member: true, private: true },
      G0HIDDEN: { member: false, private: true },
    },
    groups: { S0ON: ["U1", "U2"], S0OFF: ["U3"] },
    disabledGroups: ["S0OFF"],
  }).start();
  client = new WebClient(TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
});
afterAll(() => slack.close());

/** Slack's error code of a refused call. */
const refused = (call: Promise<unknown>) =>
  call.then(
    () => "answered",
    (e: { data?: { error?: string; needed?: string } }) =>
      [e.data?.error, e.data?.needed].filter(Boolean).join(" "),
  );

describe("auth.test", () => {
  it("names the workspace and the bot, and the token's scopes in x-oauth-scopes", async () => {
    const answer = await client.auth.test();
    expect(answer).toMatchObject({ ok: true, team_id: "T0LOCAL", user_id: "U0BM" });
    expect(answer.response_metadata?.scopes).toEqual([...MANIFEST_SCOPES]);
  });

  it("refuses another token as invalid_auth, with no scopes", async () => {
    const other = new WebClient("xoxb-other", { slackApiUrl: slack.apiUrl });
    expect(await refused(other.auth.test())).toBe("invalid_auth");
  });
});

describe("conversations.info", () => {
  it("says whether the bot is a member, and whether the channel is archived or private", async () => {
    const info = async (channel: string) => {
      const c = (await client.conversations.info({ channel })).channel;
      return [c?.is_member, c?.is_archived, c?.is_private];
    };
    expect(await info("C0IN")).toEqual([true, false, false]);
    expect(await info("C0OUT")).toEqual([false, false, false]);
    expect(await info("C0OLD")).toEqual([true, true, false]);
    expect(await info("G0SECRET")).toEqual([true, false, true]);
  });

  it("does not find a channel Slack has not got, nor a private one the bot is not in", async () => {
    expect(await refused(client.conversations.info({ channel: "C0NONE" }))).toBe(
      "channel_not_found",
    );
    expect(await refused(client.conversations.info({ channel: "G0HIDDEN" }))).toBe(
      "channel_not_found",
    );
  });

  it("needs channels:read for a public channel and groups:read for a private one", async () => {
    slack.scopes.delete("channels:read");
    try {
      expect(await refused(client.conversations.info({ channel: "C0IN" }))).toBe(
        "missing_scope channels:read",
      );
      expect(await refused(client.conversations.info({ channel: "G0SECRET" }))).toBe("answered");
      slack.scopes.delete("groups:read");
      expect(await refused(client.conversations.info({ channel: "G0SECRET" }))).toBe(
        "missing_scope groups:read",
      );
      // The header names what is left.
      expect((await client.auth.test()).response_metadata?.scopes).toEqual(
        MANIFEST_SCOPES.filter((s) => s !== "channels:read" && s !== "groups:read"),
      );
    } finally {
      slack.scopes.add("channels:read");
      slack.scopes.add("groups:read");
    }
  });
});

describe("usergroups.list", () => {
  it("lists the groups in use; a disabled one only with include_disabled, dated", async () => {
    const list = async (include_disabled: boolean) =>
      (await client.usergroups.list({ include_disabled })).usergroups?.map((g) => [
        g.id,
        g.date_delete,
      ]);
    expect(await list(false)).toEqual([["S0ON", 0]]);
    expect(await list(true)).toEqual([
      ["S0ON", 0],
      ["S0OFF", 1_700_000_000],
    ]);
  });

  it("needs usergroups:read, as usergroups.users.list does", async () => {
    slack.scopes.delete("usergroups:read");
    try {
      expect(await refused(client.usergroups.list({}))).toBe("missing_scope usergroups:read");
      expect(await refused(client.usergroups.users.list({ usergroup: "S0ON" }))).toBe(
        "missing_scope usergroups:read",
      );
    } finally {
      slack.scopes.add("usergroups:read");
    }
  });
});

describe("the scopes of the methods bm already calls", () => {
  it("refuses chat.postMessage without chat:write and users.info without users:read", async () => {
    slack.scopes.delete("chat:write");
    slack.scopes.delete("users:read");
    try {
      expect(await refused(client.chat.postMessage({ channel: "C0IN", text: "hi" }))).toBe(
        "missing_scope chat:write",
      );
      expect(await refused(client.users.info({ user: "U1" }))).toBe("missing_scope users:read");
    } finally {
      slack.scopes.add("chat:write");
      slack.scopes.add("users:read");
    }
  });
});

describe("SQS GetQueueAttributes", () => {
  it("answers the attributes asked for, refuses an unknown one and an unknown queue", async () => {
    const queue = await new SqsStandIn({ visibilityTimeoutS: 360 }).start();
    const sqs = new SQSClient({
      endpoint: queue.url,
      region: "ap-northeast-1",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    try {
      queue.send("{}", 0, undefined);
      const ask = (QueueUrl: string, names: string[]) =>
        sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: names as never })).then(
          (r) => r.Attributes,
          (e: Error) => e.name,
        );
      expect(await ask(queue.queueUrl, ["ApproximateNumberOfMessages"])).toEqual({
        ApproximateNumberOfMessages: "1",
      });
      expect(await ask(queue.queueUrl, ["Colour"])).toBe("InvalidAttributeName");
      expect(await ask(queue.queueUrl.replace("bm-work", "bm-nope"), ["All"])).toBe(
        "QueueDoesNotExist",
      );
    } finally {
      sqs.destroy();
      await queue.close();
    }
  });
});

describe("IAM SimulatePrincipalPolicy", () => {
  /** The real SDK client, at the stand-in, one try. */
  const iamClient = (endpoint: string) =>
    new IAMClient({
      endpoint,
      region: "ap-northeast-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
      maxAttempts: 1,
    });
  const ROLE = "arn:aws:iam::123456789012:role/bm-ci-WorkerRole-T35T";
  const TABLE = "arn:aws:dynamodb:ap-northeast-1:123456789012:table/ops";

  it("decides each action on each resource from the role's policy, with the context given", async () => {
    const iam = await new IamStandIn({
      roles: {
        [ROLE]: [
          { Effect: "Allow", Action: "dynamodb:GetItem", Resource: TABLE },
          {
            Effect: "Allow",
            Action: "dynamodb:DeleteItem",
            Resource: TABLE,
            Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["lock#*"] } },
          },
          { Effect: "Deny", Action: "dynamodb:*", Resource: `${TABLE}/index/*` },
        ],
      },
      caller: [
        {
          Effect: "Allow",
          Action: "iam:SimulatePrincipalPolicy",
          Resource: "arn:aws:iam::*:role/bm-*",
        },
      ],
    }).start();
    const client = iamClient(iam.url);
    try {
      const ask = (keys: string[]) =>
        client.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: ROLE,
            ActionNames: ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:Scan"],
            ResourceArns: [TABLE, `${TABLE}/index/inflight`],
            ContextEntries: [
              {
                ContextKeyName: "dynamodb:LeadingKeys",
                ContextKeyValues: keys,
                ContextKeyType: "stringList",
              },
            ],
          }),
        );
      const answer = await ask(["lock#a"]);
      expect(answer.IsTruncated).toBe(false);
      expect(answer.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(
        answer.EvaluationResults?.map((r) => [
          r.EvalActionName,
          r.EvalResourceName,
          r.EvalDecision,
        ]),
      ).toEqual([
        ["dynamodb:GetItem", TABLE, "allowed"],
        ["dynamodb:GetItem", `${TABLE}/index/inflight`, "explicitDeny"],
        ["dynamodb:DeleteItem", TABLE, "allowed"],
        ["dynamodb:DeleteItem", `${TABLE}/index/inflight`, "explicitDeny"],
        ["dynamodb:Scan", TABLE, "implicitDeny"],
        ["dynamodb:Scan", `${TABLE}/index/inflight`, "explicitDeny"],
      ]);
      const op = await ask(["op-1"]);
      expect(op.EvaluationResults?.[2]?.EvalDecision).toBe("implicitDeny");
      expect(iam.calls.at(-1)).toEqual({
        role: ROLE,
        actions: ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:Scan"],
        resources: [TABLE, `${TABLE}/index/inflight`],
        context: { "dynamodb:LeadingKeys": ["op-1"] },
      });
    } finally {
      client.destroy();
      await iam.close();
    }
  });

  it("refuses what IAM refuses: a caller without the right, a role it has not got, a request without actions, malformed input", async () => {
    const iam = await new IamStandIn({
      roles: { [ROLE]: [] },
      caller: [{ Effect: "Allow", Action: "iam:SimulatePrincipalPolicy", Resource: ROLE }],
    }).start();
    const client = iamClient(iam.url);
    const refusal = (input: ConstructorParameters<typeof SimulatePrincipalPolicyCommand>[0]) =>
      client.send(new SimulatePrincipalPolicyCommand(input)).then(
        () => "answered",
        (e: { name: string; $metadata: { httpStatusCode?: number } }) =>
          `${e.$metadata.httpStatusCode} ${e.name}`,
      );
    try {
      const other = ROLE.replace("WorkerRole", "Other");
      expect(await refusal({ PolicySourceArn: other, ActionNames: ["s3:GetObject"] })).toBe(
        "403 AccessDenied",
      );
      iam.caller = [{ Effect: "Allow", Action: "iam:Simulate*", Resource: "*" }];
      expect(await refusal({ PolicySourceArn: other, ActionNames: ["s3:GetObject"] })).toBe(
        "404 NoSuchEntityException",
      );
      expect(await refusal({ PolicySourceArn: ROLE, ActionNames: [] })).toBe("400 ValidationError");
      expect(await refusal({ PolicySourceArn: "role/x", ActionNames: ["s3:GetObject"] })).toBe(
        "400 InvalidInputException",
      );
      expect(await refusal({ PolicySourceArn: ROLE, ActionNames: ["GetObject"] })).toBe(
        "400 InvalidInputException",
      );
      expect(
        await refusal({
          PolicySourceArn: ROLE,
          ActionNames: ["s3:GetObject"],
          ResourceArns: ["bucket"],
        }),
      ).toBe("400 InvalidInputException");
      expect(
        await refusal({
          PolicySourceArn: ROLE,
          ActionNames: ["s3:GetObject"],
          ContextEntries: [
            { ContextKeyName: "k", ContextKeyValues: ["a", "b"], ContextKeyType: "string" },
          ],
        }),
      ).toBe("400 InvalidInputException");
      expect(
        await refusal({
          PolicySourceArn: ROLE,
          ActionNames: ["s3:GetObject"],
          ContextEntries: [{ ContextKeyName: "k", ContextKeyValues: ["a"] }],
        }),
      ).toBe("400 InvalidInputException");
      expect(await refusal({ PolicySourceArn: ROLE, ActionNames: ["s3:GetObject"] })).toBe(
        "answered",
      );
    } finally {
      client.destroy();
      await iam.close();
    }
  });
});
