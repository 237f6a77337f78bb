/**
 * The front door's Bolt app on the Lambda receiver, built once per container.
 */

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { App, AwsLambdaReceiver, verifySlackRequest } from "@slack/bolt";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { FRONT_DOOR_AWS } from "../aws/clients";
import { DynamoAuditLog } from "../aws/dynamo/audit-log";
import { DynamoChoiceStore } from "../aws/dynamo/choice-store";
import { documentClient } from "../aws/dynamo/documents";
import { DynamoEventClaims } from "../aws/dynamo/event-claims";
import { DynamoHomeOpeners } from "../aws/dynamo/home-openers";
import { DynamoOperationStore } from "../aws/dynamo/operation-store";
import { DynamoPaceStore } from "../aws/dynamo/pace-store";
import { SqsWorkQueue } from "../aws/sqs-work-queue";
import { ConfigError, readConfig } from "../config";
import { loadPolicy, PolicyError } from "../policy/policy";
import { createLog, slackLogger } from "../runtime/log";
import { powertoolsMetrics } from "../runtime/metrics";
import { secretSourceFromEnv } from "../secrets/from-env";
import {
  cachedGroupMembers,
  cachedPeople,
  GROUP_MEMBERS_TTL_MS,
  webClientChat,
} from "../slack/chat";
import { Pacer } from "../slack/pace";
import { pacedCall } from "../slack/paced-call";
import { parseSlackSecret } from "../slack/slack-secret";
import { by } from "../util/by";
import { type Budget, budgetFrom } from "./budget";
import { type FrontDoorDeps, writeRefusalCounts } from "./deps";
import { registerListeners } from "./listeners";
import { failed, UNREADABLE_COMMAND } from "./listeners/answering";
import { checkBody, isFreshTimestamp } from "./payloads";
import { RefusalTally } from "./refusals";

/** The longest a Slack call of the front door waits for its turn (lib/slack/pace.ts). */
export const FRONT_DOOR_PACE_WAIT_MS = 500;

/** The front door; `startedAt` is when Lambda handed the request over (the handler's entry). */
export type SlackHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
  startedAt?: number,
) => Promise<APIGatewayProxyResultV2>;

/**
 * Reads the configuration, the Slack secret (once per container) and the policy, and returns
 * the 2-argument Lambda handler. Makes no Slack call: Bolt gets an `authorize` that answers
 * from the secret, so it never calls `auth.test`.
 */
export async function createSlackHandler(
  env: NodeJS.ProcessEnv = process.env,
): Promise<SlackHandler> {
  const config = readConfig(env);
  const log = createLog("slack");
  const secrets = secretSourceFromEnv(env, FRONT_DOOR_AWS);
  const [slack, policy] = await Promise.all([
    secrets
      .read(config.slackSecretId)
      .then((value) => parseSlackSecret(config.slackSecretId, value)),
    loadPolicy(config.policyPath),
  ]);
  const logger = slackLogger(log) as never;
  // Each request's budget, from the handler's entry, reaches its listener in Bolt's context.
  const budgets = new WeakMap<object, Budget>();
  const receiver = new AwsLambdaReceiver({
    signingSecret: slack.signingSecret,
    logger,
    customPropertiesExtractor: (event) => ({ budget: budgets.get(event) }),
    // Bolt's own handler logs the signature; this one says only that a request was refused.
    invalidRequestSignatureHandler: () => log.info("refused a request: its signature is wrong"),
  });
  const app = new App({
    receiver,
    logger,
    authorize: async () => ({
      botToken: slack.botToken,
      ...(slack.botId ? { botId: slack.botId } : {}),
      ...(slack.botUserId ? { botUserId: slack.botUserId } : {}),
    }),
    // Inside the 3 s budget: a rate limit fails at once instead of pausing for Retry-After.
    clientOptions: {
      slackApiUrl: config.slackApiUrl,
      rejectRateLimitedCalls: true,
      timeout: 1000,
      retryConfig: { retries: 0 },
    },
  });
  const db = documentClient(new DynamoDBClient(FRONT_DOOR_AWS));
  const metrics = powertoolsMetrics();
  // A click's answer through its response_url is posted before the listener returns (on Lambda the
  // answer to Slack leaves only then): it gets a second, as the Web API calls do, inside the 3 s.
  const chat = webClientChat(
    app.client,
    slack.botToken,
    1000,
    (code) => metrics.put("SlackError", 1, code),
    config.slackUrlAllow,
    // Inside the 3 s: a call whose turn is further off than this fails at once instead.
    pacedCall({
      pacer: new Pacer(),
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      maxWaitMs: FRONT_DOOR_PACE_WAIT_MS,
      store: new DynamoPaceStore(db, config.table),
      // Inside the front door's 3 s.
      storeWaitMs: 300,
      log,
    }),
  );
  const deps: FrontDoorDeps = {
    policy,
    store: new DynamoOperationStore(db, config.table),
    choices: new DynamoChoiceStore(db, config.table),
    events: new DynamoEventClaims(db, config.table),
    homes: new DynamoHomeOpeners(db, config.table),
    audit: new DynamoAuditLog(db, config.auditTable),
    queue: new SqsWorkQueue(new SQSClient(FRONT_DOOR_AWS), config.queueUrl),
    chat,
    groupMembers: cachedGroupMembers((group) => chat.groupMembers(group), GROUP_MEMBERS_TTL_MS, {
      log,
    }),
    person: cachedPeople((user) => chat.person(user)),
    now: () => new Date(),
    log,
    metrics,
    refusals: new RefusalTally(),
    responseUrlAllow: config.slackUrlAllow,
  };

  registerListeners(app, deps);
  app.error(async (error) => {
    log.error("bolt error", { error: error.name, code: (error as { code?: string }).code });
  });

  const bolt = receiver.toHandler() as unknown as SlackHandler;
  return async (event, context, startedAt = Date.now()) => {
    // Counts of repeated refusals whose minute is over, written beside the request (rarely any).
    const counts = writeRefusalCounts(deps).catch(failed(deps, "refusal counts"));
    try {
      const early = edgeCheck(event, slack.signingSecret);
      if (early) return early;
      budgets.set(event, budgetFrom(startedAt));
      return await bolt(event, context);
    } catch {
      // Bolt parses the body before it checks the signature: a mangled body throws. Unsigned
      // requests get 401, signed but unreadable ones 400; never a 500.
      return { statusCode: isSigned(event, slack.signingSecret) ? 400 : 401, body: "" };
    } finally {
      await by(Date.now() + 300, counts);
      metrics.put("FrontDoorAnswerMs", Date.now() - startedAt);
      metrics.flush();
    }
  };
}

/**
 * The fields of the cold start's failure log line: the error's name and, for a policy or a
 * setting the deployer must fix, its message. Those messages are written for deployers (the field
 * and the rule, a file's name) and never hold a secret's value; other errors' may, so they are
 * named only.
 */
export function coldStartFailure(error: unknown): { error: string; reason?: string } {
  const name = error instanceof Error ? error.name : typeof error;
  return error instanceof PolicyError || error instanceof ConfigError
    ? { error: name, reason: error.message }
    : { error: name };
}

/**
 * What the edge answers before Bolt: 401 for a request dated more than 5 minutes from now either
 * way (Bolt refuses only old ones), and, for a signed request whose payload the schemas do not
 * describe (payloads.ts), a plain answer to a slash command or a 400 to an interaction or an
 * event. (Slack's `url_verification` goes to Bolt, which answers its challenge once signed.) Nothing
 * of such a request is read further, nor recorded. Undefined: Bolt goes on.
 */
function edgeCheck(
  event: APIGatewayProxyEventV2,
  signingSecret: string,
): APIGatewayProxyResultV2 | undefined {
  const headers = lowerCased(event);
  if (!isFreshTimestamp(headers["x-slack-request-timestamp"], Date.now()))
    return { statusCode: 401, body: "" };
  if (!isSigned(event, signingSecret)) return undefined;
  const checked = checkBody(rawBody(event), headers["content-type"]);
  if (checked.ok) return undefined;
  if (checked.kind === "interaction" || checked.kind === "event")
    return { statusCode: 400, body: "" };
  return {
    statusCode: 200,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ response_type: "ephemeral", text: UNREADABLE_COMMAND.text }),
  };
}

const lowerCased = (event: APIGatewayProxyEventV2): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));

/** The body as Bolt reads it. */
const rawBody = (event: APIGatewayProxyEventV2): string =>
  event.isBase64Encoded
    ? Buffer.from(event.body ?? "", "base64").toString("ascii")
    : (event.body ?? "");

function isSigned(event: APIGatewayProxyEventV2, signingSecret: string): boolean {
  const headers = lowerCased(event);
  try {
    verifySlackRequest({
      signingSecret,
      body: rawBody(event),
      headers: {
        "x-slack-signature": headers["x-slack-signature"] ?? "",
        "x-slack-request-timestamp": Number(headers["x-slack-request-timestamp"]),
      },
    });
    return true;
  } catch {
    return false;
  }
}
