import { describe, expect, it } from "vitest";
import { describeError } from "../../lib/describe-error";
import { EclApiError } from "../../lib/ecl/errors";
import { SecretError } from "../../lib/secrets/secret-source";

describe("describeError", () => {
  it("passes on the messages written for users", () => {
    expect(describeError(new SecretError("not_found", "bm/tenant/x", "is not in f.json"))).toBe(
      'secret "bm/tenant/x" is not in f.json',
    );
  });

  it("explains a Keystone 401", () => {
    const error = new EclApiError({
      service: "keystone",
      status: 401,
      method: "POST",
      path: "/v3/auth/tokens",
    });
    expect(describeError(error)).toBe(
      "ECL Keystone answered 401 (unauthorized): Keystone refused the API key and secret of this tenant",
    );
  });

  it.each([
    new TypeError("Cannot read token xoxb-should-not-show"),
    "a string with api_secret",
    { token: "t" },
  ])("hides the message of anything else: %j", (error) => {
    const said = describeError(error);
    expect(said).toMatch(/^internal error \((TypeError|string|object)\)/);
    expect(said).not.toMatch(/xoxb|api_secret|"t"/);
  });

  it.each([
    [
      { code: "slack_webapi_rate_limited_error", retryAfter: 3 },
      "Slack rate-limited bm (retry after 3 s)",
    ],
    [
      { code: "slack_webapi_platform_error", data: { error: "channel_not_found" } },
      "Slack answered channel_not_found",
    ],
    [
      { code: "slack_webapi_request_error" },
      "Slack could not be reached (slack_webapi_request_error)",
    ],
    [
      Object.assign(new Error("arn:aws:dynamodb:... token"), {
        name: "ProvisionedThroughputExceededException",
        $metadata: {},
      }),
      "AWS answered ProvisionedThroughputExceededException",
    ],
  ])("names Slack and AWS errors without their messages: %j", (error, said) => {
    expect(describeError(error)).toBe(said);
  });
});
