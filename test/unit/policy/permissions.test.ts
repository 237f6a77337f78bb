/**
 * Who may do what, where: each rule of lib/policy/permissions.ts, a row a case, over a policy of
 * a few channels and a Slack whose user groups answer, or fail.
 */
import { describe, expect, it } from "vitest";
import { GROUPS_UNKNOWN, NOT_BOUND } from "../../../lib/policy/decide";
import {
  channelPolicy,
  choiceRefusal,
  mayApprove,
  mayCancel,
  mayChoose,
  mayLook,
  mayRecheck,
  mayReject,
  mayRequest,
  requestPolicy,
  rolesHere,
  type Verdict,
} from "../../../lib/policy/permissions";
import { type Policy, parsePolicy } from "../../../lib/policy/policy";
import type { PolicyDeps } from "../../../lib/policy/roles";
import { rolesIn } from "../../../lib/policy/roles";
import { person } from "../fakes";

const document = {
  team_ids: ["T1"],
  tenants: { prod: { secret: "bm/tenant/prod" } },
  channels: {
    C0INC: { tenant: "prod", requesters: ["*"], approvals: 0 },
    C0OPS: {
      tenant: "prod",
      requesters: ["U0DIRECT", "S0OPS"],
      approvers: ["S0APR"],
      approvals: 1,
    },
    C0CHG: {
      tenant: "prod",
      requesters: ["*"],
      approvers: ["U0LEAD", "S0APR"],
      approvals: 1,
      request_ttl_minutes: 45,
    },
    C0SELF: {
      tenant: "prod",
      requesters: ["*"],
      approvers: ["S0APR"],
      approvals: 1,
      allow_self_approval: true,
    },
    C0BROKEN: {
      tenant: "prod",
      requesters: ["S0BROKEN"],
      approvers: ["S0BROKEN"],
      approvals: 1,
    },
  },
};
const GROUPS: Record<string, string[]> = {
  S0OPS: ["U0OP"],
  S0APR: ["U0A1", "U0A2", "U0GUEST", "U0VENDOR"],
};

/** The rules' deps: the policy, Slack's groups (S0BROKEN fails), what was asked and logged. */
function deps(policy: Policy = parsePolicy(document)) {
  const asked: string[] = [];
  const warned: string[] = [];
  const d: PolicyDeps = {
    policy,
    groupMembers: async (group) => {
      asked.push(group);
      if (group === "S0BROKEN") throw Object.assign(new Error("x"), { name: "SlackApiError" });
      return GROUPS[group] ?? [];
    },
    person,
    log: { warn: (message) => warned.push(message) },
  };
  return { d, asked, warned };
}

/** A refusal with its words as the user reads them. */
const said = <T extends object>(v: T | undefined) =>
  v && "message" in v ? { ...v, message: String(v.message) } : v;

/** A verdict as a table row reads it: allowed, or the refusal's reason. */
const outcome = (v: Verdict) => (v.ok ? "ok" : v.reason);

describe("channelPolicy", () => {
  it.each([
    ["C0CHG", true],
    ["C0NOPE", false],
    ["__proto__", false],
    ["constructor", false],
    ["toString", false],
  ])("%s is bound: %s", (channel, bound) => {
    expect(channelPolicy(parsePolicy(document), channel) !== undefined).toBe(bound);
  });

  it("is not bound when its tenant is not in the policy", () => {
    const policy = parsePolicy(document);
    const orphan = { ...(policy.channels.C0INC as NonNullable<typeof policy.channels.C0INC>) };
    orphan.tenant = "gone";
    expect(channelPolicy({ ...policy, channels: { C0ORPHAN: orphan } }, "C0ORPHAN")).toBe(
      undefined,
    );
  });

  it("gives what a request made there keeps: tenant, secret, approvals, approvers, TTL", () => {
    const policy = parsePolicy(document);
    expect(requestPolicy(policy, policy.channels.C0CHG as never)).toEqual({
      tenant: "prod",
      secretId: "bm/tenant/prod",
      approvalsRequired: 1,
      approvers: ["U0LEAD", "S0APR"],
      requestTtlMinutes: 45,
    });
  });
});

describe("mayRequest", () => {
  it.each([
    ["C0INC", "U0ANYONE", "ok"],
    ["C0OPS", "U0DIRECT", "ok"],
    ["C0OPS", "U0OP", "ok"],
    ["C0OPS", "U0A1", "not_a_requester"],
    ["C0NOPE", "U0ANYONE", "channel_not_bound"],
    ["C0BROKEN", "U0ANYONE", "group_lookup_failed"],
  ])("in %s, %s: %s", async (channel, user, expected) => {
    expect(outcome(await mayRequest(deps().d, channel, user))).toBe(expected);
  });

  it("says each refusal in words", async () => {
    const { d, warned } = deps();
    expect(said(await mayRequest(d, "C0NOPE", "U0X"))).toEqual(said({ ok: false, ...NOT_BOUND }));
    expect(said(await mayRequest(d, "C0BROKEN", "U0X"))).toEqual({
      ok: false,
      reason: "group_lookup_failed",
      message: String(GROUPS_UNKNOWN),
    });
    expect(warned).toEqual(["user group lookup failed"]);
    expect(said(await mayRequest(d, "C0OPS", "U0X"))).toEqual({
      ok: false,
      reason: "not_a_requester",
      message:
        "You may not request media detaches in this channel: you are not one of its requesters in the policy.",
    });
  });

  it('tells a guest or a stranger listed only through "*" that they must be named', async () => {
    const words =
      "You may not request media detaches in this channel. Guests and people from other organisations may act in this channel only where the policy names them by their user id.";
    expect(said(await mayRequest(deps().d, "C0CHG", "U0GUEST"))).toEqual({
      ok: false,
      reason: "not_a_requester_guest",
      message: words,
    });
    expect(said(await mayRequest(deps().d, "C0CHG", "U0VENDOR"))).toEqual({
      ok: false,
      reason: "not_a_requester_external",
      message: words,
    });
  });

  it("gives the channel's policy with the verdict", async () => {
    const verdict = await mayRequest(deps().d, "C0CHG", "U0X");
    expect(verdict.ok && verdict.channel.channelId).toBe("C0CHG");
  });

  it("asks Slack for groups only when the user is not listed directly", async () => {
    const { d, asked } = deps();
    await mayRequest(d, "C0OPS", "U0DIRECT");
    await mayRequest(d, "C0INC", "U0X");
    expect(asked).toEqual([]);
    await mayRequest(d, "C0OPS", "U0OP");
    expect(asked).toEqual(["S0OPS"]);
  });
});

describe("mayRecheck", () => {
  it.each([
    ["C0OPS", "U0OP", "ok"],
    ["C0OPS", "U0A1", "not_a_requester"],
    ["C0NOPE", "U0OP", "channel_not_bound"],
    ["C0BROKEN", "U0OP", "group_lookup_failed"],
  ])("in %s, %s: %s", async (channel, user, expected) => {
    expect(outcome(await mayRecheck(deps().d, { id: "op-x", channelId: channel }, user))).toBe(
      expected,
    );
  });

  it("says who may re-check", async () => {
    expect(said(await mayRecheck(deps().d, { id: "op-x", channelId: "C0OPS" }, "U0A1"))).toEqual({
      ok: false,
      reason: "not_a_requester",
      message: "You may not re-check here: only the channel's requesters may. `op-x` is unchanged.",
    });
  });
});

describe("mayLook (status, history)", () => {
  it.each([
    ["C0OPS", "U0OP", "ok", ["S0OPS"]],
    ["C0OPS", "U0DIRECT", "ok", []],
    ["C0OPS", "U0A2", "ok", ["S0OPS", "S0APR"]],
    ["C0OPS", "U0STRANGER", "not_a_member", ["S0OPS", "S0APR"]],
    ["C0NOPE", "U0OP", "channel_not_bound", []],
    ["C0BROKEN", "U0OP", "group_lookup_failed", ["S0BROKEN"]],
  ])("in %s, %s: %s, asking Slack for %j", async (channel, user, expected, groups) => {
    const { d, asked } = deps();
    expect(outcome(await mayLook(d, channel, user))).toBe(expected);
    expect(asked).toEqual(groups);
  });

  it("says who may look", async () => {
    expect(said(await mayLook(deps().d, "C0OPS", "U0STRANGER"))).toEqual({
      ok: false,
      reason: "not_a_member",
      message: "Only this channel's requesters and approvers may look at its servers and history.",
    });
  });
});

const NO_LONGER_BOUND = {
  ok: false,
  reason: "channel_not_bound",
  message:
    "This channel is no longer bound to a tenant in the policy: the request cannot be decided here.",
};

describe("mayApprove", () => {
  const request = (channelId: string, approvals: string[] = []) => ({
    channelId,
    requester: "U0A1",
    approvals: approvals.map((userId) => ({ userId })),
  });
  it.each([
    ["an approver by group", request("C0CHG"), "U0A2", "ok"],
    ["an approver listed by id", request("C0CHG"), "U0LEAD", "ok"],
    ["someone else", request("C0CHG"), "U0X", "not_an_approver"],
    ["the requester", request("C0CHG"), "U0A1", "self_approval"],
    ["the requester, where allowed", request("C0SELF"), "U0A1", "ok"],
    ["an approver, twice", request("C0CHG", ["U0A2"]), "U0A2", "already_approved"],
    ["in an unbound channel", request("C0NOPE"), "U0A2", "channel_not_bound"],
    ["when Slack cannot say", request("C0BROKEN"), "U0A2", "group_lookup_failed"],
    ["a guest in the group", request("C0CHG"), "U0GUEST", "not_an_approver_guest"],
    ["a stranger in the group", request("C0CHG"), "U0VENDOR", "not_an_approver_external"],
  ])("%s: %s", async (_, op, user, expected) => {
    expect(outcome(await mayApprove(deps().d, op, user))).toBe(expected);
  });

  it("tells a guest in an approver group that they must be named", async () => {
    expect(said(await mayApprove(deps().d, request("C0CHG"), "U0GUEST"))).toEqual({
      ok: false,
      reason: "not_an_approver_guest",
      message:
        "You may not approve requests in this channel. Guests and people from other organisations may act in this channel only where the policy names them by their user id.",
    });
  });

  it("says a channel no longer bound cannot decide", async () => {
    expect(said(await mayApprove(deps().d, request("C0NOPE"), "U0A2"))).toEqual(NO_LONGER_BOUND);
  });
});

describe("mayReject", () => {
  it.each([
    ["C0CHG", "U0A2", "ok"],
    ["C0CHG", "U0LEAD", "ok"],
    // Rejecting one's own request is allowed: it only stops it.
    ["C0OPS", "U0A1", "ok"],
    ["C0CHG", "U0X", "not_an_approver"],
    ["C0NOPE", "U0A2", "channel_not_bound"],
    ["C0BROKEN", "U0A2", "group_lookup_failed"],
  ])("in %s, %s: %s", async (channel, user, expected) => {
    expect(outcome(await mayReject(deps().d, { channelId: channel }, user))).toBe(expected);
  });

  it("says who may reject, and that an unbound channel cannot decide", async () => {
    expect(said(await mayReject(deps().d, { channelId: "C0CHG" }, "U0X"))).toEqual({
      ok: false,
      reason: "not_an_approver",
      message:
        "You may not reject requests in this channel: you are not one of its approvers in the policy.",
    });
    expect(said(await mayReject(deps().d, { channelId: "C0NOPE" }, "U0X"))).toEqual(
      NO_LONGER_BOUND,
    );
  });
});

describe("mayCancel", () => {
  it("is the requester's alone", () => {
    expect(mayCancel({ id: "op-x", requester: "U0A1" }, "U0A1")).toBeUndefined();
    expect(said(mayCancel({ id: "op-x", requester: "U0A1" }, "U0A2"))).toEqual({
      reason: "not_the_requester",
      message: "Only the person who asked for `op-x` may cancel it.",
    });
  });
});

describe("mayChoose", () => {
  const choice = { teamId: "T1", requester: "U0OP", channelId: "C0OPS", tenant: "prod" };
  it.each([
    ["its requester", choice, { teamId: "T1", userId: "U0OP" }, "ok"],
    ["someone else", choice, { teamId: "T1", userId: "U0DIRECT" }, "not_the_requester"],
    [
      "its requester's id in another team",
      choice,
      { teamId: "T2", userId: "U0OP" },
      "not_the_requester",
    ],
    [
      "a channel now bound to another tenant",
      { ...choice, tenant: "staging" },
      { teamId: "T1", userId: "U0OP" },
      "channel_not_bound",
    ],
    [
      "a channel no longer bound",
      { ...choice, channelId: "C0NOPE" },
      { teamId: "T1", userId: "U0OP" },
      "channel_not_bound",
    ],
    [
      "a requester no longer in the group",
      { ...choice, requester: "U0GONE" },
      { teamId: "T1", userId: "U0GONE" },
      "not_a_requester",
    ],
  ])("%s: %s", async (_, c, click, expected) => {
    expect(outcome(await mayChoose(deps().d, c, click))).toBe(expected);
  });

  it("says whose choice it is, without asking Slack anything", async () => {
    const { d, asked } = deps();
    expect(choiceRefusal(choice, { teamId: "T1", userId: "U0OP" })).toBeUndefined();
    expect(said(await mayChoose(d, choice, { teamId: "T1", userId: "U0X" }))).toEqual({
      ok: false,
      reason: "not_the_requester",
      message: "Only <@U0OP>, who asked, can choose here. Nothing was recorded.",
    });
    expect(asked).toEqual([]);
  });
});

describe("rolesHere and rolesIn", () => {
  it.each([
    ["C0NOPE", "U0A1", "unbound"],
    ["C0BROKEN", "U0A1", "unknown"],
    ["C0OPS", "U0OP", { requester: true, approver: false }],
    ["C0OPS", "U0A1", { requester: false, approver: true }],
    ["C0CHG", "U0LEAD", { requester: true, approver: true }],
    ["C0OPS", "U0X", { requester: false, approver: false }],
  ])("in %s, %s is %j", async (channel, user, roles) => {
    expect(await rolesHere(deps().d, channel, user)).toEqual(roles);
  });

  it("works out only the roles asked for", async () => {
    const { d, asked } = deps();
    const channel = d.policy.channels.C0OPS as NonNullable<Policy["channels"]["C0OPS"]>;
    expect(await rolesIn(d, channel, "U0A1", ["requester"])).toEqual({
      requester: false,
      approver: false,
    });
    expect(asked).toEqual(["S0OPS"]);
  });

  it("asks every group at once, and one that has the user is enough", async () => {
    const { d, asked } = deps();
    const policy = parsePolicy({
      ...document,
      channels: { C0TWO: { tenant: "prod", requesters: ["S0OPS", "S0APR"], approvals: 0 } },
    });
    const channel = policy.channels.C0TWO as NonNullable<Policy["channels"]["C0TWO"]>;
    expect((await rolesIn(d, channel, "U0OP", ["requester"])) as object).toMatchObject({
      requester: true,
    });
    expect(asked).toEqual(["S0OPS", "S0APR"]);
  });
});
