/**
 * The Slack stand-in's answers to what makes cards native, as strict as Slack: `views.update` of
 * a modal `views.open` opened (by its id, with its hash when given), and a thread reply with
 * `reply_broadcast`, which Slack shows in the channel as well as in its thread.
 */
import { WebClient } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SlackStandIn } from "../../local/stand-ins/slack";

const TOKEN = "xoxb-stand-in-native";
let slack: SlackStandIn;
let client: WebClient;

beforeAll(async () => {
  // What is checked here is content, not rate: the posts in one channel go faster than Slack's
  // 1 a second (slack-stand-in-rate.test.ts tests the rates).
  slack = await new SlackStandIn({
    botToken: TOKEN,
    channels: { C0IN: { member: true } },
    rateLimits: false,
  }).start();
  client = new WebClient(TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
});
afterAll(() => slack.close());

/** Slack's error code of a refused call. */
const refused = (call: Promise<unknown>) =>
  call.then(
    () => "answered",
    (e: { data?: { error?: string } }) => e.data?.error,
  );

const modal = (title: string) => ({
  type: "modal" as const,
  title: { type: "plain_text" as const, text: title },
  blocks: [],
});
const trigger = () => `${Date.now()}.1.click`;

describe("views.update", () => {
  it("replaces the view views.open opened, by the id it answered; a new hash each time", async () => {
    // Prepare
    const opened = await client.views.open({ trigger_id: trigger(), view: modal("Form") });
    const id = opened.view?.id ?? "";
    const hash = opened.view?.hash ?? "";
    // Act
    const updated = await client.views.update({ view_id: id, hash, view: modal("Refused") });
    // Assess
    expect(id).toMatch(/^V/);
    expect(hash).not.toBe("");
    expect(updated.view?.id).toBe(id);
    expect(updated.view?.hash).not.toBe(hash);
    const shown = slack.views.find((v) => v.id === id);
    expect(shown?.view.title).toEqual({ type: "plain_text", text: "Refused" });
    expect(shown?.updates).toBe(1);
  });

  it("takes an update without a hash", async () => {
    const opened = await client.views.open({ trigger_id: trigger(), view: modal("Form") });
    await client.views.update({ view_id: opened.view?.id ?? "", view: modal("Again") });
    expect(slack.views.find((v) => v.id === opened.view?.id)?.view.title).toEqual({
      type: "plain_text",
      text: "Again",
    });
  });

  it("refuses a view it never opened, a closed one, a stale hash and a view Slack would not take", async () => {
    const opened = await client.views.open({ trigger_id: trigger(), view: modal("Form") });
    const id = opened.view?.id ?? "";
    const stale = opened.view?.hash ?? "";
    await client.views.update({ view_id: id, view: modal("Newer") });
    expect(await refused(client.views.update({ view_id: "V0NEVER", view: modal("x") }))).toBe(
      "not_found",
    );
    expect(await refused(client.views.update({ view_id: id, hash: stale, view: modal("x") }))).toBe(
      "hash_conflict",
    );
    expect(await refused(client.views.update({ view_id: id, view: modal("x".repeat(25)) }))).toBe(
      "invalid_blocks",
    );
    expect(await refused(client.apiCall("views.update", { view: modal("x") }))).toBe(
      "invalid_arguments",
    );
    const shown = slack.views.find((v) => v.id === id);
    if (shown) shown.closed = true;
    expect(await refused(client.views.update({ view_id: id, view: modal("x") }))).toBe("not_found");
    expect(shown?.view.title).toEqual({ type: "plain_text", text: "Newer" });
  });
});

describe("chat.postMessage with reply_broadcast", () => {
  it("shows a broadcast reply in its thread and in the channel; a plain reply only in the thread", async () => {
    // Prepare
    const parent = await client.chat.postMessage({ channel: "C0IN", text: "card" });
    const ts = parent.ts ?? "";
    // Act
    await client.chat.postMessage({ channel: "C0IN", thread_ts: ts, text: "quiet" });
    await client.chat.postMessage({
      channel: "C0IN",
      thread_ts: ts,
      text: "loud",
      reply_broadcast: true,
    });
    // Assess
    const history = slack.history("C0IN");
    expect(history.map((m) => [m.text, m.threadTs === ts, m.broadcast === true])).toEqual([
      ["card", false, false],
      ["loud", true, true],
    ]);
    expect(history[0]?.replies.map((r) => r.text)).toEqual(["quiet", "loud"]);
  });

  it("a broadcast reply deleted leaves its thread and the channel", async () => {
    const parent = await client.chat.postMessage({ channel: "C0IN", text: "card 2" });
    const reply = await client.chat.postMessage({
      channel: "C0IN",
      thread_ts: parent.ts ?? "",
      text: "loud 2",
      reply_broadcast: true,
    });
    await client.chat.delete({ channel: "C0IN", ts: reply.ts ?? "" });
    const history = slack.history("C0IN");
    expect(history.some((m) => m.text === "loud 2")).toBe(false);
    expect(history.find((m) => m.ts === parent.ts)?.replies).toEqual([]);
  });

  it("a broadcast outside a thread is a plain message, as Slack ignores it there", async () => {
    await client.apiCall("chat.postMessage", {
      channel: "C0IN",
      text: "alone",
      reply_broadcast: true,
    });
    const last = slack.history("C0IN").at(-1);
    expect([last?.text, last?.broadcast, last?.threadTs]).toEqual(["alone", undefined, undefined]);
  });
});
