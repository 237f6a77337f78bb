/**
 * Lambda's and SQS's own rules, as the local stack keeps them (recursive loop detection, timeouts,
 * visibility), and bm living by them: a busy server waited for without a chain Lambda would cut,
 * a batch that never outruns the worker's timeout, a POST ECL refused untried sent again.
 */
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { documentClient } from "../../lib/aws/dynamo/documents";
import { DynamoLease } from "../../lib/aws/dynamo/lease";
import { SAMPLE } from "../../local/stack";
import type { LocalStack } from "../../local/stack/index";
import { eventSourceMapping } from "../../local/stack/runner";
import { CHAIN_LIMIT } from "../../local/stand-ins/lineage";
import {
  auditOf,
  drain,
  ECL_ACTIONS,
  operation,
  settled,
  slash,
  testStack,
  thread,
} from "../support/stack-harness";

let stack: LocalStack;
const logs: string[] = [];

beforeAll(async () => {
  stack = await testStack({
    taskMs: 300,
    workerTimeoutMs: 2500,
    log: (line) => void logs.push(line),
    env: {
      // A wait long enough to outlast many polls (100 ms each here).
      BM_IDLE_WAIT_S: "600",
      BM_DETACH_TIMEOUT_S: "30",
      BM_ECL_TIMEOUT_MS: "400",
      BM_ECL_ACTION_TIMEOUT_MS: "800",
    },
  });
});
afterAll(() => stack.close());

let web: { id: string; name: string };
beforeEach(() => {
  const name = `web-${Math.random().toString(36).slice(2, 8)}`;
  const server = stack.ecl?.model.addServer(SAMPLE.tenantId, { name, media: [SAMPLE.image] });
  web = { id: server?.id ?? "", name };
});

async function runToEnd(id: string | undefined, timeoutMs = 20_000): Promise<void> {
  await drain(
    stack,
    async () => {
      await stack.followup(250);
      return settled(stack, id);
    },
    timeoutMs,
  );
}
const postsTo = (server: string) => ECL_ACTIONS(stack).filter((r) => r.path.includes(server));

describe("the stand-ins keep Lambda's rules", () => {
  it(`a function that re-queues its own message is stopped past ${CHAIN_LIMIT} in one chain, counted, its message a dead letter`, async () => {
    const queueUrl = stack.env.BM_QUEUE_URL as string;
    const sqs = new SQSClient({});
    let runs = 0;
    // The pattern bm had: the worker sending its own message back to its own queue.
    const echo = eventSourceMapping(
      queueUrl,
      async (event): Promise<SQSBatchResponse> => {
        runs++;
        for (const record of event.Records)
          await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: record.body }));
        return { batchItemFailures: [] };
      },
      { lineage: stack.lineage, log: () => {}, deadLetter: (h) => stack.queue?.deadLetter(h) },
    );
    const dropped = stack.lineage.droppedOf("bm-worker");
    const deadBefore = stack.queue?.deadLetters.length ?? 0;
    // Sent from outside any function: a new chain.
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "echo" }));
    for (let i = 0; i < 40 && (stack.queue?.depth ?? 0) > 0; i++) await echo();
    expect(runs).toBe(CHAIN_LIMIT);
    expect(stack.lineage.droppedOf("bm-worker") - dropped).toBe(1);
    expect(stack.queue?.deadLetters.slice(deadBefore).map((m) => m.body)).toEqual(["echo"]);
    expect(stack.queue?.depth).toBe(0);
    sqs.destroy();
  });

  it("an invocation past the worker's timeout is killed: its answer ignored, its batch hidden for the visibility timeout", async () => {
    const queueUrl = stack.env.BM_QUEUE_URL as string;
    let answered = 0;
    const slow = eventSourceMapping(
      queueUrl,
      async (): Promise<SQSBatchResponse> => {
        await new Promise((r) => setTimeout(r, 400));
        answered++;
        return { batchItemFailures: [] };
      },
      { lineage: stack.lineage, log: () => {}, timeoutMs: 200 },
    );
    stack.queue?.send("slow");
    await slow();
    expect(slow.figures).toEqual({ invocations: 1, timedOut: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(1);
    // Not deleted although the function answered "all done" (too late): hidden 360 s (× 0.05).
    const left = stack.queue?.messages.find((m) => m.body === "slow");
    expect(left?.receiveCount).toBe(1);
    expect((left?.visibleAt ?? 0) - Date.now()).toBeGreaterThan(15_000);
    stack.queue?.messages.splice(stack.queue.messages.indexOf(left as never), 1);
  });
});

describe("bm by Lambda's rules", () => {
  it("a server busy for 120 polls (10 minutes at the deployed 5 s poll): no chain deeper than a few hops, done once idle", async () => {
    // 120 polls of 100 ms; the idle wait (600 s) outlasts it.
    stack.ecl?.model.setBusy(web.id, "REBOOTING", 12_000);
    const dropped = stack.lineage.droppedOf();
    stack.lineage.deepest = 0;
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await runToEnd(answer.operationId, 40_000);

    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("done");
    expect(postsTo(web.id)).toHaveLength(1);
    expect(stack.lineage.droppedOf() - dropped).toBe(0);
    // Front door, lookup, prepare and execute; then the follow-up's hand-back and the execute.
    expect(stack.lineage.deepest).toBeLessThanOrEqual(4);
    const trail = (await auditOf(stack, op.id)).map((e) => e.action);
    expect(trail.filter((a) => a === "waiting_for_idle")).toHaveLength(1);
    expect(thread(stack, op).replies.filter((r) => r.includes("is busy"))).toHaveLength(1);
  }, 60_000);

  it.each([
    [
      429,
      { "retry-after": "1" },
      /ECL answered 429 \(too many requests\) and took nothing\. bm waits the 1 s it asked for and sends the detach again/,
    ],
    [
      503,
      {},
      /ECL answered 503 \(service unavailable\) and took nothing\. bm waits a moment and sends the detach again/,
    ],
  ])(
    "a POST answered %i: waited out, sent again, accepted once, said once",
    async (status, headers, said) => {
      stack.ecl?.model.inject({ route: "action", server: web.id, status, headers, times: 2 });
      const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
      await runToEnd(answer.operationId);
      const op = await operation(stack, answer.operationId);
      expect(op).toMatchObject({ state: "done", busyRefusals: 2, refusedWith: [status] });
      const posts = postsTo(web.id);
      expect(posts.map((p) => p.status)).toEqual([status, status, 200]);
      if (status === 429) {
        // Not sent again before the Retry-After had passed.
        expect(posts[1]?.at ?? 0).toBeGreaterThanOrEqual((posts[0]?.at ?? 0) + 1000);
      }
      const replies = thread(stack, op).replies;
      expect(replies.filter((r) => said.test(r))).toHaveLength(1);
      expect(replies.filter((r) => r.includes("took nothing"))).toHaveLength(1);
      expect(replies.at(-1)).toMatch(/done:/);
    },
  );

  it("a batch of slow detaches never outruns the worker's timeout: what cannot finish goes back at once", async () => {
    const servers = Array.from({ length: 5 }, (_, i) => {
      const name = `slow-${i}-${Math.random().toString(36).slice(2, 6)}`;
      const id = stack.ecl?.model.addServer(SAMPLE.tenantId, { name, media: [SAMPLE.image] }).id;
      // ECL takes each detach and never answers: the POST's 800 ms timeout, then a read.
      stack.ecl?.model.inject({ route: "action", server: id ?? "", hangAfterApply: true });
      return { id: id ?? "", name };
    });
    const before = { ...stack.worker };
    const changes = stack.queue?.visibilityChanges.length ?? 0;
    const answers = [];
    for (const server of servers)
      answers.push(await slash(stack, `detach ${server.name} ${SAMPLE.image}`));
    for (const answer of answers) await runToEnd(answer.operationId, 30_000);

    for (const answer of answers)
      expect((await operation(stack, answer.operationId)).state).toBe("done");
    for (const server of servers) expect(postsTo(server.id)).toHaveLength(1);
    // 2.5 s for the worker, 2 s a message at most: never killed.
    expect(stack.worker.timedOut - before.timedOut).toBe(0);
    const shortened = stack.queue?.visibilityChanges.slice(changes) ?? [];
    // Some did not fit in a batch: back to the queue at once, not after six minutes.
    expect(shortened.length).toBeGreaterThan(0);
    expect(shortened.every((c) => c.visibilityTimeoutS === 0)).toBe(true);
  }, 60_000);
});

describe("one follow-up at a time, without reserved concurrency", () => {
  it("the lease in the operations table: one holder, taken over when it lapses, let go of by its holder only", async () => {
    const lease = new DynamoLease(documentClient(stack.dynamo), stack.env.BM_TABLE as string);
    const now = Date.now();
    expect(await lease.take("a", now + 1000, now)).toBe(true);
    expect(await lease.take("b", now + 1000, now)).toBe(false);
    expect(await lease.take("a", now + 2000, now)).toBe(true);
    // Lapsed: past its `until`, whoever holds it.
    expect(await lease.take("b", now + 5000, now + 2001)).toBe(true);
    await lease.release("a");
    expect(await lease.take("c", now + 5000, now + 2002)).toBe(false);
    await lease.release("b");
    expect(await lease.take("c", now + 5000, now + 2002)).toBe(true);
    await lease.release("c");
  });

  it("two follow-ups at once: one polls, the other waits; one done message", async () => {
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await drain(
      stack,
      async () => (await operation(stack, answer.operationId)).state === "detaching",
    );
    await new Promise((r) => setTimeout(r, 400));
    const lists = () => stack.ecl?.requests.filter((r) => r.route === "list").length ?? 0;
    const before = lists();
    await Promise.all([stack.followup(1500), stack.followup(1500)]);
    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("done");
    expect(thread(stack, op).replies.filter((r) => r.includes("done:"))).toHaveLength(1);
    // One poller's rounds: had both polled, each round would have listed twice.
    expect(lists() - before).toBeLessThanOrEqual(2);
  });
});
