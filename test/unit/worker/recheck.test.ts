import { describe, expect, it } from "vitest";
import { EclApiError, EclNetworkError } from "../../../lib/ecl/errors";
import type { Server } from "../../../lib/ecl/server";
import { type Operation, record } from "../../../lib/operations/operation";
import { SlackApiError } from "../../../lib/slack/slack-error";
import { answerRecheck, recheck } from "../../../lib/worker/recheck";
import { RetryLater } from "../../../lib/worker/retry-later";
import { eclServer, IMAGE, NOW, operationIn, SERVER, workerFakes } from "../fakes";

type Fakes = ReturnType<typeof workerFakes>;
const CLICKER = { teamId: "T1", userId: "U0CLK" };

const eclError = (status: number) =>
  new EclApiError({
    service: "baremetal",
    status,
    method: "GET",
    path: `/v2/t/servers/${SERVER}`,
    code: undefined,
    apiMessage: `ECL says ${status}`,
    requestId: "req-e",
  });
const down = () => new EclNetworkError("timeout", "GET", "https://ecl.test");

/** Changes to an operation; a field given as undefined is left out. */
type Changes = { [K in keyof Operation]?: Operation[K] | undefined };

/** A detach ECL accepted two minutes ago that bm gave up watching; its card is posted. */
function timedOut(f: Fakes, changes: Changes = {}) {
  const made = operationIn(f.ops, "C0INC", ["approved", "executing", "timed_out"], {
    serverId: SERVER,
    serverName: "web01",
    detachStartedAt: new Date(NOW.getTime() - 120_000).toISOString(),
    parentTs: "1700000000.000001",
    noticedSeq: 4,
  });
  const op = Object.fromEntries(
    Object.entries({ ...made, ...changes }).filter(([, v]) => v !== undefined),
  ) as unknown as Operation;
  f.ops.set(op.id, op);
  return op;
}

const withReads = (...reads: Array<Server | Error>) => workerFakes({ reads });

describe("a re-check that finds the detach finished", () => {
  it.each([
    [
      "the media listed without the image",
      eclServer({ mediaIds: [] }),
      { image: "absent" },
      { mediaUnknown: false },
    ],
    [
      "no media listed, idle past ECL's grace after it accepted the detach",
      eclServer({ mediaIds: undefined, taskState: null }),
      { image: "unknown", judgedBy: "task_state alone: ECL did not list media" },
      { mediaUnknown: true },
    ],
  ] as const)("%s: done, the re-checker its actor, announced", async (_, server, facts, seen) => {
    const f = withReads(server);
    const op = timedOut(f);
    const result = await recheck(f.deps, op, CLICKER);
    expect(result.text.text).toBe(
      `Re-checked: \`web01\` is idle and image \`${IMAGE}\` is detached. \`${op.id}\` is done.`,
    );
    expect(result.op).toMatchObject({ state: "done", seq: 5, taskState: "None", ...seen });
    expect(f.events).toMatchObject([
      {
        operationId: op.id,
        seq: 5,
        at: NOW.toISOString(),
        action: "done",
        from: "timed_out",
        to: "done",
        actor: CLICKER,
        facts: { recheckedBy: "U0CLK", taskState: "None", ...facts },
      },
    ]);
    // The card updated, and the thread told it was done after all.
    expect(f.slack.map((m) => m.method)).toEqual(["update", "post"]);
    expect(f.ops.get(op.id)).toMatchObject({ state: "done", noticedSeq: 5 });
    expect(f.calls).toEqual([`show ${SERVER}`, "slack reply"]);
  });

  it("requests still awaiting approval for the image are told and ended; others are not", async () => {
    const f = withReads(eclServer({ mediaIds: [] }));
    const op = timedOut(f);
    const pending = operationIn(f.ops, "C0CHG", ["awaiting_approval"], {
      serverId: SERVER,
      parentTs: "1700000000.000009",
    });
    const otherImage = operationIn(f.ops, "C0CHG", ["awaiting_approval"], {
      serverId: SERVER,
      imageId: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
    });
    const asked: Array<[string, number, boolean[]]> = [];
    f.deps.store = {
      ...f.deps.store,
      recentForTenant: async (tenant, limit, keep = () => true) => {
        const all = [...f.ops.values()].filter((o) => o.tenant === tenant);
        asked.push([tenant, limit, all.map(keep)]);
        return all.filter(keep);
      },
    };
    await recheck(f.deps, op, CLICKER);
    // The tenant's latest, awaiting approval only.
    expect(asked).toEqual([["t", 50, [false, true, true]]]);
    expect(f.ops.get(pending.id)).toMatchObject({
      state: "noop",
      detachedFirst: { by: op.id, channelId: "C0INC" },
    });
    expect(f.ops.get(otherImage.id)?.state).toBe("awaiting_approval");
  });

  it("a look for waiting requests that fails is logged; the re-check's answer stands", async () => {
    const f = withReads(eclServer({ mediaIds: [] }));
    const op = timedOut(f);
    f.deps.store = {
      ...f.deps.store,
      recentForTenant: async () => {
        throw new Error("DynamoDB is down");
      },
    };
    const result = await recheck(f.deps, op, CLICKER);
    expect(result.op.state).toBe("done");
    expect(f.logs.filter((l) => l.level === "warn")).toEqual([
      {
        level: "warn",
        message: "could not look for requests waiting on the image; their approval sends nothing",
        extra: {
          operationId: op.id,
          error: "internal error (Error); nothing more is shown, to keep secrets out of messages",
        },
      },
    ]);
  });

  it("another writer touched it first: read again, and settled from what it wrote", async () => {
    const f = withReads(eclServer({ mediaIds: [] }));
    const op = timedOut(f);
    const save = f.deps.store.save;
    let raced = false;
    f.deps.store = {
      ...f.deps.store,
      save: async (prev, next) => {
        if (!raced) {
          raced = true;
          // Someone else's re-check is saved between this one's read and its write.
          const stored = f.ops.get(prev.id) as Operation;
          await save(stored, record(stored, "recheck", { teamId: "T1", userId: "U0OTH" }, NOW));
        }
        return save(prev, next);
      },
    };
    // A stale copy would lose every write, for ever: stop after a few reads.
    const get = f.deps.store.get;
    let reads = 0;
    f.deps.store.get = async (id) => {
      if (++reads > 3) throw new Error("read again and again");
      return get(id);
    };
    const result = await recheck(f.deps, op, CLICKER);
    expect(result.text.text).toBe(
      `Re-checked: \`web01\` is idle and image \`${IMAGE}\` is detached. \`${op.id}\` is done.`,
    );
    expect(result.op).toMatchObject({ state: "done", seq: 6 });
    expect(f.events.map((e) => [e.seq, e.action, e.actor.userId])).toEqual([
      [5, "recheck", "U0OTH"],
      [6, "done", "U0CLK"],
    ]);
  });

  it("the first to settle it wins: a re-check that finds it done already says so", async () => {
    const f = withReads(eclServer({ mediaIds: [] }));
    const op = timedOut(f);
    const save = f.deps.store.save;
    let raced = false;
    f.deps.store = {
      ...f.deps.store,
      save: async (prev, next) => {
        if (!raced) {
          raced = true;
          await save(prev, {
            ...next,
            lastEvent: { ...next.lastEvent, actor: { teamId: "T1", userId: "U0OTH" } },
          });
        }
        return save(prev, next);
      },
    };
    const result = await recheck(f.deps, op, CLICKER);
    expect(result.text.text).toBe(`\`${op.id}\` is done: there is nothing to re-check.`);
    expect(result.op).toMatchObject({ state: "done", seq: 5 });
  });
});

describe("a re-check that finds the detach not finished", () => {
  it.each([
    [
      "idle, the image still attached",
      eclServer(),
      {},
      "task_state None with the image attached",
      { taskState: "None", image: "attached" },
    ],
    [
      "task_state null (idle), the image still attached",
      eclServer({ taskState: null }),
      {},
      "task_state None with the image attached",
      { taskState: "None", image: "attached" },
    ],
    [
      "busy, the image gone",
      eclServer({ taskState: "REBOOTING", mediaIds: [] }),
      {},
      "task_state REBOOTING with the image gone",
      { taskState: "REBOOTING", image: "absent" },
    ],
    [
      "busy, no media listed",
      eclServer({ taskState: "DELETING", mediaIds: undefined }),
      {},
      "task_state DELETING (ECL does not list its media, so bm cannot tell)",
      { taskState: "DELETING", image: "unknown" },
    ],
    [
      // task_state proves nothing of a detach ECL never said it accepted.
      "idle, no media listed, ECL never said it accepted the detach",
      eclServer({ mediaIds: undefined }),
      { detachStartedAt: undefined },
      "task_state None (ECL does not list its media, so bm cannot tell)",
      { taskState: "None", image: "unknown" },
    ],
    [
      "idle, no media listed, within ECL's grace after it accepted the detach",
      eclServer({ mediaIds: undefined }),
      { detachStartedAt: new Date(NOW.getTime() - 29_000).toISOString() },
      "task_state None (ECL does not list its media, so bm cannot tell)",
      { taskState: "None", image: "unknown" },
    ],
  ] as const)(
    "%s: it stays timed out, the re-check audited, the clicker told what ECL shows",
    async (_, server, changes, shows, facts) => {
      const f = withReads(server);
      const op = timedOut(f, changes);
      const result = await recheck(f.deps, op, CLICKER);
      expect(result.text.text).toBe(
        `Re-checked: \`web01\` still shows ${shows}. \`${op.id}\` stays timed out; re-check again later, or look in the ECL console.`,
      );
      expect(result.op).toMatchObject({ state: "timed_out", seq: 5 });
      expect(result.op.lastEvent.action).toBe("recheck");
      expect(f.events).toMatchObject([
        {
          operationId: op.id,
          seq: 5,
          at: NOW.toISOString(),
          action: "recheck",
          actor: CLICKER,
          facts: { recheckedBy: "U0CLK", ...facts },
        },
      ]);
      // Announced: the card shows the server as read; the thread stays as it was.
      expect(f.slack.map((m) => m.method)).toEqual(["update"]);
      expect(f.ops.get(op.id)).toMatchObject({ state: "timed_out", noticedSeq: 5 });
    },
  );

  it("another writer saved first: the re-check is not recorded, the clicker still told", async () => {
    const f = withReads(eclServer());
    const op = timedOut(f);
    f.deps.store = { ...f.deps.store, save: async () => undefined };
    const result = await recheck(f.deps, op, CLICKER);
    expect(result.op).toEqual(op);
    expect(result.text.text).toBe(
      `Re-checked: \`web01\` still shows task_state None with the image attached. \`${op.id}\` stays timed out; re-check again later, or look in the ECL console.`,
    );
    expect(f.events).toEqual([]);
    expect(f.slack).toEqual([]);
  });

  it("a server ECL never named is called as it was typed", async () => {
    const f = withReads(eclServer());
    const op = timedOut(f, { serverName: undefined, serverRef: "web-typed" });
    const result = await recheck(f.deps, op, CLICKER);
    expect(result.text.text).toBe(
      `Re-checked: \`web-typed\` still shows task_state None with the image attached. \`${op.id}\` stays timed out; re-check again later, or look in the ECL console.`,
    );
  });
});

describe("a re-check with nothing to read", () => {
  it.each([
    ["detaching", ["approved", "executing", "detaching"], { serverId: SERVER }, "detaching"],
    ["awaiting approval", ["awaiting_approval"], { serverId: SERVER }, "awaiting approval"],
    [
      "timed out, its server never resolved",
      ["approved", "executing", "timed_out"],
      {},
      "timed out",
    ],
  ] as const)("an operation %s: left as it is, ECL not read", async (_, states, changes, words) => {
    const f = withReads(eclServer({ mediaIds: [] }));
    const op = operationIn(f.ops, "C0INC", [...states], changes);
    const result = await recheck(f.deps, op, CLICKER);
    expect(result).toEqual({ op, text: expect.anything() });
    expect(result.text.text).toBe(`\`${op.id}\` is ${words}: there is nothing to re-check.`);
    expect(f.calls).toEqual([]);
    expect(f.events).toEqual([]);
  });

  it("its audit outbox is appended first", async () => {
    const f = withReads();
    const op = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"]);
    const waiting = { ...op, unaudited: [op.lastEvent] };
    f.ops.set(op.id, waiting);
    const result = await recheck(f.deps, waiting, CLICKER);
    expect(f.events).toEqual([op.lastEvent]);
    expect(result.op.unaudited).toEqual([]);
  });

  it.each([
    ["web01", { serverName: "web01" }],
    ["web-typed", { serverName: undefined, serverRef: "web-typed" }],
  ] as const)(
    "a server ECL answers 404 for (%s) is gone: nothing changed",
    async (name, changes) => {
      const f = withReads(eclError(404));
      const op = timedOut(f, changes);
      const result = await recheck(f.deps, op, CLICKER);
      expect(result).toEqual({ op, text: expect.anything() });
      expect(result.text.text).toBe(
        `\`${name}\` is gone: ECL answers 404 (not found) for it. Nothing changed.`,
      );
      expect(f.events).toEqual([]);
      expect(f.ops.get(op.id)).toEqual(op);
    },
  );

  it.each([
    ["ECL refusing the read", eclError(403)],
    ["ECL failing", eclError(503)],
    ["ECL not answering", down()],
  ])("%s is thrown, nothing changed", async (_, error) => {
    const f = withReads(error);
    const op = timedOut(f);
    await expect(recheck(f.deps, op, CLICKER)).rejects.toBe(error);
    expect(f.events).toEqual([]);
    expect(f.ops.get(op.id)).toEqual(op);
  });
});

describe("a Re-check click, in the worker", () => {
  const ephemerals = (f: Fakes) => f.slack.filter((m) => m.method === "ephemeral");

  it("the answer goes to the clicker alone, in the operation's channel; the clicker is the actor", async () => {
    const f = withReads(eclServer());
    const op = timedOut(f);
    await answerRecheck(f.deps, { operationId: op.id, userId: "U0CLK" });
    expect(ephemerals(f)).toEqual([
      {
        method: "ephemeral",
        channel: "C0INC",
        text: `Re-checked: \`web01\` still shows task_state None with the image attached. \`${op.id}\` stays timed out; re-check again later, or look in the ECL console.`,
      },
    ]);
    expect(f.events.map((e) => e.actor)).toEqual([{ teamId: "T1", userId: "U0CLK" }]);
    expect(f.logs).toEqual([]);
  });

  it("an operation that is gone: dropped, said in the log", async () => {
    const f = withReads();
    await answerRecheck(f.deps, { operationId: "op-0123456789", userId: "U0CLK" });
    expect(f.logs).toEqual([
      {
        level: "warn",
        message: "no such operation; re-check dropped",
        extra: { operationId: "op-0123456789" },
      },
    ]);
    expect(f.slack).toEqual([]);
  });

  it("ECL failing for a while: tried again through the queue, carrying the cause; nothing said", async () => {
    const f = withReads(down());
    const op = timedOut(f);
    for (const receive of [undefined, 1, 4]) {
      const error = await answerRecheck(
        f.deps,
        { operationId: op.id, userId: "U0CLK" },
        receive,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryLater);
      expect((error as RetryLater).message).toBe("ECL at https://ecl.test did not answer in time");
      expect((error as RetryLater).cause).toBeInstanceOf(EclNetworkError);
    }
    expect(f.slack).toEqual([]);
  });

  it.each([
    [
      "ECL failing at the last receive",
      down(),
      5,
      "ECL at https://ecl.test did not answer in time",
    ],
    [
      "ECL refusing the read, at the first receive",
      eclError(403),
      1,
      "ECL answered 403 (tenant not available): ECL says 403 (request id req-e)",
    ],
  ])("%s: the clicker is told, nothing changed", async (_, error, receive, said) => {
    const f = withReads(error);
    const op = timedOut(f);
    await answerRecheck(f.deps, { operationId: op.id, userId: "U0CLK" }, receive);
    expect(ephemerals(f)).toEqual([
      {
        method: "ephemeral",
        channel: "C0INC",
        text: `bm could not re-check \`${op.id}\`: ${said}. Nothing changed; click Re-check again later.`,
      },
    ]);
    expect(f.ops.get(op.id)).toEqual(op);
  });

  it("Slack refusing the answer for good: dropped, logged with the operation", async () => {
    const f = withReads();
    const op = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"]);
    f.deps.chat = {
      ...f.deps.chat,
      ephemeral: async () =>
        Promise.reject(new SlackApiError("chat.postEphemeral", "not_in_channel", "permanent")),
    };
    await answerRecheck(f.deps, { operationId: op.id, userId: "U0CLK" });
    expect(f.logs).toEqual([
      {
        level: "warn",
        message: "Slack refused the re-check answer; not retried",
        extra: { operationId: op.id, slackError: "not_in_channel" },
      },
    ]);
  });

  it.each([
    [
      "Slack failing for a while",
      new SlackApiError("chat.postEphemeral", "ratelimited", "passing", 3),
    ],
    // Only Slack's own refusal is known to be final.
    [
      "anything else, whatever it says of itself",
      Object.assign(new Error("odd"), { kind: "permanent" }),
    ],
  ])("%s: thrown, for the queue to deliver it again", async (_, error) => {
    const f = withReads();
    const op = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"]);
    f.deps.chat = { ...f.deps.chat, ephemeral: async () => Promise.reject(error) };
    await expect(answerRecheck(f.deps, { operationId: op.id, userId: "U0CLK" })).rejects.toBe(
      error,
    );
    expect(f.logs).toEqual([]);
  });
});

describe("a re-check of an operation naming a secret that is not its channel's tenant's", () => {
  it.each([
    ["another secret", { secretId: "bm/tenant/other" }],
    ["another tenant", { tenant: "x" }],
    ["a channel the policy does not bind", { channelId: "C0GONE" }],
  ] as const)("%s: answered plainly, ECL never read, nothing changed", async (_, changes) => {
    const f = withReads(eclServer({ mediaIds: [] }));
    const opened: string[] = [];
    f.deps.openTenant = async (secretId) => {
      opened.push(secretId);
      return Promise.reject(new Error("never"));
    };
    const op = timedOut(f, changes);
    const result = await recheck(f.deps, op, CLICKER);
    const why =
      "channelId" in changes
        ? "its channel is not bound to a tenant in the policy"
        : "it names a tenant or a secret that is not its channel's in the policy";
    expect(result.text.text).toBe(`bm did not re-check \`${op.id}\`: ${why}. Nothing changed.`);
    expect(result.op).toBe(op);
    expect(opened).toEqual([]);
    expect(f.calls).toEqual([]);
    expect(f.events).toEqual([]);
    expect(f.ops.get(op.id)?.state).toBe("timed_out");
  });
});
