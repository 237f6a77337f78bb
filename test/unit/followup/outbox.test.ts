import { describe, expect, it } from "vitest";
import { round } from "../../../lib/followup/follow-up";
import { isStale, outboxAgeMs, watchOutboxes } from "../../../lib/followup/outbox";
import type { Metrics } from "../../../lib/metrics";
import type { AuditEvent, Operation } from "../../../lib/operations/operation";
import { NOW, operationIn, workerFakes } from "../fakes";

type Fakes = ReturnType<typeof workerFakes>;
const at = (agoS: number) => new Date(NOW.getTime() - agoS * 1000).toISOString();
const event = (seq: number, agoS: number): AuditEvent => ({
  operationId: "op-1",
  seq,
  at: at(agoS),
  action: "x",
  actor: { teamId: "T1", userId: "bm" },
  facts: {},
});

/** Metrics that record what is put, in `f.deps`. */
function recording(f: Fakes): Array<[string, number]> {
  const puts: Array<[string, number]> = [];
  const metrics: Metrics = { put: (name, value) => void puts.push([name, value]), flush() {} };
  f.deps.metrics = metrics;
  return puts;
}

/** An operation (awaiting approval unless told) whose outbox holds events written `agesS` ago. */
function waiting(f: Fakes, ...agesS: number[]): Operation {
  return withOutbox(f, ["awaiting_approval"], agesS);
}

function withOutbox(f: Fakes, states: Operation["state"][], agesS: number[]): Operation {
  const op = operationIn(f.ops, "C0CHG", states);
  const events = agesS.map((age, i) => ({ ...event(i + 1, age), operationId: op.id }));
  const withOutbox = { ...op, unaudited: events };
  f.ops.set(op.id, withOutbox);
  return withOutbox;
}

/** The audit table refuses every append. */
function auditDown(f: Fakes): void {
  f.deps.audit = {
    append: async () => {
      throw Object.assign(new Error("denied"), { name: "AccessDeniedException" });
    },
  };
}

describe("the age of an outbox", () => {
  it.each([
    [[], undefined],
    [[10], 10_000],
    [[10, 400, 20], 400_000],
  ])("events written %j s ago: %s ms", (ages, expected) => {
    expect(outboxAgeMs({ unaudited: ages.map((a, i) => event(i, a)) }, NOW.getTime())).toBe(
      expected,
    );
  });

  it("no outbox at all: no age", () => {
    expect(outboxAgeMs({}, NOW.getTime())).toBeUndefined();
  });

  it.each([
    [[], false],
    [[299], false],
    [[300], false],
    [[300.001], true],
    [[10, 301], true],
  ])("events written %j s ago, a grace of 300 s: stale %s", (ages, expected) => {
    const op = { unaudited: ages.map((a, i) => event(i, a)) };
    expect(isStale(op, NOW.getTime(), 300)).toBe(expected);
  });
});

describe("the outboxes watched by each round", () => {
  it("the table down: each outbox past the grace is tried, counted and named; the others left alone", async () => {
    const f = workerFakes();
    auditDown(f);
    const puts = recording(f);
    const old = waiting(f, 400, 10);
    const older = waiting(f, 301);
    const fresh = waiting(f, 299);
    const none = operationIn(f.ops, "C0CHG", ["awaiting_approval"]);
    const { ops, stale } = await watchOutboxes(f.deps, [old, fresh, older, none]);
    expect(stale).toBe(2);
    expect(ops).toEqual([old, fresh, older, none]);
    expect(puts).toEqual([
      ["AuditWriteError", 1],
      ["AuditWriteError", 1],
      ["AuditOutboxStale", 2],
    ]);
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "audit events have waited in the outbox past the grace; appended later",
      extra: { operations: [old.id, older.id], stale: 2, graceS: 300 },
    });
  });

  it("names the first 20 of many, and counts them all", async () => {
    const f = workerFakes();
    auditDown(f);
    const puts = recording(f);
    const many = Array.from({ length: 21 }, () => waiting(f, 400));
    expect((await watchOutboxes(f.deps, many)).stale).toBe(21);
    expect(puts.at(-1)).toEqual(["AuditOutboxStale", 21]);
    expect(f.logs.at(-1)?.extra).toEqual({
      operations: many.slice(0, 20).map((op) => op.id),
      stale: 21,
      graceS: 300,
    });
  });

  it("the table up: the stale outboxes are appended and cleared, and none is counted", async () => {
    const f = workerFakes();
    const puts = recording(f);
    const old = waiting(f, 400, 350);
    const fresh = waiting(f, 10);
    const { ops, stale } = await watchOutboxes(f.deps, [old, fresh]);
    expect(stale).toBe(0);
    expect(puts).toEqual([["AuditOutboxStale", 0]]);
    expect(ops[0]?.unaudited).toEqual([]);
    expect(f.ops.get(old.id)?.unaudited).toEqual([]);
    expect(f.events.map((e) => [e.operationId, e.seq])).toEqual([
      [old.id, 1],
      [old.id, 2],
    ]);
    // A fresh one is its writer's to append: left as it was.
    expect(ops[1]).toBe(fresh);
    expect(f.logs).toEqual([]);
  });

  it("appended in part: what still waits past the grace is counted, what waits within it is not", async () => {
    const f = workerFakes();
    recording(f);
    let appends = 0;
    f.deps.audit = {
      append: async () => {
        if (appends++ > 0) throw new Error("throttled");
      },
    };
    // First event appended; the second (older than the grace) not.
    const partly = waiting(f, 500, 400);
    // First event appended; the second (within the grace) not.
    const fine = waiting(f, 500, 10);
    appends = 0;
    expect((await watchOutboxes(f.deps, [partly])).stale).toBe(1);
    appends = 0;
    expect((await watchOutboxes(f.deps, [fine])).stale).toBe(0);
  });

  it("a round puts AuditOutboxStale every time, 0 when nothing is in flight", async () => {
    const f = workerFakes();
    const puts = recording(f);
    await round(f.deps);
    await round(f.deps);
    expect(puts).toEqual([
      ["AuditOutboxStale", 0],
      ["AuditOutboxStale", 0],
    ]);
  });

  it("a round whose scan of the index fails puts nothing: nothing is known", async () => {
    const f = workerFakes();
    const puts = recording(f);
    f.deps.store = {
      ...f.deps.store,
      listInFlight: async () => {
        throw new Error("throttled");
      },
    };
    await round(f.deps);
    expect(puts).toEqual([]);
  });

  it("a round hands on what it appended: the rest of the round sees the outbox cleared", async () => {
    const f = workerFakes();
    recording(f);
    // Ended, its message owed: the round's notices flush it too, but from the watch's copy.
    const op = withOutbox(f, ["noop"], [400]);
    let appends = 0;
    f.deps.audit = { append: async () => void appends++ };
    await round(f.deps);
    expect(appends).toBe(1);
    expect(f.ops.get(op.id)?.unaudited).toEqual([]);
  });
});
