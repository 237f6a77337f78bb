/**
 * The archiver's dependencies, built once per container from the environment: the archive
 * bucket, the bus when one is configured, the log and the metrics.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { S3Client } from "@aws-sdk/client-s3";
import type { ArchiverDeps } from "../audit/archive-batch";
import { awsClientOptions } from "../aws/clients";
import { eventBridgeAuditBus } from "../aws/eventbridge-audit-bus";
import { S3AuditArchive } from "../aws/s3-audit-archive";
import { readArchiverConfig } from "../config";
import { createLog } from "./log";
import { powertoolsMetrics } from "./metrics";

/** @throws ConfigError: a cold start that cannot work stops loudly (the batch is retried). */
export function createArchiver(env: NodeJS.ProcessEnv = process.env): ArchiverDeps {
  const config = readArchiverConfig(env);
  // The SDK's usual three tries, each with a deadline.
  const aws = awsClientOptions(config.awsTimeoutMs, 3);
  return {
    archive: new S3AuditArchive(new S3Client(aws), config.archiveBucket),
    bus: config.eventBus
      ? { port: eventBridgeAuditBus(new EventBridgeClient(aws)), name: config.eventBus }
      : undefined,
    log: createLog("archiver"),
    metrics: powertoolsMetrics(),
  };
}
