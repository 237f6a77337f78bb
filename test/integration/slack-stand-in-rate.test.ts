/**
 * The Slack stand-in as strict in rate as Slack: a tier per method per workspace, posts per
 * channel, 429 with Retry-After, and the calls made before a Retry-After had passed. Its clock is
 * the test's, so a minute passes at once.
 */
import { WebClient } from "@slack/web-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { POST_BURST, SLACK_RATE_LIMITS } from "../../lib/slack/rate-tiers";
import { SlackApiError, slackApiError } from "../../lib/slack/slack-error";
import { SlackStandIn } from "../../local/stand-ins/slack";

const TOKEN = "xoxb-rate";
let clock = 0;
let slack: SlackStandIn;

beforeEach(async () => {
  clock = 1_800_000_000_000;
  slack = await new SlackStandIn({
    botToken: TOKEN,
    channels: { C0ONE: { member: true }, C0TWO: { member: true } },
    groups: { S0G: ["U0A"] },
    now: () => clock,
  }).start();
});
afterEach(() => slack.close());

/** One Web API call, as Slack's clients send it: its status, Retry-After and body. */
async function call(method: string, args: Record<string, unknown>, token = TOKEN) {
  const res = await fetch(`${slack.apiUrl}${method}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(args),
  });
  return {
    status: res.status,
    retryAfter: res.headers.get("retry-after"),
    body: (await res.json()) as { ok: boolean; error?: string },
  };
}

const post = (channel: string, text = "hi") => call("chat.postMessage", { channel, text });

describe("chat.postMessage in one channel", () => {
  it("takes a burst of 3, then refuses with 429 and Retry-After: 1", async () => {
    const answers = [];
    for (let i = 0; i < POST_BURST + 1; i++) answers.push(await post("C0ONE"));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers[3]).toEqual({
      status: 429,
      retryAfter: "1",
      body: { ok: false, error: "ratelimited" },
    });
    expect(slack.history("C0ONE")).toHaveLength(3);
    expect(slack.rateRefusals()).toEqual([
      {
        method: "chat.postMessage",
        channel: "C0ONE",
        team: "T0LOCAL",
        at: clock,
        retryAfterS: 1,
        scope: "channel",
      },
    ]);
  });

  it("two posts a second, past the burst, are refused one in two", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await post("C0ONE")).status);
      clock += 500;
    }
    // The bucket of 3 refills half a post between two: empty after the 5th (at 2 s), then one
    // post a second, so every other one is refused.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 200, 429, 200, 429]);
  });

  it("leaves another channel unaffected", async () => {
    for (let i = 0; i < POST_BURST; i++) await post("C0ONE");
    expect((await post("C0ONE")).status).toBe(429);
    expect((await post("C0TWO")).status).toBe(200);
    expect(slack.earlyCalls()).toEqual([]);
  });

  it("takes a post again once its Retry-After has passed", async () => {
    for (let i = 0; i < POST_BURST; i++) await post("C0ONE");
    const refused = await post("C0ONE");
    expect(refused).toMatchObject({ status: 429, retryAfter: "1" });
    clock += 999;
    expect((await post("C0ONE")).status).toBe(429);
    clock += 1;
    expect((await post("C0ONE")).status).toBe(200);
  });

  it("holds the workspace to 100 posts a minute, whatever the channels", async () => {
    const limit = SLACK_RATE_LIMITS["chat.postMessage"]?.perMinute ?? 0;
    for (let i = 0; i < limit; i++) {
      slack.setChannel(`C0N${i}`, { member: true });
      expect((await post(`C0N${i}`)).status).toBe(200);
    }
    slack.setChannel("C0LAST", { member: true });
    const refused = await post("C0LAST");
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe("60");
    expect(slack.rateRefusals()[0]?.scope).toBe("workspace");
  });
});

describe("a tier per method per workspace", () => {
  it("refuses the 21st usergroups.users.list of a minute (Tier 2), until the minute has passed", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      statuses.push((await call("usergroups.users.list", { usergroup: "S0G" })).status);
      clock += 1000;
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses[20]).toBe(429);
    // The first of the 20 was made 21 s ago: it leaves the window in 39 s.
    const refused = slack.rateRefusals()[0];
    expect(refused?.retryAfterS).toBe(40);
    clock += 39_000;
    expect((await call("usergroups.users.list", { usergroup: "S0G" })).status).toBe(200);
  });

  it("counts each method apart: chat.update's 51st is refused, users.info is not", async () => {
    const { body } = await post("C0ONE");
    const ts = (body as unknown as { ts: string }).ts;
    for (let i = 0; i < 50; i++)
      expect((await call("chat.update", { channel: "C0ONE", ts, text: `v${i}` })).status).toBe(200);
    expect((await call("chat.update", { channel: "C0ONE", ts, text: "late" })).status).toBe(429);
    expect((await call("users.info", { user: "U0A" })).status).toBe(200);
  });

  it("counts a call Slack refused for its content, not one refused for its rate", async () => {
    for (let i = 0; i < 20; i++) await call("usergroups.users.list", { usergroup: "S0NONE" });
    expect((await call("usergroups.users.list", { usergroup: "S0G" })).status).toBe(429);
    expect((await call("usergroups.users.list", { usergroup: "S0G" })).status).toBe(429);
    clock += 60_000;
    // The two 429s took nothing: a full minute's quota again.
    for (let i = 0; i < 20; i++)
      expect((await call("usergroups.users.list", { usergroup: "S0G" })).status).toBe(200);
  });

  it("does not limit a call with no valid token (it is no workspace's)", async () => {
    for (let i = 0; i < 25; i++) {
      const answer = await call("usergroups.list", {}, "xoxb-wrong");
      expect(answer.status).toBe(200);
      expect(answer.body.error).toBe("invalid_auth");
    }
  });

  it("gives every method bm calls a tier from Slack's method pages", () => {
    expect(
      Object.fromEntries(Object.entries(SLACK_RATE_LIMITS).map(([m, r]) => [m, r.perMinute])),
    ).toEqual({
      "chat.postMessage": 100,
      "chat.update": 50,
      "chat.delete": 50,
      "chat.getPermalink": 50,
      "chat.postEphemeral": 100,
      "views.open": 100,
      "views.update": 100,
      "views.publish": 100,
      "views.push": 100,
      "usergroups.users.list": 20,
      "usergroups.list": 20,
      "users.info": 100,
      "auth.test": 50,
      "conversations.info": 50,
    });
  });
});

describe("early calls", () => {
  it("counts a call before its Retry-After has passed, and not one after", async () => {
    for (let i = 0; i < POST_BURST; i++) await post("C0ONE");
    expect((await post("C0ONE")).retryAfter).toBe("1");
    clock += 400;
    // Early, and refused too: the bucket holds 0.4 of a post, so Slack says 1 s again.
    expect(await post("C0ONE", "too soon")).toMatchObject({ status: 429, retryAfter: "1" });
    expect((await post("C0TWO", "another channel")).status).toBe(200);
    clock += 1000;
    expect((await post("C0ONE", "in time")).status).toBe(200);
    expect(slack.earlyCalls()).toEqual([
      {
        method: "chat.postMessage",
        channel: "C0ONE",
        team: "T0LOCAL",
        at: clock - 1000,
        allowedAt: clock - 400,
        scope: "channel",
        what: { text: "too soon" },
      },
    ]);
  });

  it("counts a call before the Retry-After of a method's tier, in any channel", async () => {
    for (let i = 0; i < 20; i++) await call("usergroups.list", {});
    expect((await call("usergroups.list", {})).retryAfter).toBe("60");
    clock += 59_999;
    // 1 ms short: early, and refused with a Retry-After of its own (1 s, in whole seconds).
    expect((await call("usergroups.list", {})).retryAfter).toBe("1");
    clock += 1000;
    expect((await call("usergroups.list", {})).status).toBe(200);
    expect(slack.earlyCalls().map((c) => [c.method, c.scope, c.at, c.allowedAt])).toEqual([
      ["usergroups.list", "workspace", clock - 1000, clock - 999],
    ]);
  });

  it("counts a call before the Retry-After of a fault armed with rateLimit", async () => {
    slack.rateLimit("chat.update", 1, 2);
    expect(await call("chat.update", { channel: "C0ONE", ts: "1.1", text: "x" })).toMatchObject({
      status: 429,
      retryAfter: "2",
    });
    clock += 1999;
    await call("chat.update", { channel: "C0ONE", ts: "1.1", text: "x" });
    expect(slack.earlyCalls()).toHaveLength(1);
    // A fault is not the limits' own refusal.
    expect(slack.rateRefusals()).toEqual([]);
  });

  it("counts early calls with the limits off too, and refuses nothing then", async () => {
    slack.limitRates(false);
    for (let i = 0; i < 30; i++) expect((await post("C0ONE")).status).toBe(200);
    slack.rateLimit("chat.postMessage", 1, 5);
    await post("C0ONE");
    await post("C0ONE");
    expect(slack.earlyCalls()).toHaveLength(1);
    slack.limitRates(true);
    expect(slack.ratesLimited).toBe(true);
  });
});

describe("through Slack's WebClient, as bm builds it", () => {
  it("a 429 becomes bm's SlackApiError, passing, with the Retry-After in seconds", async () => {
    const client = new WebClient(TOKEN, {
      slackApiUrl: slack.apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
    });
    for (let i = 0; i < POST_BURST; i++)
      await client.chat.postMessage({ channel: "C0ONE", text: "hi" });
    const error = await client.chat.postMessage({ channel: "C0ONE", text: "hi" }).then(
      () => undefined,
      (e: unknown) => slackApiError("chat.postMessage", e),
    );
    expect(error).toBeInstanceOf(SlackApiError);
    expect(error).toMatchObject({
      method: "chat.postMessage",
      code: "ratelimited",
      kind: "passing",
      retryAfterS: 1,
    });
  });

  it("a Retry-After of a minute reaches bm as 60 s", async () => {
    const client = new WebClient(TOKEN, {
      slackApiUrl: slack.apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
    });
    for (let i = 0; i < 20; i++) await client.usergroups.users.list({ usergroup: "S0G" });
    const error = await client.usergroups.users.list({ usergroup: "S0G" }).then(
      () => undefined,
      (e: unknown) => slackApiError("usergroups.users.list", e),
    );
    expect(error?.retryAfterS).toBe(60);
  });
});
