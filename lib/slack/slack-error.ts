/**
 * Slack's refusals, sorted once: a passing failure (rate limit, 5xx, timeout, no connection) may
 * succeed later; a permanent one (Slack said no: the bot is not in the channel, the token is
 * revoked, the message is refused) never will, so it is never retried, and the people who can fix
 * it are told how.
 */

import { BmError } from "../errors";

/** Slack errors that pass by themselves; every other `ok: false` answer is final. */
const PASSING_CODES = new Set([
  "ratelimited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
]);

/** The token no longer works, or lacks a right: only reinstalling the app cures it. */
const INSTALL_CODES = new Set([
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "missing_scope",
  "no_permission",
]);

/**
 * Permanent refusals of `usergroups.users.list` that say nothing of the group asked: the token,
 * its type or scopes, the workspace's plan, its admins' settings or a migration stop every lookup
 * alike. Any other permanent answer (`no_such_subteam`: a group deleted, disabled or never there)
 * is about that group alone.
 */
const APP_WIDE_GROUP_CODES = new Set([
  ...INSTALL_CODES,
  "not_allowed_token_type",
  "plan_upgrade_required",
  "team_access_not_granted",
  "ekm_access_denied",
  "enterprise_is_restricted",
  "accesslimited",
  "two_factor_setup_required",
  "org_login_required",
  "team_added_to_org",
  "method_deprecated",
  "deprecated_endpoint",
]);

/**
 * What a permanent refusal of a user group lookup is about: `group`, the group asked (bm counts
 * it as listing nobody), or `app`, every lookup bm makes (no group can be read until someone
 * fixes the app or the workspace).
 */
export function groupRefusalScope(code: string): "group" | "app" {
  return APP_WIDE_GROUP_CODES.has(code) ? "app" : "group";
}

/** A Slack call that failed, with what Slack said. The message holds no token and no text sent. */
export class SlackApiError extends BmError {
  override readonly name = "SlackApiError";
  readonly forUsers = true;
  get passing(): boolean {
    return this.kind === "passing";
  }

  constructor(
    /** `chat.postMessage`, …, or `response_url`. */
    readonly method: string,
    /** Slack's error code (`not_in_channel`), `http_503`, or `no_response`. */
    readonly code: string,
    readonly kind: "passing" | "permanent",
    /** With a rate limit: how long Slack asked bm to wait. */
    readonly retryAfterS?: number,
    options?: { cause?: unknown },
  ) {
    super(`Slack answered ${code} to ${method}`, options);
  }
}

/** Sorts an error thrown by Slack's WebClient (or anything else) into a {@link SlackApiError}. */
export function slackApiError(method: string, error: unknown): SlackApiError {
  if (error instanceof SlackApiError) return error;
  const e = error as {
    code?: unknown;
    data?: { error?: unknown };
    retryAfter?: unknown;
    statusCode?: unknown;
  };
  switch (e?.code) {
    case "slack_webapi_rate_limited_error":
      return new SlackApiError(method, "ratelimited", "passing", Number(e.retryAfter) || 1, {
        cause: error,
      });
    case "slack_webapi_platform_error": {
      const code = String(e.data?.error ?? "unknown_error");
      return new SlackApiError(
        method,
        code,
        PASSING_CODES.has(code) ? "passing" : "permanent",
        undefined,
        {
          cause: error,
        },
      );
    }
    case "slack_webapi_http_error": {
      const status = Number(e.statusCode);
      const passing = status >= 500 || status === 408 || status === 429;
      return new SlackApiError(
        method,
        `http_${status}`,
        passing ? "passing" : "permanent",
        undefined,
        {
          cause: error,
        },
      );
    }
    default:
      // A request error (timeout, refused connection) or anything unknown: it may pass.
      return new SlackApiError(method, "no_response", "passing", undefined, { cause: error });
  }
}

/** What a person can do about a permanent Slack error, in words; `channel` as bm names it. */
export function slackFix(code: string): string {
  if (code === "not_in_channel")
    return "bm is not a member of this channel: invite it with `/invite @bm`, then ask again.";
  if (code === "channel_not_found")
    return "Slack does not let bm see this channel: if it is private, invite bm with `/invite @bm`, then ask again.";
  if (code === "is_archived") return "this channel is archived: use a channel that is not.";
  if (INSTALL_CODES.has(code))
    return "bm's Slack token no longer works here: ask a Slack admin to reinstall bm.";
  if (code === "expired_trigger_id" || code === "invalid_trigger_id")
    return "Slack gave bm too little time to open the form: click again.";
  if (code === "message_not_found" || code === "thread_not_found" || code === "cant_update_message")
    return "bm's message in this channel was deleted, so bm cannot update it or reply to it.";
  if (code === "expired_url" || code === "used_url")
    return "Slack no longer lets bm answer that command: run it again.";
  return "Slack refused bm's message, which is a fault in bm: tell the team that runs bm.";
}
