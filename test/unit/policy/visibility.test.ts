/**
 * What a user may see of a tenant's operations (`visibleTo`, lib/policy/permissions.ts): those
 * of the channels bound to the tenant where they may look, a row a case; how many Slack calls it
 * takes; and the words for what is left out.
 */
import { describe, expect, it } from "vitest";
import {
  type Sight,
  unseenOf,
  unseenOperation,
  unseenWords,
  visibleTo,
} from "../../../lib/policy/permissions";
import { type Policy, parsePolicy } from "../../../lib/policy/policy";

const document = {
  team_ids: ["T1"],
  tenants: { prod: { secret: "bm/tenant/prod" }, dev: { secret: "bm/tenant/dev" } },
  channels: {
    // Anyone may request.
    C0OPEN: { tenant: "prod", requesters: ["*"], approvals: 0 },
    // Only the operators' group, or U0DIRECT, may request; the approvers' group approves.
    C0RESTRICTED: {
      tenant: "prod",
      requesters: ["S0OPS", "U0DIRECT"],
      approvers: ["S0APR"],
      approvals: 1,
    },
    // The same groups again: each is asked once all the same.
    C0ALSO: { tenant: "prod", requesters: ["S0OPS"], approvers: ["S0APR"], approvals: 1 },
    // A group Slack cannot answer for.
    C0BROKEN: { tenant: "prod", requesters: ["S0BROKEN"], approvers: ["U0LEAD"], approvals: 1 },
    // Requesters Slack need not be asked for; an approvers' group it cannot answer for.
    C0LISTED: { tenant: "prod", requesters: ["U0DIRECT"], approvers: ["S0BROKEN"], approvals: 1 },
    // Another tenant's channel, open to all.
    C0DEV: { tenant: "dev", requesters: ["*"], approvals: 0 },
  },
};
const GROUPS: Record<string, string[]> = { S0OPS: ["U0OP"], S0APR: ["U0A1"] };

/**
 * Every user a member of the workspace, for rules that ask who someone is (given as a property of
 * a plain object, so the deps below fit PolicyDeps whether or not it asks that).
 */
const member = async () => ({ teamId: "T1", guest: false, external: false, deleted: false });

/** The rules' deps over Slack's groups (S0BROKEN fails), and what was asked of it. */
function deps(policy: Policy = parsePolicy(document)) {
  const asked: string[] = [];
  const d = {
    policy,
    groupMembers: async (group: string) => {
      asked.push(group);
      if (group === "S0BROKEN") throw Object.assign(new Error("x"), { name: "SlackApiError" });
      return GROUPS[group] ?? [];
    },
    person: member,
    log: { warn: () => {} },
  };
  return { d, asked };
}

const CHANNELS = [
  "C0OPEN",
  "C0RESTRICTED",
  "C0ALSO",
  "C0BROKEN",
  "C0LISTED",
  "C0DEV",
  "C0GONE",
] as const;
/** What the sight says of an operation of tenant prod in each channel, in CHANNELS' order. */
const row = (sight: Sight) => CHANNELS.map((channelId) => sight({ tenant: "prod", channelId }));

describe("visibleTo", () => {
  it.each([
    // [who, user, C0OPEN, C0RESTRICTED, C0ALSO, C0BROKEN, C0LISTED, C0DEV, C0GONE, Slack asked]
    [
      "a requester of the open channel only",
      "U0ALICE",
      ["shown", "hidden", "hidden", "unchecked", "unchecked", "hidden", "hidden"],
      ["S0OPS", "S0APR", "S0BROKEN"],
    ],
    [
      "an operator, by their group",
      "U0OP",
      ["shown", "shown", "shown", "unchecked", "unchecked", "hidden", "hidden"],
      ["S0OPS", "S0BROKEN"],
    ],
    [
      "a requester listed by name, and not in the groups",
      "U0DIRECT",
      ["shown", "shown", "hidden", "unchecked", "shown", "hidden", "hidden"],
      ["S0OPS", "S0APR", "S0BROKEN"],
    ],
    [
      "an approver, by their group",
      "U0A1",
      ["shown", "shown", "shown", "unchecked", "unchecked", "hidden", "hidden"],
      ["S0OPS", "S0APR", "S0BROKEN"],
    ],
    [
      "an approver listed by name where a requester group fails",
      "U0LEAD",
      ["shown", "hidden", "hidden", "shown", "unchecked", "hidden", "hidden"],
      ["S0OPS", "S0APR", "S0BROKEN"],
    ],
  ] as const)("%s (%s)", async (_, userId, seen, asked) => {
    // Prepare
    const f = deps();
    // Act
    const sight = await visibleTo(f.d, "prod", userId);
    // Assess: each group asked once at most, however many channels name it
    expect(row(sight)).toEqual(seen);
    expect([...f.asked].sort()).toEqual([...asked].sort());
    expect(sight.unchecked).toBe((seen as readonly string[]).includes("unchecked"));
  });

  it("hides every operation of another tenant, even in a channel the user may see", async () => {
    const sight = await visibleTo(deps().d, "prod", "U0OP");
    expect(sight({ tenant: "dev", channelId: "C0OPEN" })).toBe("hidden");
    expect(sight({ tenant: "dev", channelId: "C0DEV" })).toBe("hidden");
    const dev = await visibleTo(deps().d, "dev", "U0OP");
    expect(dev({ tenant: "dev", channelId: "C0DEV" })).toBe("shown");
    expect(dev({ tenant: "dev", channelId: "C0OPEN" })).toBe("hidden");
    expect(dev.unchecked).toBe(false);
  });

  it("hides the operations of a channel bound elsewhere now, or whose tenant is gone", async () => {
    // Prepare: C0OPEN moved to dev; C0ORPHAN names a tenant the policy no longer has.
    const policy = parsePolicy(document);
    const moved: Policy = {
      teamIds: policy.teamIds,
      tenants: policy.tenants,
      channels: {
        ...policy.channels,
        C0OPEN: { ...(policy.channels.C0OPEN as Policy["channels"][string]), tenant: "dev" },
        C0ORPHAN: {
          ...(policy.channels.C0OPEN as Policy["channels"][string]),
          channelId: "C0ORPHAN",
          tenant: "gone",
        },
      },
    };
    // Act
    const sight = await visibleTo(deps(moved).d, "prod", "U0OP");
    // Assess
    expect(sight({ tenant: "prod", channelId: "C0OPEN" })).toBe("hidden");
    expect(sight({ tenant: "prod", channelId: "C0RESTRICTED" })).toBe("shown");
    expect(
      (await visibleTo(deps(moved).d, "gone", "U0OP"))({ tenant: "gone", channelId: "C0ORPHAN" }),
    ).toBe("hidden");
  });

  it("asks Slack nothing when every channel of the tenant lists the user or anyone", async () => {
    const f = deps();
    const sight = await visibleTo(f.d, "dev", "U0ANYONE");
    expect(sight({ tenant: "dev", channelId: "C0DEV" })).toBe("shown");
    expect(f.asked).toEqual([]);
  });

  it("asks each group at once, not one channel after another", async () => {
    // Prepare: Slack answers only when both groups have been asked.
    const asked: string[] = [];
    let answer: () => void = () => {};
    const both = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const d = {
      policy: parsePolicy({
        team_ids: ["T1"],
        tenants: document.tenants,
        channels: {
          C0ONE: { tenant: "prod", requesters: ["S0ONE"], approvals: 0 },
          C0TWO: { tenant: "prod", requesters: ["S0TWO"], approvals: 0 },
        },
      }),
      groupMembers: async (group: string) => {
        asked.push(group);
        if (asked.length === 2) answer();
        await both;
        return ["U0X"];
      },
      person: member,
      log: { warn: () => {} },
    };
    // Act
    const sight = await visibleTo(d, "prod", "U0X");
    // Assess
    expect(sight({ tenant: "prod", channelId: "C0TWO" })).toBe("shown");
    expect(asked).toEqual(["S0ONE", "S0TWO"]);
  });
});

describe("unseenOf and unseenWords", () => {
  it("counts what is hidden and what Slack could not say, and says it", async () => {
    const sight = await visibleTo(deps().d, "prod", "U0ALICE");
    const ops = ["C0OPEN", "C0RESTRICTED", "C0ALSO", "C0BROKEN", "C0GONE"].map((channelId) => ({
      tenant: "prod",
      channelId,
    }));
    const unseen = unseenOf(sight, ops);
    expect(unseen).toEqual({ hidden: 3, unchecked: 1 });
    expect(unseenWords(unseen).text).toBe(
      "3 more in channels you cannot see; 1 more in channels where bm could not check your user groups with Slack just now (try again in a minute)",
    );
  });

  it.each([
    [{ hidden: 0, unchecked: 0 }, ""],
    [{ hidden: 1, unchecked: 0 }, "1 more in channels you cannot see"],
    [
      { hidden: 0, unchecked: 2 },
      "2 more in channels where bm could not check your user groups with Slack just now (try again in a minute)",
    ],
  ])("%j: %j", (unseen, words) => {
    expect(unseenWords(unseen).text).toBe(words);
  });
});

describe("unseenOperation", () => {
  it("says the same of an operation hidden and of one that does not exist, naming nothing else", () => {
    expect(unseenOperation("op-0123456789", false).text).toBe(
      "bm shows you no operation `op-0123456789`: either there is none in this channel's tenant, or it is in a channel where you may neither request nor approve.",
    );
  });

  it("says when Slack could not say what the user may see", () => {
    expect(unseenOperation("op-0123456789", true).text).toBe(
      "bm could not check your user groups with Slack just now, so it cannot tell whether you may see `op-0123456789`. Try again in a minute.",
    );
  });
});
