/**
 * The policy in force, asked again right before bm acts. The worker trusts no table item and no
 * queue message for who may act: what the front door recorded (the channel, the tenant, the
 * requester, the approvals) is checked against the policy the worker itself loaded, and against
 * Slack's user groups now, so that an item written straight into the table, or a request whose
 * approver has since left the approvers, never leads to a detach.
 */
import type { Operation } from "../operations/operation";
import { plural } from "../util/plural";
import { channelPolicy } from "./permissions";
import type { ChannelPolicy } from "./policy";
import { type PolicyDeps, rolesOrCause, type Unknown } from "./roles";

/** What the check reads of an operation. */
export type Checked = Pick<
  Operation,
  | "teamId"
  | "channelId"
  | "tenant"
  | "secretId"
  | "requester"
  | "approvalsRequired"
  | "approvals"
  | "requestExpiresAt"
>;

/**
 * bm may act on it; or it may not, and why (a code for the audit trail, and a sentence that
 * follows "bm did not send the detach: "); or Slack could not say who is in a group, and nothing
 * is decided on a guess (with Slack's failure, whose Retry-After the redelivery waits for).
 */
export type InForce = Verdict | Unknown;
type Verdict = { ok: true } | { ok: false; reason: string; why: string };

const no = (reason: string, why: string): Verdict => ({ ok: false, reason, why });

/** Slack user ids as the front door records them: one id, never a list or a name. */
const USER_ID = /^[UW][A-Z0-9]{2,}$/;

/**
 * Is this channel bound to the operation's tenant, with the secret the operation names? The
 * check of every message that makes bm read or act with a tenant's credentials.
 */
export function boundTo(
  deps: Pick<PolicyDeps, "policy">,
  op: Pick<Checked, "channelId" | "tenant" | "secretId">,
): Verdict {
  const channel = channelPolicy(deps.policy, op.channelId);
  if (!channel)
    return no("channel_not_bound", "its channel is not bound to a tenant in the policy");
  if (channel.tenant !== op.tenant || deps.policy.tenants[op.tenant]?.secret !== op.secretId)
    return no(
      "tenant_not_the_channels",
      "it names a tenant or a secret that is not its channel's in the policy",
    );
  return { ok: true };
}

/**
 * May bm send this operation's detach now? Its channel is bound to its tenant and secret; it
 * was asked for in a workspace the policy serves; its requester may request there; its approvals are by current approvers, none by the requester
 * unless the channel allows it, each given before the request expired; and there are at least
 * as many as the larger of the quorum saved with it and the channel's quorum now.
 */
export async function mayActNow(deps: PolicyDeps, op: Checked): Promise<InForce> {
  const bound = boundTo(deps, op);
  if (!bound.ok) return bound;
  if (!deps.policy.teamIds.includes(op.teamId))
    return no("foreign_team", "it was asked for in a Slack workspace bm does not serve");
  const channel = channelPolicy(deps.policy, op.channelId) as ChannelPolicy;
  if (typeof op.requester !== "string" || !USER_ID.test(op.requester))
    return no("requester_unknown", "its requester is not one Slack user");
  const asker = await rolesOrCause(deps, channel, op.requester, ["requester"]);
  if ("unknown" in asker) return asker;
  if (!asker.requester)
    return no("requester_not_allowed", "its requester may no longer request detaches here");

  const needed = Math.max(op.approvalsRequired, channel.approvals);
  const valid = new Set<string>();
  const notCounted: string[] = [];
  for (const approval of op.approvals ?? []) {
    const why = await notCountedBecause(deps, channel, op, approval);
    if (typeof why === "object") return why;
    if (why) notCounted.push(why);
    else valid.add(approval.userId);
  }
  if (valid.size >= needed) return { ok: true };
  const given = `${plural(valid.size, "valid approval")} of the ${needed} the policy requires`;
  return no(
    "approvals_short",
    notCounted.length > 0
      ? `it has ${given} (${[...new Set(notCounted)].join("; ")})`
      : `it has ${given}`,
  );
}

/** Why an approval does not count under the policy in force, if it does not. */
async function notCountedBecause(
  deps: PolicyDeps,
  channel: ChannelPolicy,
  op: Checked,
  approval: { userId: string; at: string },
): Promise<string | Unknown | undefined> {
  if (typeof approval.userId !== "string" || !USER_ID.test(approval.userId))
    return "an approval is not by one Slack user";
  if (approval.userId === op.requester && !channel.allowSelfApproval)
    return "its requester's own approval does not count here";
  if (!op.requestExpiresAt || !(approval.at <= op.requestExpiresAt))
    return "an approval was given after the request expired";
  const roles = await rolesOrCause(deps, channel, approval.userId, ["approver"]);
  if ("unknown" in roles) return roles;
  return roles.approver ? undefined : "an approver is no longer one of the channel's approvers";
}
