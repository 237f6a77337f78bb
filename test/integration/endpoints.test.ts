import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  auditOf,
  drain,
  enqueue,
  operation,
  privateMessages,
  sendToFrontDoor,
  settled,
  slash,
  slashBody,
  testStack,
  thread,
} from "../support/stack-harness";

/**
 * Endpoints only where ECL is, through the real handlers, on a stack that lists no host (as in
 * production): tenant secrets naming internal endpoints in every spelling, and response_urls on
 * loopback. Each is refused, said plainly, recorded, and never connected to: a loopback listener
 * counts the connections it is offered.
 */
let stack: LocalStack;
let dir: string;
let listener: Server;
let port: number;
let connections = 0;

/** Each case: a tenant (its own secret, bound to its own channel) and the words of its refusal. */
const WHY = "bm only connects to ECL's public endpoints, by name and over https";
const FIX = "Ask an admin to fix the tenant secret.";
const cases = () => [
  {
    channel: "C0LINKLOCAL",
    endpoint: "https://169.254.169.254",
    said: `the tenant's ECL endpoint https://169.254.169.254 is a link-local address; ${WHY}. ${FIX}`,
  },
  {
    channel: "C0PRIVATE",
    endpoint: "https://10.0.0.1",
    said: `the tenant's ECL endpoint https://10.0.0.1 is a private address; ${WHY}. ${FIX}`,
  },
  {
    channel: "C0RUNTIMEAPI",
    endpoint: `http://localhost:${port}`,
    said: `the tenant's ECL endpoint http://localhost:${port} is not https; ${WHY}. ${FIX}`,
  },
  {
    channel: "C0OCTAL",
    endpoint: `http://0177.0.0.1:${port}`,
    said: `the tenant's ECL endpoint http://127.0.0.1:${port} is not https; ${WHY}. ${FIX}`,
  },
  {
    channel: "C0OCTALTLS",
    endpoint: `https://0177.0.0.1:${port}`,
    said: `the tenant's ECL endpoint https://127.0.0.1:${port} is a loopback address; ${WHY}. ${FIX}`,
  },
  {
    channel: "C0INTEGER",
    endpoint: `https://2130706433:${port}`,
    said: `the tenant's ECL endpoint https://127.0.0.1:${port} is a loopback address; ${WHY}. ${FIX}`,
  },
  {
    channel: "C0HEX",
    endpoint: `https://0x7f.0.0.1:${port}/v2/${SAMPLE.tenantId}`,
    said: `the tenant's ECL endpoint https://127.0.0.1:${port} is a loopback address; ${WHY}. ${FIX}`,
  },
  {
    channel: "C0MAPPED",
    endpoint: `https://[::ffff:127.0.0.1]:${port}`,
    said: `the tenant's ECL endpoint https://[::ffff:7f00:1]:${port} is a loopback address; ${WHY}. ${FIX}`,
  },
  {
    // A DNS name is looked up when connecting: localhost resolves to loopback.
    channel: "C0BYNAME",
    endpoint: `https://localhost:${port}`,
    said: new RegExp(
      `^the tenant's ECL endpoint https://localhost:${port} resolves to a loopback address \\((127\\.0\\.0\\.1|::1)\\); ${WHY}\\. ${FIX.replace(".", "\\.")}$`,
    ),
  },
  {
    // Keystone's own endpoint, from the secret: refused before a token is asked for.
    channel: "C0KEYSTONE",
    keystone: "https://10.0.0.1",
    said: `the tenant's ECL endpoint https://10.0.0.1 is a private address; ${WHY}. ${FIX}`,
  },
];

beforeAll(async () => {
  listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((done) => listener.listen(0, "127.0.0.1", done));
  port = (listener.address() as { port: number }).port;
  dir = await mkdtemp(join(tmpdir(), "bm-endpoints-"));
  const policy = join(dir, "policy.yml");
  const channels = cases().map((c) => c.channel);
  await writeFile(
    policy,
    JSON.stringify({
      team_ids: ["T0001", "T0LOCAL"],
      tenants: Object.fromEntries(channels.map((c) => [c, { secret: `bm/tenant/${c}` }])),
      channels: {
        ...Object.fromEntries(
          channels.map((c) => [c, { tenant: c, requesters: ["*"], approvals: 0 }]),
        ),
        C0INCIDENT: { tenant: "C0PRIVATE", requesters: ["*"], approvals: 0 },
      },
    }),
  );
  stack = await testStack({
    policyFile: policy,
    // As in production: no host listed, for ECL or for response_urls.
    env: { BM_ECL_ENDPOINT_ALLOW: "", BM_SLACK_URL_ALLOW: "" },
  });
  for (const c of cases()) {
    const secret = c.keystone
      ? { identity_endpoint: c.keystone, api_key: SAMPLE.apiKey, api_secret: SAMPLE.apiSecret }
      : { api_endpoint: c.endpoint, token: SAMPLE.token };
    stack.secretsManager?.secrets.set(
      `bm/tenant/${c.channel}`,
      JSON.stringify({ tenant_id: SAMPLE.tenantId, ...secret }),
    );
  }
});
afterAll(async () => {
  await stack.close();
  await new Promise((done) => listener.close(done));
  await rm(dir, { recursive: true, force: true });
});

describe("a tenant endpoint bm does not connect to", () => {
  it.each(cases().map((c) => c.channel))(
    "%s: the detach fails, saying why, audited, never connected to",
    async (channel) => {
      // The cases again, now that the listener's port is known.
      const c = cases().find((k) => k.channel === channel) as ReturnType<typeof cases>[number];
      const before = connections;
      const answer = await sendToFrontDoor(
        stack,
        slashBody({
          text: `detach ${SAMPLE.web01} ${SAMPLE.image} rescue`,
          channel: c.channel,
          user: "U0ALICE",
        }),
      );
      expect(answer.status).toBe(200);
      await drain(stack, () => settled(stack, answer.operationId));

      const op = await operation(stack, answer.operationId);
      expect(op.state).toBe("failed");
      expect(op.outcome).toEqual(c.said instanceof RegExp ? expect.stringMatching(c.said) : c.said);
      // Said in the channel, on the card the requester sees.
      expect(thread(stack, op).parent).toContain(op.outcome);
      const failed = (await auditOf(stack, op.id)).find((e) => e.action === "failed");
      expect(failed?.facts?.reason).toBe(op.outcome);
      expect(connections - before).toBe(0);
      expect(stack.ecl?.requests.filter((r) => r.route !== "token") ?? []).toEqual([]);
    },
  );
});

describe("a detach by name, looked up first", () => {
  it("tells the requester privately why ECL was not asked, and records nothing", async () => {
    const before = connections;
    const answer = await slash(stack, `detach web01 ${SAMPLE.image} rescue`, {
      channel: "C0OCTALTLS",
      user: "U0DAVE",
    });
    expect(answer.operationId).toBeUndefined();
    expect(answer.followUp).toBe(
      `bm could not look up \`web01\` in tenant \`C0OCTALTLS\`: the tenant's ECL endpoint https://127.0.0.1:${port} is a loopback address; ${WHY}. ${FIX}`,
    );
    expect(connections - before).toBe(0);
  });
});

describe("a response_url that is not Slack's, with no host listed", () => {
  it("a slash command's is never posted to: the answer comes privately from the bot instead", async () => {
    const before = connections;
    const answer = await sendToFrontDoor(
      stack,
      slashBody({
        text: "status web01",
        channel: "C0INCIDENT",
        user: "U0BOB",
        responseUrl: `http://127.0.0.1:${port}/hooks/commands/T0001/1/x`,
      }),
    );
    expect(answer.text).toBe(
      "Looking up `web01` in ECL; the answer will appear here in a moment, for you only.",
    );
    await drain(stack);

    expect(privateMessages(stack, "U0BOB").map((m) => m.text)).toEqual([
      `bm could not look up \`web01\`: the tenant's ECL endpoint https://10.0.0.1 is a private address; ${WHY}. ${FIX}`,
    ]);
    expect(connections - before).toBe(0);
  });

  it.each([`http://127.0.0.1:${"PORT"}/hooks/x`, `http://0177.0.0.1:${"PORT"}/hooks/x`])(
    "one a queue message names (%s) is never posted to",
    async (template) => {
      const before = connections;
      await enqueue(
        stack,
        JSON.stringify({
          kind: "status",
          request: {
            teamId: "T0001",
            tenant: "C0PRIVATE",
            secretId: "bm/tenant/C0PRIVATE",
            channelId: "C0INCIDENT",
            userId: "U0CAROL",
            target: "web01",
            responseUrl: template.replace("PORT", String(port)),
          },
        }),
      );
      await drain(stack);
      expect(connections - before).toBe(0);
    },
  );
});
