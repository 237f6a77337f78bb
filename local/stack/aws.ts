/**
 * The AWS side of the local stack: secrets (a file, or the Secrets Manager stand-in), DynamoDB
 * (dynalite, in this process), SQS (the stand-in) and Lambda's Invoke (the stand-in), each with
 * the SDK's own endpoint variable pointed at it, and a fault proxy in front when asked.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dynalite from "dynalite";
import { AwsFaultProxy } from "../stand-ins/aws-fault-proxy";
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
