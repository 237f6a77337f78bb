import { describe, expect, it } from "vitest";
import { eventHash } from "../../../lib/audit/chain";
import {
  BM_USER,
  bmActor,
  canMove,
  expire,
  hasExpired,
  IllegalTransition,
  isOperationId,
  isTerminal,
  type Operation,
  operationIdFor,
  record,
  requestExpiry,
  STATES,
  type State,
  transition,
} from "../../../lib/operations/operation";
import { without } from "../../../lib/operations/record";
import { AT, sampleOperation } from "./sample-operation";

const fresh = (changes: Partial<Operation> = {}) => sampleOperation(changes);
const bm = { teamId: "T1", userId: "bm" };

describe("the state machine", () => {
  it.each([
    ["requested", "approved", true],
    ["requested", "awaiting_approval", true],
    ["requested", "executing", false],
    ["approved", "executing", true],
    ["approved", "detaching", false],
    ["waiting_for_idle", "executing", true],
    ["executing", "detaching", true],
    ["executing", "executing", false],
    ["executing", "approved", false],
    ["executing", "waiting_for_idle", true],
    ["executing", "timed_out", true],
    ["executing", "noop", false],
    ["detaching", "done", true],
    ["detaching", "failed", true],
    ["detaching", "waiting_for_idle", false],
    ["done", "failed", false],
    ["failed", "done", false],
  ] as Array<[State, State, boolean]>)("%s → %s: %s", (from, to, allowed) => {
    expect(canMove(from, to)).toBe(allowed);
  });

  it("allows exactly the moves of its table, and none out of a final state but a re-check's", () => {
    const states = STATES;
    // The whole table, written out: a move added or taken away anywhere fails here.
    const allowed: Record<State, State[]> = {
      requested: ["awaiting_approval", "approved", "noop", "failed", "cancelled"],
      awaiting_approval: ["approved", "rejected", "expired", "cancelled", "noop", "failed"],
      approved: ["waiting_for_idle", "executing", "noop", "failed", "cancelled"],
      waiting_for_idle: ["executing", "noop", "failed", "cancelled"],
      executing: ["detaching", "failed", "waiting_for_idle", "timed_out"],
      detaching: ["done", "timed_out", "failed"],
      done: [],
      noop: [],
      failed: [],
      timed_out: ["done"],
      rejected: [],
      expired: [],
      cancelled: [],
    };
    for (const from of states)
      expect(states.filter((to) => canMove(from, to)).sort(), from).toEqual(
        [...allowed[from]].sort(),
      );
    expect(states.filter(isTerminal)).toEqual([
      "done",
      "noop",
      "failed",
      "timed_out",
      "rejected",
      "expired",
      "cancelled",
    ]);
  });

  it("a finished operation may be deleted 400 days after it ended, in epoch seconds", () => {
    const approved = transition(fresh(), "approved", bm, AT);
    const failed = transition(approved, "failed", bm, new Date(AT.getTime() + 1500));
    expect(failed.expiresAt).toBe(Math.floor(AT.getTime() / 1000) + 1 + 400 * 24 * 3600);
    expect(approved.expiresAt).toBeUndefined();
  });

  it("a new operation is requested, with its first audit event", () => {
    const op = fresh();
    expect(op).toMatchObject({ state: "requested", seq: 1, rev: 0, createdAt: AT.toISOString() });
    expect(op.lastEvent).toEqual({
      operationId: "op-0123456789",
      seq: 1,
      at: AT.toISOString(),
      action: "requested",
      to: "requested",
      actor: { teamId: "T1", userId: "U1" },
      facts: {
        server: "web01",
        image: "3339fd5f-ec06-4ef8-9337-c1c70218a748",
        channel: "C1",
        tenant: "prod",
        reason: "INC-1",
      },
      // The first of its chain: hashed, chained to nothing.
      hash: eventHash(without(op.lastEvent, "hash")),
    });
    expect(op.lastEvent.prev).toBeUndefined();
  });

  it("a transition names the state it leaves, counts the event, and keeps the changes", () => {
    const later = new Date(AT.getTime() + 1000);
    const op = transition(
      fresh(),
      "approved",
      bm,
      later,
      { serverId: "s1" },
      { approvals: "none needed" },
    );
    expect(op).toMatchObject({
      state: "approved",
      seq: 2,
      serverId: "s1",
      updatedAt: later.toISOString(),
    });
    expect(op.lastEvent).toMatchObject({
      seq: 2,
      from: "requested",
      to: "approved",
      action: "approved",
      actor: bm,
      facts: { approvals: "none needed" },
    });
    expect(op.inflight).toBe("approved");
    expect(op.finishedAt).toBeUndefined();
    // Watched: should the worker give up on it, the follow-up hands it over to be decided.
    expect(transition(op, "executing", bm, later).inflight).toBe("executing");
  });

  it("puts detaching operations, and finished ones owing a message, in the follow-up's index", () => {
    const approved = transition(fresh(), "approved", bm, AT);
    const detaching = transition(transition(approved, "executing", bm, AT), "detaching", bm, AT);
    expect(detaching.inflight).toBe("detaching");
    const done = transition(detaching, "done", bm, AT);
    expect(done).toMatchObject({ inflight: "notice", finishedAt: AT.toISOString() });
    expect(done.expiresAt).toBeGreaterThan(AT.getTime() / 1000 + 300 * 24 * 3600);
  });

  it("refuses a transition the machine does not allow", () => {
    expect(() => transition(fresh(), "detaching", bm, AT)).toThrow(IllegalTransition);
  });
});

describe("operationIdFor", () => {
  it("is the same for the same delivery, and different for another", () => {
    const id = operationIdFor("T1", "111.222.abc");
    expect(id).toBe(operationIdFor("T1", "111.222.abc"));
    expect(id).not.toBe(operationIdFor("T1", "111.222.abd"));
    expect(id).not.toBe(operationIdFor("T2", "111.222.abc"));
    expect(isOperationId(id)).toBe(true);
    expect(isOperationId("op-ABC")).toBe(false);
  });
});

describe("transitions, to the letter", () => {
  it("a move the machine forbids is an IllegalTransition that says which", () => {
    const done = transition(
      transition(transition(sampleOperation(), "approved", bm, AT), "executing", bm, AT),
      "failed",
      bm,
      AT,
    );
    let thrown: unknown;
    try {
      transition(done, "approved", bm, AT);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(IllegalTransition);
    expect(thrown).toMatchObject({
      name: "IllegalTransition",
      message: `${done.id}: failed → approved is not allowed`,
    });
  });

  it("an operation without an outbox starts one with the event, moved or recorded", () => {
    const op = sampleOperation();
    delete op.unaudited;
    const moved = transition(op, "approved", bm, AT);
    expect(moved.unaudited).toEqual([moved.lastEvent]);
    const noted = record(op, "approval", bm, AT);
    expect(noted.unaudited).toEqual([noted.lastEvent]);
  });

  it("watched by the follow-up in every state short of an end, and at an end until told", () => {
    const op = sampleOperation();
    const approved = transition(op, "approved", bm, AT);
    expect(approved.inflight).toBe("approved");
    expect(transition(approved, "waiting_for_idle", bm, AT).inflight).toBe("waiting_for_idle");
    const executing = transition(approved, "executing", bm, AT);
    expect(executing.inflight).toBe("executing");
    expect(transition(executing, "detaching", bm, AT).inflight).toBe("detaching");
    expect(transition(op, "awaiting_approval", bm, AT).inflight).toBe("awaiting_approval");
    expect(transition(op, "noop", bm, AT).inflight).toBe("notice");
  });
});

describe("bm itself, and a request's expiry", () => {
  it("is the actor of the moves nobody made, in the operation's team", () => {
    expect(bmActor(fresh())).toEqual({ teamId: "T1", userId: "bm" });
    expect(BM_USER).toBe("bm");
  });

  it("expires a request its TTL after its card went up", () => {
    expect(requestExpiry(fresh({ requestTtlMinutes: 45 }), AT)).toBe("2026-11-26T10:45:00.000Z");
  });

  it.each([
    [undefined, "2026-11-26T11:00:00.000Z", false],
    ["2026-11-26T10:30:00.000Z", "2026-11-26T10:29:59.999Z", false],
    ["2026-11-26T10:30:00.000Z", "2026-11-26T10:30:00.000Z", true],
    ["2026-11-26T10:30:00.000Z", "2026-11-27T00:00:00.000Z", true],
  ])("a request expiring at %s has expired at %s: %s", (expiresAt, now, expired) => {
    const op = fresh(expiresAt ? { requestExpiresAt: expiresAt } : {});
    expect(hasExpired(op, new Date(now))).toBe(expired);
  });

  it("moves an expired request to expired, by bm, with its TTL in the trail", () => {
    const waiting = transition(fresh({ requestTtlMinutes: 20 }), "awaiting_approval", bm, AT);
    const later = new Date(AT.getTime() + 20 * 60_000);
    const expired = expire(waiting, later);
    expect(expired.state).toBe("expired");
    expect(expired.lastEvent).toEqual({
      operationId: "op-0123456789",
      seq: 3,
      at: later.toISOString(),
      action: "expired",
      from: "awaiting_approval",
      to: "expired",
      actor: bm,
      facts: { ttlMinutes: 20 },
      prev: waiting.lastEvent.hash,
      hash: eventHash(without(expired.lastEvent, "hash")),
    });
  });
});
