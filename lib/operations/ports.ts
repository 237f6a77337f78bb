/**
 * The ports of the operation record: the store, the audit log, and the work queue. (Pending
 * choices have theirs in lib/choices/choice-store.ts.)
 */
import type { AuditEvent, Operation, TargetState } from "./operation";
import type { WorkMessage } from "./work-message";

export interface OperationStore {
  /** Writes a new operation unless one with its id exists; then returns that one. */
  create(op: Operation): Promise<{ created: true } | { created: false; existing: Operation }>;
  get(id: string): Promise<Operation | undefined>;
  /**
   * Writes `next` over `prev` if the stored operation is still `prev` (same state and revision).
   * Returns the written operation, or undefined when someone else wrote first.
   */
  save(prev: Operation, next: Operation): Promise<Operation | undefined>;
  /**
   * Takes the events of `seqs` out of the operation's audit outbox, now that they are appended,
   * if the operation is still at the revision `op` read (else a later flush does it); with
   * `settled`, also takes it out of the follow-up's index. Does not bump the revision: a writer
   * holding an older copy may put the events back, and appending them again changes nothing.
   */
  clearAudited(op: Operation, seqs: number[], settled: boolean): Promise<void>;
  /**
   * Records the parent message's ts and permalink, whatever else changed meanwhile (no revision
   * condition, and never over a ts already there), and bumps the revision so that no writer
   * holding an older copy can write it away. Returns the operation as stored.
   */
  setParent(id: string, parentTs: string, permalink: string | undefined): Promise<Operation>;
  /**
   * Records one target's state in its fleet request's tally, whatever else changed meanwhile (no
   * revision condition: each target writes only its own entry), and bumps the revision so that
   * no writer holding an older copy writes it away (record.ts's `rebase` lays theirs over it). An
   * entry that has ended is never changed again (a late writer's older state is dropped).
   */
  setTally(fleetId: string, targetId: string, state: TargetState): Promise<void>;
  /**
   * Takes the lock on one image of one server for `op`: at most one operation on them is in
   * flight. Taken again by the same operation, it succeeds; held by another, it names it.
   */
  lock(key: string, opId: string): Promise<{ held: true } | { held: false; holder: string }>;
  /**
   * Lets go of a lock, if `opId` (or, to take over a lock its holder never released, `holder`)
   * still holds it; a lock someone else holds is left alone.
   */
  unlock(key: string, opId: string): Promise<void>;
  /** Hands a lock whose holder has ended to `opId`; false when it is not `from`'s any more. */
  takeLock(key: string, from: string, opId: string): Promise<boolean>;
  /**
   * Every operation the follow-up must look at: a scan of the sparse index, which holds only
   * those (one call when bm is idle), never of the table.
   */
  listInFlight(): Promise<Operation[]>;
  /** A tenant's latest operations, newest first, that `keep` accepts. */
  recentForTenant(
    tenant: string,
    limit: number,
    keep?: (op: Operation) => boolean,
  ): Promise<Operation[]>;
}

/** The append-only audit trail. No method updates or deletes. */
export interface AuditLog {
  /** Appends an event; appending the same (operationId, seq) again changes nothing. */
  append(event: AuditEvent): Promise<void>;
}

/** The longest the work queue (SQS) lets a received message stay out of sight: 12 hours. */
export const MAX_VISIBILITY_S = 43_200;

export interface WorkQueue {
  send(message: WorkMessage, delaySeconds?: number): Promise<void>;
}
