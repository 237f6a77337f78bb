/**
 * A user's roles in a channel: only those asked for are worked out, and Slack's failure to say who
 * is in a group is "unknown", logged with the error's name alone.
 */
import { describe, expect, it } from "vitest";
import { type ChannelPolicy, parsePolicy } from "../../../lib/policy/policy";
import { type PolicyDeps, rolesIn } from "../../../lib/policy/roles";

const policy = parsePolicy({
  team_ids: ["T1"],
  tenants: { prod: { secret: "bm/tenant/prod" } },
  channels: {
    C0OPS: { tenant: "prod", requesters: ["U0REQ", "S0OPS"], approvers: ["S0APR"], approvals: 1 },
    C0ALL: { tenant: "prod", requesters: ["*"], approvers: ["*"], approvals: 1 },
    C0BROKEN: { tenant: "prod", requesters: ["S0BROKEN"], approvers: ["S0BROKEN"], approvals: 1 },
  },
});
const GROUPS: Record<string, string[]> = { S0OPS: ["U0OP"], S0APR: ["U0A1"] };

/** The roles' deps: Slack's groups (S0BROKEN fails), what was asked and warned. */
function deps() {
  const asked: string[] = [];
  const warned: Array<[string, object | undefined]> = [];
  const d: PolicyDeps = {
    policy,
    groupMembers: async (group) => {
      asked.push(group);
      if (group === "S0BROKEN") throw Object.assign(new Error("x"), { name: "SlackApiError" });
      return GROUPS[group] ?? [];
    },
    log: { warn: (message, extra) => void warned.push([message, extra]) },
  };
  return { d, asked, warned };
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
    ["C0ALL", "U0X", ["approver"], { requester: false, approver: true }, []],
    ["C0ALL", "U0X", ["requester"], { requester: true, approver: false }, []],
    ["C0ALL", "U0X", ["requester", "approver"], { requester: true, approver: true }, []],
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
