/**
 * The metrics bm emits: one table, read by the code that emits them, by the dashboard and alarms
 * check in the deployment test, and listed in docs/operations.md. The names are a contract. And
 * the port the rest of bm records them through (its adapter: lib/runtime/metrics.ts).
 */

/** CloudWatch namespace of every bm metric; each also carries the dimension `service`. */
export const METRIC_NAMESPACE = "bm";

export const METRICS = {
  /** A new operation was recorded (dimension approvals: none | required). */
  OperationRequested: { unit: "Count", dimension: "approvals" },
  /** An operation ended (dimension outcome: done, noop, failed, timed_out, rejected, expired, cancelled). */
  OperationFinished: { unit: "Count", dimension: "outcome" },
  /** From ECL accepting the detach POST to the follow-up seeing it finished. */
  DetachSeconds: { unit: "Seconds" },
  /** From the request to its last needed approval. */
  ApprovalWaitSeconds: { unit: "Seconds" },
  /** ECL answered an error status, or did not answer (dimension status: 409, 503, timeout, connection…). */
  EclError: { unit: "Count", dimension: "status" },
  /** Slack refused or failed a call (dimension error: Slack's code, e.g. not_in_channel, rate_limited). */
  SlackError: { unit: "Count", dimension: "error" },
  /**
   * An audit event could not be appended at once: an operation's waits in its outbox; a read's is
   * lost (the read is answered all the same).
   */
  AuditWriteError: { unit: "Count" },
  /** Another item held an audit event's place, with other content: planted or rewritten (the event waits in its outbox). */
  AuditConflict: { unit: "Count" },
  /** What the daily audit check found wrong with the trail (0 when every chain holds). */
  AuditFindings: { unit: "Count" },
  /**
   * The archiver met a change of the append-only audit trail: a MODIFY or REMOVE of an audit
   * event, or an event whose archived copy differs (each kept under `changes/` in the archive).
   */
  AuditTampered: { unit: "Count" },
  /**
   * Operations whose oldest audit event has waited in the outbox past BM_AUDIT_OUTBOX_GRACE_S,
   * after the follow-up tried to append it: put every round, 0 when none.
   */
  AuditOutboxStale: { unit: "Count" },
  /** How long the front door took to answer Slack. */
  FrontDoorAnswerMs: { unit: "Milliseconds" },
} as const satisfies Record<
  string,
  { unit: "Count" | "Seconds" | "Milliseconds"; dimension?: string }
>;

export type MetricName = keyof typeof METRICS;

/** The port the rest of bm records metrics through. */
export interface Metrics {
  /** One value of a metric; `dimension` is the value of its own dimension, when it has one. */
  put(name: MetricName, value: number, dimension?: string): void;
  /** Publishes what is stored. Each handler calls it once per invocation, however it ended. */
  flush(): void;
}

/** Records nothing: for code paths (and tests) that do not care. */
export const noMetrics: Metrics = { put() {}, flush() {} };
