/**
 * record.ts with its ports in memory: a transition made to stick (the lock let go, the audit
 * outbox emptied), and the message it owes posted once, through every way the store and Slack
 * fail, race or refuse.
 */
import { describe, expect, it } from "vitest";
import { type Operation, transition } from "../../../lib/operations/operation";
import { announce, commit, flushAudit, rebase } from "../../../lib/operations/record";
import { SlackApiError } from "../../../lib/slack/slack-error";
import { NOW, operationIn, SERVER, workerFakes } from "../fakes";

type Fakes = ReturnType<typeof workerFakes>;
const bm = { teamId: "T1", userId: "bm" };
const metrics = () => {
  const put: Array<[string, number, string?]> = [];
  return {
    put,
    metrics: {
      put: (name: string, value: number, dimension?: string) =>
        void put.push(dimension === undefined ? [name, value] : [name, value, dimension]),
      flush: () => {},
    },
  };
};

/** Slack's chat.postMessage failing for `f` with this code, passing or for good. */
function postFails(f: Fakes, code: string, kind: "passing" | "permanent", retryAfterS?: number) {
  f.deps.chat = {
    ...f.deps.chat,
    post: async () => {
      throw new SlackApiError("chat.postMessage", code, kind, retryAfterS);
    },
  };
}

describe("commit", () => {
  it("an end lets go of the lock; a lock that cannot be let go is logged (the next request takes it over)", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"], {
      lockKey: `lock#t#${SERVER}#x`,
    });
    await f.deps.store.lock(`lock#t#${SERVER}#x`, op.id);
    const unlocked: string[] = [];
    const unlock = f.deps.store.unlock;
    f.deps.store = {
      ...f.deps.store,
      unlock: async (key, id) => {
        unlocked.push(key);
        return unlock(key, id);
      },
    };
    await commit(f.deps, op, transition(op, "done", bm, NOW));
    expect(unlocked).toEqual([`lock#t#${SERVER}#x`]);

    const g = workerFakes();
    const other = operationIn(g.ops, "C0INC", ["approved", "executing", "detaching"], {
      lockKey: "lock#k",
    });
    g.deps.store = { ...g.deps.store, unlock: async () => Promise.reject(new Error("throttled")) };
    const saved = await commit(g.deps, other, transition(other, "failed", bm, NOW));
    expect(saved?.state).toBe("failed");
    expect(g.logs).toContainEqual({
      level: "warn",
      message: "could not release the lock; the next request takes it over",
      extra: { operationId: other.id, error: "Error" },
    });
  });

  it("a transition that is not an end keeps the lock", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", ["approved"], { lockKey: "lock#k" });
    let unlocks = 0;
    f.deps.store = { ...f.deps.store, unlock: async () => void unlocks++ };
    await commit(f.deps, op, transition(op, "executing", bm, NOW));
    expect(unlocks).toBe(0);
  });

  it("counts what a transition means: finished (and how long ECL took), approved (and the wait)", async () => {
    const f = workerFakes();
    const m = metrics();
    const deps = { ...f.deps, metrics: m.metrics };
    const detaching = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"], {
      detachStartedAt: new Date(NOW.getTime() - 4500).toISOString(),
    });
    await commit(deps, detaching, transition(detaching, "done", bm, NOW));
    const noStart = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"]);
    await commit(deps, noStart, transition(noStart, "failed", bm, NOW));
    const waiting = operationIn(f.ops, "C0CHG", ["awaiting_approval"], {
      createdAt: new Date(NOW.getTime() - 90_000).toISOString(),
    });
    await commit(deps, waiting, transition(waiting, "approved", bm, NOW));
    const none = operationIn(f.ops, "C0INC");
    await commit(deps, none, transition(none, "approved", bm, NOW));
    expect(m.put).toEqual([
      ["OperationFinished", 1, "done"],
      ["DetachSeconds", 4.5],
      ["OperationFinished", 1, "failed"],
      ["ApprovalWaitSeconds", 90],
    ]);
  });

  it("another writer decided first (an event of its own, or another state): nothing saved, nothing appended", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC");
    f.ops.set(op.id, { ...op, rev: op.rev + 1, seq: op.seq + 1 });
    expect(await commit(f.deps, op, transition(op, "approved", bm, NOW))).toBeUndefined();
    const other = operationIn(f.ops, "C0INC");
    f.ops.set(other.id, { ...other, rev: other.rev + 1, state: "failed" });
    expect(await commit(f.deps, other, transition(other, "approved", bm, NOW))).toBeUndefined();
    const gone = operationIn(f.ops, "C0INC");
    f.ops.delete(gone.id);
    expect(await commit(f.deps, gone, transition(gone, "approved", bm, NOW))).toBeUndefined();
    expect(f.events).toEqual([]);
  });

  it("another writer only bookkept meanwhile (a notice's lease, the card's ts): the transition is laid over it", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", ["approved", "executing"], {
      noticeRetryAt: NOW.getTime() - 1000,
    });
    // While the POST was at ECL, a follow-up took the lease on the card it owed and kept its ts.
    const lease = NOW.getTime() + 60_000;
    const bookkept = { ...op, rev: op.rev + 1, noticeLeaseUntil: lease, parentTs: "1700.1" };
    delete bookkept.noticeRetryAt;
    f.ops.set(op.id, bookkept);
    const next = transition(op, "detaching", bm, NOW, { detachStartedAt: NOW.toISOString() });
    const saved = await commit(f.deps, op, next);
    expect(saved).toMatchObject({
      state: "detaching",
      seq: op.seq + 1,
      rev: op.rev + 2,
      detachStartedAt: NOW.toISOString(),
      noticeLeaseUntil: lease,
      parentTs: "1700.1",
    });
    expect(saved).not.toHaveProperty("noticeRetryAt");
    expect(f.ops.get(op.id)).toEqual(saved);
    expect(f.events.map((e) => [e.seq, e.to])).toEqual([[op.seq + 1, "detaching"]]);
  });

  it("bookkeeping that keeps racing: laid again three times, then left to the other writer", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", ["approved", "executing"]);
    const save = f.deps.store.save;
    let saves = 0;
    f.deps.store = {
      ...f.deps.store,
      save: async (prev, next) => {
        saves++;
        const stored = f.ops.get(op.id) as Operation;
        f.ops.set(op.id, { ...stored, rev: stored.rev + 1 });
        return save(prev, next);
      },
    };
    expect(await commit(f.deps, op, transition(op, "detaching", bm, NOW))).toBeUndefined();
    expect(saves).toBe(4);
    expect(f.ops.get(op.id)?.state).toBe("executing");
    expect(f.events).toEqual([]);
  });
});

describe("rebase", () => {
  it("keeps what the transition changed and takes the rest from the fresh copy", () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", ["approved"], { parentTs: "1.1", resentAt: "x" });
    const next = transition(op, "executing", bm, NOW, { parentTs: "2.2" });
    const fresh: Operation = { ...op, rev: op.rev + 5, permalink: "https://slack.test/p" };
    delete fresh.resentAt;
    const laid = rebase(op, next, fresh);
    expect(laid).toMatchObject({
      state: "executing",
      seq: next.seq,
      rev: fresh.rev,
      parentTs: "2.2",
      permalink: "https://slack.test/p",
    });
    expect(laid).not.toHaveProperty("resentAt");
    expect(laid?.unaudited).toEqual(next.unaudited);
  });

  it("nothing laid over a copy decided on since, or over a field both changed", () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0CHG", ["awaiting_approval"]);
    const next = transition(op, "approved", bm, NOW, {
      approvals: [{ userId: "U0A1", at: NOW.toISOString() }],
    });
    expect(rebase(op, next, { ...op, rev: op.rev + 1, seq: op.seq + 1 })).toBeUndefined();
    expect(rebase(op, next, { ...op, rev: op.rev + 1, state: "rejected" })).toBeUndefined();
    // Another approval written without an event of its own is still never overwritten.
    const other = {
      ...op,
      rev: op.rev + 1,
      approvals: [{ userId: "U0A2", at: NOW.toISOString() }],
    };
    expect(rebase(op, next, other)).toBeUndefined();
    // Its own outbox is next's, whatever the other copy's: an append again changes nothing.
    const pending = transition(op, "approved", bm, NOW);
    const fromIt = transition(pending, "executing", bm, NOW);
    const emptied = rebase(pending, fromIt, { ...pending, rev: op.rev + 1, unaudited: [] });
    expect(emptied?.unaudited).toEqual(fromIt.unaudited);
    expect(emptied?.unaudited).toHaveLength(2);
  });
});

describe("flushAudit", () => {
  it("appends what waits, in order, and takes it out of the outbox; settles a finished operation", async () => {
    const f = workerFakes();
    let op = operationIn(f.ops, "C0INC", ["approved", "failed"]);
    op = { ...op, unaudited: [op.lastEvent], noticedSeq: op.seq, inflight: "notice" };
    f.ops.set(op.id, op);
    const flushed = await flushAudit(f.deps, op);
    expect(f.events.map((e) => e.action)).toEqual(["failed"]);
    expect(flushed.unaudited).toEqual([]);
    expect(flushed.inflight).toBeUndefined();
    expect(f.ops.get(op.id)?.inflight).toBeUndefined();
  });

  it("an operation still owing its message stays watched", async () => {
    const f = workerFakes();
    let op = operationIn(f.ops, "C0INC", ["approved", "failed"]);
    op = { ...op, unaudited: [op.lastEvent], noticedSeq: op.seq - 1, inflight: "notice" };
    f.ops.set(op.id, op);
    expect((await flushAudit(f.deps, op)).inflight).toBe("notice");
  });

  it("an event whose place another item holds is counted as a conflict, not a write error", async () => {
    const f = workerFakes();
    const m = metrics();
    let op = operationIn(f.ops, "C0INC", ["approved", "executing"]);
    op = { ...op, unaudited: [op.lastEvent] };
    f.ops.set(op.id, op);
    const conflict = Object.assign(new Error("taken"), { name: "AuditConflict" });
    const flushed = await flushAudit(
      { ...f.deps, metrics: m.metrics, audit: { append: async () => Promise.reject(conflict) } },
      op,
    );
    expect(flushed.unaudited).toEqual([op.lastEvent]);
    expect(m.put).toEqual([["AuditConflict", 1]]);
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "audit append failed; the event waits in the outbox",
      extra: { operationId: op.id, seq: op.seq, error: "AuditConflict" },
    });
    // Without metrics (a caller that counts nothing), the conflict is still only logged.
    const { metrics: _none, ...uncounted } = f.deps;
    const again = await flushAudit(
      { ...uncounted, audit: { append: async () => Promise.reject(conflict) } },
      op,
    );
    expect(again.unaudited).toEqual([op.lastEvent]);
  });

  it("an append that fails stops there: counted, logged, the rest waits", async () => {
    const f = workerFakes();
    const m = metrics();
    let op = operationIn(f.ops, "C0INC", ["approved", "executing"]);
    const [, approved, executing] = [op.lastEvent, { ...op.lastEvent, seq: 2 }, op.lastEvent];
    op = { ...op, unaudited: [approved, executing] as Operation["unaudited"] & object };
    f.ops.set(op.id, op);
    let appends = 0;
    const flushed = await flushAudit(
      {
        ...f.deps,
        metrics: m.metrics,
        audit: {
          append: async () => {
            appends++;
            throw new Error("throttled");
          },
        },
      },
      op,
    );
    expect(appends).toBe(1);
    expect(flushed).toBe(op);
    expect(m.put).toEqual([["AuditWriteError", 1]]);
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "audit append failed; the event waits in the outbox",
      extra: { operationId: op.id, seq: 2, error: "Error" },
    });
  });

  it("an outbox that cannot be cleared is logged, and appended again later (harmless)", async () => {
    const f = workerFakes();
    let op = operationIn(f.ops, "C0INC", ["approved"]);
    op = { ...op, unaudited: [op.lastEvent] };
    f.deps.store = { ...f.deps.store, clearAudited: async () => Promise.reject(new Error("x")) };
    const flushed = await flushAudit(f.deps, op);
    expect(flushed.unaudited).toEqual([]);
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not clear the audit outbox; it is appended again later",
      extra: { operationId: op.id, error: "Error" },
    });
  });

  it("nothing waiting: nothing written", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC");
    let clears = 0;
    f.deps.store = { ...f.deps.store, clearAudited: async () => void clears++ };
    expect(await flushAudit(f.deps, op)).toBe(op);
    expect(clears).toBe(0);
  });
});

describe("announce", () => {
  /** An operation that owes the message of its last transition. */
  const owing = (f: Fakes, path: Operation["state"][], changes: Partial<Operation> = {}) =>
    operationIn(f.ops, "C0INC", path, {
      responseUrl: "https://hooks.slack.com/commands/T1/1/x",
      ...changes,
    });

  it("posts the card once, keeps its ts and permalink, then updates it and posts the thread notice", async () => {
    const f = workerFakes();
    const op = owing(f, ["approved"]);
    const posted = await announce(f.deps, op);
    expect(posted).toMatchObject({
      parentTs: "1700000000.000001",
      permalink: "https://slack.test/archives/C0INC/p1700000000000001",
      noticedSeq: op.seq,
    });
    expect(posted.noticeLeaseUntil).toBeUndefined();
    const next = transition(posted, "executing", bm, NOW);
    f.ops.set(op.id, { ...next, rev: posted.rev });
    await announce(f.deps, f.ops.get(op.id) as Operation);
    expect(f.slack.map((m) => m.method)).toEqual(["post", "update"]);
  });

  it("nothing owed: nothing done; held by another poster's lease: left to it", async () => {
    const f = workerFakes();
    const op = owing(f, ["approved"], { noticedSeq: 2 });
    expect(await announce(f.deps, op)).toBe(op);
    const leased = owing(f, ["approved"], { noticeLeaseUntil: NOW.getTime() + 1 });
    expect(await announce(f.deps, leased)).toBe(leased);
    expect(f.slack).toEqual([]);
  });

  it("before Slack's Retry-After has passed: nobody posts, and the wait left is said", async () => {
    const f = workerFakes();
    const op = owing(f, ["approved"], { noticeRetryAt: NOW.getTime() + 2500 });
    const error = await announce(f.deps, op).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackApiError);
    expect(error).toMatchObject({ code: "ratelimited", kind: "passing", retryAfterS: 3 });
    expect(f.slack).toEqual([]);
  });

  it("a lease lost to another poster: the operation as it now stands, nothing posted", async () => {
    const f = workerFakes();
    const op = owing(f, ["approved"]);
    const save = f.deps.store.save;
    f.deps.store = {
      ...f.deps.store,
      save: async (prev, next) =>
        next.noticeLeaseUntil && !prev.noticeLeaseUntil ? undefined : save(prev, next),
    };
    expect(await announce(f.deps, op)).toEqual(op);
    expect(f.slack).toEqual([]);
  });

  it("Slack rate-limiting: the lease freed, the next try not before Retry-After, the error passed on", async () => {
    const f = workerFakes();
    postFails(f, "ratelimited", "passing", 4);
    const op = owing(f, ["approved"]);
    await expect(announce(f.deps, op)).rejects.toMatchObject({ code: "ratelimited" });
    const saved = f.ops.get(op.id);
    expect(saved?.noticeLeaseUntil).toBeUndefined();
    expect(saved?.noticeRetryAt).toBe(NOW.getTime() + 4000);
  });

  it("Slack down without a Retry-After: the lease freed, no wait set", async () => {
    const f = workerFakes();
    postFails(f, "service_unavailable", "passing");
    const op = owing(f, ["approved"]);
    await expect(announce(f.deps, op)).rejects.toBeInstanceOf(SlackApiError);
    expect(f.ops.get(op.id)?.noticeRetryAt).toBeUndefined();
    expect(f.ops.get(op.id)?.noticeLeaseUntil).toBeUndefined();
  });

  it("a card whose ts cannot be kept is withdrawn, so the next try's card is the only one", async () => {
    const f = workerFakes();
    const removed: string[] = [];
    f.deps.chat = { ...f.deps.chat, remove: async (_c, ts) => void removed.push(ts) };
    f.deps.store = {
      ...f.deps.store,
      setParent: async () => Promise.reject(new Error("throttled")),
    };
    const op = owing(f, ["approved"]);
    await expect(announce(f.deps, op)).rejects.toThrow("throttled");
    expect(removed).toEqual(["1700000000.000001"]);
    expect(f.ops.get(op.id)?.noticeLeaseUntil).toBeUndefined();
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not keep the card's ts; withdrawing the card",
      extra: { operationId: op.id, error: "Error" },
    });
  });

  it("a card that can be neither kept nor withdrawn: logged with Slack's code", async () => {
    const f = workerFakes();
    f.deps.chat = {
      ...f.deps.chat,
      remove: async () => {
        throw new SlackApiError("chat.delete", "message_not_found", "permanent");
      },
    };
    f.deps.store = {
      ...f.deps.store,
      setParent: async () => Promise.reject(new Error("throttled")),
    };
    const op = owing(f, ["approved"]);
    await expect(announce(f.deps, op)).rejects.toThrow("throttled");
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not withdraw the card",
      extra: { operationId: op.id, slackError: "message_not_found", method: "chat.delete" },
    });
    // An error that is not yet Slack's (a connection that broke): named for the call it broke.
    const g = workerFakes();
    g.deps.chat = {
      ...g.deps.chat,
      remove: async () => Promise.reject(new Error("socket hang up")),
    };
    g.deps.store = { ...g.deps.store, setParent: f.deps.store.setParent };
    await expect(announce(g.deps, owing(g, ["approved"]))).rejects.toThrow("throttled");
    expect(g.logs.at(-1)?.extra).toMatchObject({
      slackError: "no_response",
      method: "chat.delete",
    });
  });

  it("another writer saved meanwhile: the bookkeeping merged into what it wrote", async () => {
    const f = workerFakes();
    const op = owing(f, ["approved"]);
    const save = f.deps.store.save;
    let saves = 0;
    f.deps.store = {
      ...f.deps.store,
      save: async (prev, next) => {
        saves++;
        // The lease is taken; then, while Slack is posted to, a click writes.
        if (saves === 2) {
          const stored = f.ops.get(op.id) as Operation;
          f.ops.set(op.id, { ...stored, rev: stored.rev + 1, approvals: [] });
          return undefined;
        }
        return save(prev, next);
      },
    };
    const result = await announce(f.deps, op);
    expect(result.noticedSeq).toBe(op.seq);
    expect(result.noticeLeaseUntil).toBeUndefined();
    expect(result.approvals).toEqual([]);
  });

  it("Slack refusing for good an approval request's card: it ends failed, and the requester is told", async () => {
    const f = workerFakes();
    postFails(f, "not_in_channel", "permanent");
    const op = operationIn(f.ops, "C0CHG", ["awaiting_approval"], {
      responseUrl: "https://hooks.slack.com/commands/T1/1/x",
    });
    const result = await announce(f.deps, op);
    expect(result.state).toBe("failed");
    expect(result.outcome).toBe(
      "bm could not post the approval request in this channel (Slack answered not_in_channel), so nobody could approve it; nothing was sent to ECL.",
    );
    expect(f.slack.filter((m) => m.method === "respond")).toHaveLength(1);
    expect(result.toldOutcome).toBe(true);
  });

  it("a response_url past its 30 minutes, or failing: the requester cannot be told, and that is logged", async () => {
    const old = workerFakes();
    postFails(old, "not_in_channel", "permanent");
    const stale = operationIn(old.ops, "C0INC", ["approved"], {
      responseUrl: "https://hooks.slack.com/commands/T1/1/x",
      createdAt: new Date(NOW.getTime() - 30 * 60_000).toISOString(),
    });
    await announce(old.deps, stale);
    expect(old.slack.filter((m) => m.method === "respond")).toEqual([]);
    expect(old.logs).toContainEqual({
      level: "warn",
      message: "could not tell the requester: no response_url any more",
      extra: { operationId: stale.id },
    });

    const failing = workerFakes();
    failing.deps.chat = {
      ...failing.deps.chat,
      post: async () => {
        throw new SlackApiError("chat.postMessage", "not_in_channel", "permanent");
      },
      respond: async () => {
        throw new SlackApiError("response_url", "used_url", "permanent");
      },
    };
    const op = operationIn(failing.ops, "C0INC", ["approved", "failed"], {
      responseUrl: "https://hooks.slack.com/commands/T1/1/x",
    });
    const result = await announce(failing.deps, op);
    expect(result.toldOutcome).toBeUndefined();
    expect(failing.logs).toContainEqual({
      level: "warn",
      message: "could not tell the requester",
      extra: { operationId: op.id, slackError: "used_url", method: "response_url" },
    });
    // An error that is not yet Slack's: named for the call it broke.
    const broken = workerFakes();
    postFails(broken, "not_in_channel", "permanent");
    broken.deps.chat = {
      ...broken.deps.chat,
      respond: async () => Promise.reject(new Error("socket hang up")),
    };
    await announce(
      broken.deps,
      operationIn(broken.ops, "C0INC", ["approved"], {
        responseUrl: "https://hooks.slack.com/commands/T1/1/x",
      }),
    );
    expect(broken.logs.at(-1)).toMatchObject({
      message: "could not tell the requester",
      extra: { slackError: "no_response", method: "response_url" },
    });
  });

  it("a channel that refused bm: later messages go to the requester alone, the end once", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", ["approved", "executing"], {
      responseUrl: "https://hooks.slack.com/commands/T1/1/x",
      slackRefused: { code: "not_in_channel", method: "chat.postMessage", at: NOW.toISOString() },
    });
    const quiet = await announce(f.deps, op);
    expect(f.slack).toEqual([]);
    expect(quiet.noticedSeq).toBe(op.seq);
    const ended = transition(quiet, "failed", bm, NOW, { outcome: "x." });
    f.ops.set(op.id, { ...ended, rev: quiet.rev });
    const told = await announce(f.deps, f.ops.get(op.id) as Operation);
    expect(told.toldOutcome).toBe(true);
    expect(f.slack.map((m) => m.method)).toEqual(["respond"]);
    // Watched until its audit event is appended too; then out of the follow-up's index.
    expect(told.inflight).toBe("notice");
    expect((await flushAudit(f.deps, told)).inflight).toBeUndefined();
  });
});

describe("record.ts, at its edges", () => {
  it("counts ECL's time only for a detach that is done and was started; approvals' wait only when approved", async () => {
    const f = workerFakes();
    const m = metrics();
    const deps = { ...f.deps, metrics: m.metrics };
    const started = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"], {
      detachStartedAt: new Date(NOW.getTime() - 4000).toISOString(),
    });
    await commit(deps, started, transition(started, "failed", bm, NOW));
    const unstarted = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"]);
    delete unstarted.detachStartedAt;
    f.ops.set(unstarted.id, unstarted);
    await commit(deps, unstarted, transition(unstarted, "done", bm, NOW));
    const asked = operationIn(f.ops, "C0CHG");
    await commit(deps, asked, transition(asked, "awaiting_approval", bm, NOW));
    expect(m.put).toEqual([
      ["OperationFinished", 1, "failed"],
      ["OperationFinished", 1, "done"],
    ]);
  });

  it("without metrics, every failure is still survived (nothing thrown), and each is logged", async () => {
    const f = workerFakes();
    const bare = { ...f.deps };
    delete (bare as { metrics?: unknown }).metrics;
    const op = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"], {
      lockKey: "lock#k",
    });
    const failing = {
      ...bare,
      store: {
        ...bare.store,
        unlock: async () => Promise.reject(new Error("x")),
        clearAudited: async () => Promise.reject(new Error("x")),
      },
    };
    expect((await commit(failing, op, transition(op, "done", bm, NOW)))?.state).toBe("done");
    const waiting = { ...op, unaudited: [op.lastEvent] };
    expect(
      await flushAudit(
        { ...failing, audit: { append: async () => Promise.reject(new Error("x")) } },
        waiting,
      ),
    ).toBe(waiting);
    expect(f.logs.map((l) => l.message)).toEqual([
      "could not release the lock; the next request takes it over",
      "could not clear the audit outbox; it is appended again later",
      "audit append failed; the event waits in the outbox",
    ]);
  });

  it("a lease that ended this very millisecond may be taken; one ending later may not", async () => {
    const f = workerFakes();
    const free = operationIn(f.ops, "C0INC", ["approved"], { noticeLeaseUntil: NOW.getTime() });
    const posted = await announce(f.deps, free);
    expect(posted.parentTs).toBeDefined();
    const g = workerFakes();
    const held = operationIn(g.ops, "C0INC", ["approved"], { noticeLeaseUntil: NOW.getTime() + 1 });
    expect(await announce(g.deps, held)).toBe(held);
  });

  it("a poster's lease lasts a minute", async () => {
    const f = workerFakes();
    const leases: number[] = [];
    const save = f.deps.store.save;
    f.deps.store = {
      ...f.deps.store,
      save: async (prev, next) => {
        if (next.noticeLeaseUntil) leases.push(next.noticeLeaseUntil);
        return save(prev, next);
      },
    };
    await announce(f.deps, operationIn(f.ops, "C0INC", ["approved"]));
    expect(leases[0]).toBe(NOW.getTime() + 60_000);
  });

  it("a lease lost, and the operation gone meanwhile: the copy in hand is returned", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", ["approved"]);
    f.deps.store = { ...f.deps.store, save: async () => undefined, get: async () => undefined };
    expect(await announce(f.deps, op)).toBe(op);
  });

  it("a message posted: out of the follow-up's index only when its audit is appended too", async () => {
    const f = workerFakes();
    const owing = operationIn(f.ops, "C0INC", ["approved", "failed"], { inflight: "notice" });
    const withOutbox = { ...owing, unaudited: [owing.lastEvent] };
    f.ops.set(owing.id, withOutbox);
    expect((await announce(f.deps, withOutbox)).inflight).toBe("notice");
    const g = workerFakes();
    const clean = operationIn(g.ops, "C0INC", ["approved", "failed"], { inflight: "notice" });
    expect((await announce(g.deps, clean)).inflight).toBeUndefined();
    const h = workerFakes();
    const watched = operationIn(h.ops, "C0INC", ["approved", "executing", "detaching"]);
    expect((await announce(h.deps, watched)).inflight).toBe("detaching");
  });

  it("the bookkeeping merged when another writer saved meanwhile; not when its lease is no longer ours", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", ["approved"]);
    const save = f.deps.store.save;
    let saves = 0;
    f.deps.store = {
      ...f.deps.store,
      save: async (prev, next) => {
        saves++;
        if (saves === 2) {
          // While Slack was posted to, the lease was taken over by another poster.
          const stored = f.ops.get(op.id) as Operation;
          f.ops.set(op.id, { ...stored, rev: stored.rev + 1, noticeLeaseUntil: 1 });
          return undefined;
        }
        return save(prev, next);
      },
    };
    const result = await announce(f.deps, op);
    expect(result.noticeLeaseUntil).toBe(1);
    expect(result.noticedSeq).toBeUndefined();
  });

  it("a refusal logged with Slack's code, the refusal's event bm's", async () => {
    const f = workerFakes();
    postFails(f, "channel_not_found", "permanent");
    const op = operationIn(f.ops, "C0INC", ["approved"], {
      responseUrl: "https://hooks.slack.com/x",
    });
    await announce(f.deps, op);
    expect(f.events.find((e) => e.action === "slack_refused")?.actor).toEqual({
      teamId: "T1",
      userId: "bm",
    });
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "Slack refused bm's message; not retried",
      extra: { operationId: op.id, slackError: "channel_not_found", method: "chat.postMessage" },
    });
  });
});

describe("record.ts: what the outbox, the lease and a refusal leave behind", () => {
  const url = "https://hooks.slack.com/commands/T1/1/x";

  it("an operation that never had an outbox: nothing appended, nothing written", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", ["approved"]);
    delete op.unaudited;
    expect(await flushAudit(f.deps, op)).toBe(op);
    expect(f.events).toEqual([]);
  });

  it("an append that fails after others: those appended leave the outbox, the rest stays, watched", async () => {
    const f = workerFakes();
    let op = operationIn(f.ops, "C0INC", ["approved", "failed"]);
    const first = { ...op.lastEvent, seq: op.seq - 1 };
    const second = op.lastEvent;
    op = { ...op, unaudited: [first, second], noticedSeq: op.seq, inflight: "notice" };
    f.ops.set(op.id, op);
    let appends = 0;
    const audit = {
      append: async () => {
        if (++appends === 2) throw new Error("throttled");
      },
    };
    const flushed = await flushAudit({ ...f.deps, audit }, op);
    expect(flushed.unaudited).toEqual([second]);
    expect(flushed.inflight).toBe("notice");
    expect(f.ops.get(op.id)).toMatchObject({ unaudited: [second], inflight: "notice" });
  });

  it("an outbox emptied settles only an ended operation whose message is posted", async () => {
    const cases: Array<[string, Partial<Operation>, string | undefined]> = [
      ["ended, posted", { inflight: "notice" }, undefined],
      ["ended, its message never posted", { inflight: "notice", noticedSeq: 0 }, "notice"],
      ["still detaching, posted", { inflight: "detaching" }, "detaching"],
    ];
    for (const [, changes, inflight] of cases) {
      const f = workerFakes();
      let op = operationIn(f.ops, "C0INC", ["approved", "failed"]);
      op = { ...op, noticedSeq: op.seq, unaudited: [op.lastEvent], ...changes };
      f.ops.set(op.id, op);
      expect((await flushAudit(f.deps, op)).inflight).toBe(inflight);
      expect(f.ops.get(op.id)?.inflight).toBe(inflight);
    }
  });

  it("Retry-After, and an error that is not yet Slack's, are named for chat", async () => {
    const f = workerFakes();
    const waiting = operationIn(f.ops, "C0INC", ["approved"], { noticeRetryAt: NOW.getTime() + 1 });
    await expect(announce(f.deps, waiting)).rejects.toMatchObject({
      method: "chat",
      code: "ratelimited",
      retryAfterS: 1,
    });
    const g = workerFakes();
    g.deps.chat = { ...g.deps.chat, post: async () => Promise.reject(new Error("socket hang up")) };
    const error = await announce(g.deps, operationIn(g.ops, "C0INC", ["approved"])).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SlackApiError);
    expect(error).toMatchObject({ method: "chat", code: "no_response", kind: "passing" });
  });

  it("a message posted: one write, no read again; an operation without an outbox is settled too", async () => {
    const f = workerFakes();
    let reads = 0;
    const get = f.deps.store.get;
    f.deps.store = {
      ...f.deps.store,
      get: async (id) => {
        reads++;
        return get(id);
      },
    };
    let op = operationIn(f.ops, "C0INC", ["approved", "failed"]);
    op = { ...op, inflight: "notice" };
    delete op.unaudited;
    f.ops.set(op.id, op);
    const posted = await announce(f.deps, op);
    expect(posted.inflight).toBeUndefined();
    expect(posted.noticedSeq).toBe(op.seq);
    expect(reads).toBe(0);
  });

  it("a card that cannot be kept: announce throws DynamoDB's own error", async () => {
    const f = workerFakes();
    const throttled = new Error("throttled");
    f.deps.store = { ...f.deps.store, setParent: async () => Promise.reject(throttled) };
    await expect(announce(f.deps, operationIn(f.ops, "C0INC", ["approved"]))).rejects.toBe(
      throttled,
    );
  });

  it("a refusal lost to another writer returns what is stored, or the copy in hand when it is gone", async () => {
    for (const gone of [false, true]) {
      const f = workerFakes();
      postFails(f, "channel_not_found", "permanent");
      const op = operationIn(f.ops, "C0INC", ["approved"], { responseUrl: url });
      const save = f.deps.store.save;
      f.deps.store = {
        ...f.deps.store,
        save: async (prev, next) => {
          if (!next.slackRefused) return save(prev, next);
          const stored = f.ops.get(op.id) as Operation;
          if (gone) f.ops.delete(op.id);
          else f.ops.set(op.id, { ...stored, rev: stored.rev + 1, reason: "theirs" });
          return undefined;
        },
      };
      const result = await announce(f.deps, op);
      if (gone) expect(result).toMatchObject({ id: op.id, noticeLeaseUntil: expect.any(Number) });
      else expect(result.reason).toBe("theirs");
      expect(f.slack.filter((m) => m.method === "respond")).toEqual([]);
    }
  });

  it("a refusal whose last write is lost: the lease is not left behind", async () => {
    const f = workerFakes();
    postFails(f, "not_in_channel", "permanent");
    const op = operationIn(f.ops, "C0INC", ["approved"], { responseUrl: url });
    const save = f.deps.store.save;
    f.deps.store = {
      ...f.deps.store,
      save: async (prev, next) => (next.noticedSeq === next.seq ? undefined : save(prev, next)),
    };
    await announce(f.deps, op);
    expect(f.ops.get(op.id)?.slackRefused?.code).toBe("not_in_channel");
    expect(f.ops.get(op.id)?.noticeLeaseUntil).toBeUndefined();
  });

  it("an end that cannot be told (no response_url): not marked told", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", ["approved", "failed"], {
      slackRefused: { code: "not_in_channel", method: "chat.postMessage", at: NOW.toISOString() },
    });
    const result = await announce(f.deps, op);
    expect(result.toldOutcome).toBeUndefined();
    expect(result.noticedSeq).toBe(op.seq);
  });

  it("a channel that refused bm: the follow-up lets go of an ended operation only once its outbox is empty", async () => {
    const refusedAt = { code: "not_in_channel", method: "chat.postMessage", at: NOW.toISOString() };
    const cases: Array<
      [string, "notice" | "detaching", "empty" | "none" | "waiting", string | undefined]
    > = [
      ["ended, outbox empty", "notice", "empty", undefined],
      ["ended, no outbox at all", "notice", "none", undefined],
      ["ended, an event waiting", "notice", "waiting", "notice"],
      ["not ended", "detaching", "empty", "detaching"],
    ];
    for (const [name, inflight, outbox, after] of cases) {
      const f = workerFakes();
      const base = operationIn(f.ops, "C0INC", ["approved", "failed"]);
      const op: Operation = { ...base, responseUrl: url, slackRefused: refusedAt, inflight };
      if (outbox === "none") delete op.unaudited;
      if (outbox === "waiting") op.unaudited = [base.lastEvent];
      f.ops.set(op.id, op);
      // Appending fails, so what waits keeps waiting.
      const deps = { ...f.deps, audit: { append: async () => Promise.reject(new Error("x")) } };
      expect((await announce(deps, op)).inflight, name).toBe(after);
    }
  });
});
