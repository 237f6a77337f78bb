/**
 * A failure the worker leaves for the queue to redeliver. Its message is made by describeError,
 * so it is safe to show.
 */
export class RetryLater extends Error {
  override readonly name = "RetryLater";
}
