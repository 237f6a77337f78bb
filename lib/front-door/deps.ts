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
  chat: Pick<Chat, "ephemeral" | "openView" | "updateView" | "respond" | "publishHome">;
  /** Events API deliveries taken (kept in the same table): an event's work is done once. */
  events: EventClaims;
  /** Who has opened the Home tab (kept in the same table); none: nobody is remembered. */
  homes?: HomeOpeners;
  now: () => Date;
  log: { info(message: string, extra?: object): void; warn(message: string, extra?: object): void };
  metrics?: Metrics;
  /** Repeated refusals of one user, collapsed per minute (one per container). */
  refusals?: RefusalTally;
  /** Hosts besides hooks.slack.com whose response_urls are used (BM_SLACK_URL_ALLOW); none if unset. */
  responseUrlAllow?: HostPatterns;
}

/** The Events API's deliveries, by event id. */
export interface EventClaims {
  /**
   * Takes the event: true the first time it is asked for `eventId`, false ever after (a retry of
   * Slack's, or the same event again), whoever asked first.
   */
  claim(eventId: string, at: Date): Promise<boolean>;
}

/** Who has opened the Home tab: the people whose Home is published again when what it shows changes. */
export interface HomeOpeners {
  /** Remembers that `userId` opened their Home (for 30 days from `at`). */
  opened(userId: string, at: Date): Promise<void>;
  /** Those of `userIds` who have opened their Home. */
  among(userIds: readonly string[]): Promise<string[]>;
  /** Whether anyone at all has opened their Home (within the 30 days each is remembered). */
  anyone(): Promise<boolean>;
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
    /** What its repeats are collapsed by: the operation unless told ({@link RefusalTally.count}). */
    repeats?: string;
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
  const first = deps.refusals ? deps.refusals.count(event, refusal.repeats) : event;
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
