/**
 * `npm run bench:together`: many detaches finishing at once, on the local stack with the deployed
 * poll interval (5 s) and the follow-up run as on AWS (the schedule every minute, the worker's
 * starts). BENCH_TOGETHER detaches (200) on as many servers are started with ECL's tasks held, so
 * all are `detaching`; then ECL finishes all of them at one moment, and the bench measures how long
 * until each operation is recorded done and its thread says so, against the poll interval. (The
 * Slack stand-in does not pace posts per channel as Slack does, about one a second: on Slack, 200
 * done messages in one channel take minutes to post, whatever bm does; their records do not.)
 * Writes bench/results/together.json and prints it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { documentClient } from "../lib/aws/dynamo/documents";
import { DynamoOperationStore } from "../lib/aws/dynamo/operation-store";
import { SAMPLE } from "../local/ecl-simulator/sample";
import { httpApiEvent, lambdaContext } from "../local/lambda-events";
import { slackHeaders, slashCommandBody } from "../local/slack-request";
import { startLocalStack } from "../local/stack";

const COUNT = Number(process.env.BENCH_TOGETHER ?? 200);
const POLL_MS = 5000;

const stack = await startLocalStack({
  secretsVia: "secrets-manager",
  autoRun: true,
  followupBudgetMs: 60_000,
  taskMs: 8000,
  env: {
    BM_POLL_INTERVAL_MS: String(POLL_MS),
    BM_FOLLOWUP_MARGIN_MS: "10000",
    BM_DETACH_TIMEOUT_S: "3600",
    POWERTOOLS_LOG_LEVEL: "ERROR",
    POWERTOOLS_METRICS_DISABLED: "true",
  },
});
const model = stack.ecl?.model;
if (!model) throw new Error("no simulator");
const store = new DynamoOperationStore(documentClient(stack.dynamo), stack.env.BM_TABLE as string);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

model.hold();
const servers = Array.from({ length: COUNT }, (_, i) =>
  model.addServer(SAMPLE.tenantId, { name: `together-${i}`, media: [SAMPLE.image] }),
);
for (const server of servers) {
  const body = slashCommandBody({
    teamId: "T0LOCAL",
    channelId: "C0INCIDENT",
    userId: "U0BENCH",
    text: `detach ${server.id} ${SAMPLE.image}`,
    responseUrl: stack.slack?.newResponseUrl("C0INCIDENT", "U0BENCH") ?? "",
  });
  await stack.handlers.slack(
    httpApiEvent("POST", "/slack/events", slackHeaders(stack.signingSecret, body), body),
    lambdaContext("bm-slack", 6000),
  );
}
// Every detach accepted and watched.
const startedAt = Date.now();
let ops: Awaited<ReturnType<typeof store.listInFlight>> = [];
for (;;) {
  ops = (await store.listInFlight()).filter((op) => op.state === "detaching");
  if (ops.length === COUNT) break;
  if (Date.now() - startedAt > 600_000) throw new Error(`only ${ops.length} detaching`);
  await wait(500);
}
const acceptedMs = Date.now() - startedAt;

const releasedAt = Date.now();
model.release();
const recorded = new Map<string, number>();
const told = new Map<string, number>();
while (told.size < COUNT && Date.now() - releasedAt < 300_000) {
  await wait(200);
  for (const op of ops) {
    if (!recorded.has(op.id) && (await store.get(op.id))?.state === "done")
      recorded.set(op.id, Date.now() - releasedAt);
  }
  for (const message of stack.slack?.history("C0INCIDENT") ?? []) {
    const op = ops.find((o) => message.text.includes(o.id));
    if (op && !told.has(op.id) && message.replies.some((r) => r.text.includes(" done: ")))
      told.set(op.id, Date.now() - releasedAt);
  }
}
const max = (m: Map<string, number>) => Math.max(0, ...m.values());
const result = {
  detaches: COUNT,
  pollIntervalMs: POLL_MS,
  allAcceptedMs: acceptedMs,
  recordedDone: { count: recorded.size, lastMs: max(recorded), inPolls: max(recorded) / POLL_MS },
  threadsSayDone: { count: told.size, lastMs: max(told), inPolls: max(told) / POLL_MS },
  targets: { allReportedWithin2Polls: told.size === COUNT && max(told) <= 2 * POLL_MS },
};
const out = join(import.meta.dirname, "results");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "together.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result));
await stack.close();
process.exit(0);
