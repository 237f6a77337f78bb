/**
 * The follow-up's bench, run by `npm run bench` in a process of its own (the handlers read their
 * environment once): what an idle follow-up invocation costs, and how soon after ECL clears a
 * detach the thread says done, on the local stack with the production poll interval (5 s), the
 * schedule every minute and the worker starting the follow-up after each detach. Prints JSON.
 */
import { performance } from "node:perf_hooks";
import { SAMPLE } from "../local/ecl-simulator/sample";
import { httpApiEvent, lambdaContext } from "../local/lambda-events";
import { slackHeaders, slashCommandBody } from "../local/slack-request";
import { startLocalStack } from "../local/stack";

const IDLE_RUNS = Number(process.env.BENCH_IDLE_RUNS ?? 20);
const DETACHES = Number(process.env.BENCH_DETACHES ?? 20);
const TASK_MS = 8000;

const stack = await startLocalStack({
  secretsVia: "secrets-manager",
  faults: true, // the proxy in front of dynalite counts the DynamoDB calls
  autoRun: true,
  followupBudgetMs: 60_000,
  taskMs: TASK_MS,
  env: {
    BM_POLL_INTERVAL_MS: "5000",
    BM_FOLLOWUP_MARGIN_MS: "10000",
    POWERTOOLS_LOG_LEVEL: "ERROR",
    POWERTOOLS_METRICS_DISABLED: "true",
  },
});
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dynamoCalls = () => stack.faults.dynamo?.calls.length ?? 0;
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
const round = (ms: number) => Math.round(ms);

// Idle: the schedule's first invocation (cold) has run by now; these are warm, one after another.
await wait(1000);
const idle: Array<{ ms: number; dynamoCalls: number }> = [];
for (let i = 0; i < IDLE_RUNS; i++) {
  const calls = dynamoCalls();
  const started = performance.now();
  await stack.followup(60_000);
  idle.push({ ms: performance.now() - started, dynamoCalls: dynamoCalls() - calls });
}

// Completion delay: 20 detaches on 20 servers, started at uneven moments so that ECL clears at
// every phase of the poll; for each, from the moment ECL clears to the moment the thread says done.
// One every 3.5 s on average, in one channel: within what Slack lets bm do there (each detach
// posts 2 messages, one a second per channel, and updates its card twice, which bm keeps to 40 a
// minute after a burst: lib/slack/pace.ts). Faster, the delay measured is Slack's queue, not the
// follow-up's poll: one every 1.65 s gave p95 31 s once Slack's limits were on in the stack.
async function detach(i: number): Promise<number> {
  const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
    name: `bench-${i}`,
    media: [SAMPLE.image],
  });
  if (!server) throw new Error("no simulator");
  const body = slashCommandBody({
    teamId: "T0LOCAL",
    channelId: "C0INCIDENT",
    userId: "U0BENCH",
    text: `detach ${server.name} ${SAMPLE.image}`,
    responseUrl: stack.slack?.newResponseUrl("C0INCIDENT", "U0BENCH") ?? "",
  });
  await stack.handlers.slack(
    httpApiEvent("POST", "/slack/events", slackHeaders(stack.signingSecret, body), body),
    lambdaContext("bm-slack", 6000),
  );
  let clearsAt: number | undefined;
  for (;;) {
    await wait(50);
    const task = stack.ecl?.model.server(server.id)?.task;
    if (clearsAt === undefined && task) clearsAt = task.until;
    const thread = stack.slack
      ?.history("C0INCIDENT")
      .find(
        (m) => m.text.includes(server.name) && m.replies.some((r) => r.text.includes(" done: ")),
      );
    if (thread && clearsAt !== undefined) return Date.now() - clearsAt;
  }
}
const delays = await Promise.all(
  Array.from({ length: DETACHES }, async (_, i) => {
    await wait(i * 3000 + Math.floor(Math.random() * 1000));
    return detach(i);
  }),
);
delays.sort((a, b) => a - b);
const idleMs = idle.map((r) => r.ms).sort((a, b) => a - b);
const result = {
  pollIntervalMs: 5000,
  idleInvocation: {
    runs: IDLE_RUNS,
    p50Ms: Math.round(percentile(idleMs, 50) * 10) / 10,
    maxMs: Math.round((idleMs.at(-1) as number) * 10) / 10,
    dynamoCallsMax: Math.max(...idle.map((r) => r.dynamoCalls)),
  },
  completionDelay: {
    detaches: DETACHES,
    p50Ms: round(percentile(delays, 50)),
    p95Ms: round(percentile(delays, 95)),
    maxMs: round(delays.at(-1) as number),
  },
  lambdaStarts: stack.lambda.events.length,
};
console.log(JSON.stringify(result));
await stack.close();
process.exit(0);
