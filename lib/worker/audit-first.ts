/**
 * No detach POST before its authorisation is evidence. The POST is the one act bm cannot take
 * back; the events that authorise it (the request, the picks, the approvals, and `executing`
 * itself) must be in the audit table before it leaves, not only in the operation's outbox, which
 * any role with PutItem on the operations table could rewrite. Events after the POST may wait in
 * the outbox: the follow-up appends them and counts those that wait too long (`AuditOutboxStale`).
 */

import { BmError } from "../errors";
import type { AuditEvent, Operation } from "../operations/operation";

/** What the requester is told when the audit trail could not be written on the last try. */
export const AUDIT_NOT_WRITTEN =
  "bm could not write the audit trail, so it did not send the detach; nothing was sent to ECL";

/**
 * The audit table did not take the events that authorise a detach, so it was not sent. Passing:
 * the message is tried again with its back-off, and the last try ends the operation `failed`.
 */
export class AuditNotWritten extends BmError {
  override readonly name = "AuditNotWritten";
  readonly passing = true;
  readonly forUsers = true;
  constructor(options?: ErrorOptions) {
    super(AUDIT_NOT_WRITTEN, options);
  }
}

/** The events of the operation's outbox numbered `through` or lower: those not in the table yet. */
export function unauditedThrough(op: Pick<Operation, "unaudited">, through: number): AuditEvent[] {
  return op.unaudited?.filter((event) => event.seq <= through) ?? [];
}
