/**
 * The audit check's dependencies, built once per container from the environment: the tables, the
 * archive bucket (BM_AUDIT_BUCKET), and Slack for the seals, set up only when a seal is to be
 * posted, so that a Slack secret that cannot be read stops the post and nothing else.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { WebClient } from "@slack/web-api";
import type { AuditCheckDeps } from "../audit/daily-check";
import { readAuditItems, readHeads } from "../aws/audit-export";
import { awsClientOptions } from "../aws/clients";
import { DynamoAuditLog } from "../aws/dynamo/audit-log";
import { documentClient } from "../aws/dynamo/documents";
import { readArchive } from "../aws/s3-audit-archive";
import { readAuditCheckConfig } from "../config";
import { loadPolicy } from "../policy/policy";
import { secretSourceFromEnv } from "../secrets/from-env";
import { webClientChat } from "../slack/chat";
import { parseSlackSecret } from "../slack/slack-secret";
import { createLog, slackLogger } from "./log";
import { powertoolsMetrics } from "./metrics";
import { once } from "./once";

/** @throws ConfigError: a cold start that cannot work stops loudly (the Errors alarm rings). */
export function createAuditCheck(env: NodeJS.ProcessEnv = process.env): AuditCheckDeps {
  const config = readAuditCheckConfig(env);
  const log = createLog("audit-check");
  const metrics = powertoolsMetrics();
  // The SDK's usual three tries, each with a deadline.
  const aws = awsClientOptions(config.awsTimeoutMs, 3);
  const db = documentClient(new DynamoDBClient(aws));
  const s3 = config.archiveBucket ? new S3Client(aws) : undefined;
  const bucket = config.archiveBucket;
  return {
    source: {
      items: () => readAuditItems(db, config.auditTable),
      heads: () => readHeads(db, config.table),
    },
    archive: s3 && bucket ? (sinceDay) => readArchive(s3, bucket, sinceDay) : undefined,
    append: (seal) => new DynamoAuditLog(db, config.auditTable).append(seal),
    // Built on first use and kept; a failure (the policy or the secret unreadable) is not kept,
    // so the next run tries again.
    sealChannel: once(async () => {
      const policy = await loadPolicy(config.policyPath);
      if (!policy.auditChannel) return undefined;
      const secrets = secretSourceFromEnv(env, aws);
      const slack = parseSlackSecret(
        config.slackSecretId,
        await secrets.read(config.slackSecretId),
      );
      const client = new WebClient(undefined, {
        slackApiUrl: config.slackApiUrl,
        logger: slackLogger(log) as never,
        rejectRateLimitedCalls: true,
        // Never retried by the client: a post that timed out may have been made.
        retryConfig: { retries: 0 },
        timeout: config.slackTimeoutMs,
      });
      const chat = webClientChat(client, slack.botToken, config.slackTimeoutMs, (code) =>
        metrics.put("SlackError", 1, code),
      );
      return { channel: policy.auditChannel, chat };
    }),
    log,
    metrics,
    now: () => new Date(),
  };
}
