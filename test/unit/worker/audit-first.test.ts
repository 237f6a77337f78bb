import { describe, expect, it } from "vitest";
import { describeError, isPassing } from "../../../lib/errors";
import type { AuditEvent, Operation } from "../../../lib/operations/operation";
import {
  AUDIT_NOT_WRITTEN,
  AuditNotWritten,
  unauditedThrough,
} from "../../../lib/worker/audit-first";
import { processMessage } from "../../../lib/worker/process-message";
import { RetryLater } from "../../../lib/worker/retry-later";
import { NOW, operationIn, SERVER, workerFakes } from "../fakes";

type Fakes = ReturnType<typeof workerFakes>;
const run = (f: Fakes, op: Operation, kind: "prepare" | "execute", receive = 1) =>
  processMessage(f.deps, { kind, operationId: op.id }, receive);
const posts = (f: Fakes) => f.calls.filter((c) => c.startsWith("detach"));
const event = (seq: number): AuditEvent => ({
  operationId: "op-1",
  seq,
  at: NOW.toISOString(),
  action: "x",
  actor: { teamId: "T1", userId: "bm" },
  facts: {},
});

/** The audit table refuses the events `refuses` picks (all of them unless told). */
function auditRefusing(f: Fakes, refuses: (e: AuditEvent) => boolean = () => true): AuditEvent[] {
  const refused: AuditEvent[] = [];
  const append = f.deps.audit.append;
  f.deps.audit = {
    append: async (e) => {
      if (!refuses(e)) return append(e);
      refused.push(e);
      throw Object.assign(new Error("denied"), { name: "AccessDeniedException" });
    },
  };
  return refused;
}

describe("AuditNotWritten", () => {
  it("is passing, written for users, and says that nothing was sent", () => {
    const error = new AuditNotWritten({ cause: new Error("denied") });
    expect(error.name).toBe("AuditNotWritten");
    expect(isPassing(error)).toBe(true);
    expect(describeError(error)).toBe(
      "bm could not write the audit trail, so it did not send the detach; nothing was sent to ECL",
    );
    expect(AUDIT_NOT_WRITTEN).toBe(error.message);
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe("unauditedThrough", () => {
  it.each([
    [[], 3, []],
    [[2, 3], 3, [2, 3]],
    [[2, 3, 4], 3, [2, 3]],
    [[4, 5], 3, []],
    [[3], 3, [3]],
  ])("outbox %j, through %i: %j", (seqs, through, expected) => {
    const op = { unaudited: seqs.map(event) };
    expect(unauditedThrough(op, through).map((e) => e.seq)).toEqual(expected);
  });

  it("an operation without an outbox has nothing waiting", () => {
    expect(unauditedThrough({}, 9)).toEqual([]);
  });
});

describe("the worker sends no detach while its authorisation is only in the outbox", () => {
  it("a break-glass request, the audit table down: approved, nothing sent, tried again", async () => {
    const f = workerFakes();
    const refused = auditRefusing(f);
    const op = operationIn(f.ops, "C0INC");
    const error = await run(f, op, "prepare").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).message).toBe(AUDIT_NOT_WRITTEN);
    expect((error as RetryLater).cause).toBeInstanceOf(AuditNotWritten);
    expect(posts(f)).toEqual([]);
    expect(f.ops.get(op.id)).toMatchObject({ state: "approved" });
    expect(f.ops.get(op.id)?.unaudited?.map((e) => e.action)).toEqual(["approved"]);
    // Tried once when approved, and again right before the POST.
    expect(refused.map((e) => e.action)).toEqual(["approved", "approved"]);
  });

  it("an event still waiting in the outbox is appended first, then the detach goes", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", ["approved"], {
      serverId: SERVER,
      serverName: "web01",
    });
    const waiting = { ...op, unaudited: [op.lastEvent] };
    f.ops.set(op.id, waiting);
    await run(f, waiting, "execute");
    expect(posts(f)).toHaveLength(1);
    expect(f.events.map((e) => e.action)).toEqual(["approved", "executing", "detaching"]);
  });

  it("an operation with no outbox at all (written before outboxes): the detach goes", async () => {
    const f = workerFakes();
    const listed = operationIn(f.ops, "C0INC", ["approved"], {
      serverId: SERVER,
      serverName: "web01",
    });
    const { unaudited: _, ...op } = listed;
    f.ops.set(op.id, op);
    await run(f, op, "execute");
    expect(posts(f)).toHaveLength(1);
    expect(f.ops.get(op.id)?.state).toBe("detaching");
  });

  it("the table down at the last try: failed, said plainly, nothing sent", async () => {
    const f = workerFakes();
    auditRefusing(f);
    const listed = operationIn(f.ops, "C0INC", ["approved"], {
      serverId: SERVER,
      serverName: "web01",
      parentTs: "1700000000.000001",
    });
    const op = { ...listed, unaudited: [listed.lastEvent] };
    f.ops.set(op.id, op);
    await run(f, op, "execute", 5);
    expect(posts(f)).toEqual([]);
    const failed = f.ops.get(op.id);
    expect(failed).toMatchObject({
      state: "failed",
      outcome:
        "bm could not write the audit trail, so it did not send the detach; nothing was sent to ECL.",
    });
    expect(failed?.lastEvent.facts).toMatchObject({ receiveCount: 5 });
    expect(failed?.unaudited?.map((e) => e.action)).toEqual(["approved", "failed"]);
    expect(f.slack.filter((m) => m.threadTs).at(-1)?.text).toBe(
      ":x: <@U0REQ> the detach failed: bm could not write the audit trail, so it did not send the detach; nothing was sent to ECL.",
    );
  });

  it("executing's own event refused (the table failed between two writes): back to waiting, nothing sent, tried again", async () => {
    const f = workerFakes();
    const refused = auditRefusing(f, (e) => e.action === "executing");
    const op = operationIn(f.ops, "C0INC", ["approved"], {
      serverId: SERVER,
      serverName: "web01",
      parentTs: "1700000000.000001",
    });
    const error = await run(f, op, "execute").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).cause).toBeInstanceOf(AuditNotWritten);
    expect(posts(f)).toEqual([]);
    // Appended once with the move, and once more with the move back.
    expect(refused.map((e) => e.action)).toEqual(["executing", "executing"]);
    const back = f.ops.get(op.id);
    expect(back).toMatchObject({ state: "waiting_for_idle", waitingSince: NOW.toISOString() });
    expect(back?.lastEvent).toMatchObject({
      from: "executing",
      to: "waiting_for_idle",
      facts: { auditNotWritten: true },
    });
    expect(back?.unaudited?.map((e) => e.action)).toEqual(["executing", "waiting_for_idle"]);
    expect(f.slack.filter((m) => m.threadTs).at(-1)?.text).toBe(
      ":hourglass_flowing_sand: bm could not write the audit trail, so it has not sent the detach; it tries again shortly.",
    );

    // The table back: the next try appends both, then sends the detach once.
    f.deps.audit = { append: async (e) => void f.events.push(e) };
    await run(f, back as Operation, "execute", 2);
    expect(posts(f)).toHaveLength(1);
    expect(f.events.map((e) => e.action)).toEqual([
      "executing",
      "waiting_for_idle",
      "executing",
      "detaching",
    ]);
  });

  it("executing's event refused while already waiting: its wait keeps its start", async () => {
    const f = workerFakes();
    auditRefusing(f, (e) => e.action === "executing");
    const since = new Date(NOW.getTime() - 20_000).toISOString();
    const op = operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
      serverId: SERVER,
      serverName: "web01",
      waitingSince: since,
    });
    await expect(run(f, op, "execute")).rejects.toBeInstanceOf(RetryLater);
    expect(f.ops.get(op.id)).toMatchObject({ state: "waiting_for_idle", waitingSince: since });
    expect(posts(f)).toEqual([]);
  });

  it("executing's own event refused at the last try: failed, said plainly, nothing sent", async () => {
    const f = workerFakes();
    auditRefusing(f, (e) => e.action !== "approved");
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: SERVER, serverName: "web01" });
    await run(f, op, "execute", 5);
    expect(posts(f)).toEqual([]);
    expect(f.ops.get(op.id)).toMatchObject({ state: "failed", outcome: `${AUDIT_NOT_WRITTEN}.` });
    expect(f.ops.get(op.id)?.unaudited?.map((e) => e.action)).toEqual([
      "executing",
      "waiting_for_idle",
      "failed",
    ]);
  });
});
