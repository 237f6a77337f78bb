import { describe, expect, it } from "vitest";
import { decideRequest, isListed } from "../../../lib/policy/decide";
import { PolicyError, parsePolicy } from "../../../lib/policy/policy";

const valid = {
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
    ["just text", "the policy must be a map with tenants and channels"],
  ])("refuses %j: %s", (document, message) => {
    expect(() => parsePolicy(document, "policy.yml")).toThrow(PolicyError);
    expect(() => parsePolicy(document, "policy.yml")).toThrow(message);
  });
});

describe("decideRequest", () => {
  const policy = parsePolicy(valid);

  it.each([
    ["C0INCIDENT", "U0ALICE", [], true, undefined],
    ["C0INCIDENT", "U0BOB", ["S0OPS"], true, undefined],
    ["C0INCIDENT", "U0BOB", [], false, "not_a_requester"],
    ["C0123456789", "U0ANYONE", [], true, undefined],
    ["C0NOTLISTED", "U0ALICE", [], false, "channel_not_bound"],
    ["constructor", "U0ALICE", [], false, "channel_not_bound"],
  ])("%s, %s in %j → %s", (channel, user, groups, allowed, reason) => {
    const decision = decideRequest(policy, channel, user, new Set(groups));
    expect(decision.allowed).toBe(allowed);
    if (!decision.allowed) expect(decision.reason).toBe(reason);
    else expect(decision.secretId).toBe("bm/tenant/prod-jp1");
  });

  it("isListed honours the wildcard, users and groups", () => {
    expect(isListed(["*"], "U1", new Set())).toBe(true);
    expect(isListed(["U1"], "U1", new Set())).toBe(true);
    expect(isListed(["S1"], "U1", new Set(["S1"]))).toBe(true);
    expect(isListed(["S1", "U2"], "U1", new Set(["S2"]))).toBe(false);
  });
});
