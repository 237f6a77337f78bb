/**
 * What a user is in a channel: requester, approver. Only the roles asked for are worked out;
 * user groups are asked of Slack only when the user is not listed directly, all at once, and kept
 * for a few minutes, so the 3-second path makes as few Slack calls as it can, and waits for none
 * once one group lists the user.
 */
import { isPassing } from "../errors";
import { groupsIn, isListed } from "./decide";
import type { ChannelPolicy, Policy } from "./policy";

/** What the rules need from outside: the policy, and Slack's user groups. */
export interface PolicyDeps {
  policy: Policy;
  /**
   * Members of a Slack user group (cached: `cachedGroupMembers`). @throws when Slack cannot say:
   * a passing error when it may later, a permanent one when it refused for good (the group is
   * deleted or disabled, or bm may not read groups).
   */
  groupMembers(groupId: string): Promise<string[]>;
  log: { warn(message: string, extra?: object): void };
}

export interface Roles {
  requester: boolean;
  approver: boolean;
}

const LISTS = { requester: "requesters", approver: "approvers" } as const;

/**
 * The user's roles in the channel (those not in `wanted` are false), or "unknown" when Slack
 * could not say who is in a group.
 */
export async function rolesIn(
  deps: PolicyDeps,
  channel: ChannelPolicy,
  userId: string,
  wanted: ReadonlyArray<keyof Roles>,
): Promise<Roles | "unknown"> {
  const roles: Roles = { requester: false, approver: false };
  try {
    for (const role of wanted) {
      const list = channel[LISTS[role]];
      roles[role] =
        isListed(list, userId, new Set()) || (await memberOfAny(deps, groupsIn(list), userId));
    }
  } catch (error) {
    deps.log.warn("user group lookup failed", { error: (error as Error).name });
    return "unknown";
  }
  return roles;
}

/** What a group that does not list the user settles to, apart from a failure. */
const NOT_LISTED = Symbol("not listed");

/**
 * True when one of the groups lists the user. They are asked all at once, and the first that
 * lists the user answers. A group Slack refused for good (a permanent error: deleted, disabled,
 * unreadable) lists nobody, so the others still count; a passing failure makes the answer
 * unknown (it is thrown) unless another group lists the user.
 */
async function memberOfAny(deps: PolicyDeps, groups: string[], userId: string): Promise<boolean> {
  try {
    return await Promise.any(
      groups.map(async (group) => {
        if ((await deps.groupMembers(group)).includes(userId)) return true;
        throw NOT_LISTED;
      }),
    );
  } catch (all) {
    const passing = (all as AggregateError).errors.filter((e) => e !== NOT_LISTED && isPassing(e));
    if (passing.length > 0) throw passing[0];
    return false;
  }
}
