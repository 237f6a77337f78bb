/**
 * The whole product on one machine: the three real handlers, with dynalite for DynamoDB and
 * loopback stand-ins for SQS, Slack and ECL (and Secrets Manager, when asked), wired through the
 * SDKs' own endpoint variables. `npm start` runs it; the integration tests start it with free
 * ports. A part whose variable is already set (a real queue URL, a real Slack API URL, real
 * AWS endpoints) is not started: the real service is used instead.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  Context,
  ScheduledEvent,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import dynalite from "dynalite";
import { DynamoOperationStore, documentClient } from "../lib/aws/dynamo-operation-store";
import { loadPolicy } from "../lib/policy/policy";
import { AwsFaultProxy } from "./aws-fault-proxy";
import type { Unkindness } from "./ecl-simulator/model";
import { SAMPLE, seedSample } from "./ecl-simulator/sample";
import { type EclSimulator, startEclSimulator } from "./ecl-simulator/server";
import { unkindnessFromEnv } from "./ecl-simulator/unkind";
import { httpApiEvent, lambdaContext, sqsRecord } from "./lambda";
import { LambdaStandIn } from "./lambda-standin";
import { playground } from "./playground";
import { type SecretsManagerStandIn, startSecretsManager } from "./secrets-manager-standin";
import { SlackStandIn, type StandInChannel } from "./slack-standin";
import { SqsStandIn } from "./sqs-standin";
import { createTables } from "./tables";

const ROOT = resolve(import.meta.dirname, "..");

/** Where `npm start` keeps its dynalite and tables, so that `npm run audit` finds them. */
export const LOCAL_DYNAMO_PORT = 8000;
export const LOCAL_DYNAMO_URL = `http://127.0.0.1:${LOCAL_DYNAMO_PORT}`;
export const LOCAL_AUDIT_TABLE = "bm-local-audit";

export interface LocalStackOptions {
  /** The front door's port: 3000 for `npm start`, 0 (a free one) in tests. */
  frontDoorPort?: number;
  /** dynalite's port: 8000 for `npm start`, 0 in tests. */
  dynamoPort?: number;
  /** The ECL simulator's port: 8774 for `npm start`, 0 in tests. */
  eclPort?: number;
  /** Where secrets come from: the sample secrets file (default), or a Secrets Manager stand-in. */
  secretsVia?: "file" | "secrets-manager";
  policyFile?: string;
  /** More environment for the functions (limits, intervals). */
  env?: Record<string, string>;
  /** How long a simulated detach keeps a server busy. */
  taskMs?: number;
  /** The simulator's unkind modes; `BM_SIMULATOR_*` in the environment when not given. */
  unkind?: Unkindness;
  /** Scales queue delays and visibility timeouts (below 1 for fast tests). */
  queueTimeScale?: number;
  /** Deliver queue messages and run the follow-up by themselves (npm start), or only when asked (tests). */
  autoRun?: boolean;
  /** How long one follow-up invocation may run (10 s; on Lambda, about a minute). */
  followupBudgetMs?: number;
  /** Members of Slack user groups in the stand-in. */
  groups?: Record<string, string[]>;
  /**
   * Channels of the policy that the bot was never invited to (`C0NOBOT`); the bot is a member of
   * every other channel of the policy, and Slack knows no other channel.
   */
  botNotIn?: string[];
  /**
   * Puts a fault proxy in front of dynalite, the SQS stand-in and the Secrets Manager stand-in
   * (the fault-injection suite).
   */
  faults?: boolean;
  log?: (line: string) => void;
}

type SlackFn = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;
type WorkerFn = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
type FollowupFn = (event: ScheduledEvent, context: Context) => Promise<void>;

export interface LocalStack {
  frontDoorUrl: string;
  signingSecret: string;
  env: Record<string, string>;
  ecl: EclSimulator | undefined;
  slack: SlackStandIn | undefined;
  queue: SqsStandIn | undefined;
  secretsManager: SecretsManagerStandIn | undefined;
  /** Lambda's Invoke: the worker starting the follow-up after a detach ECL accepted. */
  lambda: LambdaStandIn;
  /** With `faults`: the proxies in front of DynamoDB, SQS and Secrets Manager. */
  faults: {
    dynamo: AwsFaultProxy | undefined;
    sqs: AwsFaultProxy | undefined;
    secrets: AwsFaultProxy | undefined;
  };
  dynamo: DynamoDBClient;
  handlers: { slack: SlackFn; worker: WorkerFn; followup: FollowupFn };
  /** Delivers the visible queue messages to the worker once; returns how many. */
  deliver(): Promise<number>;
  /** One follow-up invocation with this much time left. */
  followup(budgetMs: number): Promise<void>;
  close(): Promise<void>;
}

/** The sample secrets, with the ECL endpoints pointed at the simulator actually started. */
async function sampleSecrets(
  eclUrl: string | undefined,
): Promise<Record<string, Record<string, unknown>>> {
  const secrets = JSON.parse(
    await readFile(join(ROOT, "infra/local/secrets.json"), "utf8"),
  ) as Record<string, Record<string, unknown>>;
  // The Keystone secret names only Keystone: its catalog names the bare-metal endpoint.
  for (const value of Object.values(secrets)) {
    if (eclUrl && "api_endpoint" in value) value.api_endpoint = eclUrl;
    if (eclUrl && "identity_endpoint" in value) value.identity_endpoint = eclUrl;
  }
  return secrets;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const preset = { ...process.env };
  const env: Record<string, string> = {
    AWS_REGION: preset.AWS_REGION ?? "ap-northeast-1",
    BM_SLACK_SECRET_ID: preset.BM_SLACK_SECRET_ID ?? "bm/slack",
    BM_POLICY: options.policyFile ?? preset.BM_POLICY ?? join(ROOT, "infra/local/policy.yml"),
    BM_TABLE: preset.BM_TABLE ?? "bm-local-operations",
    BM_AUDIT_TABLE: preset.BM_AUDIT_TABLE ?? LOCAL_AUDIT_TABLE,
    BM_POLL_INTERVAL_MS: "1000",
    // Six polls, as on Lambda (5 s polls, 30 s): how long ECL gets to show an unanswered detach.
    BM_ECL_GRACE_MS: "6000",
    BM_FOLLOWUP_MARGIN_MS: "1000",
    POWERTOOLS_LOG_LEVEL: preset.POWERTOOLS_LOG_LEVEL ?? "WARN",
    // Node 20 here, 22 on Lambda: the SDK's warning about it says nothing new.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...options.env,
  };
  const closers: Array<() => Promise<unknown>> = [];
  const faults: LocalStack["faults"] = { dynamo: undefined, sqs: undefined, secrets: undefined };

  // ECL
  let ecl: EclSimulator | undefined;
  if (options.eclPort !== -1) {
    ecl = await startEclSimulator({
      port: options.eclPort ?? 0,
      taskMs: options.taskMs ?? 8000,
      unkind: options.unkind ?? unkindnessFromEnv(process.env),
      log: (l) => log(`ecl: ${l}`),
    });
    seedSample(ecl.model);
    closers.push(() => (ecl as EclSimulator).close());
  }
  const secrets = await sampleSecrets(ecl?.url);
  const slackSecret = secrets["bm/slack"] as { signing_secret: string; bot_token: string };

  // Secrets: the sample file, or the Secrets Manager stand-in holding the same values.
  let secretsManager: SecretsManagerStandIn | undefined;
  const dir = await mkdtemp(join(tmpdir(), "bm-local-"));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  if (options.secretsVia === "secrets-manager") {
    secretsManager = await startSecretsManager(secrets);
    closers.push(() => (secretsManager as SecretsManagerStandIn).close());
    env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secretsManager.url;
    if (options.faults) {
      faults.secrets = await new AwsFaultProxy(secretsManager.url).start();
      closers.unshift(() => (faults.secrets as AwsFaultProxy).close());
      env.AWS_ENDPOINT_URL_SECRETS_MANAGER = faults.secrets.url;
    }
  } else if (!preset.BM_SECRETS_FILE || options.secretsVia === "file") {
    env.BM_SECRETS_FILE = join(dir, "secrets.json");
    await writeFile(env.BM_SECRETS_FILE, JSON.stringify(secrets, null, 2));
  }

  // DynamoDB: dynalite in this process, tables from serverless.yml.
  if (!preset.AWS_ENDPOINT_URL_DYNAMODB) {
    const db: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((done) => db.listen(options.dynamoPort ?? 0, "127.0.0.1", done));
    closers.push(() => new Promise((done) => db.close(done)));
    env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${(db.address() as AddressInfo).port}`;
    if (options.faults) {
      faults.dynamo = await new AwsFaultProxy(env.AWS_ENDPOINT_URL_DYNAMODB).start();
      closers.unshift(() => (faults.dynamo as AwsFaultProxy).close());
      env.AWS_ENDPOINT_URL_DYNAMODB = faults.dynamo.url;
    }
    if (!preset.AWS_ACCESS_KEY_ID)
      Object.assign(env, { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" });
  }

  // SQS and Slack stand-ins.
  let queue: SqsStandIn | undefined;
  if (!preset.BM_QUEUE_URL) {
    queue = await new SqsStandIn({
      maxReceives: 5,
      timeScale: options.queueTimeScale ?? 1,
    }).start();
    closers.push(() => (queue as SqsStandIn).close());
    env.BM_QUEUE_URL = queue.queueUrl;
    env.AWS_ENDPOINT_URL_SQS = queue.url;
    if (options.faults) {
      faults.sqs = await new AwsFaultProxy(queue.url).start();
      closers.unshift(() => (faults.sqs as AwsFaultProxy).close());
      env.AWS_ENDPOINT_URL_SQS = faults.sqs.url;
      // The SQS client sends to the queue URL's host, whatever its endpoint says.
      env.BM_QUEUE_URL = queue.queueUrl.replace(queue.url, faults.sqs.url);
    }
  }
  let slack: SlackStandIn | undefined;
  const policy = await loadPolicy(env.BM_POLICY as string);
  const groups = options.groups ?? {
    S0APPROVERS: ["U0APPROVER1", "U0APPROVER2"],
    S0OPERATORS: ["U0OPERATOR"],
  };
  if (!preset.SLACK_API_URL) {
    const notIn = new Set(options.botNotIn ?? ["C0NOBOT"]);
    const channels: Record<string, StandInChannel> = {};
    for (const id of Object.keys(policy.channels)) channels[id] = { member: !notIn.has(id) };
    slack = await new SlackStandIn({
      botToken: slackSecret.bot_token,
      channels,
      groups,
    }).start();
    closers.push(() => (slack as SlackStandIn).close());
    env.SLACK_API_URL = slack.apiUrl;
  }

  // Lambda's Invoke, for the worker's start of the follow-up. With autoRun the follow-up runs on
  // each start (one at a time, as with reserved concurrency 1); in tests the starts are recorded.
  const FOLLOWUP_FUNCTION = "bm-local-followup";
  let followupGate: (() => Promise<void>) | undefined;
  const lambda = await new LambdaStandIn({
    functions: { [FOLLOWUP_FUNCTION]: () => followupGate?.() ?? Promise.resolve() },
    run: options.autoRun ?? false,
  }).start();
  closers.push(() => lambda.close());
  env.AWS_ENDPOINT_URL_LAMBDA = lambda.url;
  env.BM_FOLLOWUP_FUNCTION = preset.BM_FOLLOWUP_FUNCTION ?? FOLLOWUP_FUNCTION;

  // The functions' environment, then the functions: they read it at their cold start.
  Object.assign(process.env, env);
  const dynamo = new DynamoDBClient({});
  if (!preset.AWS_ENDPOINT_URL_DYNAMODB) {
    await createTables(dynamo, join(ROOT, "serverless.yml"), {
      operations: env.BM_TABLE as string,
      audit: env.BM_AUDIT_TABLE as string,
    });
  }
  const handlers = {
    slack: (await import("../handlers/slack")).handler as SlackFn,
    worker: (await import("../handlers/worker")).handler as WorkerFn,
    followup: (await import("../handlers/followup")).handler as FollowupFn,
  };

  // The front door, as API Gateway would call it; and the playground page beside it.
  const callFrontDoor = async (body: string, headers: Record<string, string>) => {
    const result = (await handlers.slack(
      httpApiEvent("POST", "/slack/events", headers, body),
      lambdaContext("bm-slack", 6000),
    )) as { statusCode?: number; body?: string };
    return { status: result.statusCode ?? 200, body: result.body ?? "" };
  };
  const page = slack
    ? playground({
        slack,
        policy,
        groups,
        signingSecret: slackSecret.signing_secret,
        frontDoor: callFrontDoor,
        ecl,
        operation: async (id) => {
          const op = await store.get(id);
          if (!op) return undefined;
          const { Items = [] } = await dynamo.send(
            new QueryCommand({
              TableName: env.BM_AUDIT_TABLE,
              KeyConditionExpression: "operationId = :id",
              ExpressionAttributeValues: { ":id": { S: id } },
            }),
          );
          return { op, audit: Items.map((item) => unmarshall(item)) };
        },
      })
    : undefined;
  const frontDoor = createServer(async (req, res) => {
    // A broken playground request gets a 500 and a log line; it never stops the local stack.
    const handled = await page?.(req, res).catch((error: unknown) => {
      log(`playground: ${req.method} ${req.url} failed (${(error as Error).name})`);
      if (!res.headersSent) res.writeHead(500).end();
      return true;
    });
    if (handled) return;
    if (req.method === "GET" && req.url?.startsWith("/_local/")) {
      void localView(req.url).then((view) => {
        res.writeHead(view === undefined ? 404 : 200, { "content-type": "application/json" });
        res.end(JSON.stringify(view ?? null));
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const event = httpApiEvent(
        req.method ?? "GET",
        req.url ?? "/",
        req.headers,
        Buffer.concat(chunks).toString("utf8"),
      );
      const started = Date.now();
      const result = (await handlers.slack(event, lambdaContext("bm-slack", 6000))) as {
        statusCode?: number;
        headers?: Record<string, string>;
        body?: string;
      };
      log(
        `front door: ${req.method} ${req.url} -> ${result.statusCode} in ${Date.now() - started} ms`,
      );
      res.writeHead(result.statusCode ?? 200, result.headers ?? {});
      res.end(result.body ?? "");
    });
  });
  await new Promise<void>((done) =>
    frontDoor.listen(options.frontDoorPort ?? 0, "127.0.0.1", done),
  );
  closers.unshift(
    () =>
      new Promise((done) => {
        frontDoor.close(done);
        frontDoor.closeAllConnections();
      }),
  );

  /** What `npm run slash` watches: an operation, and a channel of the Slack stand-in. */
  const store = new DynamoOperationStore(documentClient(dynamo), env.BM_TABLE as string);
  const localView = async (url: string): Promise<unknown> => {
    const { pathname, searchParams } = new URL(url, "http://localhost");
    const op = /^\/_local\/operations\/(op-[a-z0-9]+)$/.exec(pathname);
    if (op) return store.get(op[1] as string);
    if (pathname === "/_local/history") return slack?.history(searchParams.get("channel") ?? "");
    if (pathname === "/_local/response-url") {
      // A click's names the private message clicked, which its answer may replace.
      const clicked = searchParams.get("ephemeral");
      return slack?.newResponseUrl(
        searchParams.get("channel") ?? "",
        searchParams.get("user") ?? "",
        Date.now(),
        clicked ? { ephemeralTs: clicked } : undefined,
      );
    }
    if (pathname === "/_local/ephemerals")
      return slack?.ephemerals.filter((e) => e.user === searchParams.get("user") && !e.deleted);
    return undefined;
  };

  // The event source mapping: receive, invoke the worker, delete what it finished.
  const sqs = new SQSClient({});
  const queueArn = "arn:aws:sqs:local:000000000000:bm-work";
  const deliver = async (): Promise<number> => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: env.BM_QUEUE_URL,
        MaxNumberOfMessages: 5,
        VisibilityTimeout: 30,
        MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
      }),
    );
    if (Messages.length === 0) return 0;
    const records = Messages.map((m) =>
      sqsRecord(
        {
          messageId: m.MessageId ?? "",
          receiptHandle: m.ReceiptHandle ?? "",
          body: m.Body ?? "",
          receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
          sentAt: Number(m.Attributes?.SentTimestamp ?? Date.now()),
        },
        queueArn,
      ),
    );
    let failed = new Set(records.map((r) => r.messageId));
    try {
      const result = await handlers.worker(
        { Records: records },
        lambdaContext("bm-worker", 60_000),
      );
      failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    } catch (error) {
      log(`worker: invocation failed (${(error as Error).name}); the batch will be redelivered`);
    }
    for (const record of records) {
      if (!failed.has(record.messageId))
        await sqs.send(
          new DeleteMessageCommand({
            QueueUrl: env.BM_QUEUE_URL,
            ReceiptHandle: record.receiptHandle,
          }),
        );
    }
    return records.length;
  };
  const followup = (budgetMs: number) =>
    handlers.followup(
      { "detail-type": "Scheduled Event", source: "aws.events" } as ScheduledEvent,
      lambdaContext("bm-followup", budgetMs),
    );
  // Reserved concurrency 1: the schedule and the worker's starts share one follow-up at a time.
  let followupRunning: Promise<void> = Promise.resolve();
  const followupOnce = (budgetMs: number) => {
    const run = followupRunning.then(() => followup(budgetMs));
    followupRunning = run.catch(() => undefined);
    return run;
  };
  followupGate = () => followupOnce(options.followupBudgetMs ?? 10_000);

  let running = options.autoRun ?? false;
  if (running) {
    const deliverLoop = (async () => {
      while (running) {
        if ((await deliver().catch(() => 0)) === 0) await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const followupLoop = (async () => {
      const budget = options.followupBudgetMs ?? 10_000;
      while (running) {
        const started = Date.now();
        await followupOnce(budget).catch((error: unknown) =>
          log(`follow-up: failed (${(error as Error).name})`),
        );
        // rate(1 minute): the next invocation starts a budget after the last one started.
        while (running && Date.now() - started < budget)
          await new Promise((r) => setTimeout(r, 200));
      }
    })();
    closers.unshift(async () => {
      running = false;
      await Promise.all([deliverLoop, followupLoop]);
    });
  }

  return {
    frontDoorUrl: `http://127.0.0.1:${(frontDoor.address() as AddressInfo).port}/slack/events`,
    signingSecret: slackSecret.signing_secret,
    env,
    ecl,
    slack,
    queue,
    secretsManager,
    lambda,
    faults,
    dynamo,
    handlers,
    deliver,
    followup,
    close: async () => {
      for (const close of closers) await close();
    },
  };
}

export { SAMPLE };
