import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { drain, operation, slash, testStack, thread } from "../support/stack-harness";

/**
 * The follow-up handler, invoked as EventBridge would, against operations left detaching. ECL's
 * detach is held (the simulator's `hold`) until a test releases it, so what a round sees never
 * depends on how fast the machine is.
 */
let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack({
    env: { BM_DETACH_TIMEOUT_S: "2" },
  });
});
afterAll(() => stack.close());

const model = () => {
  const m = stack.ecl?.model;
  if (!m) throw new Error("no simulator");
  return m;
};

/** Starts a detach and leaves it in `detaching`, ECL's task held until `release(serverId)`. */
async function detaching(): Promise<{ id: string; serverId: string }> {
  const server = model().addServer(SAMPLE.tenantId, {
    name: `fu-${Math.random().toString(36).slice(2, 8)}`,
    media: [SAMPLE.image],
  });
  model().hold(server.id);
  const answer = await slash(stack, `detach ${server.id} ${SAMPLE.image}`);
  await drain(
    stack,
    async () => (await operation(stack, answer.operationId)).state === "detaching",
  );
  return { id: answer.operationId as string, serverId: server.id };
}

const release = (serverId: string) => model().release(serverId);
const lists = () =>
  stack.ecl?.requests.filter((r) => r.route === "list" && !r.query.has("name")).length ?? 0;
/** Direct reads of one server (the follow-up reads a few servers in flight so: observe.ts). */
const shows = (serverId: string) =>
  stack.ecl?.requests.filter((r) => r.route === "show" && r.path.endsWith(`/${serverId}`)).length ??
  0;
/** One round only: the budget leaves no time for a second. */
const oneRound = () => stack.followup(150);
/** Rounds until `done` holds (a generous ceiling: a slow machine only takes longer). */
const roundsUntil = (done: () => Promise<boolean>, ceilingMs = 15_000) =>
  drain(
    stack,
    async () => {
      await oneRound();
      return done();
    },
    ceilingMs,
  );
const stateOf = async (id: string) => (await operation(stack, id)).state;

describe("the follow-up", () => {
  it("finishes an operation once the server is idle and the image gone, mentioning the requester", async () => {
    const op = await detaching();
    await oneRound();
    expect(await stateOf(op.id)).toBe("detaching");
    release(op.serverId);
    await oneRound();
    const done = await operation(stack, op.id);
    expect(done.state).toBe("done");
    expect(thread(stack, done).replies.at(-1)).toMatch(/^:white_check_mark: <@U0REQUESTER> done: /);
    expect(thread(stack, done).parent).toContain(":white_check_mark: Done");
  });

  it("keeps polling within one invocation while something is watched, and ends when nothing is", async () => {
    const op = await detaching();
    const before = shows(op.serverId);
    const invocation = stack.followup(60_000);
    // Three rounds seen within the one invocation, then ECL finishes.
    await drain(stack, async () => shows(op.serverId) - before >= 3, 15_000);
    expect(await stateOf(op.id)).toBe("detaching");
    release(op.serverId);
    await invocation;
    expect(await stateOf(op.id)).toBe("done");
  }, 30_000);

  it("two follow-ups at once post one done message", async () => {
    const op = await detaching();
    release(op.serverId);
    await Promise.all([oneRound(), oneRound(), oneRound()]);
    const done = await operation(stack, op.id);
    expect(done.state).toBe("done");
    expect(thread(stack, done).replies.filter((r) => r.includes("done:"))).toHaveLength(1);
  });

  it("reads each server in flight once a round, and lists nothing for a few", async () => {
    const ops = await Promise.all([detaching(), detaching(), detaching()]);
    const before = lists();
    const read = ops.map((op) => shows(op.serverId));
    await oneRound();
    expect(lists() - before).toBe(0);
    expect(ops.map((op, i) => shows(op.serverId) - (read[i] as number))).toEqual([1, 1, 1]);
    for (const op of ops) release(op.serverId);
  });

  it("when ECL fails, leaves the operation for the next round, and loses nothing", async () => {
    const op = await detaching();
    release(op.serverId);
    // A round's read fails (a round's read is not retried: the next round is its retry).
    model().inject({ route: "show", server: op.serverId, status: 503, times: 1 });
    await oneRound();
    expect(await stateOf(op.id)).toBe("detaching");
    await oneRound();
    expect(await stateOf(op.id)).toBe("done");
  });

  it("when Slack rate-limits the message, posts it in a later round, once, never before Retry-After", async () => {
    const op = await detaching();
    release(op.serverId);
    stack.slack?.rateLimit("chat.update", 1, 2);
    await oneRound();
    const owed = await operation(stack, op.id);
    expect(owed.state).toBe("done");
    expect(owed.inflight).toBe("notice");
    expect(thread(stack, owed).replies.filter((r) => r.includes("done:"))).toHaveLength(0);
    const updates = () =>
      stack.slack?.callsOf("chat.update").filter((c) => c.args.ts === owed.parentTs) ?? [];
    const limited = updates().find((c) => c.error === "ratelimited");
    expect(limited).toBeDefined();
    await roundsUntil(async () => (await operation(stack, op.id)).inflight === undefined);
    const told = await operation(stack, op.id);
    expect(thread(stack, told).replies.filter((r) => r.includes("done:"))).toHaveLength(1);
    // Slack said to wait 2 s: however many rounds ran meanwhile, none called it sooner.
    const next = updates().find((c) => c !== limited && (c.at ?? 0) >= (limited?.at ?? 0));
    expect((next?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(2000);
  }, 30_000);

  it("times out past BM_DETACH_TIMEOUT_S, and says so in the thread", async () => {
    const op = await detaching(); // never released: ECL's task does not end
    await roundsUntil(async () => (await stateOf(op.id)) === "timed_out");
    const out = await operation(stack, op.id);
    expect(out.state).toBe("timed_out");
    expect(thread(stack, out).replies.at(-1)).toMatch(
      /^:warning: <@U0REQUESTER> `fu-\w+` has not settled: after \d+\.\ds it still shows task_state MEDIA_DETACHING with the image attached\. bm has stopped watching/,
    );
  }, 30_000);

  it("ECL failing every read of the server: timed out at BM_DETACH_TIMEOUT_S all the same, saying so", async () => {
    const op = await detaching();
    release(op.serverId);
    model().inject({ route: "show", server: op.serverId, status: 500, times: 10_000 });
    try {
      await roundsUntil(async () => (await stateOf(op.id)) === "timed_out");
    } finally {
      model().clearFaults();
    }
    const out = await operation(stack, op.id);
    expect(out.outcome).toMatch(
      /^after \d+\.\ds bm could not read the server \(ECL answered 500 \(compute fault\)/,
    );
    expect(thread(stack, out).replies.at(-1)).toMatch(/has not settled: after/);
  }, 30_000);

  it("is started by the worker as soon as ECL accepts a detach (a Lambda Event invoke)", async () => {
    const before = stack.lambda.events.length;
    const op = await detaching();
    const started = stack.lambda.events.slice(before);
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({
      functionName: "bm-local-followup",
      payload: JSON.stringify({ source: "bm.worker" }),
    });
    release(op.serverId);
  });

  it("returns at once when nothing is in flight: one round, no ECL call, no sleeping", async () => {
    // Whatever earlier tests left in flight ends first.
    model().release();
    await roundsUntil(async () => stack.queue?.depth === 0);
    await stack.followup(3000);
    const ecl = stack.ecl?.requests.length ?? 0;
    const started = Date.now();
    await stack.followup(60_000);
    // One that slept would poll for most of its minute; one round takes milliseconds.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(stack.ecl?.requests.length).toBe(ecl);
  }, 30_000);

  it.each([
    ["throttled", { status: 429, type: "TooManyRequestsException" }],
    ["failing", { status: 500, type: "ServiceException" }],
    ["hanging", "hang"],
  ] as const)(
    "a %s start of the follow-up leaves the detach to the schedule, done all the same",
    async (_, fault) => {
      stack.lambda.fail(fault);
      const op = await detaching();
      release(op.serverId);
      await oneRound();
      expect(await stateOf(op.id)).toBe("done");
    },
  );
});
