/**
 * The environment, read and checked once per cold start. A wrong or missing value stops the cold
 * start with a message that names the variable.
 */

import { BmError } from "./errors";
import { type HostPatterns, NO_HOSTS, parseHostPatterns } from "./net/endpoint-rule";
import { FLEET_IN_FLIGHT } from "./operations/fleet";

/** Everything the three functions read from the environment. */
export interface Config {
  /** Id of the Slack secret (`signing_secret`, `bot_token`). */
  slackSecretId: string;
  /** Path of the policy file (YAML or JSON). */
  policyPath: string;
  table: string;
  auditTable: string;
  queueUrl: string;
  /** Base URL of the Slack Web API, ending in a slash. */
  slackApiUrl: string;
  /** A local secrets file in place of Secrets Manager, when set. */
  secretsFile: string | undefined;
  pollIntervalMs: number;
  detachTimeoutS: number;
  idleWaitS: number;
  /** At most this many fleet targets of one tenant in flight at once (docs/architecture.md, "The fleet"). */
  fleetInFlight: number;
  followupMarginMs: number;
  /** Header and body timeout of ECL reads (connect: at most 3 s). */
  eclTimeoutMs: number;
  /** Header and body timeout of ECL server actions (the detach POST). */
  eclActionTimeoutMs: number;
  /** The first back-off of a message that met a passing failure; each next is three times it. */
  retryBackOffS: number;
  /**
   * How long ECL gets to show a request it may have accepted (a lost answer, a change that shows
   * late) before bm concludes anything from what it reads.
   */
  eclGraceMs: number;
  /** How long one try of a DynamoDB or SQS call may take in the worker and the follow-up. */
  awsTimeoutMs: number;
  /** How long a Slack call may take in the worker and the follow-up (never retried by the client). */
  slackTimeoutMs: number;
  /** How long an operation may wait for its hand-over to the worker before the follow-up resends it. */
  handoverGraceS: number;
  /**
   * How long an audit event may wait in its operation's outbox before the follow-up counts the
   * operation in `AuditOutboxStale` (and its alarm fires).
   */
  auditOutboxGraceS: number;
  /** The follow-up function the worker starts after each accepted detach; none when unset. */
  followupFunction: string | undefined;
  /** ECL hosts bm may reach by IP address, private name or http (none in production). */
  eclEndpointAllow: HostPatterns;
  /** Hosts other than Slack's hooks.slack.com whose response_urls bm uses (none in production). */
  slackUrlAllow: HostPatterns;
}

/** A variable is missing or wrong. */
export class ConfigError extends BmError {
  readonly passing = false;
  /** For the deployer, in the cold start's log; a user sees its name only. */
  readonly forUsers = false;
  override readonly name = "ConfigError";
}

/**
 * Reads the configuration from `env`.
 * @throws ConfigError naming every variable that is missing or wrong.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name]?.trim() ?? "";
    if (!value) problems.push(`${name} is not set`);
    return value;
  };
  const positive = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) {
      problems.push(`${name} must be a positive whole number, not "${raw.slice(0, 20)}"`);
    }
    return value;
  };
  /** A whole number of 0 or more: 0 is a real setting (for BM_RETRY_BACKOFF_S, "at once"). */
  const whole = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) {
      problems.push(`${name} must be a whole number, 0 or more, not "${raw.slice(0, 20)}"`);
    }
    return value;
  };
  const hosts = (name: string): HostPatterns => {
    const read = readHostPatterns(env, name);
    if (!("problem" in read)) return read;
    problems.push(read.problem);
    return NO_HOSTS;
  };
  let slackApiUrl = env.SLACK_API_URL?.trim() || "https://slack.com/api/";
  try {
    const url = new URL(slackApiUrl);
    if (url.protocol !== "https:" && !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) {
      problems.push("SLACK_API_URL must be an https URL (http only on loopback)");
    }
    if (!slackApiUrl.endsWith("/")) slackApiUrl += "/";
  } catch {
    problems.push("SLACK_API_URL must be a URL");
  }
  const config: Config = {
    slackSecretId: required("BM_SLACK_SECRET_ID"),
    policyPath: required("BM_POLICY"),
    table: required("BM_TABLE"),
    auditTable: required("BM_AUDIT_TABLE"),
    queueUrl: required("BM_QUEUE_URL"),
    slackApiUrl,
    secretsFile: env.BM_SECRETS_FILE?.trim() || undefined,
    pollIntervalMs: positive("BM_POLL_INTERVAL_MS", 5000),
    detachTimeoutS: positive("BM_DETACH_TIMEOUT_S", 900),
    idleWaitS: positive("BM_IDLE_WAIT_S", 600),
    fleetInFlight: positive("BM_FLEET_IN_FLIGHT", FLEET_IN_FLIGHT),
    followupMarginMs: positive("BM_FOLLOWUP_MARGIN_MS", 10_000),
    eclTimeoutMs: positive("BM_ECL_TIMEOUT_MS", 5000),
    eclActionTimeoutMs: positive("BM_ECL_ACTION_TIMEOUT_MS", 30_000),
    eclGraceMs: positive("BM_ECL_GRACE_MS", 30_000),
    awsTimeoutMs: positive("BM_AWS_TIMEOUT_MS", 3000),
    slackTimeoutMs: positive("BM_SLACK_TIMEOUT_MS", 5000),
    handoverGraceS: positive("BM_HANDOVER_GRACE_S", 60),
    // Five of the follow-up's minutes, and one period of the alarm: a healthy outbox empties at
    // its write, or at the next touch, which the follow-up makes within a minute or two.
    auditOutboxGraceS: positive("BM_AUDIT_OUTBOX_GRACE_S", 300),
    retryBackOffS: whole("BM_RETRY_BACKOFF_S", 10),
    followupFunction: env.BM_FOLLOWUP_FUNCTION?.trim() || undefined,
    eclEndpointAllow: hosts("BM_ECL_ENDPOINT_ALLOW"),
    slackUrlAllow: hosts("BM_SLACK_URL_ALLOW"),
  };
  if (problems.length > 0) throw new ConfigError(`bm cannot start: ${problems.join("; ")}`);
  return config;
}

/** A list of host patterns from `env[name]`, or the problem with it, naming the variable. */
function readHostPatterns(
  env: NodeJS.ProcessEnv,
  name: string,
): HostPatterns | { problem: string } {
  const read = parseHostPatterns(env[name]);
  return "problem" in read
    ? { problem: `${name} must be a comma-separated list of host patterns: ${read.problem}` }
    : read;
}

/**
 * BM_ECL_ENDPOINT_ALLOW alone, for the `bm` terminal command (which reads no other variable of
 * the functions'). @throws ConfigError when it is malformed.
 */
export function readEclEndpointAllow(env: NodeJS.ProcessEnv = process.env): HostPatterns {
  const read = readHostPatterns(env, "BM_ECL_ENDPOINT_ALLOW");
  if ("problem" in read) throw new ConfigError(`bm cannot start: ${read.problem}`);
  return read;
}

/** An IAM role's ARN, as the stack's outputs give it. */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/**
 * The role ARNs the doctor checks, from the variables that name them (each unset one left out).
 * @throws ConfigError naming each one that is not a role's ARN.
 */
export function readDoctorRoles(
  env: NodeJS.ProcessEnv,
  variables: Record<string, string>,
): Partial<Record<string, string>> {
  const problems: string[] = [];
  const arns: Partial<Record<string, string>> = {};
  for (const [role, variable] of Object.entries(variables)) {
    const value = env[variable]?.trim();
    if (!value) continue;
    if (ROLE_ARN.test(value)) arns[role] = value;
    else problems.push(`${variable} must be a role's ARN (arn:aws:iam::<account>:role/<name>)`);
  }
  if (problems.length > 0) throw new ConfigError(`bm cannot start: ${problems.join("; ")}`);
  return arns;
}

/** What the archiver reads from the environment (it reads nothing of the others'). */
export interface ArchiverConfig {
  /** The archive bucket (`BM_AUDIT_ARCHIVE_BUCKET`). */
  archiveBucket: string;
  /** The EventBridge bus the events are also put on (`BM_AUDIT_EVENT_BUS`); none when empty. */
  eventBus: string | undefined;
  /** How long one try of an S3 or EventBridge call may take (`BM_AWS_TIMEOUT_MS`). */
  awsTimeoutMs: number;
}

/** An EventBridge bus's ARN, or its name. */
const EVENT_BUS = /^(arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/)?[A-Za-z0-9._/-]{1,256}$/;

/**
 * Reads the archiver's configuration from `env`.
 * @throws ConfigError naming every variable that is missing or wrong.
 */
export function readArchiverConfig(env: NodeJS.ProcessEnv = process.env): ArchiverConfig {
  const problems: string[] = [];
  const archiveBucket = env.BM_AUDIT_ARCHIVE_BUCKET?.trim() ?? "";
  if (!archiveBucket) problems.push("BM_AUDIT_ARCHIVE_BUCKET is not set");
  const eventBus = env.BM_AUDIT_EVENT_BUS?.trim() ?? "";
  if (eventBus !== "" && !EVENT_BUS.test(eventBus))
    problems.push("BM_AUDIT_EVENT_BUS must be an EventBridge bus's ARN or name");
  const rawTimeout = env.BM_AWS_TIMEOUT_MS?.trim() ?? "";
  const awsTimeoutMs = rawTimeout ? Number(rawTimeout) : 3000;
  if (!Number.isInteger(awsTimeoutMs) || awsTimeoutMs <= 0)
    problems.push(
      `BM_AWS_TIMEOUT_MS must be a positive whole number, not "${rawTimeout.slice(0, 20)}"`,
    );
  if (problems.length > 0) throw new ConfigError(`bm cannot start: ${problems.join("; ")}`);
  return { archiveBucket, eventBus: eventBus || undefined, awsTimeoutMs };
}

/** What the audit check reads from the environment: the functions' own, and the archive. */
export interface AuditCheckConfig extends Config {
  /** The archive bucket (`BM_AUDIT_BUCKET`); none: the chains and seals alone (the local stack). */
  archiveBucket: string | undefined;
}

/**
 * Reads the audit check's configuration from `env`.
 * @throws ConfigError naming every variable that is missing or wrong.
 */
export function readAuditCheckConfig(env: NodeJS.ProcessEnv = process.env): AuditCheckConfig {
  return { ...readConfig(env), archiveBucket: env.BM_AUDIT_BUCKET?.trim() || undefined };
}
