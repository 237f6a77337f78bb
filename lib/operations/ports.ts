/**
 * The ports of the operation record: the store, the audit log, and the work queue.
 */
import type { AuditEvent, Operation } from "./operation";

export interface OperationStore {
  /** Writes a new operation unless one with its id exists; then returns that one. */
  create(op: Operation): Promise<{ created: true } | { created: false; existing: Operation }>;
  get(id: string): Promise<Operation | undefined>;
  /**
   * Writes `next` over `prev` if the stored operation is still `prev` (same state and revision).
   * Returns the written operation, or undefined when someone else wrote first.
   */
  save(prev: Operation, next: Operation): Promise<Operation | undefined>;
  /** Operations the follow-up must look at, found through a sparse index, not a scan. */
  listInFlight(kind: NonNullable<Operation["inflight"]>): Promise<Operation[]>;
}

/** The append-only audit trail. No method updates or deletes. */
export interface AuditLog {
  /** Appends an event; appending the same (operationId, seq) again changes nothing. */
  append(event: AuditEvent): Promise<void>;
}

/** What the worker is asked to do. */
export interface WorkMessage {
  kind: "prepare" | "execute";
  operationId: string;
}

export interface WorkQueue {
  send(message: WorkMessage, delaySeconds?: number): Promise<void>;
}
