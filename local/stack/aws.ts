/**
 * The AWS side of the local stack: secrets (a file, or the Secrets Manager stand-in), DynamoDB
 * (dynalite, in this process), SQS (the stand-in), Lambda's Invoke and IAM's
 * SimulatePrincipalPolicy (stand-ins), each with
 * the SDK's own endpoint variable pointed at it, and a fault proxy in front when asked.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dynalite from "dynalite";
import { ROLE_CALLS } from "../../lib/doctor/role-calls";
import { queueOf } from "../../lib/doctor/role-checks";
import { rolePolicies } from "../role-policies";
import { AwsFaultProxy } from "../stand-ins/aws-fault-proxy";
import { IamStandIn } from "../stand-ins/iam";
import type { Statement } from "../stand-ins/iam-policy";
import { LambdaStandIn } from "../stand-ins/lambda";
import { type SecretsManagerStandIn, startSecretsManager } from "../stand-ins/secrets-manager";
import { SqsStandIn } from "../stand-ins/sqs";
import type { Closers } from "./closers";

/** Environment the functions read at their cold start; each part adds its own. */
export type Env = Record<string, string>;

/** A fault proxy in front of `url`, closed before what it stands in front of. */
async function proxied(closers: Closers, url: string): Promise<AwsFaultProxy> {
  const proxy = await new AwsFaultProxy(url).start();
  closers.first(() => proxy.close());
  return proxy;
}

/**
 * Secrets: the sample file (written to a temporary folder), or the Secrets Manager stand-in
 * holding the same values. A secrets file already set in the environment is kept.
 */
export async function startSecrets(
  closers: Closers,
  env: Env,
  secrets: Record<string, Record<string, unknown>>,
  options: { via?: "file" | "secrets-manager"; faults?: boolean; presetFile?: string | undefined },
): Promise<{ secretsManager?: SecretsManagerStandIn; proxy?: AwsFaultProxy }> {
  const dir = await mkdtemp(join(tmpdir(), "bm-local-"));
  closers.last(() => rm(dir, { recursive: true, force: true }));
  if (options.via === "secrets-manager") {
    const secretsManager = await startSecretsManager(secrets);
    closers.last(() => secretsManager.close());
    env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secretsManager.url;
    if (!options.faults) return { secretsManager };
    const proxy = await proxied(closers, secretsManager.url);
    env.AWS_ENDPOINT_URL_SECRETS_MANAGER = proxy.url;
    return { secretsManager, proxy };
  }
  if (!options.presetFile || options.via === "file") {
    env.BM_SECRETS_FILE = join(dir, "secrets.json");
    await writeFile(env.BM_SECRETS_FILE, JSON.stringify(secrets, null, 2));
  }
  return {};
}

/** DynamoDB: dynalite in this process, on `port` (0 for a free one). */
export async function startDynamo(
  closers: Closers,
  env: Env,
  options: { port?: number | undefined; faults?: boolean; credentialsSet: boolean },
): Promise<{ proxy?: AwsFaultProxy }> {
  const db: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((done) => db.listen(options.port ?? 0, "127.0.0.1", done));
  closers.last(() => new Promise((done) => db.close(done)));
  env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${(db.address() as AddressInfo).port}`;
  if (!options.credentialsSet)
    Object.assign(env, { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" });
  if (!options.faults) return {};
  const proxy = await proxied(closers, env.AWS_ENDPOINT_URL_DYNAMODB);
  env.AWS_ENDPOINT_URL_DYNAMODB = proxy.url;
  return { proxy };
}

/** SQS: the stand-in, with the dead-letter limit and visibility timeout of serverless.yml. */
export async function startQueue(
  closers: Closers,
  env: Env,
  options: { timeScale?: number | undefined; faults?: boolean },
): Promise<{ queue: SqsStandIn; proxy?: AwsFaultProxy }> {
  const queue = await new SqsStandIn({
    maxReceives: 5,
    visibilityTimeoutS: 360,
    timeScale: options.timeScale ?? 1,
  }).start();
  closers.last(() => queue.close());
  env.BM_QUEUE_URL = queue.queueUrl;
  env.AWS_ENDPOINT_URL_SQS = queue.url;
  if (!options.faults) return { queue };
  const proxy = await proxied(closers, queue.url);
  env.AWS_ENDPOINT_URL_SQS = proxy.url;
  // The SQS client sends to the queue URL's host, whatever its endpoint says.
  env.BM_QUEUE_URL = queue.queueUrl.replace(queue.url, proxy.url);
  return { queue, proxy };
}

/** The follow-up's name as the worker's Invoke names it. */
export const FOLLOWUP_FUNCTION = "bm-local-followup";

/**
 * Lambda's Invoke, for the worker's start of the follow-up. With `run` the follow-up runs on each
 * start (`runFollowUp`, given the caller's trace header); in tests the starts are only recorded.
 */
export async function startLambda(
  closers: Closers,
  env: Env,
  options: {
    run: boolean;
    runFollowUp: (trace: string | undefined) => Promise<unknown>;
    presetFunction?: string | undefined;
  },
): Promise<LambdaStandIn> {
  const lambda = await new LambdaStandIn({
    functions: { [FOLLOWUP_FUNCTION]: options.runFollowUp },
    run: options.run,
  }).start();
  closers.last(() => lambda.close());
  env.AWS_ENDPOINT_URL_LAMBDA = lambda.url;
  env.BM_FOLLOWUP_FUNCTION = options.presetFunction ?? FOLLOWUP_FUNCTION;
  return lambda;
}

/** The function roles the local stack's IAM holds: those `npm run doctor` checks. */
const ROLES = ROLE_CALLS.map((r) => r.role);

/**
 * IAM's SimulatePrincipalPolicy, for `npm run doctor`: the stand-in, holding each function's role
 * with the policy serverless.yml gives it, filled in with this stack's tables, queue and secrets,
 * and the deployer's policy (infra/deployer-policy.json) as its caller's. The roles' variables
 * (`BM_WORKER_ROLE_ARN`, …) name them, as the stack's outputs would.
 */
export async function startIam(
  closers: Closers,
  env: Env,
  options: { root: string },
): Promise<IamStandIn> {
  const region = env.AWS_REGION ?? "ap-northeast-1";
  const queue = queueOf(env.BM_QUEUE_URL ?? "");
  if (!queue) throw new Error(`the local stack's queue URL ${env.BM_QUEUE_URL} names no account`);
  const table = (name = "") => `arn:aws:dynamodb:${region}:${queue.account}:table/${name}`;
  const arn = (id: string) => `arn:aws:iam::${queue.account}:role/bm-local-${id}`;
  const policies = await rolePolicies(join(options.root, "serverless.yml"), ROLES, "local", {
    partition: "aws",
    region,
    account: queue.account,
    attributes: {
      OperationsTable: { Arn: table(env.BM_TABLE) },
      AuditTable: { Arn: table(env.BM_AUDIT_TABLE) },
      WorkQueue: { Arn: `arn:aws:sqs:${region}:${queue.account}:${queue.name}` },
      AuditArchiveBucket: { Arn: "arn:aws:s3:::bm-local-archive" },
    },
  });
  const deployer = JSON.parse(
    await readFile(join(options.root, "infra/deployer-policy.json"), "utf8"),
  ) as { Statement: Statement[] };
  const iam = await new IamStandIn({
    roles: Object.fromEntries(ROLES.map((id) => [arn(id), policies[id] as Statement[]])),
    caller: deployer.Statement,
  }).start();
  closers.last(() => iam.close());
  env.AWS_ENDPOINT_URL_IAM = iam.url;
  for (const { role, variable } of ROLE_CALLS) env[variable] = arn(role);
  return iam;
}
