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
    expect(f.calls).toEqual(["resolve web01", `show ${SERVER}`, `detach ${SERVER} ${IMAGE}`]);
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
    expect(f.calls).toEqual([`resolve ${SERVER}`]);
  });

  it("an image that is not attached: nothing to do, nothing sent", async () => {
    const f = workerFakes({
      reads: [eclServer({ mediaIds: ["00000000-0000-4000-8000-000000000000"] })],
    });
    const op = operationIn(f.ops, "C0INC");
    await run(f, op);
    expect(f.ops.get(op.id)).toMatchObject({
      state: "noop",
      outcome: `image \`${IMAGE}\` is not attached to \`web01\`; nothing was sent to ECL.`,
    });
    expect(f.calls.some((c) => c.startsWith("detach"))).toBe(false);
  });

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
  it("a busy server: waiting for idle, the next look a poll later", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "REBOOTING" })] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute");
    expect(f.ops.get(op.id)).toMatchObject({
      state: "waiting_for_idle",
      waitingSince: NOW.toISOString(),
      taskState: "REBOOTING",
    });
    expect(queued(f)).toEqual([["execute", 5]]);
    expect(f.calls.some((c) => c.startsWith("detach"))).toBe(false);
  });

  it("still busy within the wait: looked at again; past it: failed, nothing sent", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "REBOOTING" })] });
    const op = operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
      serverId: SERVER,
      serverName: "web01",
      waitingSince: new Date(NOW.getTime() - 59_000).toISOString(),
    });
    await run(f, op, "execute");
    expect(stateOf(f, op)).toBe("waiting_for_idle");
    expect(queued(f)).toEqual([["execute", 5]]);
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
    expect(queued(f)).toEqual([["execute", 5]]);
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
      "ECL refused the detach twice with 409 (task_state not None) over 1m 01s and accepted nothing. Try again later.",
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

  it("no sign yet within the grace: read again a poll later", async () => {
    const f = workerFakes();
    const op = executing(f, 29_000);
    await run(f, op, "execute");
    expect(stateOf(f, op)).toBe("executing");
    expect(queued(f)).toEqual([["execute", 5]]);
  });

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
  it("Slack rate-limiting the card: the detach goes on, the post is handed to a later announce", async () => {
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
    expect(queued(f)).toContainEqual(["announce", 7]);
  });
});
