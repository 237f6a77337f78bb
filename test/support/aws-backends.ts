/**
 * The AWS the adapter tests run against, each started empty with the template's tables and
 * queues: dynalite with the SQS and Secrets Manager stand-ins (always), and moto_server's
 * DynamoDB, SQS and Secrets Manager (when `BM_TEST_MOTO_URL` names one), in an account of the
 * test file's own.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import dynalite from "dynalite";
import { createQueues } from "../../local/queues";
import { clientOptions, freshAccount } from "../../local/stack/external-aws";
import { startSecretsManager } from "../../local/stand-ins/secrets-manager";
import { SqsStandIn } from "../../local/stand-ins/sqs";
import { createTables, enableTimeToLive } from "../../local/tables";
import { MOTO_URL } from "./stack-harness";

const SERVERLESS_YML = join(import.meta.dirname, "../../serverless.yml");
const REGION = "ap-northeast-1";
const TEST_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };
/** One try a call: a test sees what the service answered, not the SDK's retries. */
const ONE_TRY = { region: REGION, maxAttempts: 1 };

/** One AWS, started for a test file. */
export interface Aws {
  dynamo: DynamoDBClient;
  tables: { operations: string; audit: string };
  sqs: SQSClient;
  queueUrl: string;
  /** The bodies of the messages the queue's redrive policy moved to its dead-letter queue. */
  deadLetters(): Promise<string[]>;
  secretsManager: SecretsManagerClient;
  putSecret(id: string, value: string): Promise<void>;
  close(): Promise<void>;
}

export interface AwsBackend {
  name: string;
  /** Why it does not run here, when it does not. */
  skipped: string | undefined;
  start(): Promise<Aws>;
}

const names = () => {
  const prefix = `bm-${randomBytes(4).toString("hex")}`;
  return { operations: `${prefix}-operations`, audit: `${prefix}-audit`, prefix };
};

/** dynalite in this process, and the stand-ins on loopback. */
async function startLocal(): Promise<Aws> {
  const db = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((done) => db.listen(0, "127.0.0.1", done));
  const dynamo = new DynamoDBClient({
    ...ONE_TRY,
    credentials: TEST_CREDENTIALS,
    endpoint: `http://127.0.0.1:${(db.address() as AddressInfo).port}`,
  });
  const tables = names();
  await createTables(dynamo, SERVERLESS_YML, tables);
  // The redrive policy of serverless.yml: a sixth receive goes to the dead letters.
  const queue = await new SqsStandIn({ maxReceives: 5 }).start();
  const secrets = await startSecretsManager({});
  return {
    dynamo,
    tables,
    sqs: new SQSClient({ ...ONE_TRY, credentials: TEST_CREDENTIALS, endpoint: queue.url }),
    queueUrl: queue.queueUrl,
    deadLetters: async () => queue.deadLetters.map((m) => m.body),
    secretsManager: new SecretsManagerClient({
      ...ONE_TRY,
      credentials: TEST_CREDENTIALS,
      endpoint: secrets.url,
    }),
    putSecret: async (id, value) => {
      secrets.secrets.set(id, value);
    },
    close: async () => {
      await queue.close();
      await secrets.close();
      await new Promise((done) => db.close(done));
    },
  };
}

/** moto_server, in a fresh account, with the template's tables and queues. */
async function startMoto(endpoint: string): Promise<Aws> {
  const client = {
    ...ONE_TRY,
    ...clientOptions(endpoint, REGION, await freshAccount(endpoint, REGION)),
  };
  const dynamo = new DynamoDBClient(client);
  const tables = names();
  await createTables(dynamo, SERVERLESS_YML, tables);
  await enableTimeToLive(dynamo, SERVERLESS_YML, tables);
  const sqs = new SQSClient(client);
  const queues = await createQueues(sqs, SERVERLESS_YML, {
    work: `${tables.prefix}-work`,
    deadLetters: `${tables.prefix}-dead-letters`,
  });
  const secretsManager = new SecretsManagerClient(client);
  return {
    dynamo,
    tables,
    sqs,
    queueUrl: queues.work,
    deadLetters: async () => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queues.deadLetters, MaxNumberOfMessages: 10 }),
      );
      for (const m of Messages)
        await sqs.send(
          new DeleteMessageCommand({
            QueueUrl: queues.deadLetters,
            ReceiptHandle: m.ReceiptHandle,
          }),
        );
      return Messages.map((m) => m.Body ?? "");
    },
    secretsManager,
    putSecret: async (id, value) => {
      await secretsManager.send(new CreateSecretCommand({ Name: id, SecretString: value }));
    },
    close: async () => {
      for (const c of [dynamo, sqs, secretsManager]) c.destroy();
    },
  };
}

/** The backends of the adapter tests, in order; moto's is skipped, saying why, without a URL. */
export const AWS_BACKENDS: AwsBackend[] = [
  { name: "dynalite and the stand-ins", skipped: undefined, start: startLocal },
  {
    name: "moto",
    skipped: MOTO_URL ? undefined : "BM_TEST_MOTO_URL is not set (.ci/run starts moto_server)",
    start: () => startMoto(MOTO_URL ?? ""),
  },
];
