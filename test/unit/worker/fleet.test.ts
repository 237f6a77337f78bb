import { describe, expect, it } from "vitest";
import { EclApiError } from "../../../lib/ecl/errors";
import type { Server } from "../../../lib/ecl/server";
import type { Tenant } from "../../../lib/ecl/tenants";
import type { Operation } from "../../../lib/operations/operation";
import { processMessage } from "../../../lib/worker/process-message";
import { RetryLater } from "../../../lib/worker/retry-later";
import { eclServer, IMAGE, NOW, operationIn, workerFakes } from "../fakes";

const LISTED: Server[] = [
  eclServer({ id: "s1", name: "web01" }),
  eclServer({ id: "s2", name: "web02", mediaIds: [] }),
  eclServer({ id: "s3", name: "db01" }),
  eclServer({ id: "s4", name: "web03", mediaIds: undefined }),
  eclServer({ id: "s5", name: "web04", mediaIds: ["x", IMAGE.toUpperCase()] }),
];

const listError = (status: number) =>
  new EclApiError({
    service: "baremetal",
    status,
    method: "GET",
    path: "/v2/t/servers/detail",
    code: undefined,
    apiMessage: `ECL says ${status}`,
    requestId: "req-l",
  });

/** Fakes whose tenant lists `servers` (or fails with `error`). */
function listing(servers: Server[] | Error = LISTED, overrides = {}) {
  const f = workerFakes({}, overrides);
  const lists: number[] = [];
  f.deps.openTenant = async () =>
    ({
      ecl: {
        listServers: async () => {
          lists.push(1);
          if (servers instanceof Error) throw servers;
          return servers;
        },
      },
    }) as unknown as Tenant;
  return { ...f, lists };
}

/** A fleet request, recorded, in `channel`. */
const requested = (f: ReturnType<typeof workerFakes>, channel: "C0INC" | "C0CHG", match?: string) =>
  operationIn(f.ops, channel, [], {
    serverRef: match ?? "all",
    fleet: { ...(match !== undefined ? { match } : {}), targets: [] },
  });

describe("a fleet's prepare", () => {
  it("break-glass: names the servers that list the image, takes the image's fleet lock, starts", async () => {
    const f = listing();
    const fleet = requested(f, "C0INC", "web");
    await processMessage(f.deps, { kind: "prepare", operationId: fleet.id }, 1);
    const op = f.ops.get(fleet.id) as Operation;
    expect(op.state).toBe("detaching");
    expect(op.fleet).toEqual({
      match: "web",
      targets: [
        { serverId: "s1", serverName: "web01", opId: expect.stringMatching(/^op-/) },
        { serverId: "s5", serverName: "web04", opId: expect.stringMatching(/^op-/) },
      ],
      unknowns: 1,
    });
    expect(op.lockKey).toBe(`lock#t#fleet#${IMAGE}`);
    expect(op.serverName).toBe("2 servers");
    const approved = f.events.find((e) => e.operationId === fleet.id && e.action === "approved");
    expect(approved?.facts).toEqual({
      targets: "s1 s5",
      count: 2,
      unknowns: 1,
      approvals: "none needed",
    });
    // Both released at its start, each its own operation, born approved; its execute queued.
    const ids = op.fleet?.targets.map((t) => t.opId);
    expect(f.sent.map((s) => s.message)).toEqual(
      ids?.map((id) => ({ kind: "execute", operationId: id })),
    );
    expect(op.tally).toEqual(Object.fromEntries((ids ?? []).map((id) => [id, "approved"])));
    expect(f.followUps).toEqual([NOW.getTime()]);
    // One card in the channel, no thread notice yet.
    expect(f.slack.filter((m) => m.method === "post").map((m) => m.threadTs)).toEqual([undefined]);
  });

  it("with approvals: the card waits, nothing released; its expiry set", async () => {
    const f = listing();
    const fleet = requested(f, "C0CHG");
    await processMessage(f.deps, { kind: "prepare", operationId: fleet.id }, 1);
    const op = f.ops.get(fleet.id) as Operation;
    expect([op.state, op.requestExpiresAt, op.fleet?.targets.length]).toEqual([
      "awaiting_approval",
      "2026-11-27T10:30:00.000Z",
      3,
    ]);
    expect(op.lastEvent.facts).toMatchObject({ approvals: 2, count: 3, unknowns: 1 });
    expect(op.serverName).toBe("3 servers");
    expect(f.sent).toEqual([]);
  });

  it("no server has it: noop, said, the lock let go", async () => {
    const f = listing([eclServer({ id: "s2", name: "web02", mediaIds: [] })]);
    const fleet = requested(f, "C0INC");
    await processMessage(f.deps, { kind: "prepare", operationId: fleet.id }, 1);
    const op = f.ops.get(fleet.id) as Operation;
    expect([op.state, op.outcome]).toEqual([
      "noop",
      `No server of tenant \`t\` has image \`${IMAGE}\` attached; nothing was sent to ECL.`,
    ]);
    const unknown = listing([eclServer({ id: "s4", name: "web03", mediaIds: undefined })]);
    const other = requested(unknown, "C0INC", "web");
    await processMessage(unknown.deps, { kind: "prepare", operationId: other.id }, 1);
    expect(unknown.ops.get(other.id)?.outcome).toBe(
      `No server whose name starts with \`web\` of tenant \`t\` has image \`${IMAGE}\` attached (1 server did not say what is attached: not included); nothing was sent to ECL.`,
    );
    // The lock is free again: a second fleet takes it.
    const again = requested(f, "C0INC");
    await processMessage(f.deps, { kind: "prepare", operationId: again.id }, 1);
    expect(f.ops.get(again.id)?.state).toBe("noop");
    expect(f.ops.get(again.id)?.lastEvent.facts.inFlight).toBeUndefined();
  });

  it("a second fleet for the image while the first is in flight names it and sends nothing", async () => {
    const f = listing();
    const first = requested(f, "C0CHG");
    await processMessage(f.deps, { kind: "prepare", operationId: first.id }, 1);
    const second = requested(f, "C0INC");
    await processMessage(f.deps, { kind: "prepare", operationId: second.id }, 1);
    const op = f.ops.get(second.id) as Operation;
    const permalink = f.ops.get(first.id)?.permalink;
    expect([op.state, op.outcome, op.lastEvent.facts.inFlight]).toEqual([
      "noop",
      `another request for every server with this image, ${first.id}, is in flight (its thread: ${permalink}); this one sent nothing.`,
      first.id,
    ]);
    expect(f.lists).toHaveLength(1);
    expect(f.sent).toEqual([]);
  });

  it("a list that fails for now comes back; one refused for good fails the request, said", async () => {
    const passing = listing(listError(503));
    const fleet = requested(passing, "C0INC");
    await expect(
      processMessage(passing.deps, { kind: "prepare", operationId: fleet.id }, 1),
    ).rejects.toBeInstanceOf(RetryLater);
    expect(passing.ops.get(fleet.id)?.state).toBe("requested");
    const final = listing(listError(403));
    const refused = requested(final, "C0INC");
    await processMessage(final.deps, { kind: "prepare", operationId: refused.id }, 1);
    const op = final.ops.get(refused.id) as Operation;
    expect(op.state).toBe("failed");
    expect(op.outcome).toContain("403");
  });
});

describe("a fleet's start", () => {
  it("releases what the tenant's bound leaves, counting other fleets' targets in flight", async () => {
    const f = listing(LISTED, { fleetInFlight: 2 });
    operationIn(f.ops, "C0INC", ["approved"], { parentId: "op-other" });
    const fleet = requested(f, "C0INC");
    await processMessage(f.deps, { kind: "prepare", operationId: fleet.id }, 1);
    expect(f.sent).toHaveLength(1);
    expect(f.logs.find((l) => l.message === "fleet started")?.extra).toEqual({
      operationId: fleet.id,
      released: 1,
    });
  });

  it("an approved fleet handed over (after a click) starts; one under way only tells", async () => {
    const f = listing();
    const fleet = requested(f, "C0INC");
    await processMessage(f.deps, { kind: "prepare", operationId: fleet.id }, 1);
    const sent = f.sent.length;
    await processMessage(f.deps, { kind: "execute", operationId: fleet.id }, 1);
    expect(f.sent).toHaveLength(sent);
    expect(f.ops.get(fleet.id)?.state).toBe("detaching");
  });
});

describe("a target's execute", () => {
  async function target(cancel: "no" | "rest" | "gone" | "ended") {
    const f = listing(LISTED);
    const fleet = requested(f, "C0INC");
    await processMessage(f.deps, { kind: "prepare", operationId: fleet.id }, 1);
    const started = f.ops.get(fleet.id) as Operation;
    const id = started.fleet?.targets[0]?.opId as string;
    if (cancel === "rest")
      f.ops.set(fleet.id, {
        ...started,
        fleet: {
          targets: started.fleet?.targets ?? [],
          cancelRest: { by: "U0REQ", at: NOW.toISOString() },
        },
      });
    if (cancel === "gone") f.ops.delete(fleet.id);
    if (cancel === "ended") f.ops.set(fleet.id, { ...started, state: "done" });
    const tenant = {
      ecl: {
        showServer: async () => eclServer({ id: "s1", name: "web01" }),
        detachMedia: async () => ({ status: 200, requestId: "r1" }),
      },
    };
    f.deps.openTenant = async () => tenant as unknown as Tenant;
    const before = f.slack.length;
    await processMessage(f.deps, { kind: "execute", operationId: id }, 1);
    return { f, op: f.ops.get(id) as Operation, fleetId: fleet.id, slack: f.slack.slice(before) };
  }

  it("is sent, and posts nothing of its own: its state goes to its fleet's tally", async () => {
    const { f, op, fleetId, slack } = await target("no");
    expect(op.state).toBe("detaching");
    expect(slack).toEqual([]);
    expect(f.ops.get(fleetId)?.tally?.[op.id]).toBe("detaching");
    expect(op.noticedSeq).toBe(op.seq);
  });

  it.each(["rest", "gone", "ended"] as const)(
    "is not sent when its fleet is told to cancel the rest (or is %s)",
    async (cancel) => {
      const { op } = await target(cancel);
      expect(op.state).toBe("cancelled");
      expect(op.lastEvent.facts).toEqual({ fleet: op.parentId, cancelRest: true });
      expect(op.cancelledBy).toBe(cancel === "rest" ? "U0REQ" : undefined);
    },
  );
});

describe("a fleet's edges in the worker", () => {
  it("a channel not bound to the fleet's tenant: refused, nothing listed", async () => {
    const f = listing();
    const fleet = operationIn(f.ops, "C0INC", [], {
      serverRef: "all",
      tenant: "other",
      fleet: { targets: [] },
    });
    await processMessage(f.deps, { kind: "prepare", operationId: fleet.id }, 1);
    expect(f.ops.get(fleet.id)?.state).toBe("failed");
    expect(f.lists).toEqual([]);
  });

  it("no unknowns, no count of them; a first fleet without a thread is named bare; no follow-up to start", async () => {
    const f = listing([eclServer({ id: "s1", name: "web01" })], { startFollowUp: undefined });
    delete (f.deps as { startFollowUp?: unknown }).startFollowUp;
    const first = requested(f, "C0CHG");
    await processMessage(f.deps, { kind: "prepare", operationId: first.id }, 1);
    const waiting = f.ops.get(first.id) as Operation;
    expect(waiting.fleet).toStrictEqual({
      targets: [{ serverId: "s1", serverName: "web01", opId: waiting.fleet?.targets[0]?.opId }],
    });
    f.ops.set(first.id, { ...waiting, permalink: undefined } as never);
    const second = requested(f, "C0INC");
    await processMessage(f.deps, { kind: "prepare", operationId: second.id }, 1);
    expect(f.ops.get(second.id)?.outcome).toBe(
      `another request for every server with this image, ${first.id}, is in flight; this one sent nothing.`,
    );
    // Approved by a click: its execute starts it, and releases its target.
    const approved = { ...(f.ops.get(first.id) as Operation), state: "approved" as const };
    f.ops.set(first.id, approved);
    await processMessage(f.deps, { kind: "execute", operationId: first.id }, 1);
    expect(f.ops.get(first.id)?.state).toBe("detaching");
    expect(f.sent.map((s) => s.message)).toEqual([
      { kind: "execute", operationId: waiting.fleet?.targets[0]?.opId },
    ]);
  });

  it("a target whose parent is not a fleet is not sent", async () => {
    const f = listing();
    const parent = operationIn(f.ops, "C0INC", ["approved"]);
    const target = operationIn(f.ops, "C0INC", ["approved"], {
      parentId: parent.id,
      serverId: "s1",
    });
    f.deps.openTenant = async () =>
      ({
        ecl: { showServer: async () => eclServer({ id: "s1", name: "web01" }) },
      }) as unknown as Tenant;
    await processMessage(f.deps, { kind: "execute", operationId: target.id }, 1);
    expect(f.ops.get(target.id)?.state).toBe("cancelled");
    expect(f.logs.some((l) => l.message === "lost a race; the other writer goes on")).toBe(false);
  });
});

describe("a fleet's move lost to another writer", () => {
  it("approved by another first: prepare stops; detaching by another first: the start stops", async () => {
    const f = listing();
    const fleet = requested(f, "C0INC");
    const save = f.deps.store.save;
    f.deps.store.save = async (prev, next) =>
      next.state === "approved" ? undefined : save(prev, next);
    await processMessage(f.deps, { kind: "prepare", operationId: fleet.id }, 1);
    expect(f.ops.get(fleet.id)?.state).toBe("requested");
    f.deps.store.save = save;
    await processMessage(f.deps, { kind: "prepare", operationId: fleet.id }, 1);
    const again = listing();
    const other = requested(again, "C0INC");
    const saveAgain = again.deps.store.save;
    again.deps.store.save = async (prev, next) =>
      next.state === "detaching" ? undefined : saveAgain(prev, next);
    await processMessage(again.deps, { kind: "prepare", operationId: other.id }, 1);
    expect(again.ops.get(other.id)?.state).toBe("approved");
    expect(again.sent).toEqual([]);
  });
});
