/**
 * Reference (b) of the cold-start benchmark: the front door's cold-path work written the typical
 * way, with stock Bolt and the AWS SDK v3 clients: the Slack secret from Secrets Manager, the
 * operation and its audit event in DynamoDB, a message to SQS, an ephemeral ack.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { App, AwsLambdaReceiver } from "@slack/bolt";

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
let ready: Promise<Handler> | undefined;

async function init() {
  const secrets = new SecretsManagerClient({});
  const { SecretString } = await secrets.send(
    new GetSecretValueCommand({ SecretId: process.env.BM_SLACK_SECRET_ID }),
  );
  const slack = JSON.parse(SecretString ?? "{}");
  const receiver = new AwsLambdaReceiver({ signingSecret: slack.signing_secret });
  const app = new App({
    token: slack.bot_token,
    receiver,
    clientOptions: { slackApiUrl: process.env.SLACK_API_URL ?? "https://slack.com/api/" },
  });
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const sqs = new SQSClient({});

  app.command("/bm", async ({ command, ack }) => {
    const id = `op-${randomUUID()}`;
    const at = new Date().toISOString();
    await db.send(
      new PutCommand({
        TableName: process.env.BM_TABLE,
        Item: {
          id,
          state: "requested",
          seq: 1,
          rev: 0,
          requester: command.user_id,
          text: command.text,
          createdAt: at,
        },
        ConditionExpression: "attribute_not_exists(id)",
      }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: process.env.BM_QUEUE_URL,
        MessageBody: JSON.stringify({ kind: "prepare", operationId: id }),
      }),
    );
    await db.send(
      new PutCommand({
        TableName: process.env.BM_AUDIT_TABLE,
        Item: { operationId: id, event: "e000001", seq: 1, at, action: "requested" },
      }),
    );
    await ack({ response_type: "ephemeral", text: `Recorded ${id}` });
  });
  return (await receiver.start()) as unknown as Handler;
}

export const handler = async (event: unknown, context: unknown) => {
  ready ??= init();
  return (await ready)(event, context);
};
