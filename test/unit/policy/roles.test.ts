/**
 * A user's roles in a channel: only those asked for are worked out, and Slack's failure to say who
 * is in a group is "unknown", logged with the error's name alone.
 */
import { describe, expect, it } from "vitest";
import { type ChannelPolicy, parsePolicy } from "../../../lib/policy/policy";
import { type PolicyDeps, rolesIn } from "../../../lib/policy/roles";
import { SlackApiError } from "../../../lib/slack/slack-error";
import { person } from "../fakes";

const policy = parsePolicy({
  team_ids: ["T1"],
  tenants: { prod: { secret: "bm/tenant/prod" } },
  channels: {
    C0OPS: { tenant: "prod", requesters: ["U0REQ", "S0OPS"], approvers: ["S0APR"], approvals: 1 },
    C0ALL: { tenant: "prod", requesters: ["*"], approvers: ["S0APR", "U0GUEST"], approvals: 1 },
    C0BROKEN: { tenant: "prod", requesters: ["S0BROKEN"], approvers: ["S0BROKEN"], approvals: 1 },
    C0MIXED: {
      tenant: "prod",
      requesters: ["U0REQ", "S0FIRST"],
      approvers: ["S0FIRST", "S0APR"],
      approvals: 1,
    },
  },
});
const GROUPS: Record<string, string[]> = { S0OPS: ["U0OP"], S0APR: ["U0A1", "U0VENDOR", "U0GONE"] };

/** The roles' deps: Slack's groups (S0BROKEN fails), what was asked and warned. */
function deps() {
  const asked: string[] = [];
  const looked: string[] = [];
  const warned: Array<[string, object | undefined]> = [];
  const d: PolicyDeps = {
    policy,
    groupMembers: async (group) => {
      asked.push(group);
      if (group === "S0BROKEN") throw Object.assign(new Error("x"), { name: "SlackApiError" });
      return GROUPS[group] ?? [];
    },
    person: async (user) => {
      looked.push(user);
      if (user === "U0GONE") return { teamId: "T1", guest: false, external: false, deleted: true };
      if (user === "U0DOWN") throw new Error("ratelimited");
      return person(user);
    },
    log: { warn: (message, extra) => void warned.push([message, extra]) },
  };
  return { d, asked, warned, looked };
}

const channel = (id: string) => policy.channels[id] as ChannelPolicy;

describe("rolesIn", () => {
  it.each([
    // [channel, user, roles asked for, roles, groups asked]
    ["C0OPS", "U0REQ", ["requester"], { requester: true, approver: false }, []],
    ["C0OPS", "U0OP", ["requester"], { requester: true, approver: false }, ["S0OPS"]],
    ["C0OPS", "U0A1", ["requester"], { requester: false, approver: false }, ["S0OPS"]],
    ["C0OPS", "U0A1", ["approver"], { requester: false, approver: true }, ["S0APR"]],
    ["C0OPS", "U0REQ", ["approver"], { requester: false, approver: false }, ["S0APR"]],
    ["C0OPS", "U0X", [], { requester: false, approver: false }, []],
    ["C0ALL", "U0X", ["approver"], { requester: false, approver: false }, ["S0APR"]],
    ["C0ALL", "U0X", ["requester"], { requester: true, approver: false }, []],
    ["C0ALL", "U0A1", ["requester", "approver"], { requester: true, approver: true }, ["S0APR"]],
    // Guests and strangers: only where named by their id; "*" and groups do not count them.
    [
      "C0ALL",
      "U0GUEST",
      ["requester"],
      { requester: false, approver: false, limited: "guest" },
      [],
    ],
    ["C0ALL", "U0GUEST", ["approver"], { requester: false, approver: true }, []],
    [
      "C0ALL",
      "U0VENDOR",
      ["requester", "approver"],
      { requester: false, approver: false, limited: "external" },
      ["S0APR"],
    ],
    [
      "C0ALL",
      "U0ELSEWHERE",
      ["requester"],
      { requester: false, approver: false, limited: "external" },
      [],
    ],
    [
      "C0ALL",
      "U0GONE",
      ["approver"],
      { requester: false, approver: false, limited: "deactivated" },
      ["S0APR"],
    ],
  ] as const)("in %s, %s asked %j: %j", async (id, user, wanted, roles, groups) => {
    // Prepare
    const { d, asked, warned } = deps();
    // Act
    const found = await rolesIn(d, channel(id), user, wanted);
    // Assess
    expect(found).toEqual(roles);
    expect(asked).toEqual(groups);
    expect(warned).toEqual([]);
  });

  it('asks who a user is only when they are listed through "*" or a group, and once', async () => {
    const named = deps();
    await rolesIn(named.d, channel("C0OPS"), "U0REQ", ["requester"]);
    await rolesIn(named.d, channel("C0ALL"), "U0GUEST", ["approver"]);
    await rolesIn(named.d, channel("C0OPS"), "U0X", ["requester", "approver"]);
    expect(named.looked).toEqual([]);
    const broad = deps();
    await rolesIn(broad.d, channel("C0ALL"), "U0A1", ["requester", "approver"]);
    expect(broad.looked).toEqual(["U0A1"]);
  });

  it("Slack unable to say who a user is: unknown", async () => {
    const { d, warned } = deps();
    expect(await rolesIn(d, channel("C0ALL"), "U0DOWN", ["requester"])).toBe("unknown");
    expect(warned).toEqual([["user group lookup failed", { error: "Error" }]]);
  });

  it("Slack unable to say who is in a group: unknown, logged with the error's name", async () => {
    // Prepare
    const { d, warned } = deps();
    // Act
    const found = await rolesIn(d, channel("C0BROKEN"), "U0X", ["requester", "approver"]);
    // Assess
    expect(found).toBe("unknown");
    expect(warned).toEqual([["user group lookup failed", { error: "SlackApiError" }]]);
  });
});

describe("rolesIn, when a group's lookup fails", () => {
  const refused = (code: string, kind: "passing" | "permanent") =>
    new SlackApiError("usergroups.users.list", code, kind);

  /** Deps where S0FIRST's lookup throws `error` (S0APR lists U0A1, as above). */
  function failing(error: unknown) {
    const { d, asked, warned } = deps();
    const groupMembers = d.groupMembers;
    d.groupMembers = async (group) => {
      if (group === "S0FIRST") {
        asked.push(group);
        throw error;
      }
      return groupMembers(group);
    };
    return { d, asked, warned };
  }

  it.each([
    // [Slack's answer for S0FIRST, user, the approver role found]
    [refused("no_such_subteam", "permanent"), "U0A1", true],
    [refused("no_such_subteam", "permanent"), "U0X", false],
    [refused("missing_scope", "permanent"), "U0A1", true],
    [refused("missing_scope", "permanent"), "U0X", false],
    [refused("ratelimited", "passing"), "U0A1", true],
    [refused("ratelimited", "passing"), "U0X", "unknown"],
    [refused("no_response", "passing"), "U0X", "unknown"],
    [refused("http_503", "passing"), "U0X", "unknown"],
    [new Error("socket hang up"), "U0X", "unknown"],
  ] as const)("%s, for %s: %s", async (error, user, approver) => {
    // Prepare
    const { d, asked } = failing(error);
    // Act
    const found = await rolesIn(d, channel("C0MIXED"), user, ["approver"]);
    // Assess
    expect(found).toEqual(approver === "unknown" ? "unknown" : { requester: false, approver });
    expect(asked).toEqual(["S0FIRST", "S0APR"]);
  });

  it("a group refused for good is skipped without a warning of its own (the cache logs it once)", async () => {
    // Prepare
    const { d, warned } = failing(refused("no_such_subteam", "permanent"));
    // Act
    const found = await rolesIn(d, channel("C0MIXED"), "U0X", ["requester", "approver"]);
    // Assess
    expect(found).toEqual({ requester: false, approver: false });
    expect(warned).toEqual([]);
  });

  it("a passing failure, with no other group listing the user, is logged with the error's name", async () => {
    // Prepare
    const { d, warned } = failing(refused("ratelimited", "passing"));
    // Act
    await rolesIn(d, channel("C0MIXED"), "U0X", ["approver"]);
    // Assess
    expect(warned).toEqual([["user group lookup failed", { error: "SlackApiError" }]]);
  });

  it("a user listed directly never causes a lookup, whatever the groups", async () => {
    // Prepare
    const { d, asked } = failing(refused("ratelimited", "passing"));
    // Act
    const found = await rolesIn(d, channel("C0MIXED"), "U0REQ", ["requester"]);
    // Assess
    expect(found).toEqual({ requester: true, approver: false });
    expect(asked).toEqual([]);
  });
});

describe("rolesIn asks the groups all at once", () => {
  it("answers at the first group that lists the user, without waiting for one that hangs", async () => {
    // Prepare
    const asked: string[] = [];
    const d: PolicyDeps = {
      policy,
      groupMembers: (group) => {
        asked.push(group);
        return group === "S0APR" ? Promise.resolve(["U0A1"]) : new Promise(() => {});
      },
      person,
      log: { warn: () => {} },
    };
    // Act
    const found = await Promise.race([
      rolesIn(d, channel("C0MIXED"), "U0A1", ["approver"]),
      new Promise((resolve) => setTimeout(() => resolve("still waiting"), 200)),
    ]);
    // Assess
    expect(found).toEqual({ requester: false, approver: true });
    expect(asked).toEqual(["S0FIRST", "S0APR"]);
  });

  it("asks every group before any answers", async () => {
    // Prepare
    const asked: string[] = [];
    const answers: Array<(members: string[]) => void> = [];
    const d: PolicyDeps = {
      policy,
      groupMembers: (group) => {
        asked.push(group);
        return new Promise((resolve) => answers.push(resolve));
      },
      person,
      log: { warn: () => {} },
    };
    // Act
    const found = rolesIn(d, channel("C0MIXED"), "U0X", ["approver"]);
    await Promise.resolve();
    const askedBeforeAnswers = [...asked];
    for (const answer of answers) answer(["U0OTHER"]);
    // Assess
    expect(askedBeforeAnswers).toEqual(["S0FIRST", "S0APR"]);
    expect(await found).toEqual({ requester: false, approver: false });
  });
});
