/**
 * What a user is in a channel: requester, approver. Only the roles asked for are worked out;
 * user groups are asked of Slack only when the user is not listed directly, and kept for a few
 * minutes, so the 3-second path makes as few Slack calls as it can.
 */
import { groupsIn, isListed } from "./decide";
import type { ChannelPolicy, Policy } from "./policy";

/** What the rules need from outside: the policy, and Slack's user groups. */
export interface PolicyDeps {
  policy: Policy;
  /** Members of a Slack user group (cached). @throws when Slack cannot say. */
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

async function memberOfAny(deps: PolicyDeps, groups: string[], userId: string): Promise<boolean> {
  for (const group of groups) {
    if ((await deps.groupMembers(group)).includes(userId)) return true;
  }
  return false;
}
