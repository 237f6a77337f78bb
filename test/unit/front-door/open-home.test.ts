/**
 * The App Home's use case over in-memory ports: what one person's Home holds, the media bm
 * knows attached, and an opened Home published once per event.
 */
import type { HomeView } from "@slack/types";
import { describe, expect, it } from "vitest";
import { type Budget, budgetFrom } from "../../../lib/front-door/budget";
import type { FrontDoorDeps } from "../../../lib/front-door/deps";
import {
  homeBuildBy,
  homeContent,
  knownMedia,
  openHome,
  publishHome,
  TENANT_READ,
} from "../../../lib/front-door/open-home";
import type { HomeOpened } from "../../../lib/front-door/payloads";
import type { Operation } from "../../../lib/operations/operation";
import { parsePolicy } from "../../../lib/policy/policy";
import { md } from "../../../lib/slack/mrkdwn";
import { frontDoorFakes, IMAGE, memoryClaims, NOW, operationIn, SERVER } from "../fakes";
import { memoryStore } from "../memory-store";

const DAY = 86_400_000;
const iso = (msBefore: number) => new Date(NOW.getTime() - msBefore).toISOString();

/** Fakes whose store answers recentForTenant as the tenant index does: newest first. */
function home(overrides: Partial<FrontDoorDeps> = {}) {
  const ops = new Map<string, Operation>();
  const asked: Array<[string, number]> = [];
  const published: Array<{ user: string; view: HomeView }> = [];
  const logs: string[] = [];
  const extras: Record<string, object | undefined> = {};
  const base = frontDoorFakes({
    store: {
      ...memoryStore(ops),
      recentForTenant: async (tenant, limit) => {
        asked.push([tenant, limit]);
        return [...ops.values()]
          .filter((op) => op.tenant === tenant)
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
          .slice(0, limit);
      },
    },
    chat: {
      ephemeral: async () => {},
      openView: async () => ({ id: "V1" }),
      updateView: async () => {},
      respond: async () => {},
      publishHome: async (user, view) => void published.push({ user, view }),
    },
    log: {
      info: (m, extra) => {
        logs.push(m);
        extras[m] = extra;
      },
      warn: (m, extra) => {
        logs.push(m);
        extras[m] = extra;
      },
    },
    ...overrides,
  });
  return { ...base, ops, asked, published, logs, extras };
}

/** In the in-flight index, as the state machine puts every state short of an end. */
const inFlight: Partial<Operation> = {};
const ids = (ops: Operation[]) => ops.map((op) => op.id);

describe("homeContent", () => {
  it("what waits for the person's approval: awaiting, unexpired, of their team, where the policy lets them approve, oldest first", async () => {
    const { deps, ops } = home();
    const newer = operationIn(ops, "C0CHG", ["awaiting_approval"], {
      ...inFlight,
      createdAt: iso(1000),
    });
    const older = operationIn(ops, "C0CHG", ["awaiting_approval"], {
      ...inFlight,
      createdAt: iso(5000),
    });
    operationIn(ops, "C0CHG", ["awaiting_approval"], { ...inFlight, requestExpiresAt: iso(1) });
    operationIn(ops, "C0CHG", ["awaiting_approval"], { ...inFlight, teamId: "T2" });
    // Out of the in-flight index: not read.
    delete (ops.get(operationIn(ops, "C0CHG", ["awaiting_approval"]).id) as Operation).inflight;
    operationIn(ops, "C0CHG", ["awaiting_approval"], {
      ...inFlight,
      approvals: [{ userId: "U0A1", at: iso(10) }],
    });
    operationIn(ops, "C0CHG", ["approved"], inFlight);

    const direct = await homeContent(deps, { teamId: "T1", userId: "U0A1" });
    expect(ids(direct.awaiting)).toEqual([older.id, newer.id]);
    // Through the approvers' group: the one U0A1 approved waits for a second approval.
    const viaGroup = await homeContent(deps, { teamId: "T1", userId: "U0A2" });
    expect(viaGroup.awaiting).toHaveLength(3);
    // The requester is no approver of C0CHG; nor is anyone else.
    expect((await homeContent(deps, { teamId: "T1", userId: "U0REQ" })).awaiting).toEqual([]);
    expect((await homeContent(deps, { teamId: "T1", userId: "U0NOBODY" })).awaiting).toEqual([]);
  });

  it("asks each user group once, however many requests wait", async () => {
    const asked: string[] = [];
    const { deps, ops } = home({
      groupMembers: async (group) => {
        asked.push(group);
        return group === "S0APP" ? ["U0A2"] : [];
      },
    });
    for (let i = 0; i < 4; i++) operationIn(ops, "C0CHG", ["awaiting_approval"], inFlight);
    expect((await homeContent(deps, { teamId: "T1", userId: "U0A2" })).awaiting).toHaveLength(4);
    expect(asked.filter((g) => g === "S0APP")).toEqual(["S0APP"]);
  });

  it("the person's own requests: in flight, newest first; ended in the last 7 days, newest first", async () => {
    const { deps, ops } = home();
    const a = operationIn(ops, "C0CHG", ["awaiting_approval"], {
      ...inFlight,
      createdAt: iso(9000),
    });
    const b = operationIn(ops, "C0INC", ["approved", "executing"], {
      ...inFlight,
      createdAt: iso(1000),
    });
    operationIn(ops, "C0INC", ["approved"], inFlight, "U0ELSE");
    // Ended, its notice still owed: in the index, but not in flight.
    const noticed = operationIn(ops, "C0INC", ["approved", "executing", "detaching", "done"], {
      inflight: "notice",
      createdAt: iso(2 * DAY),
      finishedAt: iso(2 * DAY),
    });
    const old = operationIn(ops, "C0INC", ["cancelled"], {
      createdAt: iso(8 * DAY),
      finishedAt: iso(8 * DAY),
    });
    const edge = operationIn(ops, "C0INC", ["cancelled"], {
      createdAt: iso(7 * DAY),
      finishedAt: iso(7 * DAY),
    });
    const rejected = operationIn(ops, "C0CHG", ["awaiting_approval", "rejected"], {
      createdAt: iso(DAY),
      finishedAt: iso(DAY),
    });
    operationIn(ops, "C0INC", ["noop"], { createdAt: iso(DAY) }, "U0ELSE");
    const seen = await homeContent(deps, { teamId: "T1", userId: "U0REQ" });
    expect(ids(seen.inFlight)).toEqual([b.id, a.id]);
    expect(ids(seen.recent)).toEqual([rejected.id, noticed.id, edge.id]);
    expect(ids(seen.recent)).not.toContain(old.id);
    expect((await homeContent(deps, { teamId: "T2", userId: "U0REQ" })).inFlight).toEqual([]);
  });

  it("a fleet request is one of the person's requests; its targets are not lines of their own", async () => {
    const { deps, ops } = home();
    const fleet = operationIn(ops, "C0INC", [], {
      ...inFlight,
      state: "detaching",
      inflight: "detaching",
      fleet: { targets: [{ serverId: SERVER, serverName: "web01", opId: "op-0000000001" }] },
    });
    operationIn(ops, "C0INC", ["approved", "executing"], { ...inFlight, parentId: fleet.id });
    operationIn(ops, "C0INC", ["approved", "noop"], {
      parentId: fleet.id,
      createdAt: iso(DAY),
      finishedAt: iso(DAY),
    });
    const seen = await homeContent(deps, { teamId: "T1", userId: "U0REQ" });
    expect(ids(seen.inFlight)).toEqual([fleet.id]);
    expect(ids(seen.recent)).toEqual([]);
  });

  it("reads each tenant where the person may request once, its last 50, and lists its known media", async () => {
    const { deps, ops, asked } = home();
    operationIn(ops, "C0CHG", ["awaiting_approval"], { serverId: SERVER, createdAt: iso(60_000) });
    operationIn(ops, "C0INC", ["noop"], { serverId: "other", createdAt: iso(2 * DAY) }, "U0ELSE");
    operationIn(ops, "C0INC", ["cancelled"], { serverId: "older", createdAt: iso(8 * DAY) });
    operationIn(ops, "C0INC", ["awaiting_approval", "expired"], {
      serverId: "edge",
      createdAt: iso(7 * DAY),
    });
    const seen = await homeContent(deps, { teamId: "T1", userId: "U0REQ" });
    expect(asked).toEqual([["t", TENANT_READ]]);
    expect(TENANT_READ).toBe(50);
    expect(seen.media).toEqual([
      {
        tenant: "t",
        servers: [
          {
            tenant: "t",
            serverId: SERVER,
            imageId: IMAGE,
            seenAt: iso(60_000),
            detaching: false,
          },
          { tenant: "t", serverId: "edge", imageId: IMAGE, seenAt: iso(7 * DAY), detaching: false },
        ],
      },
    ]);
    expect(seen.userId).toBe("U0REQ");
  });

  it("across tenants, the person's ended requests newest first, and each tenant's media apart", async () => {
    const policy = parsePolicy({
      team_ids: ["T1"],
      tenants: { a: { secret: "bm/tenant/a" }, b: { secret: "bm/tenant/b" } },
      channels: {
        C0A: { tenant: "a", requesters: ["U0REQ"], approvals: 0 },
        C0B: { tenant: "b", requesters: ["U0REQ"], approvals: 0 },
      },
    });
    const { deps, ops, asked } = home({ policy });
    const older = operationIn(ops, "C0INC", ["noop"], {
      tenant: "a",
      channelId: "C0A",
      createdAt: iso(3 * DAY),
    });
    const newer = operationIn(ops, "C0INC", ["noop"], {
      tenant: "b",
      channelId: "C0B",
      createdAt: iso(DAY),
    });
    const seen = await homeContent(deps, { teamId: "T1", userId: "U0REQ" });
    expect(asked).toEqual([
      ["a", TENANT_READ],
      ["b", TENANT_READ],
    ]);
    expect(ids(seen.recent)).toEqual([newer.id, older.id]);
    expect(seen.media.map((m) => m.tenant)).toEqual(["a", "b"]);
  });

  it("no media of a channel the person may not look in (issue 21): a restricted one of the same tenant", async () => {
    const policy = parsePolicy({
      team_ids: ["T1"],
      tenants: { t: { secret: "bm/tenant/t" } },
      channels: {
        C0OPEN: { tenant: "t", requesters: ["U0REQ"], approvals: 0 },
        C0SECRET: { tenant: "t", requesters: ["U0OTHER"], approvers: ["S0APP"], approvals: 1 },
      },
    });
    const { deps, ops } = home({ policy });
    operationIn(ops, "C0INC", ["awaiting_approval"], {
      channelId: "C0OPEN",
      serverId: "seen",
      createdAt: iso(60_000),
    });
    operationIn(ops, "C0INC", ["awaiting_approval"], {
      channelId: "C0SECRET",
      serverId: "unseen",
      createdAt: iso(30_000),
    });
    const requester = await homeContent(deps, { teamId: "T1", userId: "U0REQ" });
    expect(requester.media.map((m) => m.servers.map((x) => x.serverId))).toEqual([["seen"]]);
    // A requester of the restricted channel alone: its media, and none of the open one.
    const other = await homeContent(deps, { teamId: "T1", userId: "U0OTHER" });
    expect(other.media.map((m) => m.servers.map((x) => x.serverId))).toEqual([["unseen"]]);
  });

  it("a person who may request nowhere (a guest, listed by no channel) sees no tenant", async () => {
    const { deps, asked } = home();
    const seen = await homeContent(deps, { teamId: "T1", userId: "U0GUEST" });
    expect(seen.media).toEqual([]);
    expect(asked).toEqual([]);
  });
});

describe("knownMedia", () => {
  const at = (state: Operation["state"], changes: Partial<Operation> = {}) =>
    ({
      ...operationIn(new Map(), "C0INC", [], { serverId: SERVER, ...changes }),
      state,
    }) as Operation;

  it.each<[Operation["state"], "attached" | "detaching" | "not known"]>([
    ["requested", "not known"],
    ["awaiting_approval", "attached"],
    ["rejected", "attached"],
    ["expired", "attached"],
    ["cancelled", "attached"],
    ["approved", "detaching"],
    ["waiting_for_idle", "detaching"],
    ["executing", "detaching"],
    ["detaching", "detaching"],
    ["done", "not known"],
    ["noop", "not known"],
    ["failed", "not known"],
    ["timed_out", "not known"],
  ])("the last operation %s: %s", (state, known) => {
    const found = knownMedia([at(state, { serverName: "web01" })]);
    expect(found).toEqual(
      known === "not known"
        ? []
        : [
            {
              tenant: "t",
              serverId: SERVER,
              serverName: "web01",
              imageId: IMAGE,
              seenAt: at(state).createdAt,
              detaching: known === "detaching",
            },
          ],
    );
  });

  it("the newest operation of an image of a server decides, whatever the case of the image id", () => {
    expect(knownMedia([at("done", { imageId: IMAGE.toUpperCase() }), at("rejected")])).toEqual([]);
    expect(knownMedia([at("rejected"), at("done")])).toHaveLength(1);
    // Another image of the same server, or the same image of another server, is its own.
    expect(
      knownMedia([
        at("done"),
        at("rejected", { imageId: "other" }),
        at("expired", { serverId: "s2" }),
      ]),
    ).toHaveLength(2);
  });

  it("knows nothing of a server never read, or read without its media list", () => {
    const { serverId: _, ...unread } = at("cancelled");
    expect(knownMedia([unread as Operation])).toEqual([]);
    expect(knownMedia([at("cancelled", { mediaUnknown: true })])).toEqual([]);
    // A server read without its list does not hide an older read that had it.
    expect(knownMedia([at("cancelled", { mediaUnknown: true }), at("rejected")])).toHaveLength(1);
  });
});

const opened = (changes: Partial<HomeOpened> = {}): HomeOpened => ({
  who: { teamId: "T1", userId: "U0A1" },
  eventId: "Ev1",
  type: "app_home_opened",
  tab: "home",
  ...changes,
});
const now = () => budgetFrom(Date.now());

describe("openHome", () => {
  it("publishes the opener's Home once per event: a retry, or the same event again, does nothing", async () => {
    const { deps, published, logs, extras } = home();
    expect(await openHome(deps, now(), opened())).toBe("published");
    expect(published.map((p) => [p.user, p.view.type])).toEqual([["U0A1", "home"]]);
    expect(await openHome(deps, now(), opened())).toBe("repeat");
    expect(published).toHaveLength(1);
    expect(logs).toContain("event seen already");
    expect(extras["event seen already"]).toEqual({ eventId: "Ev1" });
    expect(await openHome(deps, now(), opened({ eventId: "Ev2" }))).toBe("published");
    expect(published).toHaveLength(2);
  });

  it("the Messages tab publishes nothing and claims nothing", async () => {
    const claims = memoryClaims();
    const { deps, published } = home({ events: claims });
    expect(await openHome(deps, now(), opened({ tab: "messages" }))).toBe("not_home");
    expect(published).toEqual([]);
    expect(claims.claimed.size).toBe(0);
  });

  it("another workspace's event publishes nothing and claims nothing", async () => {
    const claims = memoryClaims();
    const { deps, published, logs, extras } = home({ events: claims });
    const foreign = opened({ who: { teamId: "T9", userId: "U0A1" } });
    expect(await openHome(deps, now(), foreign)).toBe("foreign");
    expect(published).toEqual([]);
    expect(claims.claimed.size).toBe(0);
    expect(logs).toEqual(["refused an event of another workspace"]);
    expect(extras["refused an event of another workspace"]).toEqual({ team: "T9" });
  });

  it("a claim the table cannot answer publishes nothing: it may be a delivery's at work", async () => {
    const { deps, published, logs, extras } = home({
      events: {
        claim: async () => {
          throw new TypeError("down");
        },
      },
    });
    expect(await openHome(deps, now(), opened())).toBe("claim_unknown");
    expect(published).toEqual([]);
    expect(logs).toEqual(["event claim failed; no Home published"]);
    expect(extras["event claim failed; no Home published"]).toEqual({ error: "TypeError" });
  });

  it("a claim that hangs past the work's deadline publishes nothing, and answers in time", async () => {
    const { deps, published, logs, extras } = home({
      events: { claim: () => new Promise<boolean>(() => {}) },
    });
    // The work's deadline already passed: the budget of a delivery that started 3 s ago.
    const late = budgetFrom(Date.now() - 3000);
    const started = Date.now();
    expect(await openHome(deps, late, opened())).toBe("claim_unknown");
    expect(Date.now() - started).toBeLessThan(500);
    expect(published).toEqual([]);
    expect(logs).toEqual(["event claim late; no Home published"]);
    expect(Object.keys(extras["event claim late; no Home published"] ?? {})).toEqual(["elapsedMs"]);
  });
});

describe("publishHome", () => {
  it("puts the notice at the Home's top", async () => {
    const { deps, published } = home();
    const b = now();
    expect(await publishHome(deps, b, { teamId: "T1", userId: "U0A1" }, b.workBy, md`Done.`)).toBe(
      "published",
    );
    expect(JSON.stringify(published[0]?.view.blocks[1])).toContain('"text":"Done."');
  });

  it("publishes nothing when the reads fail, or no time is left for Slack", async () => {
    const failing = home();
    failing.deps.store.listInFlight = async () => {
      throw new RangeError("down");
    };
    const b = now();
    expect(await publishHome(failing.deps, b, { teamId: "T1", userId: "U0A1" }, b.workBy)).toBe(
      "late",
    );
    expect(failing.logs).toContain("home read failed");
    expect(failing.extras["home read failed"]).toEqual({ error: "RangeError" });
    const { deps, published, logs, extras } = home();
    const spent: Budget = { ...b, replyMs: () => undefined };
    expect(await publishHome(deps, spent, { teamId: "T1", userId: "U0A1" }, b.workBy)).toBe("late");
    expect(published).toEqual([]);
    expect(logs).toContain("no Home published: its reads were late or failed");
    expect(extras["no Home published: its reads were late or failed"]).toEqual({
      elapsedMs: expect.any(Number),
    });
    expect(failing.published).toEqual([]);
  });

  it("reads that outlast their deadline publish nothing", async () => {
    const { deps, published } = home();
    deps.store.listInFlight = () => new Promise(() => {});
    const b = now();
    expect(await publishHome(deps, b, { teamId: "T1", userId: "U0A1" }, Date.now() + 20)).toBe(
      "late",
    );
    expect(published).toEqual([]);
  });

  it("a refused views.publish is said and logged, never thrown", async () => {
    const { deps, logs, extras } = home({
      chat: {
        ephemeral: async () => {},
        openView: async () => ({ id: "V1" }),
        updateView: async () => {},
        respond: async () => {},
        publishHome: async () => {
          throw Object.assign(new SyntaxError("x"), { code: "not_enabled" });
        },
      },
    });
    const b = now();
    expect(await publishHome(deps, b, { teamId: "T1", userId: "U0A1" }, b.workBy)).toBe(
      "publish_failed",
    );
    expect(logs).toContain("views.publish failed");
    expect(extras["views.publish failed"]).toEqual({
      error: "SyntaxError",
      slackError: "not_enabled",
    });
  });

  it("a views.publish that takes a while is waited for, up to the reply's time", async () => {
    const { deps, published } = home({
      chat: {
        ephemeral: async () => {},
        openView: async () => ({ id: "V1" }),
        updateView: async () => {},
        respond: async () => {},
        publishHome: (user, view) =>
          new Promise((done) => setTimeout(() => done(void published.push({ user, view })), 30)),
      },
    });
    const b = now();
    expect(await publishHome(deps, b, { teamId: "T1", userId: "U0A1" }, b.workBy)).toBe(
      "published",
    );
    expect(published).toHaveLength(1);
  });

  it("homeBuildBy: half of what is left for the reply", () => {
    const b = { ...now(), replyMs: () => 801 };
    expect(homeBuildBy(b, 1000)).toBe(1400);
    expect(homeBuildBy({ ...b, replyMs: () => undefined }, 1000)).toBe(1000);
  });
});

describe("openHome remembers who opened it", () => {
  it("each Home opened of this workspace, once per event; a failure to remember is only logged", async () => {
    const remembered: Array<[string, string]> = [];
    const homes = {
      opened: async (userId: string, at: Date) => void remembered.push([userId, at.toISOString()]),
      among: async () => [],
      anyone: async () => false,
    };
    const { deps } = home({ homes });
    await openHome(deps, now(), opened());
    expect(remembered).toEqual([["U0A1", NOW.toISOString()]]);
    await openHome(deps, now(), opened({ tab: "messages" }));
    await openHome(deps, now(), opened({ who: { teamId: "T9", userId: "U0A1" } }));
    expect(remembered).toHaveLength(1);
    const failing = home({
      homes: {
        opened: async () => {
          throw new URIError("down");
        },
        among: async () => [],
        anyone: async () => false,
      },
    });
    expect(await openHome(failing.deps, now(), opened())).toBe("published");
    expect(failing.extras["could not remember the Home opened"]).toEqual({ error: "URIError" });
  });

  it("a slow write of who opened it is waited for (within the work's time), not left running", async () => {
    const remembered: string[] = [];
    const homes = {
      opened: (userId: string) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            remembered.push(userId);
            resolve();
          }, 20),
        ),
      among: async () => [],
      anyone: async () => false,
    };
    const { deps } = home({ homes });
    expect(await openHome(deps, now(), opened())).toBe("published");
    expect(remembered).toEqual(["U0A1"]);
  });
});
