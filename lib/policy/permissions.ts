/**
 * Who may do what, and where: every may and may-not of bm's use cases, in one place. Each rule
 * answers with the channel's policy and the user's roles, or with a refusal (why, for the audit
 * trail, and the words for the user). The use cases audit the refusal and say it; what the
 * operation's state allows (the state machine) is theirs to check.
 */
import type { RequestPolicy } from "../operations/request";
import { code, join, type Mrkdwn, md, user } from "../slack/mrkdwn";
import {
  approvalRefusal,
  GROUPS_UNKNOWN,
  NOT_BOUND,
  type Refusal,
  refusal,
  requestRefusal,
} from "./decide";
import type { ChannelPolicy, Policy } from "./policy";
import { type PolicyDeps, type Role, type Roles, rolesIn } from "./roles";

/** The use case may go on, under this channel's policy; or it may not, and why. */
export type Verdict =
  | { ok: true; channel: ChannelPolicy; roles: Roles }
  | ({ ok: false } & Refusal);

const refused = (r: Refusal): Verdict => ({ ok: false, ...r });

/** The channel's policy, if the channel is bound to a tenant the policy knows. */
export function channelPolicy(policy: Policy, channelId: string): ChannelPolicy | undefined {
  const channel = Object.hasOwn(policy.channels, channelId)
    ? policy.channels[channelId]
    : undefined;
  return channel && Object.hasOwn(policy.tenants, channel.tenant) ? channel : undefined;
}

/** What the channel's policy says of a request made in it, kept with the request. */
export function requestPolicy(policy: Policy, channel: ChannelPolicy): RequestPolicy {
  return {
    tenant: channel.tenant,
    secretId: policy.tenants[channel.tenant]?.secret as string,
    approvalsRequired: channel.approvals,
    approvers: channel.approvers,
    requestTtlMinutes: channel.requestTtlMinutes,
  };
}

/** The roles asked for, in a bound channel; a refusal when it is not bound or Slack cannot say. */
async function withRoles(
  deps: PolicyDeps,
  channelId: string,
  userId: string,
  wanted: ReadonlyArray<Role>,
  notBound: Refusal = NOT_BOUND,
): Promise<Verdict> {
  const channel = channelPolicy(deps.policy, channelId);
  if (!channel) return refused(notBound);
  const roles = await rolesIn(deps, channel, userId, wanted);
  if (roles === "unknown") return refused(refusal("group_lookup_failed", GROUPS_UNKNOWN));
  return { ok: true, channel, roles };
}

/** May this user request a detach in this channel? (`/bm detach`, and a pick that records one.) */
export async function mayRequest(
  deps: PolicyDeps,
  channelId: string,
  userId: string,
): Promise<Verdict> {
  const verdict = await withRoles(deps, channelId, userId, ["requester"]);
  if (!verdict.ok) return verdict;
  const no = requestRefusal(verdict.roles);
  return no ? refused(no) : verdict;
}

/** A private choice is its requester's alone, in their team. Undefined when the clicker is them. */
export function choiceRefusal(
  choice: { teamId: string; requester: string },
  click: { teamId: string; userId: string },
): Refusal | undefined {
  if (choice.teamId === click.teamId && choice.requester === click.userId) return undefined;
  return refusal(
    "not_the_requester",
    md`Only ${user(choice.requester)}, who asked, can choose here. Nothing was recorded.`,
  );
}

/**
 * May this user pick on a private choice? Only its requester ({@link choiceRefusal}), and only
 * while they may still request there, under the policy in force, in a channel bound to the same
 * tenant.
 */
export async function mayChoose(
  deps: PolicyDeps,
  choice: { teamId: string; requester: string; channelId: string; tenant: string },
  click: { teamId: string; userId: string },
): Promise<Verdict> {
  const notTheirs = choiceRefusal(choice, click);
  if (notTheirs) return refused(notTheirs);
  if (channelPolicy(deps.policy, choice.channelId)?.tenant !== choice.tenant)
    return refused(NOT_BOUND);
  return mayRequest(deps, choice.channelId, click.userId);
}

/** May this user re-check a timed-out detach? Anyone who may request in its channel. */
export async function mayRecheck(
  deps: PolicyDeps,
  op: { id: string; channelId: string },
  userId: string,
): Promise<Verdict> {
  const verdict = await withRoles(deps, op.channelId, userId, ["requester"]);
  if (!verdict.ok) return verdict;
  if (verdict.roles.requester) return verdict;
  return refused(
    refusal(
      "not_a_requester",
      md`You may not re-check here: only the channel's requesters may. ${code(op.id)} is unchanged.`,
    ),
  );
}

/**
 * May this user look at the channel's servers and history (`/bm status`, `/bm history`)? Its
 * requesters and approvers; the approver lists are looked at only for users who are not
 * requesters.
 */
export async function mayLook(
  deps: PolicyDeps,
  channelId: string,
  userId: string,
): Promise<Verdict> {
  const asRequester = await withRoles(deps, channelId, userId, ["requester"]);
  if (!asRequester.ok || asRequester.roles.requester) return asRequester;
  const asApprover = await withRoles(deps, channelId, userId, ["approver"]);
  if (!asApprover.ok || asApprover.roles.approver) return asApprover;
  return refused(
    refusal(
      "not_a_member",
      md`Only this channel's requesters and approvers may look at its servers and history.`,
    ),
  );
}

/** What a user may see of one operation: it, not it, or not known (Slack could not say). */
export type Visibility = "shown" | "hidden" | "unchecked";

/**
 * What one user may see of one tenant's operations (see {@link visibleTo}); `unchecked` when
 * Slack could not say for some channel of the tenant.
 */
export type Sight = ((op: { tenant: string; channelId: string }) => Visibility) & {
  readonly unchecked: boolean;
};

/**
 * What this user may see of the tenant's operations (`/bm history`, `/bm status`, wherever it is
 * asked): those of the channels the policy in force binds to the tenant where they may look (its
 * requesters and approvers, as {@link mayLook}). An operation of another tenant, or of a channel
 * the policy no longer binds to this one, is hidden. Worked out per channel, never per operation,
 * all channels at once; each user group is asked once at most (one Slack call, none when it is
 * cached), and only when the user is not listed directly: the 3-second path waits for one round.
 */
export async function visibleTo(deps: PolicyDeps, tenant: string, userId: string): Promise<Sight> {
  const asked = new Map<string, Promise<string[]>>();
  const once: PolicyDeps = {
    ...deps,
    groupMembers: (group) => {
      const members = asked.get(group) ?? deps.groupMembers(group);
      asked.set(group, members);
      return members;
    },
  };
  const channels = Object.keys(deps.policy.channels)
    .map((id) => channelPolicy(deps.policy, id))
    .filter((channel) => channel?.tenant === tenant) as ChannelPolicy[];
  const seen = new Map<string, Visibility>(
    await Promise.all(
      channels.map(
        async (channel) => [channel.channelId, await looksIn(once, channel, userId)] as const,
      ),
    ),
  );
  const sight = (op: { tenant: string; channelId: string }) =>
    op.tenant === tenant ? (seen.get(op.channelId) ?? "hidden") : "hidden";
  return Object.assign(sight, { unchecked: [...seen.values()].includes("unchecked") });
}

/** Whether the user may look in this channel: a requester, or else an approver, or unknown. */
async function looksIn(
  deps: PolicyDeps,
  channel: ChannelPolicy,
  userId: string,
): Promise<Visibility> {
  let unknown = false;
  for (const role of ["requester", "approver"] as const) {
    const roles = await rolesIn(deps, channel, userId, [role]);
    if (roles === "unknown") unknown = true;
    else if (roles[role]) return "shown";
  }
  return unknown ? "unchecked" : "hidden";
}

/** How many operations were left out of an answer, because hidden or unchecked. */
export type Unseen = Record<Exclude<Visibility, "shown">, number>;

/** Counts what the user may not see of these operations. */
export function unseenOf(sight: Sight, ops: ReadonlyArray<{ tenant: string; channelId: string }>) {
  const unseen: Unseen = { hidden: 0, unchecked: 0 };
  for (const op of ops) {
    const seen = sight(op);
    if (seen !== "shown") unseen[seen]++;
  }
  return unseen;
}

/** The words for what was left out ("3 more in channels you cannot see"); empty when nothing. */
export function unseenWords(unseen: Unseen): Mrkdwn {
  const parts: Mrkdwn[] = [];
  if (unseen.hidden > 0) parts.push(md`${String(unseen.hidden)} more in channels you cannot see`);
  if (unseen.unchecked > 0)
    parts.push(
      md`${String(unseen.unchecked)} more in channels where bm could not check your user groups with Slack just now (try again in a minute)`,
    );
  return join(parts, "; ");
}

/**
 * Said of an operation the user may not see, whether it exists or not (so the answer tells
 * nothing of another channel's operations), or when Slack could not say what they may see.
 */
export function unseenOperation(operationId: string, unchecked: boolean): Mrkdwn {
  if (unchecked)
    return md`bm could not check your user groups with Slack just now, so it cannot tell whether you may see ${code(operationId)}. Try again in a minute.`;
  return md`bm shows you no operation ${code(operationId)}: either there is none in this channel's tenant, or it is in a channel where you may neither request nor approve.`;
}

/** A request whose channel the policy no longer binds cannot be decided. */
const NO_LONGER_BOUND = refusal(
  "channel_not_bound",
  md`This channel is no longer bound to a tenant in the policy: the request cannot be decided here.`,
);

/**
 * May this user approve this request? An approver of its channel under the policy in force, not
 * its requester (unless the channel allows self-approval), and not one who approved it already.
 */
export async function mayApprove(
  deps: PolicyDeps,
  op: { channelId: string; requester: string; approvals?: Array<{ userId: string }> },
  userId: string,
): Promise<Verdict> {
  const verdict = await withRoles(deps, op.channelId, userId, ["approver"], NO_LONGER_BOUND);
  if (!verdict.ok) return verdict;
  const no = approvalRefusal(verdict.channel, verdict.roles, userId, op);
  return no ? refused(no) : verdict;
}

/** May this user reject this request? An approver of its channel under the policy in force. */
export async function mayReject(
  deps: PolicyDeps,
  op: { channelId: string },
  userId: string,
): Promise<Verdict> {
  const verdict = await withRoles(deps, op.channelId, userId, ["approver"], NO_LONGER_BOUND);
  if (!verdict.ok || verdict.roles.approver) return verdict;
  return refused(
    refusal(
      "not_an_approver",
      md`You may not reject requests in this channel: you are not one of its approvers in the policy.`,
    ),
  );
}

/** May this user cancel this request? Its requester alone. Undefined when they may. */
export function mayCancel(op: { id: string; requester: string }, userId: string) {
  if (userId === op.requester) return undefined;
  return refusal(
    "not_the_requester",
    md`Only the person who asked for ${code(op.id)} may cancel it.`,
  );
}

/** What the user may do in this channel, for `/bm help`: unbound, unknown, or their roles. */
export async function rolesHere(
  deps: PolicyDeps,
  channelId: string,
  userId: string,
): Promise<Roles | "unbound" | "unknown"> {
  const channel = channelPolicy(deps.policy, channelId);
  if (!channel) return "unbound";
  return rolesIn(deps, channel, userId, ["requester", "approver"]);
}
