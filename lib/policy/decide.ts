/**
 * Policy decisions: pure functions of the channel's policy and what the user is there.
 */
import { type Mrkdwn, md } from "../slack/mrkdwn";
import type { ChannelPolicy } from "./policy";

/** A refusal: why (for the audit trail) and the words for the user. */
export interface Refusal {
  reason: string;
  message: Mrkdwn;
}

/** A refusal, for the trail and the user. */
export function refusal(reason: string, message: Mrkdwn): Refusal {
  return { reason, message };
}

export const NOT_BOUND: Refusal = refusal(
  "channel_not_bound",
  md`bm is not enabled in this channel: no tenant is bound to it in the policy. Ask an admin, or use a channel that is.`,
);

/** Slack could not say who is in a user group: nothing is decided on a guess. */
export const GROUPS_UNKNOWN = md`bm could not check your user groups with Slack just now, so it cannot tell what you may do here. Try again in a minute.`;

/**
 * Said to someone listed only through "*" or a user group, whom Slack shows as a guest, from
 * another organisation or deactivated.
 */
const ONLY_BY_NAME = md`Guests and people from other organisations may act in this channel only where the policy names them by their user id.`;

/** Why a user with these roles in a bound channel may not request a detach there, if they may not. */
export function requestRefusal(roles: {
  requester: boolean;
  limited?: string | undefined;
}): Refusal | undefined {
  if (roles.requester) return undefined;
  if (roles.limited)
    return {
      reason: `not_a_requester_${roles.limited}`,
      message: md`You may not request media detaches in this channel. ${ONLY_BY_NAME}`,
    };
  return {
    reason: "not_a_requester",
    message: md`You may not request media detaches in this channel: you are not one of its requesters in the policy.`,
  };
}

/** Why this user may not approve this request, or undefined when they may. */
export function approvalRefusal(
  channel: ChannelPolicy,
  roles: { approver: boolean; limited?: string | undefined },
  userId: string,
  request: { requester: string; approvals?: Array<{ userId: string }> },
): Refusal | undefined {
  if (!roles.approver && roles.limited)
    return {
      reason: `not_an_approver_${roles.limited}`,
      message: md`You may not approve requests in this channel. ${ONLY_BY_NAME}`,
    };
  if (!roles.approver)
    return {
      reason: "not_an_approver",
      message: md`You may not approve requests in this channel: you are not one of its approvers in the policy.`,
    };
  if (userId === request.requester && !channel.allowSelfApproval) {
    return {
      reason: "self_approval",
      message: md`You may not approve your own request in this channel: a second person must.`,
    };
  }
  if (request.approvals?.some((a) => a.userId === userId))
    return { reason: "already_approved", message: md`You have already approved this request.` };
  return undefined;
}

/** The user groups of a list: the ids whose membership must be looked up in Slack. */
export function groupsIn(principals: readonly string[]): string[] {
  return principals.filter((p) => p.startsWith("S"));
}

/** True when the list has "*", the user, or one of the user's groups. */
export function isListed(
  principals: readonly string[],
  userId: string,
  groups: ReadonlySet<string>,
): boolean {
  return principals.some((p) => p === "*" || p === userId || groups.has(p));
}
