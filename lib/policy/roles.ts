/**
 * What a user is in a channel: requester, approver. Only the roles asked for are worked out;
 * user groups are asked of Slack only when the user is not listed directly, all at once, and kept
 * for a few minutes, so the 3-second path makes as few Slack calls as it can, and waits for none
 * once one group lists the user.
 *
 * Listed by their own id, a user has the role. Listed only through "*" (everyone in the
 * workspace) or a user group, they have it only when Slack says they are one of the workspace's
 * own members: guests and people from other organisations (Slack Connect) act only where the
 * policy names them.
 */
import { isPassing } from "../errors";
import type { Person } from "../slack/chat";
import { groupsIn } from "./decide";
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

/** Slack could not say who is in a group, or who a user is: what it failed with. */
export interface Unknown {
  unknown: true;
  cause: unknown;
}

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
  const roles = await rolesOrCause(deps, channel, userId, wanted);
  return "unknown" in roles ? "unknown" : roles;
}

/** {@link rolesIn}, with the failure that made the roles unknown. */
export async function rolesOrCause(
  deps: PolicyDeps,
  channel: ChannelPolicy,
  userId: string,
  wanted: ReadonlyArray<Role>,
): Promise<Roles | Unknown> {
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
    return { unknown: true, cause: error };
  }
  return roles;
}

/** Why this user may not act through "*" or a group, if they may not. */
async function limitOf(deps: PolicyDeps, userId: string): Promise<Limited | undefined> {
  const person = await deps.person(userId);
  if (person.deleted) return "deactivated";
  if (person.external || !deps.policy.teamIds.includes(person.teamId)) return "external";
  if (person.guest) return "guest";
  return undefined;
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
