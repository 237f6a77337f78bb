import { describe, expect, it } from "vitest";
import { EclApiError } from "../../../lib/ecl/errors";
import type { Lease } from "../../../lib/followup/deps";
import { followUp, round } from "../../../lib/followup/follow-up";
import type { Operation } from "../../../lib/operations/operation";
import { eclServer, NOW, operationIn, recordingOpens, SERVER, workerFakes } from "../fakes";

type Fakes = ReturnType<typeof workerFakes>;
const notFound = () =>
  new EclApiError({
    service: "baremetal",
    status: 404,
    method: "GET",
    path: `/v2/t/servers/${SERVER}`,
    code: "itemNotFound",
    apiMessage: "Instance could not be found",
    requestId: "req-404",
  });

const eclError = (status: number) =>
  new EclApiError({
    service: "baremetal",
    status,
    method: "GET",
    path: `/v2/t/servers/${SERVER}`,
    code: "computeFault",
    apiMessage: "oops",
    requestId: `req-${status}`,
  });

/** A detach ECL accepted `agoMs` ago, its card posted. */
function detaching(f: Fakes, agoMs = 10_000, changes: Partial<Operation> = {}) {
  return operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"], {
    serverId: SERVER,
    serverName: "web01",
    parentTs: "1700000000.000001",
    detachStartedAt: new Date(NOW.getTime() - agoMs).toISOString(),
    noticedSeq: 4,
    ...changes,
  });
}
const stateOf = (f: Fakes, op: Operation) => f.ops.get(op.id)?.state;
const replies = (f: Fakes) => f.slack.filter((m) => m.threadTs).map((m) => m.text);

describe("a round over what is in flight", () => {
  it("nothing in flight: one look at the index, nothing read, and the invocation ends at once", async () => {
    const f = workerFakes();
    let slept = 0;
    const reports = await followUp({ ...f.deps, sleep: async () => void slept++ }, () => 60_000);
    expect(reports).toEqual([
      {
        done: 0,
        timedOut: 0,
        announced: 0,
        tenantsFailed: 0,
        expired: 0,
        handedBack: 0,
        watching: 0,
      },
    ]);
    expect(slept).toBe(0);
    expect(f.calls).toEqual([]);
  });

  it("an idle server without the image: done, said in the thread, the requester mentioned", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: [] })] });
    const op = detaching(f, 12_300);
    const report = await round(f.deps);
    // An idle server is what wakes a waiting detach; one that is detaching is not handed back.
    expect(report).toMatchObject({ done: 1, watching: 0, handedBack: 0 });
    expect(f.sent).toEqual([]);
    expect(f.ops.get(op.id)).toMatchObject({
      state: "done",
      taskState: "None",
      mediaUnknown: false,
    });
    expect(f.events.at(-1)?.facts).toMatchObject({ elapsedS: 12 });
    expect(replies(f).at(-1)).toMatch(/^:white_check_mark: <@U0REQ> done: image/);
  });

  it.each([
    ["busy", eclServer({ taskState: "MEDIA_DETACHING", mediaIds: [] })],
    ["idle with the image still attached", eclServer()],
  ])("a server %s: watched, polled again within the invocation", async (_, server) => {
    const f = workerFakes({ reads: [server] });
    const op = detaching(f);
    let left = 12_000;
    const reports = await followUp(
      {
        ...f.deps,
        sleep: async (ms) => {
          left -= ms;
        },
      },
      () => left,
    );
    // 12 s left, polls every 5 s, 1 s margin: three rounds.
    expect(reports.map((r) => r.watching)).toEqual([1, 1, 1]);
    expect(stateOf(f, op)).toBe("detaching");
  });

  it("past the limit: timed out, saying what the server still shows", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "MEDIA_DETACHING" })] });
    const op = detaching(f, 900_000);
    const report = await round(f.deps);
    expect(report.timedOut).toBe(1);
    expect(f.ops.get(op.id)).toMatchObject({
      state: "timed_out",
      outcome: "after 15m 00s it still shows task_state MEDIA_DETACHING with the image attached.",
    });
  });

  it("a minute short of the limit: still watched", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "MEDIA_DETACHING" })] });
    const op = detaching(f, 899_999);
    expect((await round(f.deps)).watching).toBe(1);
    expect(stateOf(f, op)).toBe("detaching");
  });

  it("a few servers in flight are read directly; a 404 is the server gone", async () => {
    const f = workerFakes({ reads: [notFound()] });
    const op = detaching(f, 20_000);
    await round(f.deps);
    expect(f.calls.filter((c) => !c.startsWith("slack"))).toEqual([`show ${SERVER}`]);
    expect(f.ops.get(op.id)).toMatchObject({
      state: "failed",
      outcome:
        "`web01` is gone: ECL answers 404 (not found) for it, 20.0s after it accepted the detach. bm cannot confirm the detach.",
      ecl: { status: 404, requestId: "req-404" },
    });
    expect(f.events.at(-1)?.facts).toMatchObject({ eclStatus: 404, elapsedS: 20 });
  });

  it("ECL failing to list: the tenant is counted failed, the detach left for the next round", async () => {
    const f = workerFakes({ reads: [new Error("ECL down")] });
    const op = detaching(f);
    const report = await round(f.deps);
    expect(report).toMatchObject({ tenantsFailed: 1, watching: 1 });
    expect(stateOf(f, op)).toBe("detaching");
  });

  it("media not listed: done on task_state alone once ECL's grace has passed, not before", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: undefined })] });
    const early = detaching(f, 29_999);
    await round(f.deps);
    expect(stateOf(f, early)).toBe("detaching");
    f.clock.now += 1;
    await round(f.deps);
    expect(f.ops.get(early.id)).toMatchObject({ state: "done", mediaUnknown: true });
    expect(f.events.at(-1)?.facts).toMatchObject({
      judgedBy: "task_state alone: ECL did not list media",
    });
  });

  it("the index unreadable: nothing decided, and the invocation keeps looking", async () => {
    const f = workerFakes();
    f.deps.store = {
      ...f.deps.store,
      listInFlight: async () => Promise.reject(new Error("throttled")),
    };
    expect(await round(f.deps)).toMatchObject({ watching: 1 });
  });
});

describe("a fleet request in a round", () => {
  it("is not settled as a detach; its targets are released; its owed card posted; it is watched", async () => {
    const f = workerFakes();
    const targets = ["s1", "s2"].map((serverId, i) => ({
      serverId,
      serverName: `web0${i + 1}`,
      opId: `op-t${i + 1}`,
    }));
    const fleet = operationIn(f.ops, "C0INC", [], {
      state: "detaching",
      inflight: "detaching",
      serverRef: "all",
      serverName: "2 servers",
      fleet: { targets },
      tally: {},
      parentTs: "1700000000.000001",
    });
    const report = await round(f.deps);
    // Nothing of ECL read for the fleet itself: it has no server.
    expect(f.calls.filter((c) => c.startsWith("show"))).toEqual([]);
    expect(
      f.sent
        .filter((s) => s.message.kind === "execute")
        .map((s) => (s.message as { operationId: string }).operationId),
    ).toHaveLength(2);
    // The card it owed (its state's message) is posted by the round's postOwed.
    expect(f.slack.length).toBeGreaterThan(0);
    expect(f.ops.get(fleet.id)?.noticedSeq).toBe(f.ops.get(fleet.id)?.seq);
    expect(report.watching).toBe(1);
  });
});

describe("approval requests nobody answers", () => {
  it("expire at their time, the card told; not a moment before", async () => {
    const f = workerFakes();
    const due = operationIn(f.ops, "C0CHG", ["awaiting_approval"], {
      requestExpiresAt: NOW.toISOString(),
      parentTs: "1700000000.000001",
      noticedSeq: 2,
    });
    const notYet = operationIn(f.ops, "C0CHG", ["awaiting_approval"], {
      requestExpiresAt: new Date(NOW.getTime() + 1).toISOString(),
      noticedSeq: 2,
    });
    const report = await round(f.deps);
    expect(report.expired).toBe(1);
    expect(stateOf(f, due)).toBe("expired");
    expect(f.events.find((e) => e.operationId === due.id)?.facts).toEqual({ ttlMinutes: 30 });
    expect(stateOf(f, notYet)).toBe("awaiting_approval");
  });
});

describe("handing over what the worker never took", () => {
  const aged = (f: Fakes, states: Operation["state"][], agoMs: number, changes = {}) =>
    operationIn(f.ops, "C0INC", states, {
      serverId: SERVER,
      updatedAt: new Date(NOW.getTime() - agoMs).toISOString(),
      createdAt: new Date(NOW.getTime() - agoMs).toISOString(),
      ...changes,
    });

  it.each([
    [["approved"], "execute"],
    [["approved", "executing"], "execute"],
  ] as const)("%j waiting past the grace is sent again as %s, once", async (states, kind) => {
    const f = workerFakes();
    const op = aged(f, [...states], 60_000);
    await round(f.deps);
    await round(f.deps);
    expect(f.sent.map((s) => s.message)).toEqual([{ kind, operationId: op.id }]);
    expect(f.ops.get(op.id)?.resentAt).toBe(NOW.toISOString());
  });

  it("a request not yet past the grace is left to the worker", async () => {
    const f = workerFakes();
    aged(f, [], 59_999);
    aged(f, ["approved"], 59_999);
    await round(f.deps);
    expect(f.sent).toEqual([]);
  });

  it("a request is handed over as prepare; one nobody took for 15 minutes ends, told", async () => {
    const f = workerFakes();
    const waiting = aged(f, [], 61_000);
    const stale = aged(f, [], 15 * 60_000 + 1);
    await round(f.deps);
    expect(f.sent.map((s) => s.message)).toEqual([{ kind: "prepare", operationId: waiting.id }]);
    expect(f.ops.get(stale.id)).toMatchObject({
      state: "failed",
      outcome:
        "bm could not hand the request to its worker for 15 minutes; nothing was sent to ECL. Try again.",
    });
  });

  it("a busy server's wait is not handed over: the follow-up hands it back itself, when it is over", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "REBOOTING" })] });
    // idleWaitS 60: the wait is over a minute after it began, whatever the grace.
    const within = aged(f, ["approved", "waiting_for_idle"], 59_999, {
      waitingSince: new Date(NOW.getTime() - 59_999).toISOString(),
    });
    const past = aged(f, ["approved", "waiting_for_idle"], 60_000, {
      waitingSince: new Date(NOW.getTime() - 60_000).toISOString(),
    });
    const report = await round(f.deps);
    expect(report).toMatchObject({ handedBack: 1, watching: 2 });
    expect(f.sent).toEqual([{ message: { kind: "execute", operationId: past.id } }]);
    expect(f.ops.get(within.id)?.resentAt).toBeUndefined();
    expect(f.ops.get(past.id)?.resentAt).toBe(NOW.toISOString());
  });

  it("a hand-over is sent again every five minutes while the worker does not take it", async () => {
    const f = workerFakes();
    const op = aged(f, ["approved"], 10 * 60_000, {
      resentAt: new Date(NOW.getTime() - 5 * 60_000 + 1).toISOString(),
    });
    await round(f.deps);
    expect(f.sent).toEqual([]);
    f.clock.now += 1;
    await round(f.deps);
    expect(f.sent.map((s) => s.message)).toEqual([{ kind: "execute", operationId: op.id }]);
  });
});

describe("one follow-up at a time: the lease", () => {
  /** A lease in memory, as DynamoLease keeps it; `fail` makes take throw. */
  function memoryLease(held?: { holder: string; untilMs: number }, fail = false) {
    const state = { held, takes: 0, released: [] as string[] };
    const lease: Lease = {
      take: async (holder, untilMs, nowMs) => {
        state.takes++;
        if (fail) throw new Error("dynamo down");
        if (state.held && state.held.untilMs >= nowMs && state.held.holder !== holder) return false;
        state.held = { holder, untilMs };
        return true;
      },
      release: async (holder) => {
        state.released.push(holder);
        if (state.held?.holder === holder) state.held = undefined;
      },
    };
    return { lease, state };
  }

  it("a free lease is taken until the invocation's end, and let go of at its end", async () => {
    const f = workerFakes();
    const { lease, state } = memoryLease();
    let taken: { holder: string; untilMs: number } | undefined;
    const take = lease.take;
    lease.take = async (holder, untilMs, nowMs) => {
      taken = { holder, untilMs };
      return take(holder, untilMs, nowMs);
    };
    const reports = await followUp({ ...f.deps, lease }, () => 60_000, "worker");
    expect(reports).toHaveLength(1);
    expect(taken?.untilMs).toBe(NOW.getTime() + 60_000);
    expect(state.released).toEqual([taken?.holder]);
    expect(state.held).toBeUndefined();
  });

  it("started by the worker while another polls: ends at once, nothing read", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "MEDIA_DETACHING" })] });
    detaching(f);
    const { lease, state } = memoryLease({ holder: "other", untilMs: NOW.getTime() + 30_000 });
    let listed = 0;
    const list = f.deps.store.listInFlight;
    f.deps.store = {
      ...f.deps.store,
      listInFlight: async () => {
        listed++;
        return list();
      },
    };
    expect(await followUp({ ...f.deps, lease }, () => 60_000, "worker")).toEqual([]);
    expect(listed).toBe(0);
    expect(state.takes).toBe(1);
    expect(state.held?.holder).toBe("other");
  });

  it("started by the schedule while another polls: waits a poll at a time, then polls", async () => {
    const f = workerFakes();
    const { lease, state } = memoryLease({ holder: "other", untilMs: NOW.getTime() + 12_000 });
    const reports = await followUp({ ...f.deps, lease }, () => 60_000);
    // Held at 0 s, 5 s and 10 s; free at 15 s.
    expect(state.takes).toBe(4);
    expect(f.clock.now - NOW.getTime()).toBe(15_000);
    expect(reports).toHaveLength(1);
  });

  it("started by the schedule, and the holder outlasting this invocation: ends without polling", async () => {
    const f = workerFakes();
    const { lease } = memoryLease({ holder: "other", untilMs: NOW.getTime() + 600_000 });
    let remaining = 12_000;
    const reports = await followUp(
      {
        ...f.deps,
        lease,
        sleep: async (ms) => {
          f.clock.now += ms;
          remaining -= ms;
        },
      },
      () => remaining,
    );
    expect(reports).toEqual([]);
    // 12 s left: one wait of 5 s leaves 7 s ≥ the 1 s margin; a second would leave 2 s; a third none.
    expect(f.clock.now - NOW.getTime()).toBe(10_000);
  });

  it("a lease DynamoDB cannot tell of: polls all the same, saying so", async () => {
    const f = workerFakes();
    const { lease } = memoryLease(undefined, true);
    expect(await followUp({ ...f.deps, lease }, () => 60_000, "worker")).toHaveLength(1);
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not take the follow-up's lease; polling all the same",
      extra: { error: expect.stringContaining("internal error") },
    });
  });

  it("a lease that cannot be let go of is logged; it lapses at the invocation's end", async () => {
    const f = workerFakes();
    const { lease } = memoryLease();
    lease.release = async () => Promise.reject(new Error("dynamo down"));
    expect(await followUp({ ...f.deps, lease }, () => 60_000)).toHaveLength(1);
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not let go of the follow-up's lease; it lapses at its end",
      extra: { error: expect.stringContaining("internal error") },
    });
  });

  it("a round that throws still lets go of the lease", async () => {
    const f = workerFakes();
    const { lease, state } = memoryLease();
    const boom = Object.assign(new Error("x"), { name: "TypeError" });
    f.deps.store = { ...f.deps.store, listInFlight: async () => Promise.reject(boom) };
    f.deps.log = {
      ...f.deps.log,
      warn: () => {
        throw boom;
      },
    };
    await expect(followUp({ ...f.deps, lease }, () => 60_000)).rejects.toBe(boom);
    expect(state.released).toHaveLength(1);
  });
});

describe("what a round observes, and what it makes of it", () => {
  it("a tenant read well is not failed; a server gone counts as read", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "MEDIA_DETACHING" })] });
    detaching(f);
    expect(await round(f.deps)).toMatchObject({ tenantsFailed: 0, watching: 1 });
    const g = workerFakes({ reads: [notFound()] });
    detaching(g);
    expect(await round(g.deps)).toMatchObject({ tenantsFailed: 0 });
    expect(g.logs.map((l) => l.message)).not.toContain(
      "could not read the tenant's servers; next round tries again",
    );
  });

  it("one server read of two: the tenant is not failed", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "MEDIA_DETACHING" }), eclError(500)] });
    detaching(f);
    detaching(f, 10_000, { serverId: "00000000-0000-4000-8000-000000000009" });
    expect(await round(f.deps)).toMatchObject({ tenantsFailed: 0, watching: 2 });
  });

  it("a tenant that cannot be opened: logged with why, each detach unread", async () => {
    const f = workerFakes({}, { openTenant: async () => Promise.reject(new Error("no secret")) });
    const op = detaching(f);
    expect(await round(f.deps)).toMatchObject({ tenantsFailed: 1, watching: 1 });
    const why = "internal error (Error); nothing more is shown, to keep secrets out of messages";
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not read the tenant's servers; next round tries again",
      extra: { secretId: "bm/tenant/t", operations: [op.id], error: why },
    });
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "the server could not be read; next round tries again",
      extra: { operationId: op.id, look: "unknown", reason: why },
    });
  });

  it("at the limit, an unreadable server is said with ECL's own words", async () => {
    const f = workerFakes({ reads: [eclError(500)] });
    const op = detaching(f, 900_000);
    await round(f.deps);
    expect(f.ops.get(op.id)?.outcome).toMatch(
      /^after 15m 00s bm could not read the server \(ECL answered 500 \(compute fault\): oops/,
    );
  });

  it("a waiting detach just handed back is neither settled nor timed out, whatever its age", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "REBOOTING" })] });
    const old = new Date(NOW.getTime() - 1000_000).toISOString();
    const op = operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
      serverId: SERVER,
      serverName: "web01",
      updatedAt: old,
      waitingSince: old,
      resentAt: new Date(NOW.getTime() - 1000).toISOString(),
      noticedSeq: 3,
    });
    expect(await round(f.deps)).toMatchObject({ handedBack: 0, timedOut: 0, done: 0 });
    expect(stateOf(f, op)).toBe("waiting_for_idle");
  });

  it("a waiting detach is never settled as a detach, whatever its age: it is handed back", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "REBOOTING" })] });
    const old = new Date(NOW.getTime() - 1000_000).toISOString();
    const op = operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
      serverId: SERVER,
      serverName: "web01",
      updatedAt: old,
      waitingSince: old,
      noticedSeq: 3,
    });
    const report = await round(f.deps);
    expect(report).toMatchObject({ handedBack: 1, timedOut: 0, done: 0 });
    expect(stateOf(f, op)).toBe("waiting_for_idle");
  });

  it("a waiting detach whose server is gone is left to the worker: not failed by the round", async () => {
    const f = workerFakes({ reads: [notFound()] });
    const op = operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
      serverId: SERVER,
      serverName: "web01",
      waitingSince: NOW.toISOString(),
      noticedSeq: 3,
    });
    // Unread (gone) is no reason to wake it before its wait is over; the worker then ends it.
    expect(await round(f.deps)).toMatchObject({ handedBack: 0, done: 0, watching: 1 });
    expect(stateOf(f, op)).toBe("waiting_for_idle");
    expect(f.sent).toEqual([]);
  });

  it("a waiting detach whose server is read idle is handed back", async () => {
    const f = workerFakes({ reads: [eclServer()] });
    const op = operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
      serverId: SERVER,
      waitingSince: NOW.toISOString(),
      noticedSeq: 3,
    });
    expect(await round(f.deps)).toMatchObject({ handedBack: 1, watching: 1 });
    expect(f.sent).toEqual([{ message: { kind: "execute", operationId: op.id } }]);
  });
});

describe("what operations on their way still owe Slack", () => {
  const owing = (f: Fakes, states: Operation["state"][], changes: Partial<Operation> = {}) =>
    operationIn(f.ops, "C0INC", states, {
      serverId: SERVER,
      serverName: "web01",
      noticedSeq: 0,
      ...changes,
    });

  it.each([[["approved"]], [["approved", "executing"]]] as const)(
    "%j: posted by the round, then nothing more is watched",
    async (states) => {
      const f = workerFakes();
      const op = owing(f, [...states]);
      expect(await round(f.deps)).toMatchObject({ watching: 0 });
      expect(f.ops.get(op.id)?.noticedSeq).toBe(f.ops.get(op.id)?.seq);
      expect(f.slack.some((m) => m.method === "post")).toBe(true);
    },
  );

  it("nothing is posted for what was posted already", async () => {
    const f = workerFakes();
    const op = owing(f, ["approved"]);
    f.ops.set(op.id, { ...op, noticedSeq: op.seq });
    let reads = 0;
    const get = f.deps.store.get;
    f.deps.store = {
      ...f.deps.store,
      get: async (id) => {
        reads++;
        return get(id);
      },
    };
    expect(await round(f.deps)).toMatchObject({ watching: 0 });
    expect(f.slack).toEqual([]);
    // Not even read again: nothing is owed.
    expect(reads).toBe(0);
  });

  it("Slack's Retry-After still running: not posted, still watched; at its end, posted", async () => {
    const f = workerFakes();
    const op = owing(f, ["approved"], { noticeRetryAt: NOW.getTime() + 1 });
    expect(await round(f.deps)).toMatchObject({ watching: 1 });
    expect(f.slack).toEqual([]);
    // Not tried: no failure to log.
    expect(f.logs).toEqual([]);
    f.clock.now += 1;
    expect(await round(f.deps)).toMatchObject({ watching: 0 });
    expect(f.ops.get(op.id)?.noticedSeq).toBe(f.ops.get(op.id)?.seq);
  });

  it("another poster holding the post's lease: left to it, still watched", async () => {
    const f = workerFakes();
    owing(f, ["approved"], { noticeLeaseUntil: NOW.getTime() + 10_000 });
    expect(await round(f.deps)).toMatchObject({ watching: 1 });
    expect(f.slack).toEqual([]);
  });

  it("Slack failing: logged, still watched", async () => {
    const f = workerFakes();
    const { SlackApiError } = await import("../../../lib/slack/slack-error");
    f.deps.chat = {
      ...f.deps.chat,
      post: async () => {
        throw new SlackApiError("chat.postMessage", "service_unavailable", "passing");
      },
    };
    const op = owing(f, ["approved"]);
    expect(await round(f.deps)).toMatchObject({ watching: 1 });
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not post; next round tries again",
      extra: {
        operationId: op.id,
        error: "Slack answered service_unavailable to chat.postMessage",
      },
    });
  });
});

describe("the lease's edges", () => {
  it("without a lease (the CLI, tests): polls at once, nothing said of a lease", async () => {
    const f = workerFakes();
    expect(await followUp(f.deps, () => 60_000)).toHaveLength(1);
    expect(f.logs).toEqual([]);
  });

  it("the schedule's wait for the lease stops where the next wait would leave less than the margin", async () => {
    for (const [left, takes] of [
      [6000, 2],
      [5999, 1],
    ] as const) {
      const f = workerFakes();
      let tried = 0;
      let remaining: number = left;
      const lease = {
        take: async () => {
          tried++;
          return false;
        },
        release: async () => {},
      };
      await followUp(
        {
          ...f.deps,
          lease,
          sleep: async (ms) => {
            remaining -= ms;
          },
        },
        () => remaining,
      );
      expect(tried).toBe(takes);
    }
  });
});

describe("the follow-up, in detail", () => {
  it("polls again only while the next wait leaves its margin", async () => {
    for (const [left, rounds] of [
      [6000, 2],
      [5999, 1],
    ] as const) {
      const f = workerFakes({ reads: [eclServer({ taskState: "MEDIA_DETACHING" })] });
      detaching(f);
      let remaining: number = left;
      const reports = await followUp(
        {
          ...f.deps,
          sleep: async (ms) => {
            remaining = -1e9 - ms;
          },
        },
        () => remaining,
      );
      expect(reports).toHaveLength(rounds);
    }
  });

  it("messages still owed are posted; one that fails is logged and still watched", async () => {
    const f = workerFakes();
    const owed = operationIn(f.ops, "C0INC", ["approved", "failed"], { noticedSeq: 1 });
    expect(await round(f.deps)).toMatchObject({ announced: 1, watching: 0 });
    expect(f.ops.get(owed.id)?.noticedSeq).toBe(f.ops.get(owed.id)?.seq);

    const g = workerFakes();
    g.deps.chat = {
      ...g.deps.chat,
      post: async () => {
        throw new (await import("../../../lib/slack/slack-error")).SlackApiError(
          "chat.postMessage",
          "service_unavailable",
          "passing",
        );
      },
    };
    const stuck = operationIn(g.ops, "C0INC", ["approved", "failed"], { noticedSeq: 1 });
    expect(await round(g.deps)).toMatchObject({ announced: 0, watching: 1 });
    expect(g.logs).toContainEqual({
      level: "warn",
      message: "could not post; next round tries again",
      extra: {
        operationId: stuck.id,
        error: "Slack answered service_unavailable to chat.postMessage",
      },
    });
  });

  it("ECL failing to read: logged with the secret and the operations waiting on it", async () => {
    const f = workerFakes({ reads: [new Error("down")] });
    const a = detaching(f);
    const b = detaching(f);
    await round(f.deps);
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not read the tenant's servers; next round tries again",
      extra: {
        secretId: "bm/tenant/t",
        operations: [a.id, b.id],
        error: "internal error (Error); nothing more is shown, to keep secrets out of messages",
      },
    });
  });

  it("the index unreadable is logged", async () => {
    const f = workerFakes();
    f.deps.store = { ...f.deps.store, listInFlight: async () => Promise.reject(new Error("x")) };
    await round(f.deps);
    expect(f.logs.map((l) => l.message)).toEqual([
      "could not list what is in flight; next round asks again",
    ]);
  });

  it("counts what a round finished, by outcome", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: [] })] });
    detaching(f);
    const g = workerFakes({ reads: [eclServer({ taskState: "MEDIA_DETACHING" })] });
    detaching(g, 900_000);
    expect(await round(f.deps)).toMatchObject({ done: 1, timedOut: 0, watching: 0 });
    expect(await round(g.deps)).toMatchObject({ done: 0, timedOut: 1, watching: 0 });
  });

  it("a server that cannot be read: logged, watched, and timed out at the limit saying so", async () => {
    const f = workerFakes({ reads: [new Error("reset")] });
    const op = detaching(f, 10_000);
    expect(await round(f.deps)).toMatchObject({ watching: 1, tenantsFailed: 1 });
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "the server could not be read; next round tries again",
      extra: {
        operationId: op.id,
        look: "unknown",
        reason: "internal error (Error); nothing more is shown, to keep secrets out of messages",
      },
    });
    f.clock.now += 900_000;
    await round(f.deps);
    expect(f.ops.get(op.id)?.outcome).toBe(
      "after 15m 10s bm could not read the server (internal error (Error); nothing more is shown, to keep secrets out of messages).",
    );
  });

  it.each([
    [
      eclServer({ taskState: "MEDIA_DETACHING", mediaIds: undefined }),
      " (ECL does not list its media)",
    ],
    [eclServer({ taskState: "MEDIA_DETACHING", mediaIds: [] }), ""],
    [eclServer({ taskState: undefined }), " with the image attached"],
  ])("at the limit, what the server still shows is said: %#", async (server, image) => {
    const f = workerFakes({ reads: [server] });
    const op = detaching(f, 900_000);
    await round(f.deps);
    expect(f.ops.get(op.id)?.outcome).toBe(
      `after 15m 00s it still shows task_state ${server.taskState ?? "None"}${image}.`,
    );
  });

  it("a server gone: ECL's request id kept in the facts", async () => {
    const f = workerFakes({ reads: [notFound()] });
    detaching(f);
    await round(f.deps);
    expect(f.events.at(-1)?.facts).toMatchObject({ requestId: "req-404" });
  });

  it("what the server showed is kept: its power only when ECL gave it", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: [], powerState: undefined })] });
    const op = detaching(f, 10_000, { powerState: "RUNNING" });
    await round(f.deps);
    expect(f.ops.get(op.id)?.powerState).toBe("RUNNING");
    const g = workerFakes({ reads: [eclServer({ mediaIds: [], powerState: "SHUTDOWN" })] });
    const other = detaching(g);
    await round(g.deps);
    expect(g.ops.get(other.id)?.powerState).toBe("SHUTDOWN");
  });

  it("two follow-ups at once: the one that loses the write counts nothing and posts nothing", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: [] })] });
    detaching(f);
    f.deps.store = { ...f.deps.store, save: async () => undefined };
    expect(await round(f.deps)).toMatchObject({ done: 0, watching: 1 });
    expect(f.slack).toEqual([]);
  });

  it("finished, but its message cannot be posted yet: logged, the next round posts it", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: [] })] });
    const { SlackApiError } = await import("../../../lib/slack/slack-error");
    f.deps.chat = {
      ...f.deps.chat,
      update: async () => {
        throw new SlackApiError("chat.update", "ratelimited", "passing", 3);
      },
    };
    const op = detaching(f);
    expect(await round(f.deps)).toMatchObject({ done: 1 });
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not post; next round tries again",
      extra: { operationId: op.id, error: "Slack answered ratelimited to chat.update" },
    });
  });

  it("an expiry that loses the race to a last-second approval counts nothing", async () => {
    const f = workerFakes();
    operationIn(f.ops, "C0CHG", ["awaiting_approval"], { requestExpiresAt: NOW.toISOString() });
    f.deps.store = { ...f.deps.store, save: async () => undefined };
    expect((await round(f.deps)).expired).toBe(0);
  });

  it("an expiry whose post fails is logged; the next round posts it", async () => {
    const f = workerFakes();
    f.deps.chat = {
      ...f.deps.chat,
      post: async () => {
        throw new Error("socket hang up");
      },
    };
    const op = operationIn(f.ops, "C0CHG", ["awaiting_approval"], {
      requestExpiresAt: NOW.toISOString(),
    });
    expect((await round(f.deps)).expired).toBe(1);
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not expire or post; next round tries again",
      extra: { operationId: op.id, error: expect.any(String) },
    });
  });

  it("a hand-over is logged with the state it found; one that cannot be written is logged and tried next round", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", ["approved"], {
      updatedAt: new Date(NOW.getTime() - 61_000).toISOString(),
    });
    await round(f.deps);
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "handing over again",
      extra: { operationId: op.id, state: "approved" },
    });
    const g = workerFakes();
    const stuck = operationIn(g.ops, "C0INC", ["approved"], {
      updatedAt: new Date(NOW.getTime() - 61_000).toISOString(),
    });
    g.deps.store = { ...g.deps.store, save: async () => Promise.reject(new Error("throttled")) };
    await round(g.deps);
    expect(g.sent).toEqual([]);
    expect(g.logs).toContainEqual({
      level: "warn",
      message: "could not hand over; next round tries again",
      extra: {
        operationId: stuck.id,
        error: "internal error (Error); nothing more is shown, to keep secrets out of messages",
      },
    });
  });

  it("a request fifteen minutes old to the millisecond is still handed over; a millisecond later it ends, said in the thread", async () => {
    const f = workerFakes();
    const at = operationIn(f.ops, "C0INC", [], {
      createdAt: new Date(NOW.getTime() - 15 * 60_000).toISOString(),
      updatedAt: new Date(NOW.getTime() - 15 * 60_000).toISOString(),
    });
    await round(f.deps);
    expect(f.ops.get(at.id)?.state).toBe("requested");
    f.clock.now += 5 * 60_000;
    await round(f.deps);
    expect(f.ops.get(at.id)?.state).toBe("failed");
    expect(f.events.at(-1)?.actor).toEqual({ teamId: "T1", userId: "bm" });
    expect(f.slack.some((m) => m.method === "post")).toBe(true);
  });
});

describe("the follow-up, to the letter", () => {
  it("a server watched twice (detaching, and waiting) is read once a round", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: [] })] });
    detaching(f);
    operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
      serverId: SERVER,
      imageId: "other-image",
      waitingSince: NOW.toISOString(),
      noticedSeq: 3,
    });
    await round(f.deps);
    expect(f.calls.filter((c) => !c.startsWith("slack"))).toEqual([`show ${SERVER}`]);
  });

  it("a tenant that cannot be opened: its detaches still time out at the limit", async () => {
    const f = workerFakes({}, { openTenant: async () => Promise.reject(new Error("no secret")) });
    const op = detaching(f, 900_000);
    expect(await round(f.deps)).toMatchObject({ tenantsFailed: 1, timedOut: 1 });
    expect(f.ops.get(op.id)?.outcome).toMatch(/^after 15m 00s bm could not read the server/);
  });

  it("many finishing at once are settled side by side, each once", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: [] })] });
    const ops = Array.from({ length: 20 }, () => detaching(f));
    let saving = 0;
    let most = 0;
    const save = f.deps.store.save;
    f.deps.store = {
      ...f.deps.store,
      save: async (prev, next) => {
        saving++;
        most = Math.max(most, saving);
        await new Promise((r) => setTimeout(r, 1));
        saving--;
        return save(prev, next);
      },
    };
    expect(await round(f.deps)).toMatchObject({ done: 20, watching: 0 });
    for (const op of ops) expect(stateOf(f, op)).toBe("done");
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(8);
  });

  it("a server whose direct read fails otherwise than 404 is not gone", async () => {
    const f = workerFakes({ reads: [eclError(500)] });
    const op = detaching(f);
    expect(await round(f.deps)).toMatchObject({ watching: 1 });
    expect(stateOf(f, op)).toBe("detaching");
  });

  it("what the follow-up decides is bm's, in the audit trail, with the card's link", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: [] })] });
    detaching(f, 10_000, { permalink: "https://slack.test/archives/C0INC/p1" });
    await round(f.deps);
    expect(f.events.at(-1)).toMatchObject({
      action: "done",
      actor: { teamId: "T1", userId: "bm" },
      facts: { permalink: "https://slack.test/archives/C0INC/p1" },
    });
    const g = workerFakes();
    operationIn(g.ops, "C0CHG", ["awaiting_approval"], { requestExpiresAt: NOW.toISOString() });
    await round(g.deps);
    expect(g.events.at(-1)).toMatchObject({
      action: "expired",
      actor: { teamId: "T1", userId: "bm" },
    });
  });

  it("a timed-out detach keeps what the server showed and why it ended", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "MEDIA_DETACHING", mediaIds: [] })] });
    const op = detaching(f, 900_000);
    await round(f.deps);
    expect(f.ops.get(op.id)).toMatchObject({
      state: "timed_out",
      taskState: "MEDIA_DETACHING",
      outcome: "after 15m 00s it still shows task_state MEDIA_DETACHING.",
    });
    expect(f.events.at(-1)).toMatchObject({ action: "timed_out", facts: { elapsedS: 900 } });
  });

  it("a detach that cannot be finished (DynamoDB failing) is logged; the next round tries again", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: [] })] });
    const op = detaching(f);
    f.deps.store = { ...f.deps.store, save: async () => Promise.reject(new Error("throttled")) };
    expect(await round(f.deps)).toMatchObject({ done: 0, watching: 1 });
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not finish; next round tries again",
      extra: {
        operationId: op.id,
        error: "internal error (Error); nothing more is shown, to keep secrets out of messages",
      },
    });
  });

  it("a finish lost to another follow-up is nobody's failure: nothing logged", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: [] })] });
    detaching(f);
    f.deps.store = { ...f.deps.store, save: async () => undefined };
    await round(f.deps);
    expect(f.logs).toEqual([]);
  });

  it("an approval request that owes a message (an approval short of the number) is posted", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0CHG", ["awaiting_approval"], {
      requestExpiresAt: new Date(NOW.getTime() + 600_000).toISOString(),
    });
    await round(f.deps);
    expect(f.calls).toContain("slack card");
    expect(f.ops.get(op.id)?.noticedSeq).toBe(op.seq);
  });

  it("an approved request older than fifteen minutes is handed over, not ended", async () => {
    const f = workerFakes();
    const old = new Date(NOW.getTime() - 20 * 60_000).toISOString();
    const op = operationIn(f.ops, "C0INC", ["approved"], { createdAt: old, updatedAt: old });
    await round(f.deps);
    expect(stateOf(f, op)).toBe("approved");
    expect(f.sent.map((s) => s.message)).toContainEqual({ kind: "execute", operationId: op.id });
  });

  it("a request ended for want of a worker, lost to another writer: nothing posted, nothing logged", async () => {
    const f = workerFakes();
    const old = new Date(NOW.getTime() - 20 * 60_000).toISOString();
    operationIn(f.ops, "C0INC", [], { createdAt: old, updatedAt: old });
    f.deps.store = { ...f.deps.store, save: async () => undefined };
    await round(f.deps);
    expect(f.slack).toEqual([]);
    expect(f.logs).toEqual([]);
  });

  it("the index unreadable is logged with DynamoDB's error, said safely", async () => {
    const f = workerFakes();
    f.deps.store = { ...f.deps.store, listInFlight: async () => Promise.reject(new Error("x")) };
    await round(f.deps);
    expect(f.logs[0]?.extra).toEqual({
      error: "internal error (Error); nothing more is shown, to keep secrets out of messages",
    });
  });
});

describe("a round reads a tenant's servers only for operations bound to it", () => {
  const OTHER = "00000000-0000-4000-8000-000000000009";
  const WHY = "not read: it names a tenant or a secret that is not its channel's in the policy";
  /** Fakes that keep each secret a tenant was opened with. */
  const opening = () =>
    recordingOpens(workerFakes({ reads: [eclServer({ taskState: "MEDIA_DETACHING" })] }));

  it("a detach naming another secret: never opened, logged, its look unknown", async () => {
    const f = opening();
    const op = detaching(f, 10_000, { secretId: "bm/tenant/other" });
    expect(await round(f.deps)).toMatchObject({ tenantsFailed: 1, watching: 1, done: 0 });
    expect(f.opened).toEqual([]);
    expect(f.calls).toEqual([]);
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "not read: the operation names a secret that is not its channel's tenant's",
      extra: { operationId: op.id, secretId: "bm/tenant/other", reason: "tenant_not_the_channels" },
    });
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "the server could not be read; next round tries again",
      extra: { operationId: op.id, look: "unknown", reason: WHY },
    });
    expect(stateOf(f, op)).toBe("detaching");
  });

  it("at the limit it times out, as any unread detach does, still never read", async () => {
    const f = opening();
    const op = detaching(f, 900_000, { secretId: "bm/tenant/other" });
    expect(await round(f.deps)).toMatchObject({ timedOut: 1 });
    expect(f.opened).toEqual([]);
    expect(stateOf(f, op)).toBe("timed_out");
  });

  it("of two under one secret, only the bound one's server is read", async () => {
    const f = opening();
    const good = detaching(f);
    const forged = detaching(f, 10_000, { serverId: OTHER, tenant: "x" });
    expect(await round(f.deps)).toMatchObject({ tenantsFailed: 0, watching: 2 });
    expect(f.opened).toEqual(["bm/tenant/t"]);
    expect(f.calls).toEqual([`show ${SERVER}`]);
    expect(f.logs.filter((l) => l.message.startsWith("not read:"))).toEqual([
      {
        level: "warn",
        message: "not read: the operation names a secret that is not its channel's tenant's",
        extra: {
          operationId: forged.id,
          secretId: "bm/tenant/t",
          reason: "tenant_not_the_channels",
        },
      },
    ]);
    expect(stateOf(f, good)).toBe("detaching");
  });

  it("a waiting detach naming another secret goes back to the worker only when its wait is over", async () => {
    const f = opening();
    const waiting = (ago: number) =>
      operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
        serverId: SERVER,
        serverName: "web01",
        secretId: "bm/tenant/other",
        waitingSince: new Date(NOW.getTime() - ago).toISOString(),
        noticedSeq: 3,
      });
    waiting(10_000);
    const over = waiting(60_000);
    expect(await round(f.deps)).toMatchObject({ handedBack: 1 });
    expect(f.opened).toEqual([]);
    expect(f.sent.map((s) => s.message)).toEqual([{ kind: "execute", operationId: over.id }]);
  });
});
