import { describe, expect, it } from "vitest";
import type { AuditEvent, Operation } from "../../../lib/operations/operation";
import { bmActor, transition } from "../../../lib/operations/operation";
import { announce, type RecordDeps } from "../../../lib/operations/record";
import type { Chat, SlackMessage } from "../../../lib/slack/chat";
import { SlackApiError } from "../../../lib/slack/slack-error";
import { person } from "../fakes";
import { memoryStore } from "../memory-store";
import { AT, sampleOperation } from "./sample-operation";

/** announce() with its ports in memory; `fail` decides what chat.postMessage does. */
function fakes(fail?: SlackApiError) {
  const ops = new Map<string, Operation>();
  const events: AuditEvent[] = [];
  const posted: SlackMessage[] = [];
  /** Each card update: its channel, its ts, the message. */
  const updated: Array<{ channel: string; ts: string; message: SlackMessage }> = [];
  /** Each post's thread and options, as the port was asked. */
  const threads: Array<[string | undefined, { broadcast?: boolean } | undefined]> = [];
  const responded: Array<{ url: string; text: string }> = [];
  const warned: Array<{ message: string; extra?: object }> = [];
  const clock = { now: AT.getTime() + 1000 };
  const chat: Chat = {
    post: async (_channel, message, threadTs, options) => {
      if (fail) throw fail;
      posted.push(message);
      threads.push([threadTs, options]);
      return "1.000001";
    },
    update: async (channel, ts, message) => void updated.push({ channel, ts, message }),
    remove: async () => {},
    permalink: async () => "https://x.slack.com/archives/C1/p1",
    groupMembers: async () => [],
    person,
    ephemeral: async () => {},
    respond: async (url, message) => void responded.push({ url, text: message.text }),
    openView: async () => ({ id: "V1" }),
    updateView: async () => {},
    publishHome: async () => {},
  };
  const deps: RecordDeps = {
    store: memoryStore(ops),
    audit: { append: async (e) => void events.push(e) },
    chat,
    now: () => new Date(clock.now),
    idleWaitS: 600,
    log: { warn: (message, extra) => void warned.push({ message, ...(extra ? { extra } : {}) }) },
  };
  const put = (changes: Partial<Operation>) => {
    const op = sampleOperation({
      responseUrl: "https://hooks.slack.com/commands/T1/1/x",
      ...changes,
    });
    ops.set(op.id, op);
    return op;
  };
  return { deps, ops, events, posted, updated, threads, responded, warned, clock, put };
}

describe("announce", () => {
  it("a permanent refusal: audited, logged with Slack's code, never retried, the requester told", async () => {
    const f = fakes(new SlackApiError("chat.postMessage", "not_in_channel", "permanent"));
    const op = f.put({ state: "approved", seq: 2 });
    const saved = await announce(f.deps, op);
    expect(saved.slackRefused).toEqual({
      code: "not_in_channel",
      method: "chat.postMessage",
      at: new Date(f.clock.now).toISOString(),
    });
    expect(saved.noticedSeq).toBe(saved.seq);
    // The request's own event waited in the outbox; it is appended with the refusal.
    expect(f.events.map((e) => [e.seq, e.action, e.facts])).toEqual([
      [1, "requested", expect.anything()],
      [3, "slack_refused", { error: "not_in_channel", method: "chat.postMessage" }],
    ]);
    expect(saved.unaudited).toEqual([]);
    expect(f.warned).toEqual([
      {
        message: "Slack refused bm's message; not retried",
        extra: { operationId: op.id, slackError: "not_in_channel", method: "chat.postMessage" },
      },
    ]);
    expect(f.responded).toHaveLength(1);
    expect(f.responded[0]?.text).toContain("Slack answered `not_in_channel`");
    // The next transition posts nothing in the channel; its end is told through the response_url.
    const done = { ...saved, state: "done" as const, seq: saved.seq + 1 };
    f.ops.set(done.id, done);
    const told = await announce(f.deps, done);
    expect(told.toldOutcome).toBe(true);
    expect(f.responded).toHaveLength(2);
    expect(f.responded[1]?.text).toMatch(/^:white_check_mark: <@U1> done/);
    expect(await announce(f.deps, told)).toBe(told);
    expect(f.responded).toHaveLength(2);
  });

  it("an approval request whose card never reached the channel ends, failed", async () => {
    const f = fakes(new SlackApiError("chat.postMessage", "channel_not_found", "permanent"));
    const op = f.put({ state: "awaiting_approval", seq: 2, approvalsRequired: 1 });
    const saved = await announce(f.deps, op);
    expect(saved.state).toBe("failed");
    expect(saved.toldOutcome).toBe(true);
    expect(f.events.map((e) => e.action)).toEqual(["requested", "slack_refused", "failed"]);
    expect(f.responded[0]?.text).toContain("so nobody could approve it");
  });

  it("past the response_url's 30 minutes, nothing is posted to it, and that is logged", async () => {
    const f = fakes(new SlackApiError("chat.postMessage", "not_in_channel", "permanent"));
    const op = f.put({ state: "approved", seq: 2 });
    f.clock.now = AT.getTime() + 31 * 60_000;
    await announce(f.deps, op);
    expect(f.responded).toEqual([]);
    expect(f.warned.map((w) => w.message)).toContain(
      "could not tell the requester: no response_url any more",
    );
  });

  it("a rate limit: nobody posts before Slack's Retry-After, then the post goes through", async () => {
    const f = fakes(new SlackApiError("chat.postMessage", "ratelimited", "passing", 30));
    const op = f.put({ state: "approved", seq: 2 });
    await expect(announce(f.deps, op)).rejects.toMatchObject({
      code: "ratelimited",
      retryAfterS: 30,
    });
    const held = f.ops.get(op.id) as Operation;
    expect(held.noticeRetryAt).toBe(f.clock.now + 30_000);
    expect(held.noticeLeaseUntil).toBeUndefined();
    f.clock.now += 10_000;
    await expect(announce(f.deps, held)).rejects.toMatchObject({ retryAfterS: 20 });
    f.clock.now += 20_000;
    const fine = fakes();
    const posted = await announce({ ...f.deps, chat: fine.deps.chat }, held);
    expect(posted.noticedSeq).toBe(posted.seq);
    expect(posted.noticeRetryAt).toBeUndefined();
    expect(posted.parentTs).toBe("1.000001");
  });

  it("what waits is coalesced: three states while held, one card update with the latest", async () => {
    // Prepare: the card of an approved detach is up (seq 2 told); Slack said to wait 30 s.
    const f = fakes();
    const heldUntil = f.clock.now + 30_000;
    let op = f.put({
      state: "approved",
      seq: 2,
      parentTs: "1.000000",
      noticedSeq: 2,
      noticeRetryAt: heldUntil,
    });
    // Act: the operation moves on three times while the card waits; each announce is held.
    for (const [to, changes] of [
      ["executing", {}],
      ["detaching", {}],
      ["done", { outcome: "detached" }],
    ] as const) {
      const next = transition(op, to, bmActor(op), new Date(f.clock.now), changes);
      f.ops.set(next.id, next);
      await expect(announce(f.deps, next)).rejects.toMatchObject({ code: "ratelimited" });
      op = next;
      f.clock.now += 1000;
    }
    // Assess: nothing reached Slack while held.
    expect(f.updated).toEqual([]);
    expect(f.posted).toEqual([]);
    expect(op.seq).toBe(5);
    // Act: the Retry-After has passed.
    f.clock.now = heldUntil;
    const told = await announce(f.deps, f.ops.get(op.id) as Operation);
    // Assess: one update of the card, with the latest state (Done), none of the states between.
    expect(f.updated).toHaveLength(1);
    const [update] = f.updated;
    expect(update?.channel).toBe("C1");
    expect(update?.ts).toBe("1.000000");
    expect(update?.message.text).toContain("Done");
    const shown = JSON.stringify(update?.message.blocks);
    expect(shown).toContain(":white_check_mark: Done");
    for (const between of ["Approved", "Sending the detach", "Detaching"]) {
      expect(update?.message.text).not.toContain(between);
      expect(shown).not.toContain(between);
    }
    // The thread gets the latest state's notice only.
    expect(f.posted.map((m) => m.text)).toEqual([
      expect.stringMatching(/^:white_check_mark: <@U1> done/),
    ]);
    expect(told.noticedSeq).toBe(5);
    expect(told.noticeRetryAt).toBeUndefined();
    // Told once: announcing again calls Slack no more.
    await announce(f.deps, told);
    expect(f.updated).toHaveLength(1);
    expect(f.posted).toHaveLength(1);
  });

  it.each<[string, Partial<Operation>, boolean]>([
    ["failed", { state: "failed", outcome: "ECL answered 500" }, true],
    ["timed out", { state: "timed_out", outcome: "no answer." }, true],
    ["done", { state: "done" }, false],
    ["rejected", { state: "rejected", rejectedBy: "U2", rejectReason: "no" }, false],
  ])("a thread notice of %s is broadcast to the channel: %s", async (_, changes, broadcast) => {
    // Prepare
    const f = fakes();
    const op = f.put({ seq: 2, parentTs: "1.000000", ...changes });
    // Act
    await announce(f.deps, op);
    // Assess: the card updated (not posted), then its notice in the thread.
    expect(f.threads).toEqual([["1.000000", { broadcast }]]);
  });
});

describe("announce tells of the change (the Home tabs it shows in)", () => {
  it("once its card is posted: with the operation as announced; a failing listener changes nothing", async () => {
    const f = fakes();
    const told: Array<[string, string]> = [];
    const op = f.put({ state: "approved", seq: 2 });
    const saved = await announce(
      { ...f.deps, changed: async (o) => void told.push([o.id, o.state]) },
      op,
    );
    expect(told).toEqual([[op.id, "approved"]]);
    expect(saved.noticedSeq).toBe(saved.seq);
    const g = fakes();
    const again = g.put({ state: "approved", seq: 2 });
    const kept = await announce(
      {
        ...g.deps,
        changed: async () => {
          throw new Error("Slack down");
        },
      },
      again,
    );
    expect(kept.noticedSeq).toBe(kept.seq);
    expect(g.posted).toHaveLength(1);
  });

  it("nothing owed: nothing posted, nobody told", async () => {
    const f = fakes();
    const told: string[] = [];
    const op = f.put({ state: "approved", seq: 2, noticedSeq: 2 });
    await announce({ ...f.deps, changed: async (o) => void told.push(o.id) }, op);
    expect(told).toEqual([]);
  });
});
