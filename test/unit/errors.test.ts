import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/config";
import { ServerLookupError } from "../../lib/ecl/client";
import { EclApiError, EclNetworkError, EclProtocolError } from "../../lib/ecl/errors";
import { InvalidInputError } from "../../lib/ecl/validate";
import { describeError, isPassing } from "../../lib/errors";
import { IllegalTransition } from "../../lib/operations/operation";
import { PolicyError } from "../../lib/policy/policy";
import { SecretError } from "../../lib/secrets/secret-source";
import { TenantSecretError } from "../../lib/secrets/tenant-secret";
import { SlackApiError } from "../../lib/slack/slack-error";
import { SlackSecretError } from "../../lib/slack/slack-secret";
import { RetryLater } from "../../lib/worker/retry-later";

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
    [{ code: "slack_webapi_rate_limited_error" }, "Slack rate-limited bm (retry after ? s)"],
    [{ code: "slack_webapi_platform_error" }, "Slack answered an error"],
    [{ code: "slack_webapi_platform_error", data: {} }, "Slack answered an error"],
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

  it.each([
    [undefined, "undefined"],
    [null, "object"],
    [{ code: "ECONNRESET" }, "object"],
    [{ code: 42 }, "object"],
    [Object.assign(new Error("x"), { $metadata: undefined }), "Error"],
  ])("names anything else by its type, even %j", (error, type) => {
    expect(describeError(error)).toBe(
      `internal error (${type}); nothing more is shown, to keep secrets out of messages`,
    );
  });
});

describe("isPassing and what each error tells", () => {
  const api = (status: number) =>
    new EclApiError({ service: "baremetal", status, method: "POST", path: "/v2/x" });
  it.each([
    ["ECL 500", api(500), true],
    ["ECL 503", api(503), true],
    ["ECL 429", api(429), true],
    ["ECL 409", api(409), false],
    ["ECL 404", api(404), false],
    ["ECL 499", api(499), false],
    ["ECL unreachable", new EclNetworkError("timeout", "GET", "https://ecl"), true],
    ["ECL unreadable", new EclProtocolError("a list without servers"), true],
    ["a lookup", new ServerLookupError("not_found", "web1"), false],
    ["a user's input", new InvalidInputError("image", "not a UUID"), false],
    ["a tenant secret", new TenantSecretError("bm/tenant/x", ["tenant_id is missing"]), false],
    ["Secrets Manager down", new SecretError("unavailable", "s", "could not be read"), true],
    ["a secret not found", new SecretError("not_found", "s", "is not there"), false],
    ["Slack passing", new SlackApiError("chat.update", "ratelimited", "passing", 3), true],
    ["Slack refusing", new SlackApiError("chat.update", "not_in_channel", "permanent"), false],
    ["a retry", new RetryLater("ECL answered 503"), true],
    ["a stale copy", new IllegalTransition("op-x: done → approved"), true],
    ["the configuration", new ConfigError("BM_TABLE is missing"), false],
    ["the policy", new PolicyError("approvals must be a number"), false],
    ["the Slack secret", new SlackSecretError("bot_token is missing"), false],
    ["AWS throttling", Object.assign(new Error("x"), { $metadata: {} }), true],
    ["anything else", new TypeError("x"), true],
  ])("%s: passing %s", (_, error, passing) => {
    expect(isPassing(error)).toBe(passing);
  });

  it.each([
    new ConfigError("BM_TABLE is missing"),
    new PolicyError("approvals must be a number"),
    new SlackSecretError("bot_token is missing"),
    new IllegalTransition("op-x: done → approved"),
  ])("names a fault of bm or its set-up, never its words: %s", (error) => {
    expect(describeError(error)).toBe(
      `internal error (${error.name}); nothing more is shown, to keep secrets out of messages`,
    );
  });

  it("tells the words written for users as they are", () => {
    expect(describeError(new RetryLater("ECL answered 503 (compute fault)"))).toBe(
      "ECL answered 503 (compute fault)",
    );
    expect(describeError(api(404))).toBe("ECL answered 404 (not found)");
  });

  it.each([
    [new ServerLookupError("not_found", "web1"), 'no server named "web1" in this tenant'],
    [
      new InvalidInputError("image", "The image must be an image id"),
      "The image must be an image id",
    ],
    [
      new TenantSecretError("bm/tenant/x", ["tenant_id is missing"]),
      'tenant secret "bm/tenant/x" is invalid: tenant_id is missing',
    ],
    [
      new SecretError("not_found", "bm/tenant/x", "is not there"),
      'secret "bm/tenant/x" is not there',
    ],
    [
      new SlackApiError("chat.update", "not_in_channel", "permanent"),
      "Slack answered not_in_channel to chat.update",
    ],
    [
      new EclNetworkError("timeout", "GET", "https://ecl"),
      "ECL at https://ecl did not answer in time",
    ],
    [new EclProtocolError("ECL sent a list without servers"), "ECL sent a list without servers"],
  ])("tells each error written for users in its own words: %s", (error, said) => {
    expect(error.forUsers).toBe(true);
    expect(describeError(error)).toBe(said);
  });
});

describe("every error class of lib/", () => {
  it("extends BmError, so that it says what a user is told and whether it may pass", () => {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith(".ts"))
          for (const m of readFileSync(path, "utf8").matchAll(/class (\w+) extends (\w+)/g))
            if (m[2] === "Error") found.push(`${path}: ${m[1]}`);
      }
    };
    walk(join(import.meta.dirname, "../../lib"));
    // BmError itself; ParentNotKept never leaves record.ts: it is caught where it is thrown.
    expect(found.map((f) => f.split(": ")[1]).sort()).toEqual(["BmError", "ParentNotKept"]);
  });
});
