/**
 * The one base of bm's errors, and the one place where any error becomes the words a user sees
 * (in a terminal or in Slack) and is sorted into passing or final. Each error class says both
 * about itself, so a new one cannot be forgotten in a list kept elsewhere.
 */

/** Every error bm raises on purpose. */
export abstract class BmError extends Error {
  /**
   * True when the failure may pass by itself, so that trying again later may succeed (ECL or
   * AWS unreachable, a 5xx, a rate limit); false when it is final and the user is told now.
   */
  abstract readonly passing: boolean;
  /**
   * True when the message was written for users and holds no secret. False for a fault of bm or
   * of its set-up, which a user sees by its name only.
   */
  abstract readonly forUsers: boolean;

  /** The words a user is told. */
  told(): string {
    return this.forUsers ? this.message : internal(this.name);
  }
}

/**
 * One line for a user. bm's own errors say what happened (status, meaning, the API's words, the
 * request id); Slack's and AWS's clients' errors are named by their codes; anything else is an
 * internal error, described by its class name only, since its message may hold anything.
 */
export function describeError(error: unknown): string {
  if (error instanceof BmError) return error.told();
  const slack = slackError(error);
  if (slack) return slack;
  const aws = (error as { $metadata?: unknown; name?: unknown } | undefined)?.$metadata
    ? (error as Error).name
    : undefined;
  if (aws) return `AWS answered ${aws}`;
  return internal(error instanceof Error ? error.name : typeof error);
}

/**
 * True for failures that waiting can cure. bm's own errors say so themselves; AWS SDK and Slack
 * client errors (throttling, 5xx, timeouts) and anything unknown are tried again.
 */
export function isPassing(error: unknown): boolean {
  return error instanceof BmError ? error.passing : true;
}

function internal(name: string): string {
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
