/**
 * The dependencies of the worker and the follow-up, built once per container from the
 * environment: the real adapters, configured by the SDKs' own variables.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import { WebClient } from "@slack/web-api";
import type { SQSEvent } from "aws-lambda";
import { awsClientOptions } from "../aws/clients";
import { DynamoAuditLog } from "../aws/dynamo/audit-log";
import { DynamoChoiceStore } from "../aws/dynamo/choice-store";
import { DynamoDigestClaims } from "../aws/dynamo/digest-claims";
import { documentClient } from "../aws/dynamo/documents";
import { DynamoHomeOpeners } from "../aws/dynamo/home-openers";
import { DynamoLease } from "../aws/dynamo/lease";
import { DynamoOperationStore } from "../aws/dynamo/operation-store";
import { DynamoPaceStore } from "../aws/dynamo/pace-store";
import { DynamoSightings } from "../aws/dynamo/sightings";
import { lambdaFollowUpStarter } from "../aws/lambda-followup";
import { SqsWorkQueue } from "../aws/sqs-work-queue";
import { type Config, readConfig } from "../config";
import { HttpPools } from "../ecl/http";
import { TenantDirectory } from "../ecl/tenants";
import { describeError } from "../errors";
import type { FollowUpDeps } from "../followup/deps";
import { homeRepublisher } from "../front-door/republish-home";
import type { Metrics } from "../metrics";
import { loadPolicy, type Policy } from "../policy/policy";
import { secretSourceFromEnv } from "../secrets/from-env";
import { cachedGroupMembers, cachedPeople, webClientChat } from "../slack/chat";
import { Pacer } from "../slack/pace";
import { pacedCall } from "../slack/paced-call";
import { parseSlackSecret } from "../slack/slack-secret";
import { backOffS, messageBudgetMs } from "../worker/process-batch";
import type { WorkerDeps } from "../worker/process-message";
import { createLog, type Log, slackLogger } from "./log";
import { powertoolsMetrics } from "./metrics";

/** How long the worker keeps a user group's members (the front door: lib/slack/chat.ts). */
export const WORKER_GROUPS_TTL_MS = 60_000;

/**
 * The user groups' members as the Home tabs published again after a change read them: a cache
 * apart from the worker's, so that publishing Homes never makes the in-force check answer from
 * members Slack gave for a Home.
 */
export function homeGroupMembers(
  chat: Pick<ReturnType<typeof webClientChat>, "groupMembers">,
  log: Log,
): (group: string) => Promise<string[]> {
  return cachedGroupMembers((group) => chat.groupMembers(group), WORKER_GROUPS_TTL_MS, { log });
}

/**
 * The longest a Slack call of the worker or the follow-up waits for its turn (lib/slack/pace.ts):
 * three posts in one channel. Longer, the message stays owed and the follow-up posts it later.
 */
export const SLACK_PACE_WAIT_MS = 3000;

/** Everything the worker and the follow-up need, from one configuration. */
export interface Backend extends WorkerDeps, FollowUpDeps {
  config: Config;
  log: Log;
  metrics: Metrics;
}

/** @throws ConfigError, SecretError, SlackSecretError: a cold start that cannot work stops loudly. */
export async function createBackend(
  functionName: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Backend> {
  const config = readConfig(env);
  const log = createLog(functionName);
  const metrics = powertoolsMetrics();
  // The SDK's usual three tries, each with a deadline.
  const aws = awsClientOptions(config.awsTimeoutMs, 3);
  const secrets = secretSourceFromEnv(env, aws);
  const slack = parseSlackSecret(config.slackSecretId, await secrets.read(config.slackSecretId));
  const db = documentClient(new DynamoDBClient(aws));
  const client = new WebClient(undefined, {
    slackApiUrl: config.slackApiUrl,
    logger: slackLogger(log) as never,
    // A 429 fails the call at once: a later round of the follow-up, once Slack's Retry-After has
    // passed, does the waiting, and no message is lost.
    rejectRateLimitedCalls: true,
    // Never retried by the client: a chat.postMessage that timed out may have been posted, and a
    // second card would keep live buttons. bm decides what to try again, and when.
    retryConfig: { retries: 0 },
    timeout: config.slackTimeoutMs,
  });
  const onSlackError = (code: string) => metrics.put("SlackError", 1, code);
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  // One pace for every operation of this container: each Slack call waits its turn.
  const pace = pacedCall({
    pacer: new Pacer(),
    now: Date.now,
    sleep,
    maxWaitMs: SLACK_PACE_WAIT_MS,
    store: new DynamoPaceStore(db, config.table),
    log,
  });
  const chat = webClientChat(
    client,
    slack.botToken,
    config.slackTimeoutMs,
    onSlackError,
    config.slackUrlAllow,
    pace,
  );
  // The worker asks the policy again before each detach (lib/policy/in-force.ts), so it loads it
  // as the front door does. The follow-up decides nobody's rights, but reads a tenant's servers
  // only for operations whose channel is bound to it; a policy it cannot read denies everything
  // (logged): it reads no server then, and the detaches it watches end timed out, said.
  const loaded =
    functionName === "worker"
      ? await loadPolicy(config.policyPath)
      : await loadPolicy(config.policyPath).catch((error: unknown) => {
          log.warn("could not read the policy; no tenant's servers are read", {
            error: describeError(error),
          });
          return undefined;
        });
  const policy: Policy = loaded ?? { teamIds: [], tenants: {}, channels: {} };
  const pools = new HttpPools(
    {
      connectMs: Math.min(3000, config.eclTimeoutMs),
      headersMs: config.eclTimeoutMs,
      bodyMs: config.eclTimeoutMs,
    },
    { allow: config.eclEndpointAllow },
  );
  const tenants = new TenantDirectory({
    secrets,
    send: pools.send,
    actionTimeoutMs: config.eclActionTimeoutMs,
    onEclError: (status) => metrics.put("EclError", 1, status),
  });
  const queue = new SqsWorkQueue(new SQSClient(aws), config.queueUrl);
  const store = new DynamoOperationStore(db, config.table);
  const groupMembers = cachedGroupMembers(
    (group) => chat.groupMembers(group),
    WORKER_GROUPS_TTL_MS,
    {
      log,
    },
  );
  const person = cachedPeople((user) => chat.person(user), WORKER_GROUPS_TTL_MS);
  // The Home tabs a change shows in, published again: under the policy as it is, and not at all
  // when it cannot be read.
  const homePolicy = loaded;
  const changed = homePolicy
    ? homeRepublisher({
        store,
        policy: homePolicy,
        // A cache of its own: the Home's reads must never warm the one the worker's in-force
        // check reads right before a detach (lib/policy/in-force.ts), which asks Slack itself.
        groupMembers: homeGroupMembers(chat, log),
        person,
        log,
        now: () => new Date(),
        chat,
        homes: new DynamoHomeOpeners(db, config.table),
      })
    : undefined;
  return {
    config,
    log,
    metrics,
    store,
    ...(changed ? { changed } : {}),
    choices: new DynamoChoiceStore(db, config.table),
    sightings: new DynamoSightings(db, config.table),
    audit: new DynamoAuditLog(db, config.auditTable),
    queue,
    redeliver: (receiptHandle, seconds) => queue.redeliver(receiptHandle, seconds),
    messageBudgetMs: messageBudgetMs(config),
    retryBackOffS: config.retryBackOffS,
    chat,
    policy,
    // A minute, not the front door's five: who is in a group is asked again right before each
    // detach, and someone removed from the approvers stops counting within that minute.
    groupMembers,
    person,
    openTenant: (secretId) => tenants.get(secretId),
    now: () => new Date(),
    sleep,
    idleWaitS: config.idleWaitS,
    fleetInFlight: config.fleetInFlight,
    pollIntervalMs: config.pollIntervalMs,
    detachTimeoutS: config.detachTimeoutS,
    marginMs: config.followupMarginMs,
    handoverGraceS: config.handoverGraceS,
    auditOutboxGraceS: config.auditOutboxGraceS,
    eclGraceMs: config.eclGraceMs,
    ...(functionName === "followup"
      ? {
          lease: new DynamoLease(db, config.table),
          digest: {
            claims: new DynamoDigestClaims(db, config.table),
            sightings: new DynamoSightings(db, config.table),
            notBefore: new Map<string, number>(),
          },
        }
      : {}),
    ...(config.followupFunction && functionName === "worker"
      ? {
          startFollowUp: lambdaFollowUpStarter(
            new LambdaClient(awsClientOptions(config.awsTimeoutMs, 1)),
            config.followupFunction,
          ),
        }
      : {}),
  };
}

/**
 * After a cold start of the worker that failed (a secret unreadable for now): each message of the
 * batch is made to come back after its back-off, as a message's passing failure does, rather
 * than after the queue's visibility timeout (six minutes). Best effort, and silent: the cold
 * start's own error is what the invocation reports.
 */
export async function backOffBatch(
  event: SQSEvent,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  let config: Config;
  try {
    config = readConfig(env);
  } catch {
    return; // without a configuration there is no queue to speak to
  }
  const queue = new SqsWorkQueue(
    new SQSClient(awsClientOptions(config.awsTimeoutMs, 1)),
    config.queueUrl,
  );
  await Promise.all(
    event.Records.map((record) => {
      const receives = Number(record.attributes?.ApproximateReceiveCount ?? 1);
      return queue
        .redeliver(record.receiptHandle, backOffS(receives, config.retryBackOffS))
        .catch(() => undefined);
    }),
  );
}
