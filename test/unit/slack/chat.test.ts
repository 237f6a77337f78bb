/**
 * The Slack port's adapter over the WebClient, with a fake client (no socket): what each call
 * sends, how each failure leaves it, and the response_url bm may post to.
 */

import type { WebClient } from "@slack/web-api";
import { afterEach, describe, expect, it, vi } from "vitest";
import { hostPatterns } from "../../../lib/net/endpoint-rule";
import { message } from "../../../lib/slack/blocks";
import {
  cachedGroupMembers,
  cachedPeople,
  isResponseUrl,
  type Person,
  permalinkOf,
  webClientChat,
} from "../../../lib/slack/chat";
import { md } from "../../../lib/slack/mrkdwn";
import type { PacedCall } from "../../../lib/slack/paced-call";
import { SlackApiError } from "../../../lib/slack/slack-error";

/** A WebClient whose every method records its arguments and answers `answer` (or throws it). */
function fakeClient(answer: (method: string) => unknown = () => ({ ok: true })) {
  const calls: Array<{ method: string; args: Record<string, unknown> }> = [];
  const method =
    (name: string) =>
    async (args: Record<string, unknown>): Promise<unknown> => {
      calls.push({ method: name, args });
      const said = answer(name);
      if (said instanceof Error || (said as { code?: string })?.code) throw said;
      return said;
    };
  const client = {
    auth: { test: method("auth.test") },
    chat: {
      postMessage: method("chat.postMessage"),
      update: method("chat.update"),
      delete: method("chat.delete"),
      getPermalink: method("chat.getPermalink"),
      postEphemeral: method("chat.postEphemeral"),
    },
    usergroups: { users: { list: method("usergroups.users.list") } },
    users: { info: method("users.info") },
    views: {
      open: method("views.open"),
      update: method("views.update"),
      publish: method("views.publish"),
    },
  } as unknown as WebClient;
  return { client, calls };
}

const TEXT = message(md`hello`);
const WITH_BLOCKS = message(md`hello`, [{ type: "divider" }]);

describe("permalinkOf", () => {
  it.each([
    [
      "https://acme.slack.com/",
      "C0123",
      "1700000000.123456",
      "https://acme.slack.com/archives/C0123/p1700000000123456",
    ],
    ["https://local.slack.test/", "G9", "1.2", "https://local.slack.test/archives/G9/p12"],
    ["http://acme.slack.com/", "C0123", "1.2", undefined],
    ["https://acme.slack.com", "C0123", "1.2", undefined],
    ["https://acme.slack.com/x/", "C0123", "1.2", undefined],
    ["https://a b/", "C0123", "1.2", undefined],
    [" https://acme.slack.com/", "C0123", "1.2", undefined],
    ["https://acme.slack.com/", "c0123", "1.2", undefined],
    ["https://acme.slack.com/", "C0/../", "1.2", undefined],
    ["https://acme.slack.com/", "", "1.2", undefined],
    ["https://acme.slack.com/", "C0123", "12", undefined],
    ["https://acme.slack.com/", "C0123", "1.2x", undefined],
    ["https://acme.slack.com/", "C0123", "x1.2", undefined],
    ["https://acme.slack.com/", "C0123", ".2", undefined],
    ["https://acme.slack.com/", "C0123", "1.", undefined],
  ])("%s, %s, %s: %s", (url, channel, ts, expected) => {
    expect(permalinkOf(url, channel, ts)).toBe(expected);
  });
});

describe("webClientChat's permalinks", () => {
  it("are built from auth.test's URL, asked once, with no chat.getPermalink", async () => {
    const { client, calls } = fakeClient(() => ({ ok: true, url: "https://acme.slack.com/" }));
    const chat = webClientChat(client, "t");
    expect(await chat.permalink("C1", "1.2")).toBe("https://acme.slack.com/archives/C1/p12");
    expect(await chat.permalink("C2", "3.4")).toBe("https://acme.slack.com/archives/C2/p34");
    expect(calls).toEqual([{ method: "auth.test", args: { token: "t" } }]);
  });

  it("ask auth.test again after it failed, and Slack meanwhile", async () => {
    let fail = true;
    const { client, calls } = fakeClient((m) => {
      if (m === "auth.test" && fail) return new Error("down");
      if (m === "auth.test") return { ok: true, url: "https://acme.slack.com/" };
      return { ok: true, permalink: "https://slack/p" };
    });
    const chat = webClientChat(client, "t");
    expect(await chat.permalink("C1", "1.2")).toBe("https://slack/p");
    fail = false;
    expect(await chat.permalink("C1", "1.2")).toBe("https://acme.slack.com/archives/C1/p12");
    expect(await chat.permalink("C1", "5.6")).toBe("https://acme.slack.com/archives/C1/p56");
    expect(calls.map((c) => c.method)).toEqual(["auth.test", "chat.getPermalink", "auth.test"]);
  });

  it("are asked for through the pace, as auth.test (in no channel) and then Slack's", async () => {
    const { client } = fakeClient((m) =>
      m === "auth.test"
        ? { ok: true, url: "http://acme/" }
        : { ok: true, permalink: "https://s/p" },
    );
    const paced: Array<[string, string | undefined]> = [];
    const pace: PacedCall = (method, channel, run) => {
      paced.push([method, channel]);
      return run();
    };
    const chat = webClientChat(client, "t", 5000, () => {}, undefined, pace);
    expect(await chat.permalink("C1", "1.2")).toBe("https://s/p");
    expect(paced).toEqual([
      ["auth.test", undefined],
      ["chat.getPermalink", undefined],
    ]);
  });

  it("are Slack's when the URL is not one to build on", async () => {
    const { client, calls } = fakeClient((m) =>
      m === "auth.test"
        ? { ok: true, url: "http://acme/" }
        : { ok: true, permalink: "https://s/p" },
    );
    const chat = webClientChat(client, "t");
    expect(await chat.permalink("C1", "1.2")).toBe("https://s/p");
    expect(calls.map((c) => c.method)).toEqual(["auth.test", "chat.getPermalink"]);
  });
});

describe("webClientChat", () => {
  it("posts with the token, in a thread when told, never unfurling links; returns the ts", async () => {
    const { client, calls } = fakeClient(() => ({ ok: true, ts: "1.2" }));
    const chat = webClientChat(client, "xoxb-t");
    expect(await chat.post("C1", TEXT)).toBe("1.2");
    expect(await chat.post("C1", WITH_BLOCKS, "0.9")).toBe("1.2");
    expect(await chat.post("C1", TEXT, "0.9", { broadcast: true })).toBe("1.2");
    // Outside a thread there is nothing to broadcast: Slack would ignore it, bm does not send it.
    expect(await chat.post("C1", TEXT, undefined, { broadcast: true })).toBe("1.2");
    expect(await chat.post("C1", TEXT, "0.9", { broadcast: false })).toBe("1.2");
    expect(calls).toEqual([
      {
        method: "chat.postMessage",
        args: { token: "xoxb-t", channel: "C1", text: "hello", unfurl_links: false },
      },
      {
        method: "chat.postMessage",
        args: {
          token: "xoxb-t",
          channel: "C1",
          text: "hello",
          blocks: [{ type: "divider" }],
          thread_ts: "0.9",
          unfurl_links: false,
        },
      },
      {
        method: "chat.postMessage",
        args: {
          token: "xoxb-t",
          channel: "C1",
          text: "hello",
          thread_ts: "0.9",
          reply_broadcast: true,
          unfurl_links: false,
        },
      },
      {
        method: "chat.postMessage",
        args: { token: "xoxb-t", channel: "C1", text: "hello", unfurl_links: false },
      },
      {
        method: "chat.postMessage",
        args: {
          token: "xoxb-t",
          channel: "C1",
          text: "hello",
          thread_ts: "0.9",
          unfurl_links: false,
        },
      },
    ]);
  });

  it("opens a modal, answering its id and hash, and updates it by that id", async () => {
    const { client, calls } = fakeClient((m) =>
      m === "views.open" ? { ok: true, view: { id: "V1", hash: "1.a" } } : { ok: true },
    );
    const chat = webClientChat(client, "t");
    const view = {
      type: "modal" as const,
      title: { type: "plain_text" as const, text: "x" },
      blocks: [],
    };
    expect(await chat.openView("trig", view)).toEqual({ id: "V1", hash: "1.a" });
    await chat.updateView("V1", view, "1.a");
    await chat.updateView("V1", view);
    expect(calls.map((c) => [c.method, c.args])).toEqual([
      ["views.open", { token: "t", trigger_id: "trig", view }],
      ["views.update", { token: "t", view_id: "V1", view, hash: "1.a" }],
      ["views.update", { token: "t", view_id: "V1", view }],
    ]);
  });

  it("a modal Slack opened without an id, or without a hash", async () => {
    const view = {
      type: "modal" as const,
      title: { type: "plain_text" as const, text: "x" },
      blocks: [],
    };
    const none = webClientChat(fakeClient(() => ({ ok: true })).client, "t");
    expect(await none.openView("trig", view).catch((e: unknown) => e)).toMatchObject({
      method: "views.open",
      code: "no_view_id",
      kind: "passing",
    });
    const bare = webClientChat(fakeClient(() => ({ ok: true, view: { id: "V2" } })).client, "t");
    expect(await bare.openView("trig", view)).toEqual({ id: "V2" });
  });

  it("a post Slack answers without a ts is a passing failure", async () => {
    const errors: string[] = [];
    const chat = webClientChat(fakeClient(() => ({ ok: true })).client, "t", 5000, (c) =>
      errors.push(c),
    );
    const failure = await chat.post("C1", TEXT).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SlackApiError);
    expect(failure).toMatchObject({ method: "chat.postMessage", code: "no_ts", kind: "passing" });
    expect(errors).toEqual(["no_ts"]);
  });

  it("sends each other call as Slack's method takes it", async () => {
    const { client, calls } = fakeClient((m) =>
      m === "chat.getPermalink"
        ? { ok: true, permalink: "https://x.slack.com/p1" }
        : m === "usergroups.users.list"
          ? { ok: true, users: ["U1", "U2"] }
          : { ok: true },
    );
    const chat = webClientChat(client, "t");
    await chat.update("C1", "1.2", WITH_BLOCKS);
    await chat.remove("C1", "1.2");
    expect(await chat.permalink("C1", "1.2")).toBe("https://x.slack.com/p1");
    expect(await chat.groupMembers("S1")).toEqual(["U1", "U2"]);
    await chat.ephemeral("C1", "U1", TEXT);
    await chat.publishHome("U1", { type: "home", blocks: [] });
    expect(calls.map((c) => [c.method, c.args])).toEqual([
      [
        "chat.update",
        { token: "t", channel: "C1", ts: "1.2", text: "hello", blocks: [{ type: "divider" }] },
      ],
      ["chat.delete", { token: "t", channel: "C1", ts: "1.2" }],
      // auth.test named no URL: the permalink is Slack's.
      ["auth.test", { token: "t" }],
      ["chat.getPermalink", { token: "t", channel: "C1", message_ts: "1.2" }],
      ["usergroups.users.list", { token: "t", usergroup: "S1" }],
      ["chat.postEphemeral", { token: "t", channel: "C1", user: "U1", text: "hello" }],
      ["views.publish", { token: "t", user_id: "U1", view: { type: "home", blocks: [] } }],
    ]);
  });

  it("asks users.info who a user is: their team, guest, stranger, deactivated", async () => {
    const users: Record<string, unknown> = {
      U1: { id: "U1", team_id: "T1" },
      U2: { id: "U2", team_id: "T1", is_restricted: true, deleted: false },
      U3: { id: "U3", team_id: "T1", is_ultra_restricted: true },
      U4: { id: "U4", team_id: "T9", is_stranger: true },
      U5: { id: "U5", team_id: "T1", deleted: true },
      U6: { id: "U6" },
    };
    const { client, calls } = fakeClient();
    (client as unknown as { users: { info: unknown } }).users.info = async (args: {
      user: string;
    }) => {
      calls.push({ method: "users.info", args });
      return { ok: true, user: users[args.user] };
    };
    const chat = webClientChat(client, "xoxb-t");
    const seen: Record<string, Person> = {};
    for (const id of Object.keys(users)) seen[id] = await chat.person(id);
    const member = { teamId: "T1", guest: false, external: false, deleted: false };
    expect(seen).toEqual({
      U1: member,
      U2: { ...member, guest: true },
      U3: { ...member, guest: true },
      U4: { ...member, teamId: "T9", external: true },
      U5: { ...member, deleted: true },
      U6: { ...member, teamId: "" },
    });
    expect(calls[0]).toEqual({ method: "users.info", args: { token: "xoxb-t", user: "U1" } });
  });

  it("a user Slack does not know (user_not_found) is nobody's member; other errors throw", async () => {
    const notFound = {
      code: "slack_webapi_platform_error",
      data: { ok: false, error: "user_not_found" },
    };
    const chat = webClientChat(fakeClient(() => notFound).client, "t");
    expect(await chat.person("U0NOBODY")).toEqual({
      teamId: "",
      guest: false,
      external: true,
      deleted: true,
    });
    const ok = webClientChat(fakeClient(() => ({ ok: true })).client, "t");
    expect(await ok.person("U0NOBODY")).toMatchObject({ deleted: true });
    // A failure with no answer of Slack's (a socket reset): thrown, as itself.
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    const broken = webClientChat(fakeClient(() => reset).client, "t");
    const failure = (await broken.person("U1").catch((e: unknown) => e)) as SlackApiError;
    expect(failure).toBeInstanceOf(SlackApiError);
    expect(failure.cause).toBe(reset);
  });

  it("a group Slack lists without users has none", async () => {
    const chat = webClientChat(fakeClient(() => ({ ok: true })).client, "t");
    expect(await chat.groupMembers("S1")).toEqual([]);
  });

  it.each<[string, (chat: ReturnType<typeof webClientChat>) => Promise<unknown>]>([
    ["chat.postMessage", (chat) => chat.post("C1", TEXT)],
    ["chat.update", (chat) => chat.update("C1", "1.2", TEXT)],
    ["chat.delete", (chat) => chat.remove("C1", "1.2")],
    ["chat.getPermalink", (chat) => chat.permalink("C1", "1.2")],
    ["usergroups.users.list", (chat) => chat.groupMembers("S1")],
    ["users.info", (chat) => chat.person("U1")],
    ["chat.postEphemeral", (chat) => chat.ephemeral("C1", "U1", TEXT)],
    [
      "views.open",
      (chat) =>
        chat.openView("trig", {
          type: "modal",
          title: { type: "plain_text", text: "x" },
          blocks: [],
        }),
    ],
    [
      "views.update",
      (chat) =>
        chat.updateView("V1", {
          type: "modal",
          title: { type: "plain_text", text: "x" },
          blocks: [],
        }),
    ],
    ["views.publish", (chat) => chat.publishHome("U1", { type: "home", blocks: [] })],
  ])("a failure of %s leaves it as a SlackApiError naming that method", async (method, run) => {
    // Prepare
    const errors: string[] = [];
    const thrown = {
      code: "slack_webapi_platform_error",
      data: { ok: false, error: "invalid_auth" },
    };
    const chat = webClientChat(fakeClient(() => thrown).client, "t", 5000, (c) => errors.push(c));
    // Act
    const failure = await run(chat).catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(SlackApiError);
    const { code, kind, cause } = failure as SlackApiError;
    expect({ method: (failure as SlackApiError).method, code, kind, cause }).toEqual({
      method,
      code: "invalid_auth",
      kind: "permanent",
      cause: thrown,
    });
    // A permalink asks auth.test for the workspace's URL first, which failed as well.
    expect(errors).toEqual(
      method === "chat.getPermalink" ? ["invalid_auth", "invalid_auth"] : ["invalid_auth"],
    );
  });

  it("sorts every client failure into a SlackApiError, and counts it", async () => {
    const errors: string[] = [];
    const { client } = fakeClient(() => ({
      code: "slack_webapi_platform_error",
      data: { ok: false, error: "not_in_channel" },
    }));
    const chat = webClientChat(client, "t", 5000, (c) => errors.push(c));
    const failure = await chat.update("C1", "1.2", TEXT).catch((e: unknown) => e);
    expect(failure).toMatchObject({
      method: "chat.update",
      code: "not_in_channel",
      kind: "permanent",
    });
    expect(errors).toEqual(["not_in_channel"]);
  });
});

describe("respond: posting to a response_url", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  /** A fetch that answers `status` with `body`, recording what it was sent. */
  function stubFetch(status: number, body = "") {
    const sent: Array<{ url: string; init: RequestInit }> = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      sent.push({ url, init });
      return new Response(body, { status });
    });
    return sent;
  }

  it("posts the message privately, replacing the one clicked only when told", async () => {
    const sent = stubFetch(200, "ok");
    const chat = webClientChat(fakeClient().client, "t");
    await chat.respond("https://hooks.slack.com/actions/T/1/x", WITH_BLOCKS);
    await chat.respond("https://hooks.slack.com/actions/T/1/x", TEXT, { replace: true });
    expect(sent.map((s) => [s.url, s.init.method, JSON.parse(String(s.init.body))])).toEqual([
      [
        "https://hooks.slack.com/actions/T/1/x",
        "POST",
        {
          response_type: "ephemeral",
          replace_original: false,
          text: "hello",
          blocks: [{ type: "divider" }],
        },
      ],
      [
        "https://hooks.slack.com/actions/T/1/x",
        "POST",
        { response_type: "ephemeral", replace_original: true, text: "hello" },
      ],
    ]);
    expect(sent[0]?.init.headers).toEqual({ "content-type": "application/json" });
    expect(sent[0]?.init.signal).toBeInstanceOf(AbortSignal);
  });

  it.each([
    [404, "expired_url", "expired_url", "permanent"],
    [404, "used_url", "used_url", "permanent"],
    [400, "<html>no</html>", "http_400", "permanent"],
    [429, "", "http_429", "passing"],
    [500, "", "http_500", "passing"],
    [503, "service down for a while, try later", "http_503", "passing"],
  ] as const)("an answer %i %j is %s, %s", async (status, body, code, kind) => {
    stubFetch(status, body);
    const errors: string[] = [];
    const chat = webClientChat(fakeClient().client, "t", 5000, (c) => errors.push(c));
    const failure = await chat
      .respond("https://hooks.slack.com/commands/T/1/x", TEXT)
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ method: "response_url", code, kind });
    expect(errors).toEqual([code]);
  });

  it("reads an error code Slack ends with a newline", async () => {
    stubFetch(404, "expired_url\n");
    const chat = webClientChat(fakeClient().client, "t");
    const failure = await chat
      .respond("https://hooks.slack.com/commands/T/1/x", TEXT)
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({
      method: "response_url",
      code: "expired_url",
      kind: "permanent",
    });
  });

  it("gives up on a response_url that does not answer in time, as a passing failure", async () => {
    // Prepare: a fetch that never answers, and fails only when its signal aborts.
    vi.stubGlobal(
      "fetch",
      (_url: string, init: RequestInit) =>
        new Promise((_, reject) => {
          init.signal?.addEventListener("abort", () => reject(init.signal?.reason));
        }),
    );
    const errors: string[] = [];
    const chat = webClientChat(fakeClient().client, "t", 10, (c) => errors.push(c));
    // Act
    const failure = await chat
      .respond("https://hooks.slack.com/commands/T/1/x", TEXT)
      .catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(SlackApiError);
    expect(failure).toMatchObject({ method: "response_url", code: "no_response", kind: "passing" });
    expect((failure as SlackApiError).cause).toMatchObject({ name: "TimeoutError" });
    expect(errors).toEqual(["no_response"]);
  });

  it("names an answer whose body breaks off by its status", async () => {
    // Prepare
    const body = new ReadableStream({
      start(controller) {
        controller.error(new Error("connection reset"));
      },
    });
    vi.stubGlobal("fetch", async () => new Response(body, { status: 502 }));
    const errors: string[] = [];
    const chat = webClientChat(fakeClient().client, "t", 5000, (c) => errors.push(c));
    // Act
    const failure = await chat
      .respond("https://hooks.slack.com/commands/T/1/x", TEXT)
      .catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(SlackApiError);
    expect(failure).toMatchObject({ method: "response_url", code: "http_502", kind: "passing" });
    expect(errors).toEqual(["http_502"]);
  });

  it.each([
    ["the caller's, when shorter", 5000, { timeoutMs: 30 }],
    ["the adapter's, when shorter", 30, { timeoutMs: 5000 }],
    ["the adapter's, when the caller gives none", 30, {}],
  ])("gives up after the shorter timeout: %s", async (_, adapterMs, options) => {
    // A hook that never answers: only the abort ends the fetch.
    vi.stubGlobal(
      "fetch",
      (_url: string, init: RequestInit) =>
        new Promise((_resolve, reject) =>
          init.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
        ),
    );
    const chat = webClientChat(fakeClient().client, "t", adapterMs);
    const started = Date.now();
    const failure = await chat
      .respond("https://hooks.slack.com/commands/T/1/x", TEXT, options)
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SlackApiError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("never fetches a URL that is not Slack's (or the local stack's)", async () => {
    const sent = stubFetch(200);
    const errors: string[] = [];
    const chat = webClientChat(fakeClient().client, "t", 5000, (c) => errors.push(c));
    const failure = await chat.respond("https://evil.example/hook", TEXT).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SlackApiError);
    expect(failure).toMatchObject({
      method: "response_url",
      code: "invalid_url",
      kind: "permanent",
    });
    expect(errors).toEqual(["invalid_url"]);
    expect(sent).toEqual([]);
  });
});

describe("isResponseUrl", () => {
  it.each([
    ["https://hooks.slack.com/commands/T1/2/x", true],
    ["https://HOOKS.slack.com:443/actions/T1/2/x", true],
    // Loopback is the local stand-in's, and only where BM_SLACK_URL_ALLOW lists it (below).
    ["http://127.0.0.1:3000/hooks/x", false],
    ["http://localhost:3000/hooks/x", false],
    ["http://0177.0.0.1:3000/hooks/x", false],
    ["https://169.254.169.254/latest/meta-data", false],
    ["https://hooks.slack.com:8443/commands/T1/2/x", false],
    ["https://user:pass@hooks.slack.com/commands/T1/2/x", false],
    ["https://:pass@hooks.slack.com/commands/T1/2/x", false],
    ["https://hooks.slack.com./commands/T1/2/x", false],
    ["http://hooks.slack.com/commands/T1/2/x", false],
    ["https://hooks.slack.com.evil.example/x", false],
    ["https://evil.example/?hooks.slack.com", false],
    ["https://127.0.0.1/hooks/x", false],
    ["http://127.0.0.2/hooks/x", false],
    ["ftp://hooks.slack.com/x", false],
    ["not a url", false],
    ["", false],
    [42, false],
    [undefined, false],
    // Only a string is taken, even one that reads as Slack's hook.
    [new URL("https://hooks.slack.com/commands/T1/2/x"), false],
    [{ toString: () => "https://hooks.slack.com/commands/T1/2/x" }, false],
  ])("%j: %s", (url, ok) => {
    expect(isResponseUrl(url)).toBe(ok);
  });

  it.each([
    ["http://127.0.0.1:3000/hooks/x", true],
    ["https://127.0.0.1/hooks/x", true],
    // A URL's host, as `new URL()` writes it: 0177.0.0.1 is 127.0.0.1.
    ["http://0177.0.0.1:3000/hooks/x", true],
    ["http://localhost:3000/hooks/x", false],
    ["http://127.0.0.2/hooks/x", false],
    ["http://user@127.0.0.1/hooks/x", false],
    ["ftp://127.0.0.1/x", false],
    ["https://hooks.slack.com/commands/T1/2/x", true],
  ])("with 127.0.0.1 allowed, %j: %s", (url, ok) => {
    expect(isResponseUrl(url, hostPatterns("127.0.0.1"))).toBe(ok);
  });
});

describe("cachedPeople", () => {
  const member: Person = { teamId: "T1", guest: false, external: false, deleted: false };
  it("asks once per user within the TTL (ten minutes unless told), concurrent lookups sharing one", async () => {
    let now = 5000;
    const asked: string[] = [];
    const people = cachedPeople(
      async (u) => {
        asked.push(u);
        return member;
      },
      undefined,
      () => now,
    );
    await Promise.all([people("U1"), people("U1")]);
    now = 5000 + 10 * 60_000 - 1;
    await people("U1");
    expect(asked).toEqual(["U1"]);
    now = 5000 + 10 * 60_000;
    await people("U1");
    await people("U2");
    expect(asked).toEqual(["U1", "U1", "U2"]);
  });

  it("keeps no failure: the next lookup asks again", async () => {
    let fail = true;
    const asked: string[] = [];
    const people = cachedPeople(async (u) => {
      asked.push(u);
      if (fail) throw new Error("ratelimited");
      return member;
    }, 1000);
    await expect(people("U1")).rejects.toThrow("ratelimited");
    fail = false;
    expect(await people("U1")).toEqual(member);
    expect(await people("U1")).toEqual(member);
    expect(asked).toEqual(["U1", "U1"]);
  });
});

describe("cachedGroupMembers", () => {
  it("asks once per group within the TTL, concurrent lookups sharing one call", async () => {
    let now = 0;
    const asked: string[] = [];
    const members = cachedGroupMembers(
      async (g) => {
        asked.push(g);
        return [`${g}-member`];
      },
      1000,
      { now: () => now },
    );
    expect(await Promise.all([members("S1"), members("S1")])).toEqual([
      ["S1-member"],
      ["S1-member"],
    ]);
    now = 999;
    await members("S1");
    await members("S2");
    expect(asked).toEqual(["S1", "S2"]);
    now = 1000;
    await members("S1");
    expect(asked).toEqual(["S1", "S2", "S1"]);
  });

  it("counts the TTL from the lookup, not from 0", async () => {
    // Prepare
    let now = 10_000;
    const asked: string[] = [];
    const members = cachedGroupMembers(
      async (g) => {
        asked.push(g);
        return ["U1"];
      },
      1000,
      { now: () => now },
    );
    await members("S1");
    // Act
    now = 10_999;
    await members("S1");
    const withinTtl = [...asked];
    now = 11_000;
    await members("S1");
    // Assess
    expect(withinTtl).toEqual(["S1"]);
    expect(asked).toEqual(["S1", "S1"]);
  });

  it("keeps members five minutes unless told otherwise", async () => {
    // Prepare
    let now = 0;
    const asked: string[] = [];
    const members = cachedGroupMembers(
      async (g) => {
        asked.push(g);
        return ["U1"];
      },
      undefined,
      { now: () => now },
    );
    await members("S1");
    // Act
    now = 299_999;
    await members("S1");
    const withinTtl = [...asked];
    now = 300_000;
    await members("S1");
    // Assess
    expect(withinTtl).toEqual(["S1"]);
    expect(asked).toEqual(["S1", "S1"]);
  });

  it("forgets a failed lookup, so that the next one asks again", async () => {
    let fail = true;
    const asked: string[] = [];
    const members = cachedGroupMembers(async (g) => {
      asked.push(g);
      if (fail) throw new Error("Slack down");
      return ["U1"];
    });
    await expect(members("S1")).rejects.toThrow("Slack down");
    fail = false;
    expect(await members("S1")).toEqual(["U1"]);
    expect(asked).toEqual(["S1", "S1"]);
  });
});

describe("cachedGroupMembers: groups Slack refused for good", () => {
  const refusedFor = (code: string, kind: "passing" | "permanent" = "permanent") =>
    new SlackApiError("usergroups.users.list", code, kind);

  /** A cache over a fake Slack: `answers` per group (members, or an error to throw). */
  function slackWith(answers: Record<string, string[] | Error>) {
    const clock = { now: 1_000_000 };
    const asked: string[] = [];
    const warned: Array<[string, object | undefined]> = [];
    const members = cachedGroupMembers(
      async (g) => {
        asked.push(g);
        const answer = answers[g] ?? refusedFor("no_such_subteam");
        if (answer instanceof Error) throw answer;
        return answer;
      },
      undefined,
      {
        log: { warn: (message, extra) => void warned.push([message, extra]) },
        now: () => clock.now,
      },
    );
    return { members, clock, asked, warned, answers };
  }

  it("remembers a deleted group ten minutes: asked once, refused again without a call, logged once", async () => {
    // Prepare
    const slack = slackWith({ S0LIVE: ["U1"] });
    // Act
    const first = await slack.members("S0GONE").catch((e: SlackApiError) => e);
    slack.clock.now += 599_999;
    const again = await slack.members("S0GONE").catch((e: SlackApiError) => e);
    const live = await slack.members("S0LIVE");
    // Assess
    for (const refused of [first, again])
      expect(refused).toMatchObject({
        method: "usergroups.users.list",
        code: "no_such_subteam",
        kind: "permanent",
        passing: false,
      });
    expect(again).toBeInstanceOf(SlackApiError);
    expect(live).toEqual(["U1"]);
    expect(slack.asked).toEqual(["S0GONE", "S0LIVE"]);
    expect(slack.warned).toEqual([
      [
        "user group cannot be read",
        { group: "S0GONE", code: "no_such_subteam", scope: "group", rememberedForS: 600 },
      ],
    ]);
    expect(slack.members.brokenGroups()).toEqual([
      { group: "S0GONE", code: "no_such_subteam", scope: "group", at: 1_000_000 },
    ]);
  });

  it("asks again once the ten minutes are over: a group enabled again is seen", async () => {
    // Prepare
    const slack = slackWith({});
    await slack.members("S0BACK").catch(() => {});
    slack.answers.S0BACK = ["U1"];
    // Act
    slack.clock.now += 600_000;
    const brokenThen = slack.members.brokenGroups();
    const back = await slack.members("S0BACK");
    // Assess
    expect(back).toEqual(["U1"]);
    expect(brokenThen).toEqual([]);
    expect(slack.asked).toEqual(["S0BACK", "S0BACK"]);
  });

  it("a group still refused after the ten minutes is remembered and logged again", async () => {
    // Prepare
    const slack = slackWith({});
    await slack.members("S0GONE").catch(() => {});
    // Act
    slack.clock.now += 600_000;
    await slack.members("S0GONE").catch(() => {});
    await slack.members("S0GONE").catch(() => {});
    // Assess
    expect(slack.asked).toEqual(["S0GONE", "S0GONE"]);
    expect(slack.warned).toHaveLength(2);
    expect(slack.members.brokenGroups()).toEqual([
      { group: "S0GONE", code: "no_such_subteam", scope: "group", at: 1_600_000 },
    ]);
  });

  it.each([
    ["ratelimited", refusedFor("ratelimited", "passing")],
    ["no_response", refusedFor("no_response", "passing")],
    ["http_503", refusedFor("http_503", "passing")],
    ["an error not Slack's", new Error("socket hang up")],
  ])("a passing failure (%s) is not remembered: the next lookup asks again", async (_, error) => {
    // Prepare
    const slack = slackWith({ S0FLAKY: error });
    // Act
    const thrown = await slack.members("S0FLAKY").catch((e: unknown) => e);
    slack.answers.S0FLAKY = ["U1"];
    const then = await slack.members("S0FLAKY");
    // Assess
    expect(thrown).toBe(error);
    expect(then).toEqual(["U1"]);
    expect(slack.asked).toEqual(["S0FLAKY", "S0FLAKY"]);
    expect(slack.warned).toEqual([]);
    expect(slack.members.brokenGroups()).toEqual([]);
  });

  it("a refusal about the app (missing_scope) stops every group's lookups for ten minutes, logged once", async () => {
    // Prepare
    const slack = slackWith({ S0A: refusedFor("missing_scope"), S0B: ["U1"] });
    // Act
    await slack.members("S0A").catch(() => {});
    const other = await slack.members("S0B").catch((e: SlackApiError) => e);
    const broken = slack.members.brokenGroups();
    slack.clock.now += 600_000;
    const later = await slack.members("S0B");
    // Assess
    expect(other).toMatchObject({ code: "missing_scope", passing: false });
    expect(later).toEqual(["U1"]);
    expect(slack.asked).toEqual(["S0A", "S0B"]);
    expect(broken).toEqual([{ group: "S0A", code: "missing_scope", scope: "app", at: 1_000_000 }]);
    expect(slack.warned).toEqual([
      [
        "user groups cannot be read",
        { group: "S0A", code: "missing_scope", scope: "app", rememberedForS: 600 },
      ],
    ]);
  });

  it("lookups already under way when the app is refused are logged once, not once each", async () => {
    // Prepare
    const slack = slackWith({ S0A: refusedFor("invalid_auth"), S0B: refusedFor("invalid_auth") });
    // Act
    await Promise.allSettled([slack.members("S0A"), slack.members("S0B")]);
    // Assess
    expect(slack.asked).toEqual(["S0A", "S0B"]);
    expect(slack.warned.map(([, extra]) => extra)).toEqual([
      { group: "S0A", code: "invalid_auth", scope: "app", rememberedForS: 600 },
    ]);
    expect(slack.members.brokenGroups()).toEqual([
      { group: "S0A", code: "invalid_auth", scope: "app", at: 1_000_000 },
    ]);
  });

  it("a group's own refusal, answered after the app's, is still remembered for that group", async () => {
    // Prepare
    const slack = slackWith({ S0A: refusedFor("missing_scope") });
    // Act
    await Promise.allSettled([slack.members("S0A"), slack.members("S0GONE")]);
    // Assess
    expect(slack.asked).toEqual(["S0A", "S0GONE"]);
    expect(slack.members.brokenGroups()).toEqual([
      { group: "S0A", code: "missing_scope", scope: "app", at: 1_000_000 },
      { group: "S0GONE", code: "no_such_subteam", scope: "group", at: 1_000_000 },
    ]);
    expect(slack.warned.map(([message]) => message)).toEqual([
      "user groups cannot be read",
      "user group cannot be read",
    ]);
  });

  it("lists the broken groups with their codes, the app's first, each within its own ten minutes", async () => {
    // Prepare
    const slack = slackWith({
      S0NONE: refusedFor("access_denied"),
      S0SCOPE: refusedFor("missing_scope"),
    });
    await slack.members("S0GONE").catch(() => {});
    slack.clock.now += 1000;
    await slack.members("S0NONE").catch(() => {});
    slack.clock.now += 1000;
    await slack.members("S0SCOPE").catch(() => {});
    // Act
    const all = slack.members.brokenGroups();
    slack.clock.now += 598_000;
    const later = slack.members.brokenGroups();
    // Assess
    expect(all).toEqual([
      { group: "S0SCOPE", code: "missing_scope", scope: "app", at: 1_002_000 },
      { group: "S0GONE", code: "no_such_subteam", scope: "group", at: 1_000_000 },
      { group: "S0NONE", code: "access_denied", scope: "group", at: 1_001_000 },
    ]);
    expect(later.map((b) => b.group)).toEqual(["S0SCOPE", "S0NONE"]);
  });

  it("a copy of the list: changing it changes nothing remembered", async () => {
    // Prepare
    const slack = slackWith({});
    await slack.members("S0GONE").catch(() => {});
    // Act
    const listed = slack.members.brokenGroups();
    (listed[0] as { at: number }).at = 0;
    // Assess
    expect(slack.members.brokenGroups()[0]?.at).toBe(1_000_000);
  });

  it("without a log, a refusal is still remembered", async () => {
    // Prepare
    const members = cachedGroupMembers(async () => {
      throw refusedFor("no_such_subteam");
    });
    // Act
    const thrown = await members("S0GONE").catch((e: SlackApiError) => e.code);
    // Assess
    expect(thrown).toBe("no_such_subteam");
    expect(members.brokenGroups().map((b) => b.group)).toEqual(["S0GONE"]);
  });
});
