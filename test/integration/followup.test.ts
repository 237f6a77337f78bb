import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { drain, operation, slash, testStack, thread } from "../support/stack-harness";

/** The follow-up handler, invoked as EventBridge would, against operations left detaching. */
let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack({ taskMs: 200, env: { BM_DETACH_TIMEOUT_S: "2" } });
});
afterAll(() => stack.close());

/** Starts a detach and leaves it in `detaching`, with ECL still busy for `busyMs`. */
async function detaching(busyMs = 200): Promise<{ id: string; serverId: string }> {
  const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
    name: `fu-${Math.random().toString(36).slice(2, 8)}`,
    media: [SAMPLE.image],
  });
  const answer = await slash(stack, `detach ${server?.id} ${SAMPLE.image}`);
  await drain(
    stack,
    async () => (await operation(stack, answer.operationId)).state === "detaching",
  );
  if (busyMs !== 200) stack.ecl?.model.setBusy(server?.id as string, "MEDIA_DETACHING", busyMs);
  return { id: answer.operationId as string, serverId: server?.id as string };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lists = () =>
  stack.ecl?.requests.filter((r) => r.route === "list" && !r.query.has("name")).length ?? 0;
/** One round only: the budget leaves no time for a second. */
const oneRound = () => stack.followup(150);

describe("the follow-up", () => {
  it("finishes an operation once the server is idle and the image gone, mentioning the requester", async () => {
    const op = await detaching();
    await oneRound();
    expect((await operation(stack, op.id)).state).toBe("detaching");
    await wait(250);
    await oneRound();
    const done = await operation(stack, op.id);
    expect(done.state).toBe("done");
    expect(thread(stack, done).replies.at(-1)).toMatch(/^:white_check_mark: <@U0REQUESTER> done: /);
    expect(thread(stack, done).parent).toContain(":white_check_mark: Done");
  });

  it("keeps polling within one invocation until its time is nearly up", async () => {
    const op = await detaching();
    const before = lists();
    await stack.followup(900);
    expect((await operation(stack, op.id)).state).toBe("done");
    expect(lists() - before).toBeGreaterThanOrEqual(3);
  });

  it("two follow-ups at once post one done message", async () => {
    const op = await detaching();
    await wait(250);
    await Promise.all([oneRound(), oneRound(), oneRound()]);
    const done = await operation(stack, op.id);
    expect(done.state).toBe("done");
    expect(thread(stack, done).replies.filter((r) => r.includes("done:"))).toHaveLength(1);
  });

  it("asks ECL once per tenant per round, however many operations are in flight", async () => {
    await Promise.all([detaching(5000), detaching(5000), detaching(5000)]);
    const before = lists();
    await oneRound();
    expect(lists() - before).toBe(1);
  });

  it("when ECL fails, leaves the operation for the next round, and loses nothing", async () => {
    const op = await detaching();
    await wait(250);
    stack.ecl?.model.inject({ route: "list", status: 503, times: 3 });
    await oneRound();
    expect((await operation(stack, op.id)).state).toBe("detaching");
    await oneRound();
    expect((await operation(stack, op.id)).state).toBe("done");
  });

  it("when Slack rate-limits the message, posts it in a later round, once", async () => {
    const op = await detaching();
    await wait(250);
    stack.slack?.rateLimit("chat.update", 1, 1);
    await oneRound();
    const owed = await operation(stack, op.id);
    expect(owed.state).toBe("done");
    expect(owed.inflight).toBe("notice");
    expect(thread(stack, owed).replies.filter((r) => r.includes("done:"))).toHaveLength(0);
    // Slack said to wait a second: a round before then does not try.
    await oneRound();
    expect((await operation(stack, op.id)).inflight).toBe("notice");
    await wait(1000);
    await oneRound();
    const told = await operation(stack, op.id);
    expect(told.inflight).toBeUndefined();
    expect(thread(stack, told).replies.filter((r) => r.includes("done:"))).toHaveLength(1);
  });

  it("times out past BM_DETACH_TIMEOUT_S, and says so in the thread", async () => {
    const op = await detaching(60_000);
    await wait(2100);
    await oneRound();
    const out = await operation(stack, op.id);
    expect(out.state).toBe("timed_out");
    expect(thread(stack, out).replies.at(-1)).toMatch(
      /^:warning: <@U0REQUESTER> `fu-\w+` has not settled: after \d+\.\ds it still shows task_state MEDIA_DETACHING with the image attached\. bm has stopped watching/,
    );
  });

  it("is started by the worker as soon as ECL accepts a detach (a Lambda Event invoke)", async () => {
    const before = stack.lambda.events.length;
    await detaching();
    const started = stack.lambda.events.slice(before);
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({
      functionName: "bm-local-followup",
      payload: JSON.stringify({ source: "bm.worker" }),
    });
  });

  it("returns at once when nothing is in flight: one round, no ECL call, no sleeping", async () => {
    // Whatever earlier tests left in flight ends first.
    await stack.followup(3000);
    const ecl = stack.ecl?.requests.length ?? 0;
    const started = Date.now();
    await stack.followup(60_000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(stack.ecl?.requests.length).toBe(ecl);
  });

  it.each([
    ["throttled", { status: 429, type: "TooManyRequestsException" }],
    ["failing", { status: 500, type: "ServiceException" }],
    ["hanging", "hang"],
  ] as const)(
    "a %s start of the follow-up leaves the detach to the schedule, done all the same",
    async (_, fault) => {
      stack.lambda.fail(fault);
      const op = await detaching();
      await wait(250);
      await oneRound();
      expect((await operation(stack, op.id)).state).toBe("done");
    },
  );
});
