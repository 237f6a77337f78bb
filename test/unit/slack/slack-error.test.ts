import { describe, expect, it } from "vitest";
import { SlackApiError, slackApiError, slackFix } from "../../../lib/slack/slack-error";

const platform = (error: string) => ({
  code: "slack_webapi_platform_error",
  data: { ok: false, error },
});

describe("slackApiError", () => {
  it.each([
    [{ code: "slack_webapi_rate_limited_error", retryAfter: 30 }, "ratelimited", "passing", 30],
    [{ code: "slack_webapi_http_error", statusCode: 503 }, "http_503", "passing", undefined],
    [{ code: "slack_webapi_http_error", statusCode: 400 }, "http_400", "permanent", undefined],
    [{ code: "slack_webapi_request_error" }, "no_response", "passing", undefined],
    [new Error("socket hang up"), "no_response", "passing", undefined],
    [platform("internal_error"), "internal_error", "passing", undefined],
    [platform("service_unavailable"), "service_unavailable", "passing", undefined],
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
      "missing_scope",
      "message_not_found",
    ].map((e) => [platform(e), e, "permanent", undefined]),
  ] as Array<[unknown, string, string, number | undefined]>)(
    "%j → %s, %s",
    (thrown, code, kind, retryAfterS) => {
      const error = slackApiError("chat.postMessage", thrown);
      expect(error).toBeInstanceOf(SlackApiError);
      expect([error.code, error.kind, error.retryAfterS]).toEqual([code, kind, retryAfterS]);
      expect(error.message).toBe(`Slack answered ${code} to chat.postMessage`);
    },
  );

  it("keeps an error it already sorted", () => {
    const sorted = new SlackApiError("views.open", "expired_trigger_id", "permanent");
    expect(slackApiError("other", sorted)).toBe(sorted);
  });
});

describe("slackFix", () => {
  it.each([
    ["not_in_channel", "invite it with `/invite @bm`"],
    ["channel_not_found", "if it is private, invite bm"],
    ["is_archived", "archived"],
    ["invalid_auth", "ask a Slack admin to reinstall bm"],
    ["token_revoked", "ask a Slack admin to reinstall bm"],
    ["account_inactive", "ask a Slack admin to reinstall bm"],
    ["missing_scope", "ask a Slack admin to reinstall bm"],
    ["not_authed", "ask a Slack admin to reinstall bm"],
    ["expired_trigger_id", "click again"],
    ["message_not_found", "was deleted"],
    ["thread_not_found", "was deleted"],
    ["invalid_blocks", "a fault in bm"],
    ["msg_too_long", "a fault in bm"],
  ])("%s: %s", (code, words) => {
    expect(slackFix(code)).toContain(words);
  });
});
