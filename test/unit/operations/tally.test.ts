import { describe, expect, it } from "vitest";
import type { Operation } from "../../../lib/operations/operation";
import { announce } from "../../../lib/operations/record";
import { operationIn, workerFakes } from "../fakes";

describe("a fleet target's announce", () => {
  const setUp = (changes: Partial<Operation>) => {
    const f = workerFakes();
    const fleet = operationIn(f.ops, "C0INC", ["approved", "detaching"].slice(0, 1) as never, {
      state: "detaching",
      fleet: { targets: [{ serverId: "s1", serverName: "web01", opId: "op-t1" }] },
      tally: {},
    });
    const target = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching", "done"], {
      id: "op-t1",
      parentId: fleet.id,
      ...changes,
    });
    return { f, fleet, target };
  };

  it("posts nothing: its state goes to the fleet's tally, its notice given, out of the index", async () => {
    const { f, fleet, target } = setUp({ noticeLeaseUntil: 1, noticeRetryAt: 1 });
    const saved = await announce(f.deps, target);
    expect(f.slack).toEqual([]);
    expect(f.ops.get(fleet.id)?.tally).toEqual({ "op-t1": "done" });
    expect(saved.noticedSeq).toBe(saved.seq);
    expect(saved.inflight).toBeUndefined();
    expect(saved.noticeLeaseUntil).toBeUndefined();
    expect(saved.noticeRetryAt).toBeUndefined();
    expect(f.ops.get("op-t1")).toEqual(saved);
  });

  it("stays in the index while its audit waits, or while it is under way", async () => {
    const waiting = setUp({});
    const owed = { ...waiting.target, unaudited: [waiting.target.lastEvent] };
    waiting.f.ops.set(owed.id, owed);
    expect((await announce(waiting.f.deps, owed)).inflight).toBe("notice");
    const f = workerFakes();
    const fleet = operationIn(f.ops, "C0INC", ["approved"], {
      state: "detaching",
      fleet: { targets: [] },
      tally: {},
    });
    const running = operationIn(f.ops, "C0INC", ["approved"], { parentId: fleet.id });
    expect((await announce(f.deps, running)).inflight).toBe("approved");
  });

  it("an old item without an outbox leaves the index too", async () => {
    const { f, target } = setUp({});
    const old = { ...target, inflight: "notice" as const };
    delete (old as Partial<Operation>).unaudited;
    f.ops.set(old.id, old);
    expect((await announce(f.deps, old)).inflight).toBeUndefined();
  });

  it("another writer first: the stored one is returned; none stored: its own", async () => {
    const { f, target } = setUp({});
    const lost = { ...f.deps, store: { ...f.deps.store, save: async () => undefined } };
    const stored = f.ops.get("op-t1");
    expect(await announce(lost, target)).toBe(stored);
    const none = { ...lost, store: { ...lost.store, get: async () => undefined } };
    expect(await announce(none, target)).toBe(target);
  });
});
