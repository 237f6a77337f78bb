/**
 * The one place where any error becomes the words a user sees, in a terminal or in Slack.
 */
import { ServerLookupError } from "./ecl/client";
import { EclApiError, EclNetworkError, EclProtocolError } from "./ecl/errors";
import { InvalidInputError } from "./ecl/validate";
import { SecretError } from "./secrets/secret-source";
import { TenantSecretError } from "./secrets/tenant-secret";
import { SlackApiError } from "./slack/slack-error";
import { RetryLater } from "./worker/retry-later";

/** Errors whose messages were written for users and hold no secret. */
const USER_FACING = [
  InvalidInputError,
  ServerLookupError,
  EclApiError,
  EclNetworkError,
  EclProtocolError,
  SecretError,
  TenantSecretError,
  SlackApiError,
  RetryLater,
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
  const slack = slackError(error);
  if (slack) return slack;
  const aws = (error as { $metadata?: unknown; name?: unknown } | undefined)?.$metadata
    ? (error as Error).name
    : undefined;
  if (aws) return `AWS answered ${aws}`;
  const name = error instanceof Error ? error.name : typeof error;
  return `internal error (${name}); nothing more is shown, to keep secrets out of messages`;
}

/** Slack's WebClient errors, by their code and Slack's own error string (never a token). */
function slackError(error: unknown): string | undefined {
  const e = error as
    | { code?: unknown; data?: { error?: unknown }; retryAfter?: unknown }
    | undefined;
  if (typeof e?.code !== "string" || !e.code.startsWith("slack_")) return undefined;
  if (e.code === "slack_webapi_rate_limited_error")
    return `Slack rate-limited bm (retry after ${e.retryAfter ?? "?"} s)`;
  if (e.code === "slack_webapi_platform_error")
    return `Slack answered ${String(e.data?.error ?? "an error")}`;
  return `Slack could not be reached (${e.code})`;
}
