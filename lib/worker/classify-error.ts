/**
 * Whether a failure may pass by itself (try again later) or is final (tell the user now).
 */
import { ServerLookupError } from "../ecl/client";
import { EclApiError, EclNetworkError } from "../ecl/errors";
import { InvalidInputError } from "../ecl/validate";
import type { EclFailure } from "../operations/operation";
import { SecretError } from "../secrets/secret-source";
import { TenantSecretError } from "../secrets/tenant-secret";
import { SlackApiError } from "../slack/slack-error";

/** True for failures that waiting can cure: ECL or AWS unreachable, ECL 5xx or 429. */
export function isPassing(error: unknown): boolean {
  if (error instanceof EclNetworkError) return true;
  if (error instanceof EclApiError) return error.status >= 500 || error.status === 429;
  if (error instanceof SecretError) return error.kind === "unavailable";
  if (error instanceof SlackApiError) return error.kind === "passing";
  if (
    error instanceof ServerLookupError ||
    error instanceof InvalidInputError ||
    error instanceof TenantSecretError ||
    error instanceof SecretError
  ) {
    return false;
  }
  // AWS SDK and Slack errors (throttling, 5xx, timeouts) and anything unknown: try again.
  return true;
}

/** The facts of an ECL refusal, for the record and the thread. */
export function eclFailure(error: unknown): EclFailure | undefined {
  if (!(error instanceof EclApiError)) return undefined;
  const failure: EclFailure = { status: error.status, meaning: error.meaning };
  if (error.apiMessage) failure.apiMessage = error.apiMessage;
  if (error.requestId) failure.requestId = error.requestId;
  return failure;
}
