/**
 * The audit outbox, watched. An event waits in its operation's `unaudited` list only until the
 * audit table takes it (record.ts); one that waits longer than BM_AUDIT_OUTBOX_GRACE_S is at
 * risk (any role with PutItem on the operations table could rewrite it), so each round the
 * follow-up tries to append it and counts the operations still waiting in `AuditOutboxStale`,
 * put every round (0 when none) for its alarm. The sparse index holds every operation with
 * unaudited events, so the round's one scan sees them all.
 */

import type { Operation } from "../operations/operation";
import { flushAudit } from "../operations/record";
import type { FollowUpDeps } from "./deps";

/** How long the oldest event of the operation's outbox has waited (ms); undefined when none. */
export function outboxAgeMs(op: Pick<Operation, "unaudited">, nowMs: number): number | undefined {
  const times = (op.unaudited ?? []).map((event) => Date.parse(event.at));
  return times.length ? nowMs - Math.min(...times) : undefined;
}

/** True when the oldest event of the operation's outbox has waited past the grace. */
export function isStale(op: Pick<Operation, "unaudited">, nowMs: number, graceS: number): boolean {
  return (outboxAgeMs(op, nowMs) ?? 0) > graceS * 1000;
}

/**
 * Tries to append the outboxes that waited past the grace, and puts `AuditOutboxStale`: how many
 * still wait. Returns the operations as they now stand (the others as listed), and the count.
 */
export async function watchOutboxes(
  deps: Pick<FollowUpDeps, "store" | "audit" | "log" | "metrics" | "now" | "auditOutboxGraceS">,
  listed: Operation[],
): Promise<{ ops: Operation[]; stale: number }> {
  const ops: Operation[] = [];
  const waiting: string[] = [];
  for (const op of listed) {
    const now = deps.now().getTime();
    if (!isStale(op, now, deps.auditOutboxGraceS)) {
      ops.push(op);
      continue;
    }
    const flushed = await flushAudit(deps, op);
    if (isStale(flushed, now, deps.auditOutboxGraceS)) waiting.push(op.id);
    ops.push(flushed);
  }
  deps.metrics?.put("AuditOutboxStale", waiting.length);
  if (waiting.length > 0)
    deps.log.warn("audit events have waited in the outbox past the grace; appended later", {
      operations: waiting.slice(0, 20),
      stale: waiting.length,
      graceS: deps.auditOutboxGraceS,
    });
  return { ops, stale: waiting.length };
}
