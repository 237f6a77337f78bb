/**
 * `npm run bench:fleet-detach`: one image detached from a fleet by one command, written to
 * bench/results/fleet-detach.json (and summarised by `npm run bench`). Not a test: numbers to
 * read, compare and report (docs/operations.md#a-fleet-detach).
 *
 * For each channel (`C0INCIDENT`, break-glass; `C0CHANGES`, one approval clicked as soon as its
 * card is up), a local stack of its own with Slack's rate limits on (the stand-in's, as in every
 * test), `BENCH_FLEET_DETACH_SERVERS` servers (200) with an image of the bench's own and 20
 * without (`BENCH_FLEET_DETACH_ONLY=incident` or `approval` runs one channel), and one
 * `/bm detach --all IMAGE` through the real front door; then the time until the last detach ECL
 * accepted, and until the fleet's card shows its end. Counted: every Slack Web API call made for
 * the whole action (target under 30), ECL's accepted detach POSTs per server (target exactly one
 * for each server with the image, none for the others), and ECL's reads (the list's pages at the
 * request, and the reads of the targets in flight).
 */
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { documentClient } from "../lib/aws/dynamo/documents";
import { DynamoOperationStore } from "../lib/aws/dynamo/operation-store";
import { isTerminal, type Operation } from "../lib/operations/operation";
import { SAMPLE } from "../local/ecl-simulator/sample";
import { httpApiEvent, lambdaContext } from "../local/lambda-events";
import { blockActionsBody, slackHeaders, slashCommandBody } from "../local/slack-request";
import { type LocalStack, startLocalStack } from "../local/stack";

const ROOT = resolve(import.meta.dirname, "..");
const SERVERS = Number(process.env.BENCH_FLEET_DETACH_SERVERS ?? 200);
const OTHERS = 20;
const LIMIT_MS = 15 * 60_000;
const TASK_MS = Number(process.env.BENCH_FLEET_DETACH_TASK_MS ?? 2000);
/** An image of the bench's own, on no sample server: the fleet is exactly the servers added. */
const IMAGE = "b3e7a9c1-5d2f-4e8a-9b6c-0d1e2f3a4b5c";

const round = (ms: number) => Math.round(ms * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function frontDoor(stack: LocalStack, body: string) {
  return (await stack.handlers.slack(
    httpApiEvent("POST", "/slack/events", slackHeaders(stack.signingSecret, body), body),
    lambdaContext("bm-slack", 6000),
  )) as { statusCode?: number; body?: string };
}

/** One fleet detach in `channel`, on a stack of its own; `approver` clicks Approve when asked. */
async function run(channel: string, approver: string | undefined) {
  const stack = await startLocalStack({
    secretsVia: "secrets-manager",
    autoRun: true,
    taskMs: TASK_MS,
    followupBudgetMs: 20_000,
    env: { POWERTOOLS_LOG_LEVEL: "ERROR" },
  });
  try {
    const model = stack.ecl?.model;
    const targets = Array.from(
      { length: SERVERS },
      (_, i) =>
        model?.addServer(SAMPLE.tenantId, {
          name: `fleet-${String(i).padStart(3, "0")}`,
          media: [IMAGE],
        })?.id,
    );
    for (let i = 0; i < OTHERS; i++)
      model?.addServer(SAMPLE.tenantId, { name: `other-${i}`, media: [] });
    const store = new DynamoOperationStore(
      documentClient(stack.dynamo),
      stack.env.BM_TABLE as string,
    );
    const slackBefore = stack.slack?.calls.length ?? 0;
    const eclBefore = stack.ecl?.requests.length ?? 0;

    const started = performance.now();
    const startedAt = Date.now();
    const answer = await frontDoor(
      stack,
      slashCommandBody({
        teamId: "T0LOCAL",
        channelId: channel,
        userId: "U0REQUESTER",
        text: `detach --all ${IMAGE} bench fleet`,
        responseUrl: stack.slack?.newResponseUrl(channel, "U0REQUESTER") ?? "",
      }),
    );
    const answerMs = performance.now() - started;
    const id = /`(op-[a-z0-9]{10})`/.exec(answer.body ?? "")?.[1];
    if (answer.statusCode !== 200 || !id)
      throw new Error(`${channel}: the front door answered ${answer.statusCode} ${answer.body}`);

    let approvedMs: number | undefined;
    let fleet: Operation | undefined;
    for (;;) {
      fleet = await store.get(id);
      if (fleet && approver && approvedMs === undefined && fleet.state === "awaiting_approval") {
        if (fleet.parentTs) {
          const clicked = await frontDoor(
            stack,
            blockActionsBody({
              teamId: "T0LOCAL",
              channelId: channel,
              userId: approver,
              messageTs: fleet.parentTs,
              actionId: "bm_approve",
              value: fleet.id,
              responseUrl: stack.slack?.newResponseUrl(channel, approver) ?? "",
            }),
          );
          if (clicked.statusCode !== 200) throw new Error(`approve answered ${clicked.statusCode}`);
          approvedMs = performance.now() - started;
        }
      }
      const shown = fleet && isTerminal(fleet.state) && (fleet.noticedSeq ?? 0) >= fleet.seq;
      if (shown || performance.now() - started > LIMIT_MS) break;
      await sleep(250);
    }
    const finalMs = performance.now() - started;

    const ecl = stack.ecl?.requests.slice(eclBefore) ?? [];
    const accepted = ecl.filter(
      (r) => r.route === "action" && (r.status ?? 0) >= 200 && (r.status ?? 0) < 300,
    );
    const postsPer = new Map<string, number>();
    for (const post of accepted) {
      const server = /servers\/([^/]+)\/action/.exec(post.path)?.[1] ?? "?";
      postsPer.set(server, (postsPer.get(server) ?? 0) + 1);
    }
    const wanted = new Set(targets);
    const lastAccepted = Math.max(...accepted.map((r) => r.at));
    const routes: Record<string, number> = {};
    for (const r of ecl) routes[r.route] = (routes[r.route] ?? 0) + 1;
    const slackCalls = stack.slack?.calls.slice(slackBefore) ?? [];
    const byMethod: Record<string, number> = {};
    for (const call of slackCalls) byMethod[call.method] = (byMethod[call.method] ?? 0) + 1;
    return {
      channel,
      approval: approver !== undefined,
      fleetState: fleet?.state,
      fleetOutcome: fleet?.outcome,
      answerMs: round(answerMs),
      ...(approvedMs === undefined ? {} : { approvedAfterMs: round(approvedMs) }),
      lastDetachAcceptedMs: round(lastAccepted - startedAt),
      cardFinalMs: round(finalMs),
      slackCalls: slackCalls.length,
      slackCallsByMethod: byMethod,
      slackRefused: slackCalls.filter((c) => c.error).length,
      eclRequests: ecl.length,
      eclRequestsByRoute: routes,
      detachPostsAccepted: accepted.length,
      serversWithOnePost: [...wanted].filter((s) => postsPer.get(s as string) === 1).length,
      postsToOthers: [...postsPer.keys()].filter((s) => !wanted.has(s)).length,
      duplicatePosts: [...postsPer.values()].filter((n) => n > 1).length,
    };
  } finally {
    await stack.close();
  }
}

/** One channel's run in a child process of its own (a stack each, nothing left of the other's). */
function child(only: "incident" | "approval"): Promise<Awaited<ReturnType<typeof run>>> {
  return new Promise((resolvePromise, reject) =>
    execFile(
      join(ROOT, "node_modules/.bin/tsx"),
      [join(ROOT, "bench/fleet-detach.ts")],
      {
        env: { ...process.env, BENCH_FLEET_DETACH_ONLY: only, NODE_NO_WARNINGS: "1" },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout) => {
        const last = stdout.trim().split("\n").at(-1) ?? "";
        if (error) return reject(new Error(`fleet-detach ${only}: ${last || error.message}`));
        resolvePromise(JSON.parse(last));
      },
    ),
  );
}

const only = process.env.BENCH_FLEET_DETACH_ONLY;
if (only === "incident" || only === "approval") {
  const one =
    only === "incident"
      ? await run("C0INCIDENT", undefined)
      : await run("C0CHANGES", "U0APPROVER2");
  process.stdout.write(`${JSON.stringify(one)}\n`);
  process.exit(0);
}
const runs = [await child("incident"), await child("approval")];
const result = {
  at: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  servers: SERVERS,
  serversWithout: OTHERS,
  taskMs: TASK_MS,
  runs,
  targets: {
    slackCallsUnder30: runs.every((r) => r.slackCalls < 30),
    exactlyOnePostPerTarget: runs.every(
      (r) => r.serversWithOnePost === SERVERS && r.detachPostsAccepted === SERVERS,
    ),
    noPostToOthers: runs.every((r) => r.postsToOthers === 0),
    everyFleetDone: runs.every((r) => r.fleetState === "done"),
  },
};
await mkdir(join(ROOT, "bench/results"), { recursive: true });
await writeFile(
  join(ROOT, "bench/results/fleet-detach.json"),
  `${JSON.stringify(result, null, 2)}\n`,
);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
