import { describe, expect, it } from "vitest";
import { boundTo, type Checked, mayActNow } from "../../../lib/policy/in-force";
import { type ChannelPolicy, parsePolicy } from "../../../lib/policy/policy";
import type { PolicyDeps } from "../../../lib/policy/roles";
import { SlackApiError } from "../../../lib/slack/slack-error";
import { person } from "../fakes";

const EXPIRES = "2026-11-27T10:30:00.000Z";
const BEFORE = "2026-11-27T10:10:00.000Z";

function deps(groups: Record<string, string[] | Error> = { S0APP: ["U0A2"] }) {
  const asked: string[] = [];
  const d: PolicyDeps = {
    policy: parsePolicy({
      team_ids: ["T1"],
      tenants: { t: { secret: "bm/tenant/t" }, u: { secret: "bm/tenant/u" } },
      channels: {
        C0INC: { tenant: "t", requesters: ["*"], approvals: 0 },
        C0CHG: {
          tenant: "t",
          requesters: ["U0REQ", "U0A1"],
          approvers: ["U0A1", "S0APP"],
          approvals: 2,
        },
        C0SELF: {
          tenant: "t",
          requesters: ["U0REQ"],
          approvers: ["U0REQ", "U0A1"],
          approvals: 1,
          allow_self_approval: true,
        },
        C0OTHER: { tenant: "u", requesters: ["*"], approvals: 0 },
      },
    }),
    groupMembers: async (group) => {
      asked.push(group);
      const members = groups[group];
      if (members instanceof Error) throw members;
      return members ?? [];
    },
    person,
    log: { warn: () => {} },
  };
  return { deps: d, asked };
}

const change = (changes: Partial<Checked> = {}): Checked => ({
  teamId: "T1",
  channelId: "C0CHG",
  tenant: "t",
  secretId: "bm/tenant/t",
  requester: "U0REQ",
  approvalsRequired: 2,
  approvals: [
    { userId: "U0A1", at: BEFORE },
    { userId: "U0A2", at: BEFORE },
  ],
  requestExpiresAt: EXPIRES,
  ...changes,
});

const refusedWith = (reason: string, why: string) => ({ ok: false, reason, why });

describe("boundTo: a tenant's credentials only for a channel bound to it", () => {
  it("holds for the channel's own tenant and secret", () => {
    expect(boundTo(deps().deps, change())).toEqual({ ok: true });
  });

  it("refuses a channel the policy does not bind", () => {
    expect(boundTo(deps().deps, change({ channelId: "C0NONE" }))).toEqual(
      refusedWith("channel_not_bound", "its channel is not bound to a tenant in the policy"),
    );
  });

  it.each([
    ["another tenant", { tenant: "u" }],
    ["another tenant's secret", { secretId: "bm/tenant/u" }],
    ["a secret no tenant has", { secretId: "bm/tenant/x" }],
    ["a tenant the policy does not know", { tenant: "nope", secretId: "bm/tenant/t" }],
    ["another tenant, with its own secret", { tenant: "u", secretId: "bm/tenant/u" }],
  ])("refuses %s", (_, changes) => {
    expect(boundTo(deps().deps, change(changes))).toEqual(
      refusedWith(
        "tenant_not_the_channels",
        "it names a tenant or a secret that is not its channel's in the policy",
      ),
    );
  });
});

describe("mayActNow: the policy in force, right before the detach", () => {
  it("allows a request with its quorum of current approvers, given in time", async () => {
    const { deps: d, asked } = deps();
    expect(await mayActNow(d, change())).toEqual({ ok: true });
    // The direct approver needs no lookup; the group's member one.
    expect(asked).toEqual(["S0APP"]);
  });

  it("allows a break-glass request with no approvals at all", async () => {
    const {
      approvals: _,
      requestExpiresAt: __,
      ...op
    } = change({
      channelId: "C0INC",
      approvalsRequired: 0,
    });
    expect(await mayActNow(deps().deps, op)).toEqual({ ok: true });
  });

  it("refuses first what binds the channel, before asking Slack anything", async () => {
    const { deps: d, asked } = deps();
    expect(await mayActNow(d, change({ secretId: "bm/tenant/u" }))).toMatchObject({
      ok: false,
      reason: "tenant_not_the_channels",
    });
    expect(asked).toEqual([]);
  });

  it.each([
    ["a list", ["U0REQ", "U0REQ"]],
    ["a list of one", ["U0REQ"]],
    ["an id with something before it", "xU0REQ"],
    ["an id with something after it", "U0REQ x"],
    ["a name", "alice"],
    ["empty", ""],
    ["missing", undefined],
  ])("refuses a requester that is %s", async (_, requester) => {
    expect(await mayActNow(deps().deps, change({ requester: requester as string }))).toEqual(
      refusedWith("requester_unknown", "its requester is not one Slack user"),
    );
  });

  it("refuses a request asked for in a workspace the policy does not serve", async () => {
    const { deps: d, asked } = deps();
    expect(await mayActNow(d, change({ teamId: "T0EVIL" }))).toEqual(
      refusedWith("foreign_team", "it was asked for in a Slack workspace bm does not serve"),
    );
    expect(asked).toEqual([]);
  });

  it("refuses a requester who may no longer request there", async () => {
    expect(await mayActNow(deps().deps, change({ requester: "U0GONE" }))).toEqual(
      refusedWith("requester_not_allowed", "its requester may no longer request detaches here"),
    );
  });

  it("refuses an approval by someone who is not (or no longer) an approver", async () => {
    const op = change({
      approvals: [
        { userId: "U0A1", at: BEFORE },
        { userId: "U0EVIL", at: BEFORE },
      ],
    });
    expect(await mayActNow(deps().deps, op)).toEqual(
      refusedWith(
        "approvals_short",
        "it has 1 valid approval of the 2 the policy requires (an approver is no longer one of the channel's approvers)",
      ),
    );
  });

  it("counts a group's member only while the group lists them", async () => {
    const gone = deps({ S0APP: [] });
    expect(await mayActNow(gone.deps, change())).toMatchObject({ reason: "approvals_short" });
  });

  it("counts each approver once", async () => {
    const op = change({
      approvals: [
        { userId: "U0A1", at: BEFORE },
        { userId: "U0A1", at: BEFORE },
      ],
    });
    expect(await mayActNow(deps().deps, op)).toEqual(
      refusedWith("approvals_short", "it has 1 valid approval of the 2 the policy requires"),
    );
  });

  it("asks for the larger of the quorum saved and the quorum now", async () => {
    // Saved with 0 (an item written straight into the table, say): the channel's 2 hold.
    expect(await mayActNow(deps().deps, change({ approvalsRequired: 0, approvals: [] }))).toEqual(
      refusedWith("approvals_short", "it has 0 valid approvals of the 2 the policy requires"),
    );
    // Saved with 3 (a quorum lowered since): the request's own 3 hold.
    expect(await mayActNow(deps().deps, change({ approvalsRequired: 3 }))).toEqual(
      refusedWith("approvals_short", "it has 2 valid approvals of the 3 the policy requires"),
    );
  });

  it("refuses the requester's own approval unless the channel allows it", async () => {
    const own = { userId: "U0REQ", at: BEFORE };
    const here = change({
      requester: "U0A1",
      approvals: [
        { userId: "U0A1", at: BEFORE },
        { userId: "U0A2", at: BEFORE },
      ],
    });
    expect(await mayActNow(deps().deps, here)).toEqual(
      refusedWith(
        "approvals_short",
        "it has 1 valid approval of the 2 the policy requires (its requester's own approval does not count here)",
      ),
    );
    const self = change({ channelId: "C0SELF", approvalsRequired: 1, approvals: [own] });
    expect(await mayActNow(deps().deps, self)).toEqual({ ok: true });
  });

  it("refuses an approval given after the request expired, or with no expiry on record", async () => {
    const late = change({
      approvals: [
        { userId: "U0A1", at: BEFORE },
        { userId: "U0A2", at: "2026-11-27T10:30:00.001Z" },
      ],
    });
    const why =
      "it has 1 valid approval of the 2 the policy requires (an approval was given after the request expired)";
    expect(await mayActNow(deps().deps, late)).toEqual(refusedWith("approvals_short", why));
    // At the very moment it expires, it still counts.
    const onTime = change({
      approvals: [
        { userId: "U0A1", at: BEFORE },
        { userId: "U0A2", at: EXPIRES },
      ],
    });
    expect(await mayActNow(deps().deps, onTime)).toEqual({ ok: true });
    const { requestExpiresAt: _, ...never } = change();
    expect(await mayActNow(deps().deps, never)).toEqual(
      refusedWith(
        "approvals_short",
        "it has 0 valid approvals of the 2 the policy requires (an approval was given after the request expired)",
      ),
    );
  });

  it("refuses an approval that is not by one Slack user", async () => {
    const op = change({
      approvals: [
        { userId: "U0A1", at: BEFORE },
        { userId: ["U0A2"] as unknown as string, at: BEFORE },
      ],
    });
    expect(await mayActNow(deps().deps, op)).toEqual(
      refusedWith(
        "approvals_short",
        "it has 1 valid approval of the 2 the policy requires (an approval is not by one Slack user)",
      ),
    );
  });

  it("names each reason once, in the order met", async () => {
    const op = change({
      approvalsRequired: 3,
      approvals: [
        { userId: "U0X1", at: BEFORE },
        { userId: "U0REQ", at: BEFORE },
        { userId: "U0X2", at: BEFORE },
      ],
    });
    expect(await mayActNow(deps().deps, op)).toEqual(
      refusedWith(
        "approvals_short",
        "it has 0 valid approvals of the 3 the policy requires (an approver is no longer one of the channel's approvers; its requester's own approval does not count here)",
      ),
    );
  });

  it("decides nothing when Slack cannot say who is in a group, and says what Slack failed with", async () => {
    // A paced lookup of an approver's group: the pacer's refusal, with its wait, is the cause.
    const paced = new SlackApiError("usergroups.users.list", "ratelimited", "passing", 30);
    const down = deps({ S0APP: paced });
    const approvers = await mayActNow(down.deps, change());
    expect(approvers).toEqual({ unknown: true, cause: paced });
    expect((approvers as { cause: unknown }).cause).toBe(paced);
    // Nor for the requester's own groups.
    const failure = new Error("down");
    const requesters = deps({ S0APP: failure });
    requesters.deps.policy.channels.C0CHG = {
      ...(requesters.deps.policy.channels.C0CHG as ChannelPolicy),
      requesters: ["S0APP"],
    };
    const asker = await mayActNow(requesters.deps, change());
    expect(asker).toEqual({ unknown: true, cause: failure });
    expect((asker as { cause: unknown }).cause).toBe(failure);
  });
});
