/**
 * `npm run doctor`'s wiring: from the functions' own environment (lib/config.ts), the adapters
 * the worker builds (lib/runtime/backend.ts), each call with the doctor's deadline.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { IAMClient } from "@aws-sdk/client-iam";
import { SQSClient } from "@aws-sdk/client-sqs";
import { WebClient } from "@slack/web-api";
import { awsClientOptions } from "../aws/clients";
import { awsProbe } from "../aws/doctor-probe";
import { DynamoAuditLog } from "../aws/dynamo/audit-log";
import { documentClient } from "../aws/dynamo/documents";
import { roleProbe } from "../aws/role-probe";
import { readConfig, readDoctorRoles } from "../config";
import type { DoctorPlan, DoctorPorts } from "../doctor/ports";
import { ROLE_CALLS } from "../doctor/role-calls";
import { EclClient } from "../ecl/client";
import { HttpPools } from "../ecl/http";
import { issueKeystoneToken } from "../ecl/keystone";
import { StaticTokens } from "../ecl/tokens";
import { loadPolicy } from "../policy/policy";
import { secretSourceFromEnv } from "../secrets/from-env";
import { webClientProbe } from "../slack/doctor-probe";

/** Servers on the page the doctor reads: enough to show the list works, little to carry. */
const PAGE = 10;

/**
 * The doctor's plan and ports from `env`, and what closes them.
 * @throws ConfigError naming every variable that is missing or wrong.
 */
export function doctorFromEnv(
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): { plan: DoctorPlan; ports: DoctorPorts; close: () => Promise<void> } {
  const config = readConfig(env);
  const roles = readDoctorRoles(
    env,
    Object.fromEntries(ROLE_CALLS.map((r) => [r.role, r.variable])),
  );
  // One try each: the doctor says what fails, it does not wait for it to pass.
  const aws = awsClientOptions(timeoutMs, 1);
  const secrets = secretSourceFromEnv(env, aws);
  const dynamo = new DynamoDBClient(aws);
  const sqs = new SQSClient(aws);
  // IAM is global: the SDK resolves its one endpoint (or AWS_ENDPOINT_URL_IAM) from any region.
  const iam = new IAMClient(aws);
  const pools = new HttpPools(
    { connectMs: Math.min(3000, timeoutMs), headersMs: timeoutMs, bodyMs: timeoutMs },
    { allow: config.eclEndpointAllow },
  );
  const slack = new WebClient(undefined, {
    slackApiUrl: config.slackApiUrl,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: timeoutMs,
  });
  const audit = new DynamoAuditLog(documentClient(dynamo), config.auditTable);
  const noRetry = { retries: 0, baseDelayMs: 0 };
  return {
    plan: {
      policyPath: config.policyPath,
      slackSecretId: config.slackSecretId,
      table: config.table,
      auditTable: config.auditTable,
      queueUrl: config.queueUrl,
      roles,
      region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || undefined,
      timeoutMs,
    },
    ports: {
      loadPolicy,
      readSecret: (id) => secrets.read(id),
      slack: webClientProbe(slack),
      ecl: {
        token: (credentials) => issueKeystoneToken(pools.send, credentials),
        async firstPage({ apiEndpoint, tenantId, token }) {
          const ecl = new EclClient({
            apiEndpoint,
            tenantId,
            send: pools.send,
            tokens: new StaticTokens(token),
            retry: noRetry,
          });
          for await (const page of ecl.listServerPages({ limit: PAGE, maxPages: 1 }))
            return page.length;
          return 0;
        },
      },
      aws: awsProbe(dynamo, sqs),
      iam: roleProbe(iam),
      audit: (event) => audit.append(event),
      now: () => new Date(),
    },
    close: async () => {
      dynamo.destroy();
      sqs.destroy();
      iam.destroy();
      await pools.close();
    },
  };
}
