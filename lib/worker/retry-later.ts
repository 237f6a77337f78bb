/**
 * A failure the worker leaves for the queue to redeliver. Its message is made by describeError,
 * so it is safe to show. It carries the wait its cause asks for: the seconds of a rate-limited
 * Slack call (Slack's Retry-After, or the pacer's wait), directly or through another RetryLater,
 * so that the redelivery comes no sooner.
 */

import { BmError } from "../errors";
import { SlackApiError } from "../slack/slack-error";

export class RetryLater extends BmError {
  override readonly name = "RetryLater";
  readonly passing = true;
  readonly forUsers = true;
  /** Seconds the cause asks bm to wait before trying again, if it asks. */
  readonly waitS: number | undefined;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.waitS = waitAskedS(options?.cause);
  }
}

/** The seconds an error asks bm to wait: a Slack call's Retry-After, or a RetryLater's own. */
export function waitAskedS(cause: unknown): number | undefined {
  if (cause instanceof RetryLater) return cause.waitS;
  if (cause instanceof SlackApiError) return cause.retryAfterS;
  return undefined;
}
