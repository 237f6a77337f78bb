import { describe, expect, it } from "vitest";
import type { Server } from "../../../lib/ecl/server";
import {
  countsOf,
  countsWords,
  endedOf,
  FLEET_IN_FLIGHT,
  fleetEnd,
  fleetLockKeyFor,
  fleetOutcome,
  inFlightIn,
  namedTargets,
  queuedOf,
  releasable,
  stateOf,
  targetIdFor,
  targetOperation,
  targetsOf,
  unknownsWords,
} from "../../../lib/operations/fleet";
import {
  canMove,
  type Fleet,
  type Operation,
  type TargetState,
  transition,
} from "../../../lib/operations/operation";
import { AT, sampleOperation } from "./sample-operation";

const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";
const server = (id: string, name: string, mediaIds: string[] | undefined): Server => ({
  id,
  name,
  status: "ACTIVE",
  powerState: "RUNNING",
  taskState: "None",
  vmState: "ACTIVE",
  mediaIds,
});

/** A fleet of `states.length` targets named web01…, each in the state given. */
function fleetOf(states: TargetState[], cancelRest = false): Operation {
  const targets = states.map((_, i) => ({
    serverId: `s${i + 1}`,
    serverName: `web${String(i + 1).padStart(2, "0")}`,
    opId: `op-t${i + 1}`,
  }));
  const tally: Record<string, TargetState> = {};
  states.forEach((state, i) => {
    if (state !== "queued") tally[`op-t${i + 1}`] = state;
  });
  const fleet: Fleet = {
    targets,
    ...(cancelRest ? { cancelRest: { by: "U1", at: AT.toISOString() } } : {}),
  };
  return sampleOperation({ serverRef: "all", fleet, tally });
}

describe("targetsOf", () => {
  it("keeps the servers listing the image (any case) whose name starts with the prefix; counts those without a list", () => {
    const listed = [
      server("a", "web-1", [IMAGE.toUpperCase()]),
      server("b", "web-2", ["other"]),
      server("c", "web-3", undefined),
      server("d", "db-1", [IMAGE]),
      server("e", "db-2", undefined),
      server("f", "web-4", ["other", IMAGE]),
    ];
    expect(targetsOf(listed, IMAGE, "web-")).toEqual({
      targets: [
        { serverId: "a", serverName: "web-1" },
        { serverId: "f", serverName: "web-4" },
      ],
      unknowns: 1,
    });
    expect(targetsOf(listed, IMAGE)).toEqual({
      targets: [
        { serverId: "a", serverName: "web-1" },
        { serverId: "d", serverName: "db-1" },
        { serverId: "f", serverName: "web-4" },
      ],
      unknowns: 2,
    });
    expect(targetsOf([], IMAGE)).toEqual({ targets: [], unknowns: 0 });
  });
});

describe("ids and keys", () => {
  it("a target's id comes from its fleet and server; the fleet's lock from its tenant and image", () => {
    expect(targetIdFor("op-a", "s1")).toBe(targetIdFor("op-a", "s1"));
    expect(targetIdFor("op-a", "s1")).not.toBe(targetIdFor("op-a", "s2"));
    expect(targetIdFor("op-a", "s1")).not.toBe(targetIdFor("op-b", "s1"));
    expect(targetIdFor("op-a", "s1")).toMatch(/^op-[0-9a-z]{10}$/);
    expect(fleetLockKeyFor("prod", "ABC")).toBe("lock#prod#fleet#abc");
  });
});

describe("counts", () => {
  it("counts every target where it stands", () => {
    const op = fleetOf([
      "queued",
      "approved",
      "executing",
      "detaching",
      "waiting_for_idle",
      "done",
      "done",
      "noop",
      "failed",
      "timed_out",
      "cancelled",
    ]);
    expect(countsOf(op)).toEqual({
      done: 2,
      noop: 1,
      inFlight: 3,
      waiting: 1,
      queued: 1,
      failed: 1,
      timedOut: 1,
      cancelled: 1,
    });
    expect(endedOf(countsOf(op))).toBe(6);
    expect(countsWords(countsOf(op), 11)).toBe(
      "2 of 11 done, 3 in flight, 1 waiting for the server, 1 queued, 1 nothing to do, 1 failed, 1 timed out, 1 cancelled",
    );
    expect(countsWords(countsOf(fleetOf(["done", "queued"])), 2)).toBe("1 of 2 done, 1 queued");
    expect(stateOf(op, op.fleet?.targets[0] as never)).toBe("queued");
    expect(queuedOf(op).map((t) => t.opId)).toEqual(["op-t1"]);
  });

  it("counts rejected and expired as cancelled, requested and awaiting as in flight, none without a fleet", () => {
    expect(countsOf(fleetOf(["rejected", "expired", "requested", "awaiting_approval"]))).toEqual({
      done: 0,
      noop: 0,
      inFlight: 2,
      waiting: 0,
      queued: 0,
      failed: 0,
      timedOut: 0,
      cancelled: 2,
    });
    expect(endedOf(countsOf(sampleOperation()))).toBe(0);
  });
});

describe("releasable", () => {
  it("fills the tenant's room, never past what is queued, never below zero", () => {
    expect(FLEET_IN_FLIGHT).toBe(10);
    expect(releasable(10, 0, 30)).toBe(10);
    expect(releasable(10, 4, 30)).toBe(6);
    expect(releasable(10, 4, 3)).toBe(3);
    expect(releasable(10, 10, 30)).toBe(0);
    expect(releasable(10, 12, 30)).toBe(0);
    expect(releasable(10, 9, 30)).toBe(1);
  });

  it("counts in flight only a tenant's fleet targets that have not ended", () => {
    const target = (tenant: string, state: Operation["state"], parentId?: string) =>
      sampleOperation({ tenant, state, ...(parentId ? { parentId } : {}) });
    const ops = [
      target("prod", "approved", "op-f"),
      target("prod", "detaching", "op-f"),
      target("prod", "done", "op-f"),
      target("prod", "detaching"),
      target("dev", "executing", "op-g"),
    ];
    expect(inFlightIn(ops, "prod")).toBe(2);
    expect(inFlightIn(ops, "dev")).toBe(1);
    expect(inFlightIn(ops, "none")).toBe(0);
  });
});

describe("fleetEnd", () => {
  it.each<[TargetState[], boolean, string | undefined]>([
    [["done", "done"], false, "done"],
    [["done", "noop"], false, "done"],
    [["done", "failed"], false, "failed"],
    [["done", "timed_out"], false, "failed"],
    [["done", "detaching"], false, undefined],
    [["done", "waiting_for_idle"], false, undefined],
    [["done", "queued"], false, undefined],
    [["done", "queued"], true, "cancelled"],
    [["done", "approved"], true, undefined],
    [["done", "failed", "cancelled"], true, "cancelled"],
  ])("%j, rest cancelled %s: %s", (states, cancelRest, end) => {
    expect(fleetEnd(fleetOf(states, cancelRest))).toBe(end);
  });
});

describe("fleetOutcome", () => {
  it("counts what simply ended, names what did not, with its own words", () => {
    const op = fleetOf(
      ["done", "done", "failed", "noop", "timed_out", "queued", "cancelled"],
      true,
    );
    expect(
      fleetOutcome(op, {
        "op-t3": "ECL answered 404: no such server",
        "op-t4": "image not attached",
      }),
    ).toBe(
      "2 done; 1 nothing to do: `web04` (image not attached); 1 failed: `web03` (ECL answered 404: no such server); 1 timed out: `web05`; 2 cancelled",
    );
    expect(fleetOutcome(fleetOf(["done", "done"]), {})).toBe("2 done");
    expect(fleetOutcome(sampleOperation(), {})).toBe("no targets");
  });

  it("names five of a kind, then how many more; clips long words", () => {
    const op = fleetOf(Array.from({ length: 7 }, () => "failed" as const));
    const long = "x".repeat(130);
    expect(fleetOutcome(op, { "op-t1": long })).toBe(
      `7 failed: \`web01\` (${"x".repeat(119)}…), \`web02\`, \`web03\`, \`web04\`, \`web05\` and 2 more`,
    );
    expect(fleetOutcome(fleetOf(["failed"]), { "op-t1": "y".repeat(120) })).toBe(
      `1 failed: \`web01\` (${"y".repeat(120)})`,
    );
  });
});

describe("unknownsWords", () => {
  it("says how many servers told nothing, or nothing", () => {
    expect(unknownsWords(undefined)).toBeUndefined();
    expect(unknownsWords(0)).toBeUndefined();
    expect(unknownsWords(1)).toBe("1 server did not say what is attached: not included");
    expect(unknownsWords(3)).toBe("3 servers did not say what is attached: not included");
  });
});

describe("a fleet's moves", () => {
  it("a fleet may go approved → detaching and detaching → cancelled; a single operation may not", () => {
    expect(canMove("approved", "detaching", true)).toBe(true);
    expect(canMove("detaching", "cancelled", true)).toBe(true);
    expect(canMove("approved", "detaching")).toBe(false);
    expect(canMove("detaching", "cancelled")).toBe(false);
    expect(canMove("done", "cancelled", true)).toBe(false);
    expect(canMove("detaching", "done", true)).toBe(true);
    const fleet = transition(fleetOf(["queued"]), "approved", { teamId: "T1", userId: "bm" }, AT);
    expect(transition(fleet, "detaching", { teamId: "T1", userId: "bm" }, AT).state).toBe(
      "detaching",
    );
    const single = transition(sampleOperation(), "approved", { teamId: "T1", userId: "bm" }, AT);
    expect(() => transition(single, "detaching", { teamId: "T1", userId: "bm" }, AT)).toThrow(
      "approved → detaching is not allowed",
    );
  });
});

describe("targetOperation", () => {
  it("is born approved for its fleet, with the fleet's requester, channel, tenant, image and approvals", () => {
    const fleet = {
      ...fleetOf(["queued"]),
      approvalsRequired: 1,
      approvals: [{ userId: "U2", at: AT.toISOString() }],
      requestExpiresAt: "2026-11-26T10:30:00.000Z",
    };
    const target = targetOperation(fleet, fleet.fleet?.targets[0] as never, AT);
    expect(target).toMatchObject({
      id: "op-t1",
      state: "approved",
      parentId: fleet.id,
      requester: "U1",
      channelId: "C1",
      tenant: "prod",
      secretId: "bm/tenant/prod",
      serverRef: "s1",
      serverId: "s1",
      serverName: "web01",
      imageId: fleet.imageId,
      reason: "INC-1",
      approvalsRequired: 1,
      approvals: [{ userId: "U2", at: AT.toISOString() }],
      requestExpiresAt: "2026-11-26T10:30:00.000Z",
      inflight: "approved",
      seq: 2,
    });
    expect(target.unaudited?.map((e) => [e.action, e.actor.userId, e.facts.fleet])).toEqual([
      ["requested", "U1", fleet.id],
      ["approved", "bm", fleet.id],
    ]);
    expect(target.unaudited?.[1]?.facts.approvals).toBe("U2");
    const none = targetOperation(
      fleetOf(["queued"]),
      fleetOf(["queued"]).fleet?.targets[0] as never,
      AT,
    );
    expect(none.unaudited?.[1]?.facts.approvals).toBe("none needed");
    expect(none.approvals).toBeUndefined();
    expect(none.requestExpiresAt).toBeUndefined();
  });
});

describe("an operation that is not a fleet", () => {
  it("has no targets: nothing counted, nothing queued, queued by default, its end at once", () => {
    const op = sampleOperation();
    expect(countsOf(op)).toEqual({
      done: 0,
      noop: 0,
      inFlight: 0,
      waiting: 0,
      queued: 0,
      failed: 0,
      timedOut: 0,
      cancelled: 0,
    });
    expect(queuedOf(op)).toEqual([]);
    expect(fleetEnd(op)).toBe("done");
    expect(stateOf({}, { serverId: "s1", serverName: "web01", opId: "op-t1" })).toBe("queued");
  });
});

describe("the outcome's kinds, to the letter", () => {
  it("rejected and expired targets count as cancelled; five of a kind are named without more", () => {
    expect(fleetOutcome(fleetOf(["rejected", "expired", "cancelled"]), {})).toBe("3 cancelled");
    expect(fleetOutcome(fleetOf(Array.from({ length: 5 }, () => "failed" as const)), {})).toBe(
      "5 failed: `web01`, `web02`, `web03`, `web04`, `web05`",
    );
  });

  it("a target's approvals fact lists every approver of the fleet", () => {
    const fleet = {
      ...fleetOf(["queued"]),
      approvals: [
        { userId: "U2", at: AT.toISOString() },
        { userId: "U3", at: AT.toISOString() },
      ],
    };
    const target = targetOperation(fleet, fleet.fleet?.targets[0] as never, AT);
    expect(target.unaudited?.[1]?.facts.approvals).toBe("U2 U3");
  });
});

describe("namedTargets", () => {
  it("the first five of each kind the outcome quotes, kind by kind", () => {
    const op = fleetOf([
      "done",
      "failed",
      "noop",
      "failed",
      "failed",
      "failed",
      "failed",
      "failed",
      "timed_out",
      "queued",
      "cancelled",
    ]);
    expect(namedTargets(op).map((t) => t.opId)).toEqual([
      "op-t3",
      "op-t2",
      "op-t4",
      "op-t5",
      "op-t6",
      "op-t7",
      "op-t9",
    ]);
    expect(namedTargets(sampleOperation())).toEqual([]);
  });
});
