/**
 * Policy decisions: pure functions of the policy, the channel and the user.
 */
import type { ChannelPolicy, Policy } from "./policy";

export type RequestDecision =
  | { allowed: true; channel: ChannelPolicy; secretId: string }
  | { allowed: false; reason: "channel_not_bound" | "not_a_requester"; message: string };

/**
 * May `userId`, a member of `groups`, request a detach in `channelId`? Deny by default.
 * `groups` holds the user group ids among the channel's requesters that the user belongs to.
 */
export function decideRequest(
  policy: Policy,
  channelId: string,
  userId: string,
  groups: ReadonlySet<string>,
): RequestDecision {
  const channel = Object.hasOwn(policy.channels, channelId)
    ? policy.channels[channelId]
    : undefined;
  const tenant =
    channel && Object.hasOwn(policy.tenants, channel.tenant)
      ? policy.tenants[channel.tenant]
      : undefined;
  if (!channel || !tenant) {
    return {
      allowed: false,
      reason: "channel_not_bound",
      message:
        "bm is not enabled in this channel: no tenant is bound to it in the policy. Ask an admin, or use a channel that is.",
    };
  }
  if (!isListed(channel.requesters, userId, groups)) {
    return {
      allowed: false,
      reason: "not_a_requester",
      message:
        "You may not request media detaches in this channel: you are not one of its requesters in the policy.",
    };
  }
  return { allowed: true, channel, secretId: tenant.secret };
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
