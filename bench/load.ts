/**
 * `npm run bench:load`: the whole product under load on the local stack, written to
 * bench/results/load.json. Not a test: numbers to read and report.
 *
 * 500 signed slash commands at 50 a second (10 s) against 500 servers of one tenant, through the
 * real front door, while the worker and the follow-up run as they do under `npm start`; then the
 * time until every operation has ended and said so. The servers are named by name, as people type
 * them: each is looked up by the worker, which records the request and says so through the
 * command's response_url. Everything in one process on loopback, so
 * the front door shares its CPU with the worker, the follow-up, dynalite and the stand-ins: a
 * pessimistic picture of its latency.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { documentClient } from "../lib/aws/dynamo/documents";
import { DynamoOperationStore } from "../lib/aws/dynamo/operation-store";
import { isTerminal } from "../lib/operations/operation";
import { SAMPLE } from "../local/ecl-simulator/sample";
import { httpApiEvent, lambdaContext } from "../local/lambda-events";
import { slackHeaders, slashCommandBody } from "../local/slack-request";
import { startLocalStack } from "../local/stack";

const ROOT = resolve(import.meta.dirname, "..");
const COMMANDS = Number(process.env.BENCH_LOAD_COMMANDS ?? 500);
const PER_SECOND = Number(process.env.BENCH_LOAD_RATE ?? 50);
const DRAIN_LIMIT_MS = 10 * 60_000;

const stack = await startLocalStack({
  secretsVia: "secrets-manager",
  autoRun: true,
  taskMs: 2000,
  followupBudgetMs: 20_000,
  env: { POWERTOOLS_LOG_LEVEL: "ERROR", BM_POLL_INTERVAL_MS: "1000" },
});
const servers = Array.from({ length: COMMANDS }, (_, i) =>
  stack.ecl?.model.addServer(SAMPLE.tenantId, {
    name: `load-${String(i).padStart(3, "0")}`,
    media: [SAMPLE.image],
  }),
);

const round = (ms: number) => Math.round(ms * 10) / 10;
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

// Send: one command every 1000/PER_SECOND ms, each answered on its own.
const started = performance.now();
const answers = await Promise.all(
  servers.map(async (server, i) => {
    await new Promise((r) => setTimeout(r, (i * 1000) / PER_SECOND));
    const body = slashCommandBody({
      teamId: "T0LOCAL",
      channelId: "C0INCIDENT",
      userId: `U0LOAD${i}`,
      text: `detach ${server?.name} ${SAMPLE.image} load test`,
      responseUrl: stack.slack?.newResponseUrl("C0INCIDENT", `U0LOAD${i}`) ?? "",
    });
    const sent = performance.now();
    const result = (await stack.handlers.slack(
      httpApiEvent("POST", "/slack/events", slackHeaders(stack.signingSecret, body), body),
      lambdaContext("bm-slack", 6000),
    )) as { statusCode?: number; body?: string };
    const ms = performance.now() - sent;
    const id = /`(op-[a-z0-9]{10})`/.exec(result.body ?? "")?.[1];
    return { ms, status: result.statusCode ?? 0, id };
  }),
);
const sentMs = performance.now() - started;

// Drain: until every request is recorded (the worker's private answer names it), every
// operation has ended and its last message is posted.
const store = new DynamoOperationStore(documentClient(stack.dynamo), stack.env.BM_TABLE as string);
const recorded = () =>
  answers.map(
    (a, i) =>
      a.id ??
      stack.slack
        ?.ephemeralsOf("C0INCIDENT", `U0LOAD${i}`)
        .map((e) => /`(op-[a-z0-9]{10})`/.exec(e.text)?.[1])
        .find(Boolean),
  );
let ids: string[] = [];
let ended = 0;
for (;;) {
  const known = recorded();
  ids = known.filter((id): id is string => !!id);
  const ops = await Promise.all(ids.map((id) => store.get(id)));
  ended = ops.filter(
    (op) => op && isTerminal(op.state) && (op.noticedSeq ?? 0) >= op.seq && !op.unaudited?.length,
  ).length;
  const all = ids.length === known.length;
  if ((all && ended === ids.length) || performance.now() - started > DRAIN_LIMIT_MS) break;
  await new Promise((r) => setTimeout(r, 2000));
}
const drainedMs = performance.now() - started;
const ops = await Promise.all(ids.map((id) => store.get(id)));

const posts = stack.ecl?.requests.filter(
  (r) => r.route === "action" && (r.status ?? 0) >= 200 && (r.status ?? 0) < 300,
);
const postsPerServer = new Map<string, number>();
for (const post of posts ?? []) {
  const server = /servers\/([^/]+)\/action/.exec(post.path)?.[1] ?? "?";
  postsPerServer.set(server, (postsPerServer.get(server) ?? 0) + 1);
}
const cards = stack.slack?.history("C0INCIDENT") ?? [];
const cardsPerOp = ids.map((id) => cards.filter((m) => m.text.includes(id)).length);
const latencies = answers.map((a) => a.ms).sort((a, b) => a - b);
const states: Record<string, number> = {};
for (const op of ops) states[op?.state ?? "missing"] = (states[op?.state ?? "missing"] ?? 0) + 1;

const result = {
  at: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  commands: COMMANDS,
  perSecond: PER_SECOND,
  sendSeconds: round(sentMs / 1000),
  answerMs: {
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    max: round(latencies.at(-1) ?? 0),
  },
  answersNot200: answers.filter((a) => a.status !== 200).length,
  operationsRecorded: ids.length,
  operationsEnded: ended,
  states,
  detachPostsAccepted: posts?.length ?? 0,
  duplicatePosts: [...postsPerServer.values()].filter((n) => n > 1).length,
  duplicateCards: cardsPerOp.filter((n) => n > 1).length,
  drainSeconds: round(drainedMs / 1000),
  targets: {
    everyAnswerUnder3s: (latencies.at(-1) ?? Infinity) < 3000,
    exactlyAllRecorded: ids.length === COMMANDS,
    exactlyOnePostEach: (posts?.length ?? 0) === COMMANDS,
    noDuplicates:
      [...postsPerServer.values()].every((n) => n === 1) && cardsPerOp.every((n) => n === 1),
  },
};
await mkdir(join(ROOT, "bench/results"), { recursive: true });
await writeFile(join(ROOT, "bench/results/load.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
await stack.close();
process.exit(0);
