/**
 * What a user is in a channel: requester, approver. Only the roles asked for are worked out;
 * user groups are asked of Slack only when the user is not listed directly, and kept for a few
 * minutes, so the 3-second path makes as few Slack calls as it can.
 *
 * Listed by their own id, a user has the role. Listed only through "*" (everyone in the
 * workspace) or a user group, they have it only when Slack says they are one of the workspace's
 * own members: guests and people from other organisations (Slack Connect) act only where the
 * policy names them.
 */
import type { Person } from "../slack/chat";
import { groupsIn } from "./decide";
import type { ChannelPolicy, Policy } from "./policy";

/** What the rules need from outside: the policy, and Slack's user groups. */
export interface PolicyDeps {
  policy: Policy;
  /** Members of a Slack user group (cached). @throws when Slack cannot say. */
  groupMembers(groupId: string): Promise<string[]>;
  /** Who a user is to the workspace (cached). @throws when Slack cannot say. */
  person(userId: string): Promise<Person>;
  log: { warn(message: string, extra?: object): void };
}

export interface Roles {
  requester: boolean;
  approver: boolean;
  /**
   * Set when a role was withheld because the user, listed only through "*" or a group, is a
   * guest, from another organisation, or deactivated: the refusal says so.
   */
  limited?: Limited;
}

/** The roles a policy lists people for. */
export type Role = keyof typeof LISTS;

/** Why someone listed broadly is not given the role. */
export type Limited = "guest" | "external" | "deactivated";

const LISTS = { requester: "requesters", approver: "approvers" } as const;

/**
 * The user's roles in the channel (those not in `wanted` are false), or "unknown" when Slack
 * could not say who is in a group.
 */
export async function rolesIn(
  deps: PolicyDeps,
  channel: ChannelPolicy,
  userId: string,
  wanted: ReadonlyArray<Role>,
): Promise<Roles | "unknown"> {
  const roles: Roles = { requester: false, approver: false };
  let standing: Promise<Limited | undefined> | undefined;
  try {
    for (const role of wanted) {
      const list = channel[LISTS[role]];
      if (list.includes(userId)) {
        roles[role] = true;
        continue;
      }
      if (!list.includes("*") && !(await memberOfAny(deps, groupsIn(list), userId))) continue;
      standing ??= limitOf(deps, userId);
      const limited = await standing;
      if (limited) roles.limited = limited;
      else roles[role] = true;
    }
  } catch (error) {
    deps.log.warn("user group lookup failed", { error: (error as Error).name });
    return "unknown";
  }
  return roles;
}

/** Why this user may not act through "*" or a group, if they may not. */
async function limitOf(deps: PolicyDeps, userId: string): Promise<Limited | undefined> {
  const person = await deps.person(userId);
  if (person.deleted) return "deactivated";
  if (person.external) return "external";
  if (person.guest) return "guest";
  return undefined;
}

async function memberOfAny(deps: PolicyDeps, groups: string[], userId: string): Promise<boolean> {
  for (const group of groups) {
    if ((await deps.groupMembers(group)).includes(userId)) return true;
  }
  return false;
}
