/**
 * Audit events that stand alone: a refusal or a read changes no operation, so it is none of an
 * operation's numbered events but an event of its own (seq 0), kept under the operation it
 * concerns, or under an id of the request or read that made none. Built here, in one place, for
 * every writer (the front door's refusals and reads, the worker's reads).
 */
import type { Metrics } from "../metrics";
import { by } from "../util/by";
import { type Actor, type AuditEvent, type Facts, shortId } from "./operation";
import type { AuditLog } from "./ports";

/** A standalone event: seq 0, at `at`, under `operationId`. */
export function standaloneEvent(
  fields: { operationId: string; actor: Actor; action: string; facts: Facts },
  at: Date,
): AuditEvent {
  return {
    operationId: fields.operationId,
    seq: 0,
    at: at.toISOString(),
    action: fields.action,
    actor: fields.actor,
    facts: fields.facts,
  };
}

/**
 * The id a read of one slash command is audited under when it concerns no operation (`rd-` and
 * 10 base-32 characters): made from its trigger id, as a request's operation id is, so a repeated
 * delivery of the command names the same read.
 */
export function readIdFor(teamId: string, triggerId: string): string {
  return shortId("rd", `${teamId}:${triggerId}`);
}

export interface ReadAuditDeps {
  audit: AuditLog;
  log: { warn(message: string, extra?: object): void };
  metrics?: Metrics;
}

/**
 * Appends the audit event of a read. Never throws, and waits no later than `deadline` (epoch
 * ms) when given one: a read is answered whether or not its event could be written. A failed or
 * late append is logged and counted (`AuditWriteError`); a read has no outbox, so the event of a
 * failed one is lost, and the alarm on that metric says so.
 */
export async function auditRead(
  deps: ReadAuditDeps,
  event: AuditEvent,
  deadline?: number,
): Promise<void> {
  // Counted once: a write given up on as late that then fails is the same lost event.
  let counted = false;
  const count = () => {
    if (!counted) deps.metrics?.put("AuditWriteError", 1);
    counted = true;
  };
  const about = { operationId: event.operationId, action: event.action };
  const appended = deps.audit.append(event).then(
    () => "appended" as const,
    (error: unknown) => {
      count();
      deps.log.warn("audit append of a read failed; the read is answered all the same", {
        ...about,
        error: error instanceof Error ? error.name : typeof error,
      });
      return "failed" as const;
    },
  );
  if (deadline === undefined) {
    await appended;
    return;
  }
  if ((await by(deadline, appended)) !== undefined) return;
  count();
  deps.log.warn("audit append of a read still at work when the answer had to leave", about);
}
