/**
 * The metrics bm emits: one table, read by the code that emits them, by the dashboard and alarms
 * check in the deployment test, and listed in the README. The names are a contract.
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
  /** An audit event could not be appended at once (it waits in the operation's outbox). */
  AuditWriteError: { unit: "Count" },
  /** How long the front door took to answer Slack. */
  FrontDoorAnswerMs: { unit: "Milliseconds" },
} as const satisfies Record<
  string,
  { unit: "Count" | "Seconds" | "Milliseconds"; dimension?: string }
>;

export type MetricName = keyof typeof METRICS;
