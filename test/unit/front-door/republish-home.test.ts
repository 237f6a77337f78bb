/**
 * The Home tabs an operation's change shows in, published again: to whom, how many, and what a
 * failure does.
 */
import type { HomeView } from "@slack/types";
import { describe, expect, it } from "vitest";
import type { HomeOpeners } from "../../../lib/front-door/deps";
import { homeRepublisher, REPUBLISH_CAP, viewersOf } from "../../../lib/front-door/republish-home";
import { parsePolicy } from "../../../lib/policy/policy";
import { frontDoorFakes, operationIn } from "../fakes";

function setup(opened: string[], groups: Record<string, string[]> = { S0APP: ["U0A2", "U0A3"] }) {
  const published: Array<{ user: string; view: HomeView }> = [];
  const logs: Array<[string, object | undefined]> = [];
  const asked: string[][] = [];
  const homes: HomeOpeners = {
    opened: async () => {},
    among: async (ids) => {
      asked.push([...ids]);
      return ids.filter((id) => opened.includes(id));
    },
    anyone: async () => opened.length > 0,
  };
  const groupsAsked: string[] = [];
  const { deps, ops } = frontDoorFakes({
    groupMembers: async (group) => {
      groupsAsked.push(group);
      const members = groups[group];
      if (!members) throw new Error("no such group");
      return members;
    },
    log: { info: () => {}, warn: (m, extra) => void logs.push([m, extra]) },
  });
  const republish = homeRepublisher({
    ...deps,
    chat: { publishHome: async (user, view) => void published.push({ user, view }) },
    homes,
  });
  return { deps, ops, republish, published, logs, asked, groupsAsked };
}

describe("viewersOf", () => {
  it("the requester, the approvers named by id, and the members of the approvers' groups, each once", async () => {
    const { deps, ops, groupsAsked } = setup([]);
    const op = operationIn(ops, "C0CHG", ["awaiting_approval"], {}, "U0A2");
    expect(await viewersOf(deps, op)).toEqual(["U0A2", "U0A1", "U0A3"]);
    // Only groups are asked of Slack; a user id with an S in it is a user.
    expect(groupsAsked).toEqual(["S0APP"]);
  });

  it("a group Slack cannot list is left out, and an unbound channel has its requester only", async () => {
    const { deps, ops } = setup([], {});
    const policy = parsePolicy({
      team_ids: ["T1"],
      tenants: { t: { secret: "bm/tenant/t" } },
      channels: {
        C0ANY: { tenant: "t", requesters: ["*"], approvers: ["S0GONE", "U0S1"], approvals: 1 },
      },
    });
    const op = operationIn(ops, "C0INC", [], { channelId: "C0ANY" });
    expect(await viewersOf({ ...deps, policy }, op)).toEqual(["U0REQ", "U0S1"]);
    expect(await viewersOf({ ...deps, policy }, { ...op, channelId: "C0NONE" })).toEqual(["U0REQ"]);
  });
});

describe("homeRepublisher", () => {
  it("publishes the Home of each viewer who opened theirs, and no one else's", async () => {
    const { ops, republish, published, asked } = setup(["U0A1", "U0REQ", "U0OTHER"]);
    const op = operationIn(ops, "C0CHG", ["awaiting_approval"]);
    await republish(op);
    expect(asked).toEqual([["U0REQ", "U0A1", "U0A2", "U0A3"]]);
    expect(published.map((p) => [p.user, p.view.type])).toEqual([
      ["U0REQ", "home"],
      ["U0A1", "home"],
    ]);
    expect(JSON.stringify(published[1]?.view)).toContain(`bm_home_${op.id}`);
  });

  it("nobody has opened a Home: no group asked of Slack, no one looked up, nothing published", async () => {
    const { ops, republish, published, asked, groupsAsked, logs } = setup([]);
    await republish(operationIn(ops, "C0CHG", ["awaiting_approval"]));
    expect(groupsAsked).toEqual([]);
    expect(asked).toEqual([]);
    expect(published).toEqual([]);
    expect(logs).toEqual([]);
  });

  it(`asks about ${REPUBLISH_CAP} viewers at most`, async () => {
    const many = Array.from({ length: 30 }, (_, i) => `U0M${i}`);
    const { ops, republish, asked } = setup(["U0NOBODY"], { S0APP: many });
    await republish(operationIn(ops, "C0CHG", ["awaiting_approval"]));
    expect(asked[0]).toHaveLength(REPUBLISH_CAP);
    expect(REPUBLISH_CAP).toBe(20);
  });

  it("a failure is logged with the operation, and never thrown", async () => {
    const { ops, republish, logs, deps } = setup(["U0REQ"]);
    deps.store.listInFlight = async () => {
      throw new RangeError("down");
    };
    const op = operationIn(ops, "C0CHG", ["awaiting_approval"]);
    await expect(republish(op)).resolves.toBeUndefined();
    expect(logs).toEqual([
      ["could not publish the Home tabs again", { operationId: op.id, error: "RangeError" }],
    ]);
  });
});
