import { describe, expect, it } from "vitest";
import { carryOutFleets, PROGRESS_MS, progressDue } from "../../../lib/followup/fleet-round";
import type { Operation } from "../../../lib/operations/operation";
import { IMAGE, NOW, operationIn, workerFakes } from "../fakes";

const AT = "2026-11-26T10:00:00.000Z";
const at = Date.parse(AT);

describe("progressDue", () => {
  it("a tenth of the targets more ended, rounded up, and the interval passed", () => {
    expect(PROGRESS_MS).toBe(10_000);
    expect(progressDue(undefined, 3, 30, at)).toBe(true);
    expect(progressDue(undefined, 2, 30, at)).toBe(false);
    expect(progressDue(undefined, 1, 5, at)).toBe(true);
    expect(progressDue(undefined, 20, 200, at)).toBe(true);
    expect(progressDue(undefined, 19, 200, at)).toBe(false);
    const shown = { counts: "{}", ended: 3, at: AT };
    expect(progressDue(shown, 6, 30, at + PROGRESS_MS)).toBe(true);
    expect(progressDue(shown, 6, 30, at + PROGRESS_MS - 1)).toBe(false);
    expect(progressDue(shown, 5, 30, at + PROGRESS_MS)).toBe(false);
  });
});

describe("carryOutFleets", () => {
  /** A fleet under way with `n` targets web01…, its card up, saved in the fakes. */
  function underWay(
    f: ReturnType<typeof workerFakes>,
    n: number,
    changes: Partial<Operation> = {},
  ) {
    return operationIn(f.ops, "C0INC", ["approved"], {
      state: "detaching",
      inflight: "detaching",
      serverRef: "all",
      parentTs: "1.000001",
      noticedSeq: 2,
      fleet: {
        targets: Array.from({ length: n }, (_, i) => ({
          serverId: `s${i + 1}`,
          serverName: `web0${i + 1}`,
          opId: `op-t${i + 1}`,
        })),
      },
      tally: {},
      ...changes,
    });
  }
  /** Moves a released target to `state` (as its worker or settle would), tallied. */
  async function endTarget(
    f: ReturnType<typeof workerFakes>,
    id: string,
    state: Operation["state"],
    outcome?: string,
  ) {
    const op = f.ops.get(id) as Operation;
    f.ops.set(id, { ...op, state, inflight: "notice", ...(outcome ? { outcome } : {}) });
    await f.deps.store.setTally(op.parentId as string, id, state);
  }
  const listed = (f: ReturnType<typeof workerFakes>) =>
    [...f.ops.values()].filter((op) => op.inflight !== undefined);

  it("releases up to the tenant's bound, shows progress by tenths, ends with the outcome", async () => {
    const f = workerFakes({}, { fleetInFlight: 2 });
    const fleet = underWay(f, 3);

    // Round 1: two released (the bound), none ended: no progress shown.
    expect(await carryOutFleets(f.deps, listed(f))).toBe(1);
    expect(f.sent.map((s) => (s.message as { operationId: string }).operationId)).toEqual([
      "op-t1",
      "op-t2",
    ]);
    expect(f.slack).toEqual([]);

    // Round 2: one done (a tenth and more of 3): the third released, the card and one notice.
    await endTarget(f, "op-t1", "done");
    expect(await carryOutFleets(f.deps, listed(f))).toBe(1);
    expect(f.sent.map((s) => (s.message as { operationId: string }).operationId)).toEqual([
      "op-t1",
      "op-t2",
      "op-t3",
    ]);
    expect(f.slack.map((m) => [m.method, m.text])).toEqual([
      [
        "update",
        `Detaching: <@U0REQ> asked to detach image ${IMAGE} from every server of tenant \`t\` that has it: no reason given (${fleet.id})`,
      ],
      ["post", ":arrows_counterclockwise: 1 of 3 done, 2 in flight"],
    ]);
    expect(f.ops.get(fleet.id)?.fleetShown).toEqual({
      counts: JSON.stringify({
        done: 1,
        noop: 0,
        inFlight: 2,
        waiting: 0,
        queued: 0,
        failed: 0,
        timedOut: 0,
        cancelled: 0,
      }),
      ended: 1,
      at: NOW.toISOString(),
    });

    // Round 3, at once: another done, but within the interval: nothing shown.
    await endTarget(f, "op-t2", "done");
    expect(await carryOutFleets(f.deps, listed(f))).toBe(1);
    expect(f.slack).toHaveLength(2);

    // Round 4: the last failed: the fleet ends failed, naming it with its own words.
    await endTarget(f, "op-t3", "failed", "ECL answered 404");
    expect(await carryOutFleets(f.deps, listed(f))).toBe(0);
    const ended = f.ops.get(fleet.id) as Operation;
    expect([ended.state, ended.outcome]).toEqual([
      "failed",
      "2 done; 1 failed: `web03` (ECL answered 404)",
    ]);
    expect(ended.lastEvent.facts).toEqual({ done: 2, ended: 3, of: 3 });
    expect(f.slack.at(-1)?.text).toBe(
      ":x: <@U0REQ> finished, not all done: 2 done; 1 failed: `web03` (ECL answered 404).",
    );
  });

  it("counts the tenant's targets in flight of other fleets; a fleet listed but ended is left", async () => {
    const f = workerFakes({}, { fleetInFlight: 2 });
    underWay(f, 1, { tenant: "t", createdAt: "2026-11-27T09:00:00.000Z" });
    operationIn(f.ops, "C0INC", ["approved"], { parentId: "op-other", inflight: "approved" });
    operationIn(f.ops, "C0INC", ["approved"], {
      parentId: "op-other",
      tenant: "elsewhere",
      inflight: "approved",
    });
    // One place left of 2: the fleet's one target goes.
    expect(await carryOutFleets(f.deps, listed(f))).toBe(1);
    expect(f.sent).toHaveLength(1);
    const f2 = workerFakes({}, { fleetInFlight: 1 });
    underWay(f2, 1);
    operationIn(f2.ops, "C0INC", ["approved"], { parentId: "op-other", inflight: "approved" });
    expect(await carryOutFleets(f2.deps, listed(f2))).toBe(1);
    expect(f2.sent).toEqual([]);
    // Ended since it was listed: nothing done with it.
    const f3 = workerFakes();
    const gone = underWay(f3, 1);
    const was = listed(f3);
    f3.ops.set(gone.id, { ...gone, state: "done" });
    expect(await carryOutFleets(f3.deps, was)).toBe(0);
    expect(f3.sent).toEqual([]);
    expect(await carryOutFleets(f3.deps, [])).toBe(0);
  });

  it("cancel the rest: targets not yet sent are cancelled, nothing released, it ends cancelled", async () => {
    const f = workerFakes({}, { fleetInFlight: 1 });
    const fleet = underWay(f, 3);
    await carryOutFleets(f.deps, listed(f));
    const told = f.ops.get(fleet.id) as Operation;
    f.ops.set(fleet.id, {
      ...told,
      fleet: {
        targets: told.fleet?.targets ?? [],
        cancelRest: { by: "U0REQ", at: NOW.toISOString() },
      },
    });
    expect(await carryOutFleets(f.deps, listed(f))).toBe(0);
    expect(f.sent).toHaveLength(1);
    const target = f.ops.get("op-t1") as Operation;
    expect([target.state, target.lastEvent.facts]).toEqual([
      "cancelled",
      { fleet: fleet.id, cancelRest: true },
    ]);
    const ended = f.ops.get(fleet.id) as Operation;
    expect([ended.state, ended.outcome]).toEqual(["cancelled", "3 cancelled"]);
  });

  it("a fleet it cannot read is still under way, logged", async () => {
    const f = workerFakes();
    const fleet = underWay(f, 1);
    const failing = {
      ...f.deps,
      store: { ...f.deps.store, get: async () => Promise.reject(new Error("down")) },
    };
    expect(await carryOutFleets(failing, listed(f))).toBe(1);
    expect(f.logs.at(-1)).toEqual({
      level: "warn",
      message: "could not carry the fleet on; next round tries again",
      extra: {
        operationId: fleet.id,
        error: "internal error (Error); nothing more is shown, to keep secrets out of messages",
      },
    });
  });
});

describe("carryOutFleets, between fleets and when things fail", () => {
  const fleetOf = (
    f: ReturnType<typeof workerFakes>,
    name: string,
    n: number,
    changes: Partial<Operation> = {},
  ) =>
    operationIn(f.ops, "C0INC", ["approved"], {
      state: "detaching",
      inflight: "detaching",
      serverRef: "all",
      parentTs: "1.000001",
      fleet: {
        targets: Array.from({ length: n }, (_, i) => ({
          serverId: `${name}${i}`,
          serverName: `${name}${i}`,
          opId: `op-${name}${i}`,
        })),
      },
      tally: {},
      ...changes,
    });
  const inFlight = (f: ReturnType<typeof workerFakes>) =>
    [...f.ops.values()].filter((op) => op.inflight !== undefined);
  const releasedOf = (f: ReturnType<typeof workerFakes>) =>
    f.sent.map((s) => (s.message as { operationId: string }).operationId);

  it("the oldest fleet of a tenant first; the next gets what is left", async () => {
    const f = workerFakes({}, { fleetInFlight: 2 });
    const younger = fleetOf(f, "b", 2, { createdAt: "2026-11-27T09:59:00.000Z" });
    const older = fleetOf(f, "a", 1, { createdAt: "2026-11-27T09:00:00.000Z" });
    expect(await carryOutFleets(f.deps, [younger, older])).toBe(2);
    expect(releasedOf(f)).toEqual(["op-a0", "op-b0"]);
  });

  it("a target cancelled this round frees its place; a fleet awaiting approval is left alone", async () => {
    const f = workerFakes({}, { fleetInFlight: 1 });
    const told = fleetOf(f, "c", 1, {
      createdAt: "2026-11-27T09:00:00.000Z",
      fleet: {
        targets: [{ serverId: "c0", serverName: "c0", opId: "op-c0" }],
        cancelRest: { by: "U0REQ", at: NOW.toISOString() },
      },
      tally: { "op-c0": "waiting_for_idle" },
    });
    operationIn(f.ops, "C0INC", ["approved", "waiting_for_idle"], {
      id: "op-c0",
      parentId: told.id,
      inflight: "waiting_for_idle",
    });
    fleetOf(f, "d", 1);
    fleetOf(f, "e", 1, { state: "awaiting_approval", inflight: "awaiting_approval" });
    await carryOutFleets(f.deps, inFlight(f));
    expect(f.ops.get("op-c0")?.state).toBe("cancelled");
    expect(releasedOf(f)).toEqual(["op-d0"]);
    expect(f.ops.get(told.id)?.state).toBe("cancelled");
  });

  it("no progress without a card, nor when another follow-up claimed it; a failed update is logged", async () => {
    const f = workerFakes({}, { fleetInFlight: 0 });
    const cardless = fleetOf(f, "g", 2, { tally: { "op-g0": "done" } });
    delete (f.ops.get(cardless.id) as Partial<Operation>).parentTs;
    await carryOutFleets(f.deps, inFlight(f));
    expect(f.slack).toEqual([]);

    const claimed = workerFakes({}, { fleetInFlight: 0 });
    fleetOf(claimed, "h", 2, { tally: { "op-h0": "done" } });
    const lost = { ...claimed.deps, store: { ...claimed.deps.store, save: async () => undefined } };
    await carryOutFleets(lost, inFlight(claimed));
    expect(claimed.slack).toEqual([]);
    expect(claimed.logs.filter((l) => l.level === "warn")).toEqual([]);

    const failing = workerFakes({}, { fleetInFlight: 0 });
    const shown = fleetOf(failing, "i", 2, { tally: { "op-i0": "done" } });
    failing.deps.chat = {
      ...failing.deps.chat,
      update: async () => Promise.reject(new Error("slack down")),
    };
    await carryOutFleets(failing.deps, inFlight(failing));
    expect(failing.logs.at(-1)).toMatchObject({
      level: "warn",
      message: "could not show the fleet's progress; the next change shows it",
      extra: { operationId: shown.id },
    });
  });

  it("an end Slack cannot post is logged and left owed; a target gone from the table is named bare", async () => {
    const f = workerFakes({}, { fleetInFlight: 0 });
    const fleet = fleetOf(f, "j", 1, { tally: { "op-j0": "failed" } });
    f.deps.chat = { ...f.deps.chat, update: async () => Promise.reject(new Error("slack down")) };
    expect(await carryOutFleets(f.deps, inFlight(f))).toBe(0);
    const ended = f.ops.get(fleet.id) as Operation;
    expect([ended.state, ended.outcome]).toEqual(["failed", "1 failed: `j0`"]);
    expect(
      f.logs.find((l) => l.message === "could not post the fleet's end; next round tries again"),
    ).toMatchObject({ extra: { operationId: fleet.id } });
  });

  it("a target it cannot cancel is logged and tried next round", async () => {
    const f = workerFakes({}, { fleetInFlight: 0 });
    const told = fleetOf(f, "k", 1, {
      fleet: {
        targets: [{ serverId: "k0", serverName: "k0", opId: "op-k0" }],
        cancelRest: { by: "U0REQ", at: NOW.toISOString() },
      },
      tally: { "op-k0": "approved" },
    });
    operationIn(f.ops, "C0INC", ["approved"], {
      id: "op-k0",
      parentId: told.id,
      inflight: "approved",
    });
    fleetOf(f, "l", 1);
    const failing = {
      ...f.deps,
      fleetInFlight: 1,
      store: { ...f.deps.store, save: async () => Promise.reject(new Error("dynamo down")) },
    };
    await carryOutFleets(failing, inFlight(f));
    // Not cancelled: its place is still taken, so nothing is released in its stead.
    expect(f.sent).toEqual([]);
    expect(
      f.logs.find((l) => l.message === "could not cancel a fleet's target; next round tries again"),
    ).toMatchObject({ extra: { operationId: "op-k0" } });
    expect(f.ops.get("op-k0")?.state).toBe("approved");
  });

  it("a cancel or an end another writer made first: not counted as its own", async () => {
    const f = workerFakes({}, { fleetInFlight: 1 });
    const told = fleetOf(f, "m", 1, {
      createdAt: "2026-11-27T09:00:00.000Z",
      fleet: {
        targets: [{ serverId: "m0", serverName: "m0", opId: "op-m0" }],
        cancelRest: { by: "U0REQ", at: NOW.toISOString() },
      },
      tally: { "op-m0": "approved" },
    });
    operationIn(f.ops, "C0INC", ["approved"], {
      id: "op-m0",
      parentId: told.id,
      inflight: "approved",
    });
    fleetOf(f, "n", 1);
    const save = f.deps.store.save;
    const racing = {
      ...f.deps,
      store: {
        ...f.deps.store,
        save: async (prev: Operation, next: Operation) =>
          next.state === "cancelled" ? undefined : save(prev, next),
      },
    };
    await carryOutFleets(racing, inFlight(f));
    expect(f.sent).toEqual([]);
    expect(f.logs.filter((l) => l.level === "warn")).toEqual([]);

    const g = workerFakes({}, { fleetInFlight: 0 });
    fleetOf(g, "o", 1, { tally: { "op-o0": "done" } });
    const saveG = g.deps.store.save;
    const ending = {
      ...g.deps,
      store: {
        ...g.deps.store,
        save: async (prev: Operation, next: Operation) =>
          next.state === "done" ? undefined : saveG(prev, next),
      },
    };
    expect(await carryOutFleets(ending, inFlight(g))).toBe(1);
    expect(g.logs.filter((l) => l.level === "warn")).toEqual([]);
  });
});
