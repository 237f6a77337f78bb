import { describe, expect, it } from "vitest";
import { resendAfterMs, wakeReason, wakeWaiting } from "../../../lib/followup/wake";
import type { Operation } from "../../../lib/operations/operation";
import { eclServer, NOW, operationIn, SERVER, workerFakes } from "../fakes";

type Fakes = ReturnType<typeof workerFakes>;
const at = (agoMs: number) => new Date(NOW.getTime() - agoMs).toISOString();

/** A detach waiting for its server since `agoMs` ago (the fakes wait up to 60 s, poll 5 s). */
function waiting(f: Fakes, agoMs = 10_000, changes: Partial<Operation> = {}) {
  return operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
    serverId: SERVER,
    serverName: "web01",
    waitingSince: at(agoMs),
    noticedSeq: 3,
    ...changes,
  });
}

describe("wakeReason", () => {
  const deps = { pollIntervalMs: 5000, idleWaitS: 60 };
  const now = NOW.getTime();
  const op = (changes: Partial<Operation>) =>
    ({ updatedAt: at(1000), waitingSince: at(1000), ...changes }) as Operation;
  const idle = eclServer();
  const busy = eclServer({ taskState: "REBOOTING" });

  it("hands back after twice the poll, and never sooner than 2 s", () => {
    expect(resendAfterMs({ pollIntervalMs: 5000 })).toBe(10_000);
    expect(resendAfterMs({ pollIntervalMs: 500 })).toBe(2000);
    expect(resendAfterMs({ pollIntervalMs: 1001 })).toBe(2002);
  });

  it.each([
    ["an idle server", {}, idle, "idle"],
    ["a busy server", {}, busy, undefined],
    ["a server not read", {}, undefined, undefined],
    ["an idle server handed back 9.999 s ago", { resentAt: at(9999) }, idle, undefined],
    ["an idle server handed back 10 s ago", { resentAt: at(10_000) }, idle, "idle"],
    ["an idle server before its Retry-After", { retryNotBefore: at(-1) }, idle, undefined],
    ["an idle server at its Retry-After", { retryNotBefore: at(0) }, idle, "idle"],
    ["a busy server whose wait is over", { waitingSince: at(60_000) }, busy, "wait over"],
    ["a server not read whose wait is over", { waitingSince: at(60_000) }, undefined, "wait over"],
    ["a wait not yet over", { waitingSince: at(59_999) }, busy, undefined],
    [
      "a wait over, past a Retry-After still running",
      { waitingSince: at(60_000), retryNotBefore: at(-5000) },
      busy,
      "wait over",
    ],
    [
      "no waitingSince: the wait counts from the last write",
      { waitingSince: undefined, updatedAt: at(60_000) },
      busy,
      "wait over",
    ],
    [
      "a wait over, handed back just now",
      { waitingSince: at(70_000), resentAt: at(1) },
      busy,
      undefined,
    ],
  ] as const)("%s: %s", (_, changes, server, reason) => {
    expect(wakeReason(deps, op(changes as Partial<Operation>), server, now)).toBe(reason);
  });
});

describe("wakeWaiting", () => {
  const idle = () => eclServer();
  const busy = () => eclServer({ taskState: "REBOOTING" });

  it("hands an idle server's detach back once, claiming it first", async () => {
    const f = workerFakes();
    const op = waiting(f);
    expect(await wakeWaiting(f.deps, [op], idle)).toBe(1);
    expect(f.sent).toEqual([{ message: { kind: "execute", operationId: op.id } }]);
    expect(f.ops.get(op.id)).toMatchObject({
      state: "waiting_for_idle",
      resentAt: NOW.toISOString(),
    });
    expect(f.logs).toContainEqual({
      level: "info",
      message: "handing a waiting detach back to the worker",
      extra: { operationId: op.id, reason: "idle" },
    });
    // The next round, still idle and not yet taken: not sent again before its resend time.
    expect(await wakeWaiting(f.deps, [f.ops.get(op.id) as Operation], idle)).toBe(0);
    expect(f.sent).toHaveLength(1);
  });

  it("a busy server's detach stays, read again next round", async () => {
    const f = workerFakes();
    const op = waiting(f);
    expect(await wakeWaiting(f.deps, [op], busy)).toBe(0);
    expect(f.sent).toEqual([]);
    expect(f.ops.get(op.id)?.resentAt).toBeUndefined();
  });

  it("a claim another follow-up won: not sent by this one", async () => {
    const f = workerFakes();
    const op = waiting(f);
    f.deps.store = { ...f.deps.store, save: async () => undefined };
    expect(await wakeWaiting(f.deps, [op], idle)).toBe(0);
    expect(f.sent).toEqual([]);
  });

  it("a server not read this round is not handed back until the wait is over", async () => {
    const f = workerFakes();
    const young = waiting(f, 10_000);
    const old = waiting(f, 60_000);
    expect(await wakeWaiting(f.deps, [young, old], () => undefined)).toBe(1);
    expect(f.sent).toEqual([{ message: { kind: "execute", operationId: old.id } }]);
  });

  it("each operation is judged by its own server", async () => {
    const f = workerFakes();
    const a = waiting(f);
    const b = waiting(f);
    const seen: string[] = [];
    const serverOf = (op: Operation) => {
      seen.push(op.id);
      return op.id === b.id ? idle() : busy();
    };
    expect(await wakeWaiting(f.deps, [a, b], serverOf)).toBe(1);
    expect(seen).toEqual([a.id, b.id]);
    expect(f.sent.map((s) => s.message)).toEqual([{ kind: "execute", operationId: b.id }]);
  });

  it("a send that fails is logged and the others go on", async () => {
    const f = workerFakes();
    const first = waiting(f);
    const second = waiting(f);
    let sends = 0;
    f.deps.queue = {
      send: async (message) => {
        sends++;
        if (sends === 1) throw new Error("sqs down");
        f.sent.push({ message, delayS: undefined });
      },
    };
    expect(await wakeWaiting(f.deps, [first, second], idle)).toBe(1);
    expect(f.sent.map((s) => s.message)).toEqual([{ kind: "execute", operationId: second.id }]);
    expect(f.logs).toContainEqual(
      expect.objectContaining({
        level: "warn",
        message: "could not hand a waiting detach back; next round tries again",
        extra: expect.objectContaining({ operationId: first.id }),
      }),
    );
  });
});
