/**
 * What the front door's use cases need from outside.
 */

import type { ChoiceStore } from "../choices/choice-store";
import type { Metrics } from "../metrics";
import type { HostPatterns } from "../net/endpoint-rule";
import type { AuditEvent } from "../operations/operation";
import type { AuditLog, OperationStore, WorkQueue } from "../operations/ports";
import type { PolicyDeps } from "../policy/roles";
import type { Chat } from "../slack/chat";
import type { Mrkdwn } from "../slack/mrkdwn";

export interface FrontDoorDeps extends PolicyDeps {
  store: OperationStore;
  /** Pending choices of server and image (kept in the same table). */
  choices: ChoiceStore;
  audit: AuditLog;
  queue: WorkQueue;
  chat: Pick<Chat, "ephemeral" | "openView" | "respond">;
  now: () => Date;
  log: { info(message: string, extra?: object): void; warn(message: string, extra?: object): void };
  metrics?: Metrics;
  /** Hosts besides hooks.slack.com whose response_urls are used (BM_SLACK_URL_ALLOW); none if unset. */
  responseUrlAllow?: HostPatterns;
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
