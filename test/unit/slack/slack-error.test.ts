import { describe, expect, it } from "vitest";
import { BmError } from "../../../lib/errors";
import {
  groupRefusalScope,
  SlackApiError,
  slackApiError,
  slackFix,
} from "../../../lib/slack/slack-error";

const platform = (error: string) => ({
  code: "slack_webapi_platform_error",
  data: { ok: false, error },
});
const http = (statusCode: number) => ({ code: "slack_webapi_http_error", statusCode });

describe("slackApiError", () => {
  it.each([
    [{ code: "slack_webapi_rate_limited_error", retryAfter: 30 }, "ratelimited", "passing", 30],
    [{ code: "slack_webapi_rate_limited_error", retryAfter: "12" }, "ratelimited", "passing", 12],
    [{ code: "slack_webapi_rate_limited_error" }, "ratelimited", "passing", 1],
    [{ code: "slack_webapi_rate_limited_error", retryAfter: 0 }, "ratelimited", "passing", 1],
    [http(503), "http_503", "passing", undefined],
    [http(500), "http_500", "passing", undefined],
    [http(408), "http_408", "passing", undefined],
    [http(429), "http_429", "passing", undefined],
    [http(499), "http_499", "permanent", undefined],
    [http(400), "http_400", "permanent", undefined],
    [http(404), "http_404", "permanent", undefined],
    [{ code: "slack_webapi_request_error" }, "no_response", "passing", undefined],
    [new Error("socket hang up"), "no_response", "passing", undefined],
    [undefined, "no_response", "passing", undefined],
    [null, "no_response", "passing", undefined],
    ["a string", "no_response", "passing", undefined],
    [{ code: "slack_webapi_platform_error" }, "unknown_error", "permanent", undefined],
    [{ code: "slack_webapi_platform_error", data: {} }, "unknown_error", "permanent", undefined],
    ...[
      "ratelimited",
      "internal_error",
      "fatal_error",
      "service_unavailable",
      "request_timeout",
    ].map((e) => [platform(e), e, "passing", undefined]),
    ...[
      "invalid_blocks",
      "msg_too_long",
      "no_text",
      "not_in_channel",
      "channel_not_found",
      "is_archived",
      "invalid_auth",
      "not_authed",
      "account_inactive",
      "token_revoked",
      "token_expired",
      "missing_scope",
      "no_permission",
      "message_not_found",
    ].map((e) => [platform(e), e, "permanent", undefined]),
  ] as Array<[unknown, string, string, number | undefined]>)(
    "%j → %s, %s",
    (thrown, code, kind, retryAfterS) => {
      // Act
      const error = slackApiError("chat.postMessage", thrown);
      // Assess
      expect(error).toBeInstanceOf(SlackApiError);
      expect({
        method: error.method,
        code: error.code,
        kind: error.kind,
        passing: error.passing,
        retryAfterS: error.retryAfterS,
        cause: error.cause,
        message: error.message,
      }).toEqual({
        method: "chat.postMessage",
        code,
        kind,
        passing: kind === "passing",
        retryAfterS,
        cause: thrown,
        message: `Slack answered ${code} to chat.postMessage`,
      });
    },
  );

  it("keeps the very error it was thrown as its cause", () => {
    const thrown = new Error("socket hang up");
    expect(slackApiError("views.open", thrown).cause).toBe(thrown);
  });

  it("keeps an error it already sorted", () => {
    const sorted = new SlackApiError("views.open", "expired_trigger_id", "permanent");
    expect(slackApiError("other", sorted)).toBe(sorted);
  });

  it("is one of bm's errors, for users, named SlackApiError", () => {
    // Act
    const error = new SlackApiError("chat.update", "not_in_channel", "permanent");
    // Assess
    expect(error).toBeInstanceOf(BmError);
    expect([error.name, error.forUsers, error.passing, error.retryAfterS]).toEqual([
      "SlackApiError",
      true,
      false,
      undefined,
    ]);
    expect(error.told()).toBe("Slack answered not_in_channel to chat.update");
  });
});

describe("slackFix", () => {
  const reinstall = "bm's Slack token no longer works here: ask a Slack admin to reinstall bm.";
  const deleted =
    "bm's message in this channel was deleted, so bm cannot update it or reply to it.";
  const fault = "Slack refused bm's message, which is a fault in bm: tell the team that runs bm.";

  it.each([
    [
      "not_in_channel",
      "bm is not a member of this channel: invite it with `/invite @bm`, then ask again.",
    ],
    [
      "channel_not_found",
      "Slack does not let bm see this channel: if it is private, invite bm with `/invite @bm`, then ask again.",
    ],
    ["is_archived", "this channel is archived: use a channel that is not."],
    ["invalid_auth", reinstall],
    ["not_authed", reinstall],
    ["account_inactive", reinstall],
    ["token_revoked", reinstall],
    ["token_expired", reinstall],
    ["missing_scope", reinstall],
    ["no_permission", reinstall],
    ["expired_trigger_id", "Slack gave bm too little time to open the form: click again."],
    ["invalid_trigger_id", "Slack gave bm too little time to open the form: click again."],
    ["message_not_found", deleted],
    ["thread_not_found", deleted],
    ["cant_update_message", deleted],
    ["expired_url", "Slack no longer lets bm answer that command: run it again."],
    ["used_url", "Slack no longer lets bm answer that command: run it again."],
    ["invalid_blocks", fault],
    ["msg_too_long", fault],
    ["no_text", fault],
    ["", fault],
  ])("%j: %s", (code, words) => {
    expect(slackFix(code)).toBe(words);
  });
});

describe("groupRefusalScope", () => {
  it.each([
    // About the app: no group can be read until the app or the workspace is fixed.
    ...[
      "invalid_auth",
      "not_authed",
      "account_inactive",
      "token_revoked",
      "token_expired",
      "missing_scope",
      "no_permission",
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
    ].map((code) => [code, "app"]),
    // About the group asked: deleted, disabled, never there, or out of bm's reach.
    ...[
      "no_such_subteam",
      "access_denied",
      "invalid_arguments",
      "unknown_error",
      "http_404",
      "",
    ].map((code) => [code, "group"]),
  ])("%j is about the %s", (code, scope) => {
    expect(groupRefusalScope(code)).toBe(scope);
  });
});
