/**
 * The one place where any error becomes the words a user sees, in a terminal or in Slack.
 */
import { ServerLookupError } from "./ecl/client";
import { EclApiError, EclNetworkError, EclProtocolError } from "./ecl/errors";
import { InvalidInputError } from "./ecl/validate";
import { SecretError } from "./secrets/secret-source";
import { TenantSecretError } from "./secrets/tenant-secret";

/** Errors whose messages were written for users and hold no secret. */
const USER_FACING = [
  InvalidInputError,
  ServerLookupError,
  EclApiError,
  EclNetworkError,
  EclProtocolError,
  SecretError,
  TenantSecretError,
];

/**
 * One line for a user. Known errors say what happened (status, meaning, the API's words, the
 * request id); anything else is an internal error, described by its class name only, since
 * its message may hold anything.
 */
export function describeError(error: unknown): string {
  if (error instanceof EclApiError && error.service === "keystone" && error.status === 401) {
    return `${error.message}: Keystone refused the API key and secret of this tenant`;
  }
  if (USER_FACING.some((kind) => error instanceof kind)) return (error as Error).message;
  const name = error instanceof Error ? error.name : typeof error;
  return `internal error (${name}); nothing more is shown, to keep secrets out of messages`;
}
