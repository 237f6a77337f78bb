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
import { DynamoOperationStore } from "../aws/dynamo/operation-store";
import { SqsWorkQueue } from "../aws/sqs-work-queue";
import { readConfig } from "../config";
import { loadPolicy } from "../policy/policy";
import { createLog, slackLogger } from "../runtime/log";
import { powertoolsMetrics } from "../runtime/metrics";
import { secretSourceFromEnv } from "../secrets/from-env";
import { cachedGroupMembers, webClientChat } from "../slack/chat";
import { parseSlackSecret } from "../slack/slack-secret";
import type { FrontDoorDeps } from "./deps";
import { registerListeners } from "./listeners";

export type SlackHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
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
  const receiver = new AwsLambdaReceiver({ signingSecret: slack.signingSecret, logger });
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
  );
  const deps: FrontDoorDeps = {
    policy,
    store: new DynamoOperationStore(db, config.table),
    choices: new DynamoChoiceStore(db, config.table),
    audit: new DynamoAuditLog(db, config.auditTable),
    queue: new SqsWorkQueue(new SQSClient(FRONT_DOOR_AWS), config.queueUrl),
    chat,
    groupMembers: cachedGroupMembers((group) => chat.groupMembers(group)),
    now: () => new Date(),
    log,
    metrics,
    responseUrlAllow: config.slackUrlAllow,
  };

  registerListeners(app, deps);
  app.error(async (error) => {
    log.error("bolt error", { error: error.name, code: (error as { code?: string }).code });
  });

  const bolt = receiver.toHandler() as unknown as SlackHandler;
  return async (event, context) => {
    const started = performance.now();
    try {
      return await bolt(event, context);
    } catch {
      // Bolt parses the body before it checks the signature: a mangled body throws. Unsigned
      // requests get 401, signed but unreadable ones 400; never a 500.
      return { statusCode: isSigned(event, slack.signingSecret) ? 400 : 401, body: "" };
    } finally {
      metrics.put("FrontDoorAnswerMs", Math.round(performance.now() - started));
      metrics.flush();
    }
  };
}

function isSigned(event: APIGatewayProxyEventV2, signingSecret: string): boolean {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  try {
    verifySlackRequest({
      signingSecret,
      body: event.isBase64Encoded
        ? Buffer.from(event.body ?? "", "base64").toString("ascii")
        : (event.body ?? ""),
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
