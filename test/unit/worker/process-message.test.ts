import { describe, expect, it } from "vitest";
import { ServerLookupError } from "../../../lib/ecl/client";
import { EclApiError, EclNetworkError } from "../../../lib/ecl/errors";
import type { Operation } from "../../../lib/operations/operation";
import { processMessage } from "../../../lib/worker/process-message";
import { RetryLater } from "../../../lib/worker/retry-later";
import { eclServer, IMAGE, NOW, operationIn, SERVER, workerFakes } from "../fakes";

const eclError = (status: number, requestId = "req-e") =>
  new EclApiError({
    service: "baremetal",
    status,
    method: "POST",
    path: `/v2/t/servers/${SERVER}/action`,
    code: undefined,
    apiMessage: `ECL says ${status}`,
    requestId,
  });
const timeout = () => new EclNetworkError("timeout", "POST", "https://ecl.test");

type Fakes = ReturnType<typeof workerFakes>;
const run = (f: Fakes, op: Operation, kind: "prepare" | "execute" = "prepare", receive = 1) =>
  processMessage(f.deps, { kind, operationId: op.id }, receive);
const stateOf = (f: Fakes, op: Operation) => f.ops.get(op.id)?.state;
const trail = (f: Fakes) => f.events.map((e) => e.action);
const queued = (f: Fakes) => f.sent.map((s) => [s.message.kind, s.delayS]);
/** Another writer wins every move into `state`. */
function losing(f: Fakes, state: Operation["state"]) {
  const save = f.deps.store.save;
  f.deps.store = {
    ...f.deps.store,
    save: async (prev, next) =>
      next.state === state && prev.state !== state ? undefined : save(prev, next),
  };
}

describe("prepare: resolve, check, post, go on", () => {
  it("an idle server with the image: approved, the detach sent once, detaching, the follow-up started", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", [], { serverRef: "web01" });
    await run(f, op);
    const saved = f.ops.get(op.id);
    expect(saved).toMatchObject({
      state: "detaching",
      serverId: SERVER,
      serverName: "web01",
      taskState: "None",
      powerState: "RUNNING",
      detachRequestId: "req-1",
      detachStartedAt: NOW.toISOString(),
      lockKey: `lock#t#${SERVER}#${IMAGE}`,
    });
    // Nothing, not even Slack, between recording `executing` (after the read) and the POST.
    expect(f.calls).toEqual([
      "resolve web01",
      "slack card",
      `show ${SERVER}`,
      `detach ${SERVER} ${IMAGE}`,
    ]);
    expect(trail(f)).toEqual(["approved", "executing", "detaching"]);
    expect(f.events.find((e) => e.action === "detaching")?.facts).toEqual({
      eclStatus: 200,
      requestId: "req-1",
      permalink: expect.stringContaining("https://slack.test/archives/C0INC/"),
    });
    expect(f.followUps).toHaveLength(1);
    // One card, posted once and then updated.
    expect(f.slack.filter((m) => m.method === "post" && !m.threadTs)).toHaveLength(1);
  });

  it("a channel with approvals: the card goes up awaiting them, expiring after the channel's wait", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0CHG");
    await run(f, op);
    expect(f.ops.get(op.id)).toMatchObject({
      state: "awaiting_approval",
      requestExpiresAt: new Date(NOW.getTime() + 30 * 60_000).toISOString(),
    });
    expect(f.events.at(-1)?.facts).toMatchObject({ serverId: SERVER, approvals: 2 });
    expect(f.calls).toEqual([`resolve ${SERVER}`, "slack card"]);
  });

  it("an image that is not attached: nothing to do, nothing sent", async () => {
    const f = workerFakes({
      reads: [eclServer({ mediaIds: ["00000000-0000-4000-8000-000000000000"] })],
    });
    const op = operationIn(f.ops, "C0INC");
    await run(f, op);
    expect(f.ops.get(op.id)).toMatchObject({
      state: "noop",
      outcome: `image \`${IMAGE}\` is not attached to \`web01\` (attached: \`00000000-0000-4000-8000-000000000000\`); nothing was sent to ECL.`,
    });
    expect(f.calls.some((c) => c.startsWith("detach"))).toBe(false);
  });

  it.each([
    [[], "nothing is attached"],
    [
      Array.from({ length: 6 }, (_, i) => `00000000-0000-4000-8000-00000000000${i}`),
      "attached: `00000000-0000-4000-8000-000000000000`, `00000000-0000-4000-8000-000000000001`, `00000000-0000-4000-8000-000000000002`, `00000000-0000-4000-8000-000000000003`, `00000000-0000-4000-8000-000000000004` and 1 more",
    ],
    [
      Array.from({ length: 5 }, (_, i) => `00000000-0000-4000-8000-00000000000${i}`),
      "attached: `00000000-0000-4000-8000-000000000000`, `00000000-0000-4000-8000-000000000001`, `00000000-0000-4000-8000-000000000002`, `00000000-0000-4000-8000-000000000003`, `00000000-0000-4000-8000-000000000004`",
    ],
  ])(
    "not attached, the server showing %j: the outcome says what is (%s)",
    async (mediaIds, said) => {
      const f = workerFakes({ reads: [eclServer({ mediaIds })] });
      const op = operationIn(f.ops, "C0INC");
      await run(f, op);
      expect(f.ops.get(op.id)?.outcome).toBe(
        `image \`${IMAGE}\` is not attached to \`web01\` (${said}); nothing was sent to ECL.`,
      );
    },
  );

  it("a server whose media ECL does not list: the detach is sent, and ECL answers", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: undefined })] });
    const op = operationIn(f.ops, "C0INC");
    await run(f, op);
    expect(stateOf(f, op)).toBe("detaching");
  });

  it("another request already detaching this image: nothing to do, naming it", async () => {
    const f = workerFakes();
    const first = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"], {
      permalink: "https://slack.test/archives/C0INC/p1",
    });
    await f.deps.store.lock(`lock#t#${SERVER}#${IMAGE}`, first.id);
    const second = operationIn(f.ops, "C0INC");
    await run(f, second);
    expect(f.ops.get(second.id)).toMatchObject({
      state: "noop",
      outcome: `another request, ${first.id}, is already detaching this image from \`web01\` (its thread: https://slack.test/archives/C0INC/p1); nothing was sent to ECL.`,
    });
    expect(f.events.at(-1)?.facts).toMatchObject({ inFlight: first.id });
  });

  it("a lock left by a request that ended is taken over", async () => {
    const f = workerFakes();
    const ended = operationIn(f.ops, "C0INC", ["approved", "failed"]);
    await f.deps.store.lock(`lock#t#${SERVER}#${IMAGE}`, ended.id);
    const op = operationIn(f.ops, "C0INC");
    await run(f, op);
    expect(stateOf(f, op)).toBe("detaching");
  });

  it.each([
    [
      "an unknown name",
      new ServerLookupError("not_found", "web9"),
      'no server named "web9" in this tenant',
    ],
    ["ECL refusing the read", eclError(403), "ECL says 403"],
  ])("%s fails the request plainly", async (_, error, said) => {
    const f = workerFakes({ reads: [error] });
    const op = operationIn(f.ops, "C0INC");
    await run(f, op);
    expect(stateOf(f, op)).toBe("failed");
    expect(f.ops.get(op.id)?.outcome).toContain(said);
  });

  it("a passing failure is tried again, and at the last receive fails plainly", async () => {
    const f = workerFakes({ reads: [eclError(503)] });
    const op = operationIn(f.ops, "C0INC");
    await expect(run(f, op, "prepare", 4)).rejects.toBeInstanceOf(RetryLater);
    expect(stateOf(f, op)).toBe("requested");
    await run(f, op, "prepare", 5);
    expect(stateOf(f, op)).toBe("failed");
    expect(f.ops.get(op.id)?.outcome).toMatch(/^bm gave up after 5 tries: ECL answered 503/);
  });
});

describe("execute: wait for idle, send once", () => {
  it("a busy server: waiting for idle, watched by the follow-up, nothing re-queued", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "REBOOTING" })] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({
      state: "waiting_for_idle",
      waitingSince: NOW.toISOString(),
      taskState: "REBOOTING",
    });
    expect(queued(f)).toEqual([]);
    expect(f.followUps).toEqual([NOW.getTime()]);
    expect(f.calls.some((c) => c.startsWith("detach"))).toBe(false);
  });

  it("busy again when handed back within the wait: left to the follow-up; past it: failed, nothing sent", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "REBOOTING" })] });
    const op = operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
      serverId: SERVER,
      serverName: "web01",
      waitingSince: new Date(NOW.getTime() - 59_000).toISOString(),
    });
    const { seq, waitingSince } = f.ops.get(op.id) as Operation;
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({ state: "waiting_for_idle", seq, waitingSince });
    expect(queued(f)).toEqual([]);
    expect(f.followUps).toEqual([]);
    expect(f.logs).toContainEqual({
      level: "info",
      message: "the server is busy again; the follow-up goes on watching",
      extra: { operationId: op.id, taskState: "REBOOTING" },
    });
    f.clock.now += 1000;
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({
      state: "failed",
      outcome:
        "`web01` stayed busy (task_state REBOOTING) for 1m 00s; nothing was sent to ECL. Try again later.",
    });
  });

  it("the image gone by the time it would be sent: nothing to do", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: [] })] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)?.outcome).toBe(
      `image \`${IMAGE}\` is no longer attached to \`web01\` (detached by someone else?); nothing was sent to ECL.`,
    );
  });

  it("ECL answering 409 (a task started first): waiting for idle again, sent again once idle", async () => {
    const f = workerFakes({ posts: [eclError(409), { status: 200, requestId: "req-2" }] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({ state: "waiting_for_idle", busyRefusals: 1 });
    expect(f.events.at(-1)?.facts).toMatchObject({ eclStatus: 409, requestId: "req-e" });
    expect(queued(f)).toEqual([]);
    expect(f.followUps).toEqual([NOW.getTime()]);
    f.clock.now += 5000;
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({ state: "detaching", detachRequestId: "req-2" });
    expect(f.calls.filter((c) => c.startsWith("detach"))).toHaveLength(2);
  });

  it("ECL answering 409 past the wait: failed, saying how many times it refused", async () => {
    const f = workerFakes({ posts: [eclError(409)] });
    const op = operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
      serverId: SERVER,
      serverName: "web01",
      waitingSince: new Date(NOW.getTime() - 61_000).toISOString(),
      busyRefusals: 1,
    });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)?.outcome).toBe(
      "ECL refused the detach twice, answering 409 (task_state not None), over 1m 01s and accepted nothing. Try again later.",
    );
  });

  it("ECL refusing the POST for good: failed, with what ECL said", async () => {
    const f = workerFakes({ posts: [eclError(400, "req-9")] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({
      state: "failed",
      ecl: { status: 400, requestId: "req-9", apiMessage: "ECL says 400" },
    });
    expect(f.events.at(-1)?.facts).toMatchObject({ eclStatus: 400, requestId: "req-9" });
  });

  it("a POST without an answer: left executing, read again a poll later, never sent twice", async () => {
    const f = workerFakes({ posts: [timeout()] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(stateOf(f, op)).toBe("executing");
    expect(queued(f)).toEqual([["execute", 5]]);
    expect(f.followUps).toEqual([]);
  });
});

describe("a POST ECL did not accept: waited out and sent again, never twice accepted", () => {
  const refusal = (status: number, retryAfterS?: number) =>
    new EclApiError({
      service: "baremetal",
      status,
      method: "POST",
      path: `/v2/t/servers/${SERVER}/action`,
      requestId: "req-r",
      ...(retryAfterS === undefined ? {} : { retryAfterS }),
    });

  it.each([
    [429, 30, "unknown (ECL answered 429)"],
    [503, undefined, "unknown (ECL answered 503)"],
    [409, undefined, "not None (ECL answered 409)"],
  ])(
    "%i: waiting, past its Retry-After (%j), for the follow-up to hand it back",
    async (status, retryAfterS, taskState) => {
      const f = workerFakes({
        posts: [refusal(status, retryAfterS), { status: 202, requestId: "req-ok" }],
      });
      const op = operationIn(f.ops, "C0INC", ["approved"], {
        serverId: SERVER,
        serverName: "web01",
      });
      await run(f, op, "execute");
      const waiting = f.ops.get(op.id) as Operation;
      expect(waiting).toMatchObject({
        state: "waiting_for_idle",
        taskState,
        busyRefusals: 1,
        refusedWith: [status],
        waitingSince: NOW.toISOString(),
      });
      expect(waiting.retryNotBefore).toBe(
        retryAfterS === undefined
          ? undefined
          : new Date(NOW.getTime() + retryAfterS * 1000).toISOString(),
      );
      const facts = f.events.at(-1)?.facts ?? {};
      expect(facts).toMatchObject({ eclStatus: status, requestId: "req-r" });
      expect(facts.retryAfterS).toBe(retryAfterS);
      expect("retryAfterS" in facts).toBe(retryAfterS !== undefined);
      expect(queued(f)).toEqual([]);
      expect(f.followUps).toEqual([NOW.getTime()]);
      // Handed back: sent again, accepted once.
      await run(f, op, "execute");
      expect(f.ops.get(op.id)).toMatchObject({ state: "detaching", detachRequestId: "req-ok" });
      expect(f.calls.filter((c) => c.startsWith("detach"))).toHaveLength(2);
    },
  );

  it("refused with several statuses past the wait: failed, each status said once", async () => {
    const f = workerFakes({ posts: [refusal(503)] });
    const op = operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
      serverId: SERVER,
      serverName: "web01",
      waitingSince: new Date(NOW.getTime() - 60_000).toISOString(),
      busyRefusals: 2,
      refusedWith: [409, 429],
    });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({
      state: "failed",
      refusedWith: [409, 429, 503],
      outcome:
        "ECL refused the detach 3 times, answering 409 (task_state not None), 429 (too many requests) and 503 (service unavailable), over 1m 00s and accepted nothing. Try again later.",
    });
  });

  it.each([502, 504])("a gateway's %i: no answer, read again, never sent twice", async (status) => {
    const f = workerFakes({ posts: [refusal(status)] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(stateOf(f, op)).toBe("executing");
    expect(f.sent).toEqual([
      { message: { kind: "execute", operationId: op.id, reread: 1 }, delayS: 5 },
    ]);
    expect(f.logs).toContainEqual(
      expect.objectContaining({
        message: "detach POST without a readable answer; reading the server to decide",
      }),
    );
  });

  it("a 500 (the seed's compute fault) is final: failed, not sent again", async () => {
    const f = workerFakes({ posts: [refusal(500)] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({ state: "failed", ecl: { status: 500 } });
    expect(queued(f)).toEqual([]);
    expect(f.calls.filter((c) => c.startsWith("detach"))).toHaveLength(1);
  });
});

describe("a redelivery that finds the detach sent: the server decides", () => {
  function executing(f: Fakes, since = 0) {
    return operationIn(f.ops, "C0INC", ["approved", "executing"], {
      serverId: SERVER,
      serverName: "web01",
      updatedAt: new Date(NOW.getTime() - since).toISOString(),
    });
  }

  it.each([
    ["busy", eclServer({ taskState: "MEDIA_DETACHING" })],
    ["without the image", eclServer({ mediaIds: [] })],
  ])("a server %s shows ECL took it: detaching", async (_, server) => {
    const f = workerFakes({ reads: [server] });
    const op = executing(f);
    await run(f, op, "execute");
    expect(stateOf(f, op)).toBe("detaching");
    expect(f.events.at(-1)?.facts).toMatchObject({
      decidedBy: "server state after an unanswered request",
    });
    expect(f.calls.some((c) => c.startsWith("detach"))).toBe(false);
    expect(f.followUps).toHaveLength(1);
  });

  it.each([
    [undefined, 5, 1],
    [1, 10, 2],
    [2, 20, 3],
    [3, 40, 4],
    [20, 5 * 2 ** 19, 20],
  ])(
    "no sign yet within the grace, after %j re-reads: read again in %i s (hops doubling)",
    async (reread, delayS, next) => {
      const f = workerFakes();
      const op = executing(f, 29_000);
      const message = { kind: "execute" as const, operationId: op.id };
      await processMessage(f.deps, reread === undefined ? message : { ...message, reread }, 1);
      expect(stateOf(f, op)).toBe("executing");
      expect(f.sent).toEqual([{ message: { ...message, reread: next }, delayS }]);
    },
  );

  it("no sign past the grace: failed, never sent again", async () => {
    const f = workerFakes();
    const op = executing(f, 30_000);
    await run(f, op, "execute");
    expect(f.ops.get(op.id)?.outcome).toBe(
      "ECL did not answer the detach request, and the server shows no sign of it. bm never sends a detach twice: check the server and run `/bm detach` again if it is still needed.",
    );
    expect(f.calls.some((c) => c.startsWith("detach"))).toBe(false);
  });

  it("no media list and no sign past the grace: timed out, cannot tell", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: undefined })] });
    const op = executing(f, 30_000);
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({ state: "timed_out" });
    expect(f.events.at(-1)?.facts).toMatchObject({ decidedBy: "no answer and no media list" });
  });

  it("ECL unreadable at the last receive: left executing for the follow-up, never failed on a guess", async () => {
    const f = workerFakes({ reads: [eclError(503)] });
    const op = executing(f);
    await run(f, op, "execute", 5);
    expect(stateOf(f, op)).toBe("executing");
  });
});

describe("Slack never holds back the detach", () => {
  it("Slack rate-limiting the card: the detach goes on, the post left to the follow-up", async () => {
    const f = workerFakes();
    f.deps.chat = {
      ...f.deps.chat,
      post: async () => {
        const { SlackApiError } = await import("../../../lib/slack/slack-error");
        throw new SlackApiError("chat.postMessage", "ratelimited", "passing", 7);
      },
    };
    const op = operationIn(f.ops, "C0INC");
    await run(f, op);
    expect(stateOf(f, op)).toBe("detaching");
    expect(queued(f).filter(([kind]) => kind === "announce")).toEqual([]);
    expect(f.logs).toContainEqual(
      expect.objectContaining({
        message: "Slack failed for now; the follow-up posts it later",
        extra: expect.objectContaining({ slackError: "ratelimited", retryAfterS: 7 }),
      }),
    );
  });
});

describe("what the worker does when its own writes race, fail or lose", () => {
  /** The store, with saves into `state` refused (another writer got there first). */
  it("a lost race on `approved` goes no further: nothing read or sent", async () => {
    const f = workerFakes();
    losing(f, "approved");
    const op = operationIn(f.ops, "C0INC");
    await run(f, op);
    expect(f.calls.filter((c) => c.startsWith("show") || c.startsWith("detach"))).toEqual([]);
    expect(f.logs).toContainEqual({
      level: "info",
      message: "lost a race; the other writer goes on",
      extra: { operationId: op.id, to: "approved" },
    });
  });

  it("a lost race on `executing` never sends the detach (another worker does)", async () => {
    const f = workerFakes();
    losing(f, "executing");
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(f.calls.some((c) => c.startsWith("detach"))).toBe(false);
  });

  it("a lost race on `detaching` after ECL accepted: the follow-up is not started by this worker", async () => {
    const f = workerFakes();
    losing(f, "detaching");
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(f.followUps).toEqual([]);
  });

  it("a lost race on waiting for idle queues nothing more", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "REBOOTING" })] });
    losing(f, "waiting_for_idle");
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(f.sent).toEqual([]);
    expect(f.followUps).toEqual([]);
  });

  it("a lost race on waiting after a 429 starts no follow-up either", async () => {
    const f = workerFakes({ posts: [eclError(429)] });
    losing(f, "waiting_for_idle");
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(f.followUps).toEqual([]);
  });

  it("a lock that keeps changing hands: tried three times, then again later", async () => {
    const f = workerFakes();
    let locks = 0;
    f.deps.store = {
      ...f.deps.store,
      lock: async () => {
        locks++;
        return { held: false, holder: "op-gone000000" };
      },
      takeLock: async () => false,
    };
    const op = operationIn(f.ops, "C0INC");
    const error = await run(f, op).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as Error).message).toBe("the lock on the server and image kept changing hands");
    expect(locks).toBe(3);
  });

  it("no such operation: the message is dropped, said in the log", async () => {
    const f = workerFakes();
    await processMessage(f.deps, { kind: "prepare", operationId: "op-nothere000" }, 1);
    expect(f.logs).toEqual([
      {
        level: "warn",
        message: "no such operation; message dropped",
        extra: { operationId: "op-nothere000" },
      },
    ]);
  });

  it("a failure that will not pass (a broken tenant secret) is not retried: the operation fails, said", async () => {
    const { TenantSecretError } = await import("../../../lib/secrets/tenant-secret");
    const broken = new TenantSecretError("bm/tenant/t", ["tenant_id is missing"]);
    const f = workerFakes({}, { openTenant: async () => Promise.reject(broken) });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({
      state: "failed",
      outcome: 'tenant secret "bm/tenant/t" is invalid: tenant_id is missing',
    });
    expect(f.calls.some((c) => c.startsWith("detach"))).toBe(false);
  });

  it("a passing failure is logged with its operation and receive, then retried", async () => {
    const f = workerFakes({ reads: [eclError(503)] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER });
    const error = await run(f, op, "execute", 2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).cause).toBeInstanceOf(EclApiError);
    expect(f.logs[0]).toEqual({
      level: "warn",
      message: "passing failure",
      extra: { operationId: op.id, error: expect.stringContaining("503"), receiveCount: 2 },
    });
  });

  it("the last receive of a detach that may have been sent: left for the follow-up, said so", async () => {
    const f = workerFakes({ reads: [eclError(503)] });
    const op = operationIn(f.ops, "C0INC", ["approved", "executing"], { serverId: SERVER });
    await run(f, op, "execute", 5);
    expect(f.logs.at(-1)).toEqual({
      level: "warn",
      message: "outcome of the detach unknown; the follow-up hands it over",
      extra: { operationId: op.id },
    });
  });

  it("the last receive of an operation another writer has ended: nothing more is done to it", async () => {
    const f = workerFakes({ reads: [eclError(503)] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER });
    const get = f.deps.store.get;
    let reads = 0;
    f.deps.store = {
      ...f.deps.store,
      get: async (id) => {
        reads++;
        // Read again at the last receive: by then another writer has ended it.
        if (reads === 2) f.ops.set(op.id, { ...(f.ops.get(op.id) as Operation), state: "noop" });
        return get(id);
      },
    };
    await run(f, op, "execute", 5);
    expect(stateOf(f, op)).toBe("noop");
    expect(f.events).toEqual([]);
  });

  it("a failure's audit event carries the reason (cut at 300) and the receive", async () => {
    const f = workerFakes({ reads: [eclError(503)] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER });
    await run(f, op, "execute", 5);
    expect(f.events.at(-1)?.facts).toMatchObject({
      reason: expect.stringMatching(/^bm gave up after 5 tries: ECL answered 503/),
      receiveCount: 5,
      eclStatus: 503,
      requestId: "req-e",
    });
  });

  it("a store failing while posting (not Slack) is retried, not mistaken for Slack", async () => {
    const f = workerFakes();
    const save = f.deps.store.save;
    f.deps.store = {
      ...f.deps.store,
      save: async (prev, next) => {
        if (next.noticeLeaseUntil && !prev.noticeLeaseUntil) throw new Error("throttled");
        return save(prev, next);
      },
    };
    const op = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching", "done"], {
      noticedSeq: 0,
    });
    await expect(run(f, op, "execute")).rejects.toBeInstanceOf(RetryLater);
    expect(f.sent).toEqual([]);
  });

  it("Slack failing for a while: the post left to the follow-up, logged with Slack's code and wait", async () => {
    const f = workerFakes();
    const { SlackApiError } = await import("../../../lib/slack/slack-error");
    f.deps.chat = {
      ...f.deps.chat,
      post: async () => {
        throw new SlackApiError("chat.postMessage", "service_unavailable", "passing");
      },
    };
    const op = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching", "done"], {
      noticedSeq: 0,
    });
    await run(f, op, "execute");
    expect(f.sent).toEqual([]);
    expect(f.followUps).toEqual([NOW.getTime()]);
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "Slack failed for now; the follow-up posts it later",
      extra: {
        operationId: op.id,
        slackError: "service_unavailable",
        method: "chat.postMessage",
        retryAfterS: undefined,
      },
    });
  });

  it("the follow-up failing to start is logged, and the detach stands (its schedule starts it)", async () => {
    const f = workerFakes(
      {},
      { startFollowUp: async () => Promise.reject(new Error("throttled")) },
    );
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(stateOf(f, op)).toBe("detaching");
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not start the follow-up; its schedule starts it",
      extra: {
        operationId: op.id,
        error: "internal error (Error); nothing more is shown, to keep secrets out of messages",
      },
    });
    const without = workerFakes();
    delete without.deps.startFollowUp;
    const other = operationIn(without.ops, "C0INC", ["approved"], { serverId: SERVER });
    await run(without, other, "execute");
    expect(stateOf(without, other)).toBe("detaching");
    expect(without.logs.filter((l) => l.level === "warn")).toEqual([]);
  });

  it("a POST without an answer is logged as such, with its operation", async () => {
    const f = workerFakes({ posts: [timeout()] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "detach POST without a readable answer; reading the server to decide",
      extra: { operationId: op.id, error: "ECL at https://ecl.test did not answer in time" },
    });
  });
});

describe("what the worker records of the server", () => {
  it.each([
    [
      { taskState: undefined, powerState: undefined },
      { taskState: "None", mediaUnknown: false },
    ],
    [
      { taskState: null, mediaIds: undefined },
      { taskState: "None", powerState: "RUNNING", mediaUnknown: true },
    ],
    [{ taskState: "None" }, { taskState: "None", powerState: "RUNNING", mediaUnknown: false }],
    // ECL's "none" in another case is idle, and recorded as the follow-up and re-check record it.
    [{ taskState: "none" }, { taskState: "None", powerState: "RUNNING", mediaUnknown: false }],
  ] as const)("%j → %j", async (server, recorded) => {
    const f = workerFakes({ reads: [eclServer(server as never)] });
    const op = operationIn(f.ops, "C0INC", [], { serverRef: "web01" });
    await run(f, op);
    const saved = f.ops.get(op.id) as Operation;
    expect({
      taskState: saved.taskState,
      ...(saved.powerState ? { powerState: saved.powerState } : {}),
      mediaUnknown: saved.mediaUnknown,
    }).toEqual(recorded);
  });

  it("facts of the request's path: its server, and that no approval was needed", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC");
    await run(f, op);
    expect(f.events[0]?.facts).toMatchObject({ serverId: SERVER, approvals: "none needed" });
    const noop = workerFakes({ reads: [eclServer({ mediaIds: [] })] });
    const nothing = operationIn(noop.ops, "C0INC");
    await run(noop, nothing);
    expect(noop.events[0]?.facts).toMatchObject({ serverId: SERVER });
  });

  it("a 409 records what ECL said of the task, and refusals are counted in words", async () => {
    const f = workerFakes({ posts: [eclError(409)] });
    const op = operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
      serverId: SERVER,
      serverName: "web01",
      waitingSince: new Date(NOW.getTime() - 1000).toISOString(),
      busyRefusals: 2,
    });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({
      state: "waiting_for_idle",
      taskState: "not None (ECL answered 409)",
      busyRefusals: 3,
    });
    f.clock.now += 60_000;
    const again = workerFakes({ posts: [eclError(409)] });
    const late = operationIn(again.ops, "C0INC", ["approved", "waiting_for_idle"], {
      serverId: SERVER,
      serverName: "web01",
      waitingSince: new Date(NOW.getTime() - 60_000).toISOString(),
      busyRefusals: 2,
    });
    await run(again, late, "execute");
    expect(again.ops.get(late.id)?.outcome).toBe(
      "ECL refused the detach 3 times, answering 409 (task_state not None), over 1m 00s and accepted nothing. Try again later.",
    );
  });

  it("the first 409 is said once; its refusal counted in words at the limit", async () => {
    const f = workerFakes({ posts: [eclError(409)] });
    const op = operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
      serverId: SERVER,
      serverName: "web01",
      waitingSince: new Date(NOW.getTime() - 60_000).toISOString(),
    });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)?.outcome).toContain(
      "ECL refused the detach once, answering 409 (task_state not None), over",
    );
  });

  it("busy past the wait after 409s: says how many times ECL refused", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "REBOOTING" })] });
    const op = operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
      serverId: SERVER,
      serverName: "web01",
      waitingSince: new Date(NOW.getTime() - 60_000).toISOString(),
      busyRefusals: 2,
    });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)?.outcome).toBe(
      "`web01` stayed busy (task_state REBOOTING) for 1m 00s; ECL refused the detach twice, answering 409 (task_state not None), and accepted nothing. Try again later.",
    );
  });

  it("a detach decided from the server: when it started, and what the server showed", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "MEDIA_DETACHING" })] });
    const op = operationIn(f.ops, "C0INC", ["approved", "executing"], {
      serverId: SERVER,
      serverName: "web01",
    });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({
      detachStartedAt: NOW.toISOString(),
      taskState: "MEDIA_DETACHING",
    });
  });

  it("no media list and no sign: the outcome names the server as typed when it has no name", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: undefined })] });
    const op = operationIn(f.ops, "C0INC", ["approved", "executing"], {
      serverId: SERVER,
      serverRef: "web-typed",
      updatedAt: new Date(NOW.getTime() - 30_000).toISOString(),
    });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)?.outcome).toBe(
      "ECL did not answer the detach request, and it does not list media for this server, so bm cannot tell whether the image was detached. bm never sends a detach twice: check `web-typed` in the ECL console.",
    );
  });
});

describe("the worker, to the letter", () => {
  it("what the worker decides is bm's, in the audit trail; each move logged", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", [], { serverRef: "web01" });
    await run(f, op);
    expect(f.events.map((e) => e.actor)).toEqual([
      { teamId: "T1", userId: "bm" },
      { teamId: "T1", userId: "bm" },
      { teamId: "T1", userId: "bm" },
    ]);
    expect(f.logs.filter((l) => l.message === "transition").map((l) => l.extra)).toEqual([
      { operationId: op.id, from: "requested", to: "approved" },
      { operationId: op.id, from: "approved", to: "executing" },
      { operationId: op.id, from: "executing", to: "detaching" },
    ]);
  });

  it("nothing is said in Slack between recording executing and the POST", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    // The card owed (needing no approval, it says bm is sending, never "Approved"), then its
    // update once ECL accepted, which says so (no thread reply of its own): no Slack call
    // between `executing` and the POST.
    expect(f.slack.map((m) => [m.method, m.text.split(":")[0]?.trim()])).toEqual([
      ["post", "Sending the detach to ECL"],
      ["update", "Detaching"],
    ]);
  });

  it("a slow ECL: when bm sent the POST is kept apart from when ECL's answer came", async () => {
    const f = workerFakes();
    const open = f.deps.openTenant;
    f.deps.openTenant = async (secretId) => {
      const tenant = await open(secretId);
      const detach = tenant.ecl.detachMedia;
      const slow: typeof detach = async (...args) => {
        f.clock.now += 8000;
        return detach(...args);
      };
      return { ...tenant, ecl: { ...tenant.ecl, detachMedia: slow } } as typeof tenant;
    };
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({
      state: "detaching",
      detachSentAt: NOW.toISOString(),
      detachStartedAt: new Date(NOW.getTime() + 8000).toISOString(),
    });
  });

  it("a follow-up posting the card while the POST is at ECL: the detach is still recorded detaching", async () => {
    const f = workerFakes();
    const open = f.deps.openTenant;
    f.deps.openTenant = async (secretId) => {
      const tenant = await open(secretId);
      const detach = tenant.ecl.detachMedia;
      const racing: typeof detach = async (...args) => {
        // The follow-up finds the `executing` card owed and takes the lease on posting it.
        const stored = f.ops.get(op.id) as Operation;
        f.ops.set(op.id, {
          ...stored,
          rev: stored.rev + 1,
          noticeLeaseUntil: NOW.getTime() + 60_000,
        });
        return detach(...args);
      };
      return { ...tenant, ecl: { ...tenant.ecl, detachMedia: racing } } as typeof tenant;
    };
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(stateOf(f, op)).toBe("detaching");
    expect(trail(f).slice(-2)).toEqual(["executing", "detaching"]);
    // The follow-up is started, as after any accepted detach.
    expect(f.followUps.length).toBe(1);
  });

  it("another request holding the lock, without a thread yet: named alone", async () => {
    const f = workerFakes();
    const first = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"]);
    await f.deps.store.lock(`lock#t#${SERVER}#${IMAGE}`, first.id);
    const second = operationIn(f.ops, "C0INC");
    await run(f, second);
    expect(f.ops.get(second.id)?.outcome).toBe(
      `another request, ${first.id}, is already detaching this image from \`web01\`; nothing was sent to ECL.`,
    );
  });

  it("a wait for idle records the task_state seen", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "REBOOTING" })] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(f.events.at(-1)?.facts).toMatchObject({ taskState: "REBOOTING" });
  });

  it("a 409 whose wait is lost to another writer queues nothing more", async () => {
    const f = workerFakes({ posts: [eclError(409)] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    losing(f, "waiting_for_idle");
    await run(f, op, "execute");
    expect(f.sent).toEqual([]);
  });

  it("a redelivery's detaching lost to another writer starts no follow-up", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "MEDIA_DETACHING" })] });
    const op = operationIn(f.ops, "C0INC", ["approved", "executing"], {
      serverId: SERVER,
      serverName: "web01",
    });
    losing(f, "detaching");
    await run(f, op, "execute");
    expect(f.followUps).toEqual([]);
  });

  it("a failure's reason is cut at 300 characters in its audit event, whole on the operation", async () => {
    const long = new EclApiError({
      service: "baremetal",
      status: 400,
      method: "POST",
      path: `/v2/t/servers/${SERVER}/action`,
      code: "badRequest",
      apiMessage: "x".repeat(400),
      requestId: "req-long",
    });
    const f = workerFakes({ posts: [long] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    const outcome = f.ops.get(op.id)?.outcome ?? "";
    expect(outcome.length).toBeGreaterThan(400);
    expect(f.events.at(-1)?.facts?.reason).toBe(outcome.slice(0, 300));
  });

  it("a read without the power state keeps the last one known", async () => {
    const f = workerFakes({
      reads: [eclServer({ taskState: "REBOOTING", powerState: undefined })],
    });
    const op = operationIn(f.ops, "C0INC", ["approved"], {
      serverId: SERVER,
      serverName: "web01",
      powerState: "RUNNING",
    });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({ state: "waiting_for_idle", powerState: "RUNNING" });
  });
});

describe("the lock: held from approval (or the start, needing none) to the end", () => {
  const KEY = `lock#t#${SERVER}#${IMAGE}`;
  /** The one approval C0SELF needs, by an approver it names, in time: the request may go on. */
  const APPROVED = [{ userId: "U0A1", at: NOW.toISOString() }];
  const EXPIRES = new Date(NOW.getTime() + 30 * 60_000).toISOString();
  /** Every lock call said in `f.calls`, beside ECL's and Slack's. */
  function lockCalls(f: Fakes) {
    const { lock, takeLock } = f.deps.store;
    f.deps.store = {
      ...f.deps.store,
      lock: async (key, opId) => {
        f.calls.push(`lock ${opId}`);
        return lock(key, opId);
      },
      takeLock: async (key, from, opId) => {
        f.calls.push(`take ${from} ${opId}`);
        return takeLock(key, from, opId);
      },
    };
  }
  /** Who holds the lock now, if anyone: a probe takes it when it is free, then lets it go. */
  async function holder(f: Fakes): Promise<string | undefined> {
    const probe = await f.deps.store.lock(KEY, "op-probe00000");
    if (!probe.held) return probe.holder;
    await f.deps.store.unlock(KEY, "op-probe00000");
    return undefined;
  }

  it("a request needing approvals posts its card without the lock, though another holds it", async () => {
    const f = workerFakes();
    const first = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"]);
    await f.deps.store.lock(KEY, first.id);
    lockCalls(f);
    const op = operationIn(f.ops, "C0CHG");
    await run(f, op);
    expect(f.ops.get(op.id)?.state).toBe("awaiting_approval");
    expect(f.ops.get(op.id)?.lockKey).toBeUndefined();
    expect(f.calls).toEqual([`resolve ${SERVER}`, "slack card"]);
    expect(await holder(f)).toBe(first.id);
  });

  it("approved: the lock is taken before the server is read, and kept on the operation", async () => {
    const f = workerFakes({ reads: [eclServer()] });
    lockCalls(f);
    const op = operationIn(f.ops, "C0SELF", ["awaiting_approval", "approved"], {
      serverId: SERVER,
      serverName: "web01",
      parentTs: "1700000000.000001",
      approvals: APPROVED,
      requestExpiresAt: EXPIRES,
      noticedSeq: 3,
    });
    await run(f, op, "execute");
    expect(f.calls).toEqual([`lock ${op.id}`, `show ${SERVER}`, `detach ${SERVER} ${IMAGE}`]);
    expect(f.ops.get(op.id)).toMatchObject({ state: "detaching", lockKey: KEY });
    expect(await holder(f)).toBe(op.id);
  });

  it("approved while another holds the lock and goes on: noop naming it, ECL neither read nor sent", async () => {
    const f = workerFakes();
    const first = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"], {
      permalink: "https://slack.test/archives/C0INC/p9",
    });
    await f.deps.store.lock(KEY, first.id);
    lockCalls(f);
    const op = operationIn(f.ops, "C0CHG", ["awaiting_approval", "approved"], {
      serverId: SERVER,
      serverName: "web01",
      noticedSeq: 3,
    });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({
      state: "noop",
      outcome: `another request, ${first.id}, is already detaching this image from \`web01\` (its thread: https://slack.test/archives/C0INC/p9); nothing was sent to ECL.`,
    });
    expect(f.ops.get(op.id)?.lockKey).toBeUndefined();
    expect(f.events.at(-1)?.facts).toMatchObject({ serverId: SERVER, inFlight: first.id });
    expect(f.calls.filter((c) => c.startsWith("show") || c.startsWith("detach"))).toEqual([]);
    // Its end lets go of nothing it did not take.
    expect(await holder(f)).toBe(first.id);
  });

  it("approved after another detached the image: its lock taken over, the image read gone, noop", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: [] })] });
    const first = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching", "done"]);
    // Its holder ended without letting go (that call failed).
    await f.deps.store.lock(KEY, first.id);
    lockCalls(f);
    const op = operationIn(f.ops, "C0CHG", ["awaiting_approval", "approved"], {
      serverId: SERVER,
      serverName: "web01",
      noticedSeq: 3,
    });
    await run(f, op, "execute");
    expect(f.calls.slice(0, 3)).toEqual([
      `lock ${op.id}`,
      `take ${first.id} ${op.id}`,
      `show ${SERVER}`,
    ]);
    expect(f.ops.get(op.id)).toMatchObject({
      state: "noop",
      lockKey: KEY,
      outcome: `image \`${IMAGE}\` is no longer attached to \`web01\` (detached by someone else?); nothing was sent to ECL.`,
    });
    expect(f.calls.some((c) => c.startsWith("detach"))).toBe(false);
    expect(await holder(f)).toBeUndefined();
  });

  it("already holding the lock (a hand-back after waiting for idle): not taken again", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0SELF", ["awaiting_approval", "approved", "waiting_for_idle"], {
      serverId: SERVER,
      serverName: "web01",
      lockKey: KEY,
      approvals: APPROVED,
      requestExpiresAt: EXPIRES,
      noticedSeq: 4,
    });
    await f.deps.store.lock(KEY, op.id);
    lockCalls(f);
    await run(f, op, "execute");
    expect(f.calls.filter((c) => c.startsWith("lock") || c.startsWith("take"))).toEqual([]);
    expect(f.ops.get(op.id)).toMatchObject({ state: "detaching", lockKey: KEY });
  });

  it("a lock of another image of the server is not this one: taken for its own key", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0CHG", ["awaiting_approval", "approved", "waiting_for_idle"], {
      serverId: SERVER,
      serverName: "web01",
      lockKey: `lock#t#${SERVER}#another-image`,
      noticedSeq: 4,
    });
    lockCalls(f);
    await run(f, op, "execute");
    expect(f.calls[0]).toBe(`lock ${op.id}`);
    expect(f.ops.get(op.id)?.lockKey).toBe(KEY);
  });

  it("needing none: the lock is taken at the start, before the card", async () => {
    const f = workerFakes();
    lockCalls(f);
    const op = operationIn(f.ops, "C0INC");
    await run(f, op);
    expect(f.calls.slice(0, 3)).toEqual([`resolve ${SERVER}`, `lock ${op.id}`, "slack card"]);
    expect(f.events.find((e) => e.action === "approved")).toBeDefined();
    expect(f.ops.get(op.id)?.lockKey).toBe(KEY);
  });
});

describe("a user group lookup Slack rate-limits: tried again no sooner than Slack asks", () => {
  const before = new Date(NOW.getTime() - 10_000).toISOString();
  const expires = new Date(NOW.getTime() + 60_000).toISOString();
  /** An approved change whose second approver counts only through the S0APP group. */
  const approvedChange = (f: Fakes) =>
    operationIn(f.ops, "C0CHG", ["approved"], {
      serverId: "s",
      approvals: [
        { userId: "U0A1", at: before },
        { userId: "U0A2", at: before },
      ],
      requestExpiresAt: expires,
    });

  it.each([
    ["the pacer's wait (a paced usergroups.users.list)", 42, 42],
    ["no wait (Slack down, not rate-limiting)", undefined, undefined],
  ])("%s: the RetryLater carries it", async (_what, retryAfterS, waitS) => {
    const { SlackApiError } = await import("../../../lib/slack/slack-error");
    const code = retryAfterS === undefined ? "service_unavailable" : "ratelimited";
    const f = workerFakes(
      {},
      {
        groupMembers: async () => {
          throw new SlackApiError("usergroups.users.list", code, "passing", retryAfterS);
        },
      },
    );
    const op = approvedChange(f);
    const error = await run(f, op, "execute").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).message).toBe(
      "Slack could not say who is in the channel's user groups",
    );
    expect((error as RetryLater).waitS).toBe(waitS);
    expect(stateOf(f, op)).toBe("approved");
    expect(f.calls.filter((c) => c.startsWith("detach"))).toEqual([]);
  });
});
