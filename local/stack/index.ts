/**
 * The whole product on one machine: the three real handlers, with dynalite for DynamoDB and
 * loopback stand-ins for SQS, Slack and ECL (and Secrets Manager, when asked), wired through the
 * SDKs' own endpoint variables. `npm start` runs it; the integration tests start it with free
 * ports; with `awsEndpoint`, DynamoDB, SQS and Secrets Manager are those of that endpoint (moto)
 * instead. A part whose variable is already set (a real queue URL, a real Slack API URL, real
 * AWS endpoints) is not started: the real service is used instead.
 */
import { join, resolve } from "node:path";
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { documentClient } from "../../lib/aws/dynamo/documents";
import { DynamoOperationStore } from "../../lib/aws/dynamo/operation-store";
import { loadPolicy } from "../../lib/policy/policy";
import type { Unkindness } from "../ecl-simulator/model";
import { SAMPLE } from "../ecl-simulator/sample";
import type { EclSimulator } from "../ecl-simulator/server";
import { unkindnessFromEnv } from "../ecl-simulator/unkind";
import { playground } from "../playground/server";
import type { AwsFaultProxy } from "../stand-ins/aws-fault-proxy";
import type { IamStandIn } from "../stand-ins/iam";
import type { LambdaStandIn } from "../stand-ins/lambda";
import { Lineage } from "../stand-ins/lineage";
import type { SecretsManagerStandIn } from "../stand-ins/secrets-manager";
import type { SlackStandIn } from "../stand-ins/slack";
import type { SqsStandIn } from "../stand-ins/sqs";
import { createTables } from "../tables";
import { type Env, startDynamo, startIam, startLambda, startQueue, startSecrets } from "./aws";
import { Closers } from "./closers";
import { sampleSecrets, startEcl } from "./ecl";
import { useExternalAws } from "./external-aws";
import { frontDoorCaller, type SlackFn, startFrontDoor } from "./front-door";
import {
  type EventSourceFigures,
  eventSourceMapping,
  type FollowupFn,
  followupInvoker,
  runByThemselves,
  type WorkerFn,
} from "./runner";
import { startSlack } from "./slack";

const ROOT = resolve(import.meta.dirname, "../..");

/** Where `npm start` keeps its dynalite and tables, so that `npm run audit` finds them. */
export const LOCAL_DYNAMO_PORT = 8000;
export const LOCAL_DYNAMO_URL = `http://127.0.0.1:${LOCAL_DYNAMO_PORT}`;
export const LOCAL_AUDIT_TABLE = "bm-local-audit";
export const LOCAL_OPERATIONS_TABLE = "bm-local-operations";

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
  /** The simulator's sample fleet too: node01…node30, the installer ISO on each (`npm start`). */
  sampleFleet?: boolean;
  /** Scales queue delays and visibility timeouts (below 1 for fast tests). */
  queueTimeScale?: number;
  /** Deliver queue messages and run the follow-up by themselves (npm start), or only when asked (tests). */
  autoRun?: boolean;
  /** How long one follow-up invocation may run (10 s; on Lambda, about a minute). */
  followupBudgetMs?: number;
  /** The worker's timeout, past which an invocation is killed (60 s, as serverless.yml). */
  workerTimeoutMs?: number;
  /** Members of Slack user groups in the stand-in. */
  groups?: Record<string, string[]>;
  /** Groups of `groups` that are disabled in the stand-in (Slack answers `no_such_subteam`). */
  disabledGroups?: string[];
  /**
   * Channels of the policy that the bot was never invited to (`C0NOBOT`); the bot is a member of
   * every other channel of the policy, and Slack knows no other channel.
   */
  botNotIn?: string[];
  /** Slack's rate limits in the stand-in (local/stand-ins/slack-rate.ts): on unless false. */
  slackRateLimits?: boolean;
  /**
   * Puts a fault proxy in front of dynalite, the SQS stand-in and the Secrets Manager stand-in
   * (the fault-injection suite).
   */
  faults?: boolean;
  /**
   * An AWS endpoint (moto_server) for DynamoDB, SQS and Secrets Manager in place of dynalite and
   * the stand-ins; the stack creates its tables, queues and secrets there, in an account of its
   * own (local/stack/external-aws.ts).
   */
  awsEndpoint?: string;
  log?: (line: string) => void;
}

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
  /** IAM's SimulatePrincipalPolicy, holding serverless.yml's role policies (`npm run doctor`). */
  iam: IamStandIn | undefined;
  /** Lambda's recursive loop detection: the deepest chain, the invocations it stopped. */
  lineage: Lineage;
  /** The event source mapping's invocations of the worker, and those killed at its timeout. */
  worker: EventSourceFigures;
  /** With `faults`: the proxies in front of DynamoDB, SQS and Secrets Manager. */
  faults: {
    dynamo: AwsFaultProxy | undefined;
    sqs: AwsFaultProxy | undefined;
    secrets: AwsFaultProxy | undefined;
  };
  dynamo: DynamoDBClient;
  handlers: {
    slack: SlackFn;
    worker: WorkerFn;
    followup: FollowupFn;
    auditCheck: () => Promise<void>;
  };
  /** Delivers the visible queue messages to the worker once; returns how many. */
  deliver(): Promise<number>;
  /** One follow-up invocation with this much time left. */
  followup(budgetMs: number): Promise<void>;
  /**
   * One run of the daily audit check (never on a schedule here): seals the days up to yesterday,
   * verifies the chains and seals (no archive: the local stack has no S3), posts the seals.
   */
  auditCheck(): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  // First: the SDK's invoke store must be taken before any AWS call of this process.
  const lineage = await new Lineage().start();
  const preset = { ...process.env };
  const env: Env = {
    AWS_REGION: preset.AWS_REGION ?? "ap-northeast-1",
    BM_SLACK_SECRET_ID: preset.BM_SLACK_SECRET_ID ?? "bm/slack",
    BM_POLICY: options.policyFile ?? preset.BM_POLICY ?? join(ROOT, "infra/local/policy.yml"),
    BM_TABLE: preset.BM_TABLE ?? LOCAL_OPERATIONS_TABLE,
    BM_AUDIT_TABLE: preset.BM_AUDIT_TABLE ?? LOCAL_AUDIT_TABLE,
    BM_POLL_INTERVAL_MS: "1000",
    // Six polls, as on Lambda (5 s polls, 30 s): how long ECL gets to show an unanswered detach.
    BM_ECL_GRACE_MS: "6000",
    BM_FOLLOWUP_MARGIN_MS: "1000",
    // The simulator and the Slack stand-in serve plain http on 127.0.0.1, which bm refuses unless
    // listed (docs/deploy.md#endpoints): listed here, as on no deployed stage.
    BM_ECL_ENDPOINT_ALLOW: preset.BM_ECL_ENDPOINT_ALLOW ?? "127.0.0.1",
    BM_SLACK_URL_ALLOW: preset.BM_SLACK_URL_ALLOW ?? "127.0.0.1",
    POWERTOOLS_LOG_LEVEL: preset.POWERTOOLS_LOG_LEVEL ?? "WARN",
    // Node 20 here, 22 on Lambda: the SDK's warning about it says nothing new.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...options.env,
  };
  const closers = new Closers();
  const faults: LocalStack["faults"] = { dynamo: undefined, sqs: undefined, secrets: undefined };

  const ecl =
    options.eclPort === -1
      ? undefined
      : await startEcl(closers, {
          port: options.eclPort,
          taskMs: options.taskMs ?? 8000,
          unkind: options.unkind ?? unkindnessFromEnv(process.env),
          fleet: options.sampleFleet,
          log,
        });
  const secrets = await sampleSecrets(ROOT, ecl?.url);
  const slackSecret = secrets["bm/slack"] as { signing_secret: string; bot_token: string };
  const external = options.awsEndpoint
    ? await useExternalAws(closers, env, {
        endpoint: options.awsEndpoint,
        serverlessYml: join(ROOT, "serverless.yml"),
        secrets,
        faults: options.faults ?? false,
      })
    : undefined;
  const local = external
    ? {}
    : await startSecrets(closers, env, secrets, {
        ...(options.secretsVia ? { via: options.secretsVia } : {}),
        faults: options.faults ?? false,
        presetFile: preset.BM_SECRETS_FILE,
      });
  faults.secrets = external ? external.proxies.secrets : local.proxy;
  faults.dynamo = external?.proxies.dynamo;
  faults.sqs = external?.proxies.sqs;

  // A part whose variable is already set is the real service: it is not started.
  if (!external && !preset.AWS_ENDPOINT_URL_DYNAMODB) {
    faults.dynamo = (
      await startDynamo(closers, env, {
        port: options.dynamoPort,
        faults: options.faults ?? false,
        credentialsSet: !!preset.AWS_ACCESS_KEY_ID,
      })
    ).proxy;
  }
  let queue: SqsStandIn | undefined;
  if (!external && !preset.BM_QUEUE_URL) {
    const started = await startQueue(closers, env, {
      timeScale: options.queueTimeScale,
      faults: options.faults ?? false,
    });
    queue = started.queue;
    faults.sqs = started.proxy;
  }
  const policy = await loadPolicy(env.BM_POLICY as string);
  const groups = options.groups ?? {
    S0APPROVERS: ["U0APPROVER1", "U0APPROVER2"],
    S0OPERATORS: ["U0OPERATOR"],
  };
  const slack = preset.SLACK_API_URL
    ? undefined
    : await startSlack(closers, env, {
        policy,
        botToken: slackSecret.bot_token,
        groups,
        disabledGroups: options.disabledGroups ?? [],
        botNotIn: options.botNotIn ?? ["C0NOBOT"],
        rateLimits: options.slackRateLimits !== false,
      });
  let followupGate: ((trace: string | undefined) => Promise<unknown>) | undefined;
  const lambda = await startLambda(closers, env, {
    run: options.autoRun ?? false,
    runFollowUp: (trace) => followupGate?.(trace) ?? Promise.resolve(),
    presetFunction: preset.BM_FOLLOWUP_FUNCTION,
  });

  const iam = preset.AWS_ENDPOINT_URL_IAM
    ? undefined
    : await startIam(closers, env, { root: ROOT });

  // The functions' environment, then the functions: they read it at their cold start.
  Object.assign(process.env, env);
  const dynamo = new DynamoDBClient({});
  if (!external && !preset.AWS_ENDPOINT_URL_DYNAMODB) {
    await createTables(dynamo, join(ROOT, "serverless.yml"), {
      operations: env.BM_TABLE as string,
      audit: env.BM_AUDIT_TABLE as string,
    });
  }
  const frontDoor = (await import("../../handlers/slack")).handler as SlackFn;
  const handlers = {
    // Each request to the front door is a new chain of Lambda's recursive loop detection.
    slack: (async (event, context) => {
      let answer: Awaited<ReturnType<SlackFn>> | undefined;
      await lineage.invoke("bm-slack", "new", async () => {
        answer = await frontDoor(event, context);
      });
      return answer;
    }) as SlackFn,
    worker: (await import("../../handlers/worker")).handler as WorkerFn,
    followup: (await import("../../handlers/followup")).handler as FollowupFn,
    auditCheck: (await import("../../handlers/audit-check")).handler,
  };

  const store = new DynamoOperationStore(documentClient(dynamo), env.BM_TABLE as string);
  const page = slack
    ? playground({
        slack,
        policy,
        groups,
        signingSecret: slackSecret.signing_secret,
        frontDoor: frontDoorCaller(handlers.slack),
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
  const frontDoorUrl = await startFrontDoor(closers, {
    port: options.frontDoorPort,
    slackHandler: handlers.slack,
    store,
    slack,
    env,
    page,
    log,
  });

  const deliver = eventSourceMapping(env.BM_QUEUE_URL as string, handlers.worker, {
    lineage,
    ...(options.workerTimeoutMs ? { timeoutMs: options.workerTimeoutMs } : {}),
    ...(queue ? { deadLetter: (handle: string) => queue.deadLetter(handle) } : {}),
    // The stand-in scales its visibility timeouts itself; another SQS is given a scaled one.
    ...(external
      ? { visibilityS: Math.max(1, Math.round(360 * (options.queueTimeScale ?? 1))) }
      : {}),
    log,
  });
  const followup = followupInvoker(handlers.followup, lineage);
  const budget = options.followupBudgetMs ?? 10_000;
  followupGate = (trace) => followup.invoked(budget, trace);
  if (options.autoRun) runByThemselves(closers, deliver, followup.invoke, budget, log);

  return {
    frontDoorUrl,
    signingSecret: slackSecret.signing_secret,
    env,
    ecl,
    slack,
    queue,
    secretsManager: local.secretsManager,
    lambda,
    iam,
    lineage,
    worker: deliver.figures,
    faults,
    dynamo,
    handlers,
    deliver,
    followup: followup.invoke,
    auditCheck: async () => {
      await lineage.invoke("bm-auditCheck", "new", () => handlers.auditCheck());
    },
    close: () => closers.closeAll(),
  };
}

export { SAMPLE };
