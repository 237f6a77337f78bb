import { describe, expect, it } from "vitest";
import { round } from "../../../lib/followup/follow-up";
import { endDetachedFirst } from "../../../lib/operations/detached-first";
import type { Operation } from "../../../lib/operations/operation";
import { eclServer, IMAGE, NOW, operationIn, SERVER, workerFakes } from "../fakes";

type Fakes = ReturnType<typeof workerFakes>;
const OTHER_SERVER = "0f0e0d0c-0b0a-4908-8706-050403020100";
const OTHER_IMAGE = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const SAID =
  "(in <#C0INC>) detached this image first; this request cannot send a second detach. Nothing was sent to ECL.";

/** The on-call's detach in the incident channel, ECL having accepted it. */
function breakGlass(f: Fakes, changes: Partial<Operation> = {}) {
  return operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"], {
    serverId: SERVER,
    serverName: "web01",
    parentTs: "1700000000.000001",
    detachStartedAt: new Date(NOW.getTime() - 10_000).toISOString(),
    lockKey: `lock#t#${SERVER}#${IMAGE}`,
    noticedSeq: 4,
    ...changes,
  });
}

/** A request of the change channel awaiting approval, its card up. */
function waiting(f: Fakes, changes: Partial<Operation> = {}) {
  return operationIn(f.ops, "C0CHG", ["awaiting_approval"], {
    serverId: SERVER,
    serverName: "web01",
    parentTs: "1700000000.000002",
    permalink: "https://slack.test/archives/C0CHG/p1700000000000002",
    noticedSeq: 2,
    ...changes,
  });
}

const ended = (f: Fakes, op: Operation) => f.ops.get(op.id) as Operation;

describe("requests awaiting approval for an image another detach removed first", () => {
  it("a round that sees the detach done ends the waiting request, saying so in its card and thread", async () => {
    const f = workerFakes({ reads: [eclServer({ mediaIds: [] })] });
    const done = breakGlass(f);
    const pending = waiting(f);
    const report = await round(f.deps);
    expect(report.done).toBe(1);
    expect(ended(f, done).state).toBe("done");
    expect(ended(f, pending)).toMatchObject({
      state: "noop",
      detachedFirst: { by: done.id, channelId: "C0INC" },
      outcome: `${done.id} (in channel C0INC) detached this image first; this request cannot send a second detach. Nothing was sent to ECL.`,
    });
    const event = f.events.find((e) => e.operationId === pending.id && e.action === "noop");
    expect(event).toMatchObject({
      from: "awaiting_approval",
      to: "noop",
      actor: { teamId: "T1", userId: "bm" },
      facts: { detachedBy: done.id, permalink: pending.permalink },
    });
    const told = f.slack.filter((m) => m.channel === "C0CHG");
    expect(told.map((m) => [m.method, m.text])).toEqual([
      [
        "update",
        `Nothing to do: <@U0REQ> asked to detach image ${IMAGE} from web01: no reason given (${pending.id})`,
      ],
      ["post", `:information_source: <@U0REQ> nothing to do: \`${done.id}\` ${SAID}`],
    ]);
    expect(f.logs).toContainEqual({
      level: "info",
      message: "transition",
      extra: { operationId: pending.id, from: "awaiting_approval", to: "noop" },
    });
  });

  it("only requests on the same image of the same server of the same tenant, still awaiting approval", async () => {
    const f = workerFakes();
    const done = breakGlass(f);
    const same = waiting(f, { imageId: IMAGE.toUpperCase() });
    const others = [
      waiting(f, { imageId: OTHER_IMAGE }),
      waiting(f, { serverId: OTHER_SERVER }),
      waiting(f, { tenant: "another" }),
    ];
    const approved = operationIn(f.ops, "C0CHG", ["awaiting_approval", "approved"], {
      serverId: SERVER,
    });
    const listed = [same, ...others, approved];
    expect(await endDetachedFirst(f.deps, done, listed)).toBe(1);
    expect(ended(f, same).state).toBe("noop");
    for (const op of others) expect(ended(f, op).state).toBe("awaiting_approval");
    // Approved meanwhile: left to the worker, whose lock and read come before any POST.
    expect(ended(f, approved).state).toBe("approved");
  });

  it("a request the round listed that is no longer waiting when read again is left alone", async () => {
    const f = workerFakes();
    const done = breakGlass(f);
    const pending = waiting(f);
    f.ops.set(pending.id, { ...pending, state: "cancelled", rev: pending.rev + 1 });
    expect(await endDetachedFirst(f.deps, done, [pending])).toBe(0);
    expect(ended(f, pending).state).toBe("cancelled");
  });

  it("a request the round listed that is gone when read again is left alone, quietly", async () => {
    const f = workerFakes();
    const done = breakGlass(f);
    const pending = waiting(f);
    f.ops.delete(pending.id);
    expect(await endDetachedFirst(f.deps, done, [pending])).toBe(0);
    expect(f.logs).toEqual([]);
  });

  it("a waiting request without a server id is not one of them", async () => {
    const f = workerFakes();
    const done = breakGlass(f);
    const pending = waiting(f);
    delete (pending as Partial<Operation>).serverId;
    expect(await endDetachedFirst(f.deps, done, [pending])).toBe(0);
  });

  it("a write lost to a notice's bookkeeping is tried again, on the request read afresh", async () => {
    const f = workerFakes();
    const done = breakGlass(f);
    const pending = waiting(f);
    const save = f.deps.store.save;
    let lost = 0;
    f.deps.store = {
      ...f.deps.store,
      save: async (prev, next) => {
        if (next.state === "noop" && lost < 2) {
          lost++;
          // Another writer bumps the revision first.
          f.ops.set(prev.id, { ...(f.ops.get(prev.id) as Operation), rev: prev.rev + 1 });
          return undefined;
        }
        return save(prev, next);
      },
    };
    expect(await endDetachedFirst(f.deps, done, [pending])).toBe(1);
    expect(lost).toBe(2);
    expect(ended(f, pending).state).toBe("noop");
  });

  it("three writes lost: left waiting (an approval then meets the worker's lock and read)", async () => {
    const f = workerFakes();
    const done = breakGlass(f);
    const pending = waiting(f);
    let tries = 0;
    f.deps.store = {
      ...f.deps.store,
      save: async (prev, next) => {
        if (next.state === "noop") tries++;
        return next.state === "noop" ? undefined : f.deps.store.save(prev, next);
      },
    };
    expect(await endDetachedFirst(f.deps, done, [pending])).toBe(0);
    expect(tries).toBe(3);
    expect(ended(f, pending).state).toBe("awaiting_approval");
  });

  it("a read that fails is logged, and the next request is still told", async () => {
    const f = workerFakes();
    const done = breakGlass(f);
    const broken = waiting(f);
    const pending = waiting(f);
    const get = f.deps.store.get;
    f.deps.store = {
      ...f.deps.store,
      get: async (id) => {
        if (id === broken.id) throw new Error("DynamoDB is down");
        return get(id);
      },
    };
    expect(await endDetachedFirst(f.deps, done, [broken, pending])).toBe(1);
    expect(ended(f, pending).state).toBe("noop");
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not tell a waiting request that its image was detached first",
      extra: {
        operationId: broken.id,
        detachedBy: done.id,
        error: "internal error (Error); nothing more is shown, to keep secrets out of messages",
      },
    });
  });

  it("Slack failing: ended all the same, the post left to the next round", async () => {
    const f = workerFakes();
    const done = breakGlass(f);
    const pending = waiting(f);
    f.deps.chat = {
      ...f.deps.chat,
      update: async () => {
        throw Object.assign(new Error("An API error occurred: internal_error"), {
          code: "slack_webapi_platform_error",
          data: { ok: false, error: "internal_error" },
        });
      },
    };
    expect(await endDetachedFirst(f.deps, done, [pending])).toBe(1);
    expect(ended(f, pending)).toMatchObject({ state: "noop", inflight: "notice" });
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not post; next round tries again",
      extra: { operationId: pending.id, error: expect.stringContaining("internal_error") },
    });
  });

  it("a detach that ends otherwise than done tells nobody: the request may still be needed", async () => {
    const f = workerFakes({ reads: [eclServer({ taskState: "MEDIA_DETACHING" })] });
    breakGlass(f, { detachStartedAt: new Date(NOW.getTime() - 900_000).toISOString() });
    const pending = waiting(f);
    const report = await round(f.deps);
    expect(report.timedOut).toBe(1);
    expect(ended(f, pending).state).toBe("awaiting_approval");
  });
});
