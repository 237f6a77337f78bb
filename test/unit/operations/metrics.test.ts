import { describe, expect, it } from "vitest";
import type { MetricName, Metrics } from "../../../lib/metrics";
import { type Operation, record, transition } from "../../../lib/operations/operation";
import { commit } from "../../../lib/operations/record";
import { memoryStore } from "../memory-store";
import { AT, sampleOperation } from "./sample-operation";

/** What commit measures: each transition once, by the writer that saved it; nothing else. */
function setup(op: Operation, appendFails = false) {
  const put: Array<[MetricName, number, string | undefined]> = [];
  const metrics: Metrics = { put: (n, v, d) => void put.push([n, v, d]), flush: () => {} };
  const store = memoryStore(new Map([[op.id, op]]));
  const audit = {
    append: async () => {
      if (appendFails) throw new Error("throttled");
    },
  };
  const warned: string[] = [];
  const log = { warn: (message: string) => void warned.push(message) };
  return { put, warned, deps: { store, audit, metrics, log } };
}
const bm = { teamId: "T1", userId: "bm" };
const later = (s: number) => new Date(AT.getTime() + s * 1000);

describe("metrics of transitions", () => {
  it("done: OperationFinished(done) and DetachSeconds from ECL's acceptance", async () => {
    const detaching = {
      ...sampleOperation({ state: "detaching" }),
      detachStartedAt: later(10).toISOString(),
    };
    const { put, deps } = setup(detaching);
    await commit(deps, detaching, transition(detaching, "done", bm, later(52)));
    expect(put).toEqual([
      ["OperationFinished", 1, "done"],
      ["DetachSeconds", 42, undefined],
    ]);
  });

  it("approved with approvals: ApprovalWaitSeconds from the request", async () => {
    const waiting = sampleOperation({ state: "awaiting_approval", approvalsRequired: 1 });
    const { put, deps } = setup(waiting);
    await commit(
      deps,
      waiting,
      transition(waiting, "approved", { teamId: "T1", userId: "U2" }, later(90)),
    );
    expect(put).toEqual([["ApprovalWaitSeconds", 90, undefined]]);
  });

  it("an event that changes no state (a re-check of a timed-out detach) counts nothing", async () => {
    const timedOut = sampleOperation({ state: "timed_out" });
    const { put, deps } = setup(timedOut);
    await commit(
      deps,
      timedOut,
      record(timedOut, "recheck", { teamId: "T1", userId: "U3" }, later(5)),
    );
    expect(put).toEqual([]);
  });

  it("a lost race counts nothing; an audit append that fails counts AuditWriteError", async () => {
    const op = sampleOperation({ state: "approved" });
    const { put, warned, deps } = setup(op, true);
    // Read before another writer's event: that writer decided, this one loses.
    const stale = { ...op, rev: op.rev - 1, seq: op.seq - 1 };
    expect(await commit(deps, stale, transition(stale, "failed", bm, later(1)))).toBeUndefined();
    expect(put).toEqual([]);
    await commit(deps, op, transition(op, "failed", bm, later(2)));
    expect(put).toEqual([
      ["OperationFinished", 1, "failed"],
      ["AuditWriteError", 1, undefined],
    ]);
    expect(warned).toEqual(["audit append failed; the event waits in the outbox"]);
  });
});
