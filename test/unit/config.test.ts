import { describe, expect, it } from "vitest";
import {
  ConfigError,
  readArchiverConfig,
  readAuditCheckConfig,
  readConfig,
  readDoctorRoles,
  readEclEndpointAllow,
} from "../../lib/config";
import { NO_HOSTS } from "../../lib/net/endpoint-rule";

const base = {
  BM_SLACK_SECRET_ID: "bm/slack",
  BM_POLICY: "p.yml",
  BM_TABLE: "ops",
  BM_AUDIT_TABLE: "audit",
  BM_QUEUE_URL: "https://sqs/q",
};

/** The error readConfig throws for `env`; undefined when it throws none. */
function refusal(env: NodeJS.ProcessEnv): unknown {
  try {
    readConfig(env);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("readConfig", () => {
  it("takes the defaults of the issue", () => {
    expect(readConfig(base)).toStrictEqual({
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
      fleetInFlight: 10,
      followupMarginMs: 10_000,
      eclTimeoutMs: 5000,
      eclActionTimeoutMs: 30_000,
      eclGraceMs: 30_000,
      awsTimeoutMs: 3000,
      slackTimeoutMs: 5000,
      handoverGraceS: 60,
      auditOutboxGraceS: 300,
      retryBackOffS: 10,
      followupFunction: undefined,
      eclEndpointAllow: NO_HOSTS,
      slackUrlAllow: NO_HOSTS,
    });
  });

  it("reads every variable, without the white space around it", () => {
    expect(
      readConfig({
        BM_SLACK_SECRET_ID: " bm/slack ",
        BM_POLICY: " p.yml ",
        BM_TABLE: " ops ",
        BM_AUDIT_TABLE: " audit ",
        BM_QUEUE_URL: " https://sqs/q ",
        SLACK_API_URL: " https://slack.test/api ",
        BM_SECRETS_FILE: " /etc/bm/secrets.json ",
        BM_POLL_INTERVAL_MS: " 2000 ",
        BM_DETACH_TIMEOUT_S: "901",
        BM_IDLE_WAIT_S: "601",
        BM_FLEET_IN_FLIGHT: " 11 ",
        BM_FOLLOWUP_MARGIN_MS: "10001",
        BM_ECL_TIMEOUT_MS: "5001",
        BM_ECL_ACTION_TIMEOUT_MS: "30001",
        BM_ECL_GRACE_MS: "30002",
        BM_AWS_TIMEOUT_MS: "3001",
        BM_SLACK_TIMEOUT_MS: "5002",
        BM_HANDOVER_GRACE_S: "61",
        BM_AUDIT_OUTBOX_GRACE_S: " 301 ",
        BM_RETRY_BACKOFF_S: "11",
        BM_FOLLOWUP_FUNCTION: " bm-followup ",
        BM_ECL_ENDPOINT_ALLOW: " 127.0.0.1, *.Example.test ",
        BM_SLACK_URL_ALLOW: "[::1]",
      }),
    ).toStrictEqual({
      slackSecretId: "bm/slack",
      policyPath: "p.yml",
      table: "ops",
      auditTable: "audit",
      queueUrl: "https://sqs/q",
      slackApiUrl: "https://slack.test/api/",
      secretsFile: "/etc/bm/secrets.json",
      pollIntervalMs: 2000,
      detachTimeoutS: 901,
      idleWaitS: 601,
      fleetInFlight: 11,
      followupMarginMs: 10_001,
      eclTimeoutMs: 5001,
      eclActionTimeoutMs: 30_001,
      eclGraceMs: 30_002,
      awsTimeoutMs: 3001,
      slackTimeoutMs: 5002,
      handoverGraceS: 61,
      auditOutboxGraceS: 301,
      retryBackOffS: 11,
      followupFunction: "bm-followup",
      eclEndpointAllow: { exact: new Set(["127.0.0.1"]), under: [".example.test"] },
      slackUrlAllow: { exact: new Set(["[::1]"]), under: [] },
    });
  });

  it("reads a variable of white space alone as unset", () => {
    const config = readConfig({
      ...base,
      SLACK_API_URL: "  ",
      BM_SECRETS_FILE: "  ",
      BM_POLL_INTERVAL_MS: "  ",
      BM_FOLLOWUP_FUNCTION: "  ",
    });
    expect([
      config.slackApiUrl,
      config.secretsFile,
      config.pollIntervalMs,
      config.followupFunction,
    ]).toStrictEqual(["https://slack.com/api/", undefined, 5000, undefined]);
  });

  it.each([
    ["http://127.0.0.1:9/api", "http://127.0.0.1:9/api/"],
    ["http://localhost:9/api", "http://localhost:9/api/"],
    ["http://[::1]:9/api/", "http://[::1]:9/api/"],
    ["https://slack.test/api", "https://slack.test/api/"],
  ])(
    "takes %s (http on loopback only) as %s, adding the slash a base URL needs",
    (url, slackApiUrl) => {
      expect(readConfig({ ...base, SLACK_API_URL: url }).slackApiUrl).toBe(slackApiUrl);
    },
  );

  it.each([
    [{ BM_TABLE: "" }, "BM_TABLE is not set"],
    [{ BM_TABLE: "   " }, "BM_TABLE is not set"],
    [
      { BM_POLL_INTERVAL_MS: "5s" },
      'BM_POLL_INTERVAL_MS must be a positive whole number, not "5s"',
    ],
    [
      { BM_POLL_INTERVAL_MS: " 5s " },
      'BM_POLL_INTERVAL_MS must be a positive whole number, not "5s"',
    ],
    [
      { BM_POLL_INTERVAL_MS: "five thousand milliseconds" },
      'BM_POLL_INTERVAL_MS must be a positive whole number, not "five thousand millis"',
    ],
    [
      { BM_DETACH_TIMEOUT_S: "-1" },
      'BM_DETACH_TIMEOUT_S must be a positive whole number, not "-1"',
    ],
    [{ BM_DETACH_TIMEOUT_S: "0" }, 'BM_DETACH_TIMEOUT_S must be a positive whole number, not "0"'],
    [
      { BM_DETACH_TIMEOUT_S: "1.5" },
      'BM_DETACH_TIMEOUT_S must be a positive whole number, not "1.5"',
    ],
    [
      { BM_RETRY_BACKOFF_S: "-1" },
      'BM_RETRY_BACKOFF_S must be a whole number, 0 or more, not "-1"',
    ],
    [
      { BM_RETRY_BACKOFF_S: "minus one hundred thousand" },
      'BM_RETRY_BACKOFF_S must be a whole number, 0 or more, not "minus one hundred th"',
    ],
    [
      { BM_RETRY_BACKOFF_S: "0.5" },
      'BM_RETRY_BACKOFF_S must be a whole number, 0 or more, not "0.5"',
    ],
    [
      { SLACK_API_URL: "http://slack.example.com/api/" },
      "SLACK_API_URL must be an https URL (http only on loopback)",
    ],
    [{ SLACK_API_URL: "not a url" }, "SLACK_API_URL must be a URL"],
    [
      { BM_ECL_ENDPOINT_ALLOW: "127.0.0.1:8774" },
      'BM_ECL_ENDPOINT_ALLOW must be a comma-separated list of host patterns: entry 1 ("127.0.0.1:8774") must be a host name, an IP address or *.domain, without scheme, port or path',
    ],
    [
      { BM_SLACK_URL_ALLOW: "127.0.0.1," },
      "BM_SLACK_URL_ALLOW must be a comma-separated list of host patterns: entry 2 is empty",
    ],
  ])("names the variable: %j", (change, message) => {
    const error = refusal({ ...base, ...change });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`bm cannot start: ${message}`);
    expect((error as ConfigError).name).toBe("ConfigError");
  });

  it("allows no host by default: production lists none", () => {
    const config = readConfig(base);
    expect(config.eclEndpointAllow).toStrictEqual(NO_HOSTS);
    expect(config.slackUrlAllow).toStrictEqual(NO_HOSTS);
  });

  it("reads BM_ECL_ENDPOINT_ALLOW alone for the terminal command, naming it when malformed", () => {
    expect(readEclEndpointAllow({ BM_ECL_ENDPOINT_ALLOW: "127.0.0.1" })).toStrictEqual({
      exact: new Set(["127.0.0.1"]),
      under: [],
    });
    expect(readEclEndpointAllow({})).toStrictEqual(NO_HOSTS);
    expect(() => readEclEndpointAllow({ BM_ECL_ENDPOINT_ALLOW: "*" })).toThrow(
      new ConfigError(
        'bm cannot start: BM_ECL_ENDPOINT_ALLOW must be a comma-separated list of host patterns: entry 1 ("*") must be a host name, an IP address or *.domain, without scheme, port or path',
      ),
    );
  });

  it("takes a back-off of 0: failed messages come back at once", () => {
    expect(readConfig({ ...base, BM_RETRY_BACKOFF_S: "0" }).retryBackOffS).toBe(0);
    expect(readConfig({ ...base, BM_RETRY_BACKOFF_S: " " }).retryBackOffS).toBe(10);
  });

  it("names every missing variable at once", () => {
    expect(() => readConfig({})).toThrow(
      "bm cannot start: BM_SLACK_SECRET_ID is not set; BM_POLICY is not set; BM_TABLE is not set; BM_AUDIT_TABLE is not set; BM_QUEUE_URL is not set",
    );
  });
});

describe("readArchiverConfig", () => {
  const BUS = "arn:aws:events:ap-northeast-1:123456789012:event-bus/security";
  const problem = (env: NodeJS.ProcessEnv) => {
    try {
      readArchiverConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    return undefined;
  };

  it("reads the bucket, no bus, and 3 s a try by default", () => {
    expect(readArchiverConfig({ BM_AUDIT_ARCHIVE_BUCKET: " archive " })).toStrictEqual({
      archiveBucket: "archive",
      eventBus: undefined,
      awsTimeoutMs: 3000,
    });
  });

  it("reads a bus by ARN or by name, and takes an empty one as none", () => {
    const bucket = { BM_AUDIT_ARCHIVE_BUCKET: "archive" };
    expect(readArchiverConfig({ ...bucket, BM_AUDIT_EVENT_BUS: BUS }).eventBus).toBe(BUS);
    expect(readArchiverConfig({ ...bucket, BM_AUDIT_EVENT_BUS: "security" }).eventBus).toBe(
      "security",
    );
    expect(readArchiverConfig({ ...bucket, BM_AUDIT_EVENT_BUS: " " }).eventBus).toBeUndefined();
    expect(readArchiverConfig({ ...bucket, BM_AWS_TIMEOUT_MS: "500" }).awsTimeoutMs).toBe(500);
  });

  it.each([
    [{}, "bm cannot start: BM_AUDIT_ARCHIVE_BUCKET is not set"],
    [{ BM_AUDIT_ARCHIVE_BUCKET: " " }, "bm cannot start: BM_AUDIT_ARCHIVE_BUCKET is not set"],
    [
      {
        BM_AUDIT_ARCHIVE_BUCKET: "a",
        BM_AUDIT_EVENT_BUS: "arn:aws:sns:ap-northeast-1:123456789012:x",
      },
      "bm cannot start: BM_AUDIT_EVENT_BUS must be an EventBridge bus's ARN or name",
    ],
    [
      { BM_AUDIT_ARCHIVE_BUCKET: "a", BM_AUDIT_EVENT_BUS: "a bus" },
      "bm cannot start: BM_AUDIT_EVENT_BUS must be an EventBridge bus's ARN or name",
    ],
    [
      { BM_AUDIT_ARCHIVE_BUCKET: "a", BM_AUDIT_EVENT_BUS: "x".repeat(257) },
      "bm cannot start: BM_AUDIT_EVENT_BUS must be an EventBridge bus's ARN or name",
    ],
    [
      { BM_AUDIT_ARCHIVE_BUCKET: "a", BM_AWS_TIMEOUT_MS: "0" },
      'bm cannot start: BM_AWS_TIMEOUT_MS must be a positive whole number, not "0"',
    ],
    [
      { BM_AUDIT_ARCHIVE_BUCKET: "a", BM_AWS_TIMEOUT_MS: "1.5" },
      'bm cannot start: BM_AWS_TIMEOUT_MS must be a positive whole number, not "1.5"',
    ],
    [
      { BM_AUDIT_ARCHIVE_BUCKET: "a", BM_AWS_TIMEOUT_MS: " -1 " },
      'bm cannot start: BM_AWS_TIMEOUT_MS must be a positive whole number, not "-1"',
    ],
    [
      { BM_AWS_TIMEOUT_MS: "soon, or in a very long while" },
      'bm cannot start: BM_AUDIT_ARCHIVE_BUCKET is not set; BM_AWS_TIMEOUT_MS must be a positive whole number, not "soon, or in a very l"',
    ],
  ])("refuses %j: %s", (env, message) => {
    expect(problem(env)).toBe(message);
  });

  it("reads a bus name of 256 characters, and a bus ARN of any partition", () => {
    const bucket = { BM_AUDIT_ARCHIVE_BUCKET: "a" };
    expect(problem({ ...bucket, BM_AUDIT_EVENT_BUS: "x".repeat(256) })).toBeUndefined();
    expect(
      problem({
        ...bucket,
        BM_AUDIT_EVENT_BUS: "arn:aws-cn:events:cn-north-1:123456789012:event-bus/default",
      }),
    ).toBeUndefined();
    expect(
      problem({ ...bucket, BM_AUDIT_EVENT_BUS: "xarn:aws:events:r:123456789012:event-bus/x y" }),
    ).toMatch(/BM_AUDIT_EVENT_BUS/);
  });
});

describe("readAuditCheckConfig", () => {
  it("reads the functions' configuration and the archive bucket, none when empty", () => {
    expect(readAuditCheckConfig({ ...base, BM_AUDIT_BUCKET: " archive " })).toStrictEqual({
      ...readConfig(base),
      archiveBucket: "archive",
    });
    expect(readAuditCheckConfig({ ...base, BM_AUDIT_BUCKET: " " }).archiveBucket).toBeUndefined();
    expect(readAuditCheckConfig(base).archiveBucket).toBeUndefined();
  });

  it("stops, naming the variable, as readConfig does", () => {
    expect(() => readAuditCheckConfig({ ...base, BM_TABLE: "" })).toThrow(
      "bm cannot start: BM_TABLE is not set",
    );
  });
});

describe("readDoctorRoles", () => {
  const VARIABLES = { SlackRole: "BM_SLACK_ROLE_ARN", WorkerRole: "BM_WORKER_ROLE_ARN" };
  const ARN = "arn:aws:iam::123456789012:role/bm-prod-SlackRole-A1B2";

  it("reads each role's ARN, trimmed, and leaves out those not set", () => {
    expect(readDoctorRoles({ BM_SLACK_ROLE_ARN: ` ${ARN} ` }, VARIABLES)).toStrictEqual({
      SlackRole: ARN,
    });
    expect(readDoctorRoles({ BM_WORKER_ROLE_ARN: "  " }, VARIABLES)).toStrictEqual({});
  });

  it("takes a role's ARN of any partition and path", () => {
    for (const arn of [
      "arn:aws-us-gov:iam::123456789012:role/a",
      "arn:aws-cn:iam::123456789012:role/service/bm-x_y+=,.@-1",
      `arn:aws:iam::123456789012:role/${"r".repeat(512)}`,
    ])
      expect(readDoctorRoles({ BM_WORKER_ROLE_ARN: arn }, VARIABLES)).toEqual({ WorkerRole: arn });
  });

  it("stops, naming each variable that is not a role's ARN", () => {
    for (const wrong of [
      "arn:aws:iam::12345678901:role/a",
      "arn:aws:iam::123456789012:user/a",
      "arn:aws:iam::123456789012:role/",
      `x${ARN}`,
      `${ARN} b`,
      "arn:aws:sts::123456789012:role/a",
      `arn:aws:iam::123456789012:role/${"r".repeat(513)}`,
    ]) {
      expect(() => readDoctorRoles({ BM_SLACK_ROLE_ARN: wrong }, VARIABLES)).toThrow(
        new ConfigError(
          "bm cannot start: BM_SLACK_ROLE_ARN must be a role's ARN (arn:aws:iam::<account>:role/<name>)",
        ),
      );
    }
    expect(() =>
      readDoctorRoles({ BM_SLACK_ROLE_ARN: "a", BM_WORKER_ROLE_ARN: "b" }, VARIABLES),
    ).toThrow(
      "bm cannot start: BM_SLACK_ROLE_ARN must be a role's ARN (arn:aws:iam::<account>:role/<name>); BM_WORKER_ROLE_ARN must be a role's ARN (arn:aws:iam::<account>:role/<name>)",
    );
  });
});
