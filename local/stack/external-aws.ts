/**
 * AWS from outside the stack: DynamoDB, SQS and Secrets Manager of one endpoint (moto_server,
 * which implements them from AWS's own service models) in place of dynalite and the stand-ins.
 * What serverless.yml declares (the tables, the queues) and the secrets are created there, in an
 * account of the stack's own, under names of its own: stacks sharing one endpoint never see one
 * another's tables, queues or secrets (the policy names the tenant secrets, so a name alone
 * would not do).
 */
import { randomBytes, randomInt } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createQueues } from "../queues";
import { AwsFaultProxy } from "../stand-ins/aws-fault-proxy";
import { createTables, enableTimeToLive } from "../tables";
import type { Env } from "./aws";
import type { Closers } from "./closers";

/** Credentials of one account of the endpoint. */
export interface AccountCredentials {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/**
 * Credentials in a fresh account: STS AssumeRole of a role in it (moto maps the keys it issues to
 * the role's account; the role need not exist there). Sent by hand, as STS's query protocol: the
 * STS client is not among bm's dependencies.
 */
export async function freshAccount(endpoint: string, region: string): Promise<AccountCredentials> {
  const accountId = String(randomInt(100_000_000_000, 999_999_999_999));
  const day = new Date().toISOString().slice(0, 10).replaceAll("-", "");
  const answer = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      // moto reads the service from the credential scope; it checks no signature.
      authorization: `AWS4-HMAC-SHA256 Credential=local/${day}/${region}/sts/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({
      Action: "AssumeRole",
      Version: "2011-06-15",
      RoleArn: `arn:aws:iam::${accountId}:role/bm-local`,
      RoleSessionName: "bm-local",
    }).toString(),
  });
  const xml = await answer.text();
  const field = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)?.[1] ?? "";
  const credentials = {
    accountId,
    accessKeyId: field("AccessKeyId"),
    secretAccessKey: field("SecretAccessKey"),
    sessionToken: field("SessionToken"),
  };
  if (!answer.ok || !credentials.accessKeyId) {
    throw new Error(`AssumeRole at ${endpoint} failed (${answer.status})`);
  }
  return credentials;
}

/** SDK client options for `endpoint`, in the account of `credentials`. */
export function clientOptions(endpoint: string, region: string, credentials: AccountCredentials) {
  return {
    endpoint,
    region,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
    },
  };
}

/** A fault proxy in front of `url`, closed before what it stands in front of. */
async function proxied(closers: Closers, url: string): Promise<AwsFaultProxy> {
  const proxy = await new AwsFaultProxy(url).start();
  closers.first(() => proxy.close());
  return proxy;
}

/**
 * Points the functions' DynamoDB, SQS and Secrets Manager at `endpoint` (through fault proxies
 * with `faults`), in a fresh account holding the tables and queues of serverless.yml and these
 * secrets. Sets `BM_TABLE`, `BM_AUDIT_TABLE` and `BM_QUEUE_URL` to names of this stack's own.
 */
export async function useExternalAws(
  closers: Closers,
  env: Env,
  options: {
    endpoint: string;
    serverlessYml: string;
    secrets: Record<string, Record<string, unknown>>;
    faults: boolean;
  },
): Promise<{
  queueUrl: string;
  deadLetterUrl: string;
  proxies: { dynamo?: AwsFaultProxy; sqs?: AwsFaultProxy; secrets?: AwsFaultProxy };
}> {
  const { endpoint } = options;
  const region = env.AWS_REGION ?? "ap-northeast-1";
  const account = await freshAccount(endpoint, region);
  const client = clientOptions(endpoint, region, account);
  const prefix = `bm-${randomBytes(4).toString("hex")}`;
  env.BM_TABLE = `${prefix}-operations`;
  env.BM_AUDIT_TABLE = `${prefix}-audit`;

  const dynamo = new DynamoDBClient(client);
  const tables = { operations: env.BM_TABLE, audit: env.BM_AUDIT_TABLE };
  await createTables(dynamo, options.serverlessYml, tables);
  await enableTimeToLive(dynamo, options.serverlessYml, tables);
  dynamo.destroy();
  const sqs = new SQSClient(client);
  const queues = await createQueues(sqs, options.serverlessYml, {
    work: `${prefix}-work`,
    deadLetters: `${prefix}-dead-letters`,
  });
  sqs.destroy();
  const secretsManager = new SecretsManagerClient(client);
  for (const [name, value] of Object.entries(options.secrets)) {
    await secretsManager.send(
      new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }),
    );
  }
  secretsManager.destroy();

  Object.assign(env, {
    AWS_ACCESS_KEY_ID: account.accessKeyId,
    AWS_SECRET_ACCESS_KEY: account.secretAccessKey,
    AWS_SESSION_TOKEN: account.sessionToken,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_ENDPOINT_URL_SQS: endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    BM_QUEUE_URL: queues.work,
  });
  if (!options.faults)
    return { queueUrl: queues.work, deadLetterUrl: queues.deadLetters, proxies: {} };
  const proxies = {
    dynamo: await proxied(closers, endpoint),
    sqs: await proxied(closers, endpoint),
    secrets: await proxied(closers, endpoint),
  };
  Object.assign(env, {
    AWS_ENDPOINT_URL_DYNAMODB: proxies.dynamo.url,
    AWS_ENDPOINT_URL_SQS: proxies.sqs.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: proxies.secrets.url,
    // The SQS client sends to the queue URL's host, whatever its endpoint says.
    BM_QUEUE_URL: queues.work.replace(new URL(queues.work).origin, proxies.sqs.url),
  });
  return { queueUrl: queues.work, deadLetterUrl: queues.deadLetters, proxies };
}
