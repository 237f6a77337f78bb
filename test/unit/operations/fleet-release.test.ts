import { describe, expect, it } from "vitest";
import { handOver } from "../../../lib/followup/hand-over";
import { releaseTargets } from "../../../lib/operations/fleet-release";
import type { Operation } from "../../../lib/operations/operation";
import { operationIn, workerFakes } from "../fakes";

/** A fleet request of three targets, under way, saved in the fakes' store. */
function underWay(f: ReturnType<typeof workerFakes>, changes: Partial<Operation> = {}): Operation {
  return operationIn(f.ops, "C0INC", ["approved"], {
    state: "detaching",
    serverRef: "all",
    fleet: {
      targets: [1, 2, 3].map((i) => ({
        serverId: `s${i}`,
        serverName: `web0${i}`,
        opId: `op-t${i}`,
      })),
    },
    tally: {},
    ...changes,
  });
}

describe("releaseTargets", () => {
  it("makes each target born approved, queues its execute and tallies it, up to the count", async () => {
    const f = workerFakes();
    const fleet = underWay(f);
    expect(await releaseTargets(f.deps, fleet, 2)).toBe(2);
    expect(f.sent.map((s) => s.message)).toEqual([
      { kind: "execute", operationId: "op-t1" },
      { kind: "execute", operationId: "op-t2" },
    ]);
    expect(f.ops.get(fleet.id)?.tally).toEqual({ "op-t1": "approved", "op-t2": "approved" });
    expect(f.ops.get("op-t1")?.state).toBe("approved");
    expect(f.ops.get("op-t3")).toBeUndefined();
    // Both events of each target appended, none left in its outbox.
    expect(f.events.filter((e) => e.operationId === "op-t1").map((e) => e.action)).toEqual([
      "requested",
      "approved",
    ]);
    expect(f.ops.get("op-t1")?.unaudited).toEqual([]);
  });

  it("releases nothing once the rest was cancelled, or with no room", async () => {
    const f = workerFakes();
    const fleet = underWay(f, {
      fleet: {
        targets: [{ serverId: "s1", serverName: "web01", opId: "op-t1" }],
        cancelRest: { by: "U0REQ", at: "2026-11-27T10:00:00.000Z" },
      },
    });
    expect(await releaseTargets(f.deps, fleet, 5)).toBe(0);
    const other = underWay(f);
    expect(await releaseTargets(f.deps, other, 0)).toBe(0);
    expect(await releaseTargets(f.deps, other, -1)).toBe(0);
    const single = operationIn(f.ops, "C0INC", ["approved"]);
    expect(await releaseTargets(f.deps, single, 3)).toBe(0);
    expect(f.sent).toEqual([]);
  });

  it("dies after making a target and before its execute: the hand-over sends it; a repeated release only tallies", async () => {
    // Prepare: the queue fails the send (as if the release died right there).
    const f = workerFakes({}, {});
    const fleet = underWay(f);
    const failing = {
      ...f.deps,
      queue: { send: async () => Promise.reject(new Error("SQS down")) },
    };
    expect(await releaseTargets(failing, fleet, 1)).toBe(1);
    expect(f.sent).toEqual([]);
    expect(f.logs.find((l) => l.level === "warn")).toEqual({
      level: "warn",
      message: "could not queue a fleet target; the follow-up hands it over",
      extra: { operationId: "op-t1", fleet: fleet.id, error: "Error" },
    });
    const target = f.ops.get("op-t1") as Operation;
    expect([target.state, target.inflight]).toEqual(["approved", "approved"]);

    // A repeated release (the fleet's tally lost, say) finds the target and sends nothing.
    const again = { ...(f.ops.get(fleet.id) as Operation), tally: {} };
    f.ops.set(fleet.id, again);
    expect(await releaseTargets(f.deps, again, 1)).toBe(1);
    expect(f.sent).toEqual([]);
    expect(f.ops.get(fleet.id)?.tally).toEqual({ "op-t1": "approved" });

    // Act: the follow-up's hand-over, past its grace.
    f.clock.now += 61_000;
    await handOver(f.deps, (kind) =>
      [...f.ops.values()].filter((op) => op.inflight === kind && op.id === "op-t1"),
    );

    // Assess
    expect(f.sent.map((s) => s.message)).toEqual([{ kind: "execute", operationId: "op-t1" }]);
  });
});
