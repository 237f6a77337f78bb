/**
 * What the front door's use cases need from outside.
 */

import type { ChoiceStore } from "../choices/choice-store";
import type { AuditEvent, Operation } from "../operations/operation";
import type { AuditLog, OperationStore, WorkQueue } from "../operations/ports";
import type { RequestPolicy } from "../operations/request";
import type { ChannelPolicy, Policy } from "../policy/policy";
import type { Metrics } from "../runtime/metrics";
import type { Chat } from "../slack/chat";
import type { Mrkdwn } from "../slack/mrkdwn";

export interface FrontDoorDeps {
  policy: Policy;
  store: OperationStore;
  /** Pending choices of server and image (kept in the same table). */
  choices: ChoiceStore;
  audit: AuditLog;
  queue: WorkQueue;
  chat: Pick<Chat, "ephemeral" | "openView" | "respond">;
  /** Members of a Slack user group (cached). */
  groupMembers(groupId: string): Promise<string[]>;
  now: () => Date;
  log: { info(message: string, extra?: object): void; warn(message: string, extra?: object): void };
  metrics?: Metrics;
}

/** The channel's policy, if the channel is bound to a tenant. */
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

/**
 * Writes a refusal to the audit trail and returns the words for the user. A refusal changes no
 * operation; it is kept under the operation it concerns (or would have created).
 */
export async function refuse(
  deps: FrontDoorDeps,
  refusal: {
    operationId: string;
    teamId: string;
    userId: string;
    reason: string;
    facts: AuditEvent["facts"];
  },
  message: Mrkdwn,
): Promise<Mrkdwn> {
  await deps.audit.append({
    operationId: refusal.operationId,
    seq: 0,
    at: deps.now().toISOString(),
    action: `refused:${refusal.reason}`,
    actor: { teamId: refusal.teamId, userId: refusal.userId },
    facts: refusal.facts,
  });
  deps.log.info("refused", { operationId: refusal.operationId, reason: refusal.reason });
  return message;
}

/** "awaiting approval", "done", … */
export function stateWords(op: Operation): string {
  return op.state.replace(/_/g, " ");
}
