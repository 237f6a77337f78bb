import { describe, expect, it } from "vitest";
import {
  approvalRefusal,
  groupsIn,
  isListed,
  NOT_BOUND,
  requestRefusal,
} from "../../../lib/policy/decide";
import { PolicyError, parsePolicy } from "../../../lib/policy/policy";

const valid = {
  team_ids: ["T0001"],
  tenants: { "prod-jp1": { secret: "bm/tenant/prod-jp1" } },
  channels: {
    C0123456789: {
      tenant: "prod-jp1",
      requesters: ["*"],
      approvers: ["S0APPROVERS"],
      approvals: 1,
      allow_self_approval: false,
      request_ttl_minutes: 30,
    },
    C0INCIDENT: { tenant: "prod-jp1", requesters: ["U0ALICE", "S0OPS"], approvals: 0 },
  },
};

describe("parsePolicy", () => {
  it("reads the issue's example, with defaults", () => {
    const policy = parsePolicy(valid);
    expect(policy.channels.C0INCIDENT).toEqual({
      channelId: "C0INCIDENT",
      tenant: "prod-jp1",
      requesters: ["U0ALICE", "S0OPS"],
      approvers: [],
      approvals: 0,
      allowSelfApproval: false,
      requestTtlMinutes: 30,
    });
    expect(policy.tenants["prod-jp1"]).toEqual({ secret: "bm/tenant/prod-jp1" });
  });

  it.each([1, 1440])("takes request_ttl_minutes %i (1 to a day)", (minutes) => {
    const document = {
      ...valid,
      channels: { C0X1: { ...valid.channels.C0123456789, request_ttl_minutes: minutes } },
    };
    expect(parsePolicy(document).channels.C0X1?.requestTtlMinutes).toBe(minutes);
  });

  it.each([
    [{ ...valid, tenants: undefined }, "tenants: missing"],
    [
      { ...valid, channels: { general: valid.channels.C0INCIDENT } },
      "channel keys must be Slack channel ids",
    ],
    [
      { ...valid, channels: { C0X1: { ...valid.channels.C0INCIDENT, tenant: "nope" } } },
      'channels.C0X1.tenant: "nope" is not one of tenants',
    ],
    [
      { ...valid, channels: { C0X1: { ...valid.channels.C0INCIDENT, requesters: ["alice"] } } },
      "requesters entries must be user ids",
    ],
    [
      { ...valid, channels: { C0X1: { ...valid.channels.C0INCIDENT, approvals: -1 } } },
      "approvals must be 0 or more",
    ],
    [
      { ...valid, channels: { C0X1: { ...valid.channels.C0INCIDENT, approvals: 1.5 } } },
      "approvals must be a whole number",
    ],
    [
      { ...valid, channels: { C0X1: { ...valid.channels.C0INCIDENT, approvals: 2 } } },
      "channels.C0X1.approvers: needed when approvals is 2",
    ],
    [
      { ...valid, channels: { C0X1: { tenant: "prod-jp1", approvals: 0 } } },
      "channels.C0X1.requesters: missing",
    ],
    [
      {
        ...valid,
        channels: { C0X1: { ...valid.channels.C0INCIDENT, approvers: ["S0A", "*"], approvals: 1 } },
      },
      'channels.C0X1.approvers.1: approvers may not be "*": anyone in the channel could approve; name the approvers (user ids U…, W… or user group ids S…)',
    ],
    [
      { ...valid, channels: { C0X1: { ...valid.channels.C0INCIDENT, approvers: ["alice"] } } },
      "channels.C0X1.approvers.0: approvers entries must be user ids (U…, W…) or user group ids (S…)",
    ],
    [
      { ...valid, channels: { C0X1: { ...valid.channels.C0INCIDENT, approvers: ["xU0A1"] } } },
      "approvers entries must be user ids",
    ],
    [
      { ...valid, channels: { C0X1: { ...valid.channels.C0INCIDENT, approvers: ["U0A1x"] } } },
      "approvers entries must be user ids",
    ],
    [
      { ...valid, channels: { C0X1: { ...valid.channels.C0INCIDENT, approvers: "U0A1" } } },
      "approvers must be a list",
    ],
    [
      {
        ...valid,
        channels: { C0X1: { ...valid.channels.C0123456789, request_ttl_minutes: 1441 } },
      },
      "policy.yml is invalid: channels.C0X1.request_ttl_minutes: request_ttl_minutes must be 1440 (a day) or less",
    ],
    [
      { ...valid, channels: { C0X1: { ...valid.channels.C0123456789, request_ttl_minutes: 0 } } },
      "channels.C0X1.request_ttl_minutes: request_ttl_minutes must be 1 or more",
    ],
    ["just text", "the policy must be a map with team_ids, tenants and channels"],
    // The id patterns are anchored at both ends: a prefix or a suffix is not an id.
    [
      { ...valid, channels: { xC0X1: valid.channels.C0INCIDENT } },
      "channel keys must be Slack channel ids",
    ],
    [
      { ...valid, channels: { "C0X1 ": valid.channels.C0INCIDENT } },
      "channel keys must be Slack channel ids",
    ],
    [
      { ...valid, channels: { C0X1: { ...valid.channels.C0INCIDENT, requesters: ["xU0ALICE"] } } },
      "requesters entries must be user ids",
    ],
    [
      { ...valid, channels: { C0X1: { ...valid.channels.C0INCIDENT, requesters: ["U0ALICE!"] } } },
      "requesters entries must be user ids",
    ],
    [
      { ...valid, channels: { C0X1: { ...valid.channels.C0INCIDENT, requesters: ["**"] } } },
      "requesters entries must be user ids",
    ],
    [
      { ...valid, tenants: { "prod/jp1": valid.tenants["prod-jp1"] } },
      "tenant keys must be short names",
    ],
    [
      { ...valid, tenants: { "prod-jp1 x": valid.tenants["prod-jp1"] } },
      "tenant keys must be short names",
    ],
  ])("refuses %j: %s", (document, message) => {
    expect(() => parsePolicy(document, "policy.yml")).toThrow(PolicyError);
    expect(() => parsePolicy(document, "policy.yml")).toThrow(message);
  });

  it('refuses "*" among the approvers with that rule alone, naming the entry', () => {
    const document = {
      ...valid,
      channels: { C0X1: { ...valid.channels.C0INCIDENT, approvers: ["*"], approvals: 1 } },
    };
    let message = "";
    try {
      parsePolicy(document, "policy.yml");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      'policy.yml is invalid: channels.C0X1.approvers.0: approvers may not be "*": anyone in the channel could approve; name the approvers (user ids U…, W… or user group ids S…)',
    );
  });
});

describe("decisions", () => {
  // Parsed in the tests, not while the file loads (a throw there would hide every test).
  const change = () => parsePolicy(valid).channels.C0123456789;

  // An unbound channel is refused before any role is looked at: see "an unbound channel" in
  // test/integration/front-door.test.ts.
  it.each([
    [false, "not_a_requester"],
    [true, undefined],
  ] as const)("requestRefusal(requester: %s) → %s", (requester, reason) => {
    expect(requestRefusal({ requester })?.reason).toBe(reason);
  });

  it("refuses an unbound channel as channel_not_bound", () => {
    expect(NOT_BOUND.reason).toBe("channel_not_bound");
  });

  it.each([
    [{ approver: false }, "U2", { requester: "U1" }, false, "not_an_approver"],
    [{ approver: true }, "U1", { requester: "U1" }, false, "self_approval"],
    [{ approver: true }, "U1", { requester: "U1" }, true, undefined],
    [
      { approver: true },
      "U2",
      { requester: "U1", approvals: [{ userId: "U2" }] },
      false,
      "already_approved",
    ],
    [
      { approver: true },
      "U2",
      { requester: "U1", approvals: [{ userId: "U3" }, { userId: "U2" }] },
      false,
      "already_approved",
    ],
    [
      { approver: true },
      "U2",
      { requester: "U1", approvals: [{ userId: "U3" }] },
      false,
      undefined,
    ],
  ])("approvalRefusal(%#)", (roles, user, request, allowSelf, reason) => {
    const channel = {
      ...(change() as NonNullable<ReturnType<typeof change>>),
      allowSelfApproval: allowSelf,
    };
    expect(approvalRefusal(channel, roles, user, request)?.reason).toBe(reason);
  });

  it("isListed honours the wildcard, users and groups", () => {
    expect(isListed(["*"], "U1", new Set())).toBe(true);
    expect(isListed(["U1"], "U1", new Set())).toBe(true);
    expect(isListed(["S1"], "U1", new Set(["S1"]))).toBe(true);
    expect(isListed(["S1", "U2"], "U1", new Set(["S2"]))).toBe(false);
    // Any one entry is enough, wherever it is in the list.
    expect(isListed(["U2", "U1"], "U1", new Set())).toBe(true);
    expect(isListed(["U2", "S1"], "U1", new Set(["S1"]))).toBe(true);
    expect(isListed(["U2", "*"], "U1", new Set())).toBe(true);
    expect(isListed([], "U1", new Set(["S1"]))).toBe(false);
  });
});

describe("groupsIn", () => {
  it("only user groups (S…) are looked up in Slack; users and everyone are not", () => {
    expect(groupsIn(["U0A1", "S0APP", "*", "W0ENT"])).toEqual(["S0APP"]);
  });
});
