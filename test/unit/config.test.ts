import { describe, expect, it } from "vitest";
import { ConfigError, readConfig } from "../../lib/config";

const base = {
  BM_SLACK_SECRET_ID: "bm/slack",
  BM_POLICY: "p.yml",
  BM_TABLE: "ops",
  BM_AUDIT_TABLE: "audit",
  BM_QUEUE_URL: "https://sqs/q",
};

describe("readConfig", () => {
  it("takes the defaults of the issue", () => {
    expect(readConfig(base)).toEqual({
      slackSecretId: "bm/slack",
      policyPath: "p.yml",
      table: "ops",
      auditTable: "audit",
      queueUrl: "https://sqs/q",
      slackApiUrl: "https://slack.com/api/",
      secretsFile: undefined,
      pollIntervalMs: 5000,
      detachTimeoutS: 900,
      idleWaitS: 600,
      followupMarginMs: 10_000,
      eclTimeoutMs: 5000,
      eclActionTimeoutMs: 30_000,
      eclGraceMs: 30_000,
      awsTimeoutMs: 3000,
      slackTimeoutMs: 5000,
      handoverGraceS: 60,
    });
  });

  it("adds the slash a base URL needs", () => {
    expect(readConfig({ ...base, SLACK_API_URL: "http://127.0.0.1:9/api" }).slackApiUrl).toBe(
      "http://127.0.0.1:9/api/",
    );
  });

  it.each([
    [{ BM_TABLE: "" }, "BM_TABLE is not set"],
    [
      { BM_POLL_INTERVAL_MS: "5s" },
      'BM_POLL_INTERVAL_MS must be a positive whole number, not "5s"',
    ],
    [{ BM_DETACH_TIMEOUT_S: "-1" }, "BM_DETACH_TIMEOUT_S must be a positive whole number"],
    [{ SLACK_API_URL: "http://slack.example.com/api/" }, "SLACK_API_URL must be an https URL"],
    [{ SLACK_API_URL: "not a url" }, "SLACK_API_URL must be a URL"],
  ])("names the variable: %j", (change, message) => {
    expect(() => readConfig({ ...base, ...change })).toThrow(ConfigError);
    expect(() => readConfig({ ...base, ...change })).toThrow(message);
  });

  it("names every missing variable at once", () => {
    expect(() => readConfig({})).toThrow(
      "bm cannot start: BM_SLACK_SECRET_ID is not set; BM_POLICY is not set; BM_TABLE is not set; BM_AUDIT_TABLE is not set; BM_QUEUE_URL is not set",
    );
  });
});
