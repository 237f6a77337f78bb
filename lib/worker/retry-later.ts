/**
 * A failure the worker leaves for the queue to redeliver. Its message is made by describeError,
 * so it is safe to show.
 */

import { BmError } from "../errors";
export class RetryLater extends BmError {
  override readonly name = "RetryLater";
  readonly passing = true;
  readonly forUsers = true;
}
