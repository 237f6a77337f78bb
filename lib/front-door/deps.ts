/**
 * What the front door's use cases need from outside.
 */

import type { ChoiceStore } from "../choices/choice-store";
import type { Metrics } from "../metrics";
import type { HostPatterns } from "../net/endpoint-rule";
import type { AuditEvent } from "../operations/operation";
import type { AuditLog, OperationStore, WorkQueue } from "../operations/ports";
import { standaloneEvent } from "../operations/standalone-event";
import type { PolicyDeps } from "../policy/roles";
import type { Chat } from "../slack/chat";
import type { Mrkdwn } from "../slack/mrkdwn";
import type { RefusalTally } from "./refusals";

export interface FrontDoorDeps extends PolicyDeps {
  store: OperationStore;
  /** Pending choices of server and image (kept in the same table). */
  choices: ChoiceStore;
  audit: AuditLog;
  queue: WorkQueue;
  chat: Pick<Chat, "ephemeral" | "openView" | "updateView" | "respond">;
  now: () => Date;
  log: { info(message: string, extra?: object): void; warn(message: string, extra?: object): void };
  metrics?: Metrics;
  /** Repeated refusals of one user, collapsed per minute (one per container). */
  refusals?: RefusalTally;
  /** Hosts besides hooks.slack.com whose response_urls are used (BM_SLACK_URL_ALLOW); none if unset. */
  responseUrlAllow?: HostPatterns;
}

/**
 * Writes a refusal to the audit trail and returns the words for the user. A refusal changes no
 * operation; it is kept under the operation it concerns (or would have created). Repeats of one
 * user's refusal within a minute are counted, not written one by one ({@link RefusalTally}).
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
  const event = standaloneEvent(
    {
      operationId: refusal.operationId,
      actor: { teamId: refusal.teamId, userId: refusal.userId },
      action: `refused:${refusal.reason}`,
      facts: refusal.facts,
    },
    deps.now(),
  );
  const first = deps.refusals ? deps.refusals.count(event) : event;
  await writeRefusalCounts(deps);
  if (first) await deps.audit.append(first);
  deps.log.info("refused", {
    operationId: refusal.operationId,
    reason: refusal.reason,
    ...(first ? {} : { repeat: true }),
  });
  return message;
}

/** Writes the counts of refusals repeated in minutes now over (one event each). */
export async function writeRefusalCounts(deps: FrontDoorDeps): Promise<void> {
  for (const count of deps.refusals?.due(deps.now()) ?? []) await deps.audit.append(count);
}
