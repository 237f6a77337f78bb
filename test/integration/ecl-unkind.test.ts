import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
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

/**
 * `/bm detach` through the real handlers against an ECL simulator that is less kind than usual,
 * in each of the ways ECL's documents allow: 409s, servers without media_attachments, slow
 * actions, changes that show late, capped lists, image ids in another case.
 */
let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack({
    taskMs: 300,
    env: {
      BM_IDLE_WAIT_S: "3",
      BM_DETACH_TIMEOUT_S: "5",
      BM_ECL_TIMEOUT_MS: "400",
      BM_ECL_ACTION_TIMEOUT_MS: "1200",
      BM_ECL_GRACE_MS: "4000",
    },
  });
});
afterAll(() => stack.close());
afterEach(() => {
  const model = stack.ecl?.model;
  if (model) model.unkind = {};
  model?.clearFaults();
});

const model = () => {
  const m = stack.ecl?.model;
  if (!m) throw new Error("no simulator");
  return m;
};

/** A fresh server of the sample tenant, with these media. */
function newServer(media: string[] = [SAMPLE.image]) {
  const name = `uk-${Math.random().toString(36).slice(2, 8)}`;
  return model().addServer(SAMPLE.tenantId, { name, media });
}

/** Runs an operation to its end: queue deliveries and follow-up rounds. */
function runToEnd(id: string | undefined) {
  return drain(
    stack,
    async () => {
      await stack.followup(250);
      return settled(stack, id);
    },
    20_000,
  );
}

/** Waits until the operation is in `state`. */
function reach(id: string | undefined, state: string) {
  return drain(stack, async () => (await operation(stack, id)).state === state);
}

/** `/bm detach`, run to its end. */
async function detach(text: string) {
  const answer = await slash(stack, `detach ${text}`);
  await runToEnd(answer.operationId);
  const op = await operation(stack, answer.operationId);
  return { op, seen: thread(stack, op), trail: await auditOf(stack, op.id) };
}

const actionsOn = (id: string) => ECL_ACTIONS(stack).filter((r) => r.path.includes(id));
const showsOf = (id: string) =>
  stack.ecl?.requests.filter((r) => r.route === "show" && r.path.endsWith(id)) ?? [];

describe("1. a 409 on the detach POST is not final", () => {
  it("a task that starts between bm's read and its POST: bm waits for idle, sends again, and the detach is done", async () => {
    model().unkind = { race409Ms: 400 };
    const server = newServer();

    const { op, seen, trail } = await detach(`${server.name} ${SAMPLE.image}`);

    expect(op.state).toBe("done");
    expect(actionsOn(server.id).map((r) => r.status)).toEqual([409, 200]);
    expect(seen.replies[0]).toBe(
      `:hourglass_flowing_sand: ECL answered 409 (task_state not None): a task started on \`${server.name}\` just before the detach reached it, and ECL took nothing. bm waits for the server to be idle and sends the detach again, for up to 3.0s in all.`,
    );
    expect(seen.replies.at(-1)).toMatch(/^:white_check_mark: <@U0REQUESTER> done: image/);
    expect(trail.map((e) => e.action)).toEqual([
      "requested",
      "approved",
      "executing",
      "waiting_for_idle",
      "executing",
      "detaching",
      "done",
    ]);
    expect(trail[3]?.facts).toMatchObject({ eclStatus: 409 });
    expect(model().server(server.id)?.media).toEqual([]);
  });
});

describe("2. a server without media_attachments is unknown, not empty", () => {
  it("sends the detach, says bm cannot tell, and judges completion by task_state alone", async () => {
    model().unkind = { noMedia: true };
    const server = newServer();

    const { op, seen } = await detach(`${server.name} ${SAMPLE.image}`);

    expect(op.state).toBe("done");
    expect(actionsOn(server.id)).toHaveLength(1);
    expect(model().server(server.id)?.media).toEqual([]);
    expect(seen.parent).toContain("media not listed by ECL");
    // Said on the card while ECL works (its update to Detaching), then in the thread's end.
    const cardEdits = (stack.slack?.callsOf("chat.update") ?? [])
      .filter((c) => !c.error && c.args.ts === op.parentTs)
      .map((c) => JSON.stringify(c.args.blocks));
    expect(cardEdits.some((b) => b.includes(":arrows_counterclockwise: Detaching"))).toBe(true);
    expect(
      cardEdits.filter((b) =>
        b.includes(
          "ECL did not list media for this server; bm cannot tell whether the image is attached, so it judges completion by task_state alone.",
        ),
      ),
    ).toHaveLength(1);
    expect(seen.replies).toHaveLength(1);
    expect(seen.replies.at(-1)).toMatch(
      new RegExp(
        `^:white_check_mark: <@U0REQUESTER> done: \`${server.name}\` is idle again after the detach of image \`${SAMPLE.image}\`, \\d+\\.\\ds after bm sent it to ECL\\. ECL did not list media for this server, so bm judged completion by task_state alone and cannot confirm that the image is gone\\.$`,
      ),
    );
  });

  it("an image that is not attached: ECL answers, and the failure says what ECL said", async () => {
    model().unkind = { noMedia: true };
    const server = newServer([]);

    const { op, seen } = await detach(`${server.name} ${SAMPLE.image}`);

    expect(op.state).toBe("failed");
    expect(actionsOn(server.id).map((r) => r.status)).toEqual([404]);
    expect(seen.replies.at(-1)).toMatch(
      new RegExp(
        `the detach failed: ECL answered 404 \\(not found\\): Image ${SAMPLE.image} is not attached to instance ${server.id}\\. \\(request id req-[0-9a-f-]+\\)$`,
      ),
    );
  });

  it("a POST that got no answer, on a server that shows neither a task nor its media: bm says it cannot tell", async () => {
    model().unkind = { noMedia: true };
    const server = newServer();
    model().inject({ route: "action", server: server.id, hang: true });

    const { op, seen } = await detach(`${server.name} ${SAMPLE.image}`);

    expect(op.state).toBe("timed_out");
    expect(actionsOn(server.id)).toHaveLength(1);
    expect(seen.replies.at(-1)).toBe(
      `:warning: <@U0REQUESTER> the outcome of the detach is unknown: ECL did not answer the detach request, and it does not list media for this server, so bm cannot tell whether the image was detached. bm never sends a detach twice: check \`${server.name}\` in the ECL console.`,
    );
  });
});

describe("3. the POST has its own timeout, and an unknown outcome is read again over a grace", () => {
  it("an ECL slower than a read's timeout (not an action's) is answered, not guessed", async () => {
    model().unkind = { slowActionMs: 800 };
    const server = newServer();

    const { op, trail } = await detach(`${server.name} ${SAMPLE.image}`);

    expect(op.state).toBe("done");
    expect(actionsOn(server.id).map((r) => r.status)).toEqual([200]);
    // The answer was read: its request id is kept, and nothing was decided from the server.
    expect(op.detachRequestId).toBe(actionsOn(server.id)[0]?.requestId);
    expect(trail.find((e) => e.action === "detaching")?.facts).toMatchObject({ eclStatus: 200 });
  });

  it("a slow ECL in a channel needing no approval: never shown Approved, done counted from the POST", async () => {
    model().unkind = { slowActionMs: 800 };
    const server = newServer();

    const { op, seen } = await detach(`${server.name} ${SAMPLE.image}`);

    expect(op.state).toBe("done");
    // Every version of the card, as the channel saw it, in order: none says "Approved".
    const versions = (stack.slack?.calls ?? [])
      .filter(
        (c) =>
          (c.method === "chat.postMessage" &&
            !c.args.thread_ts &&
            c.args.channel === op.channelId) ||
          (c.method === "chat.update" && c.args.ts === op.parentTs),
      )
      .map((c) => String(c.args.text))
      .filter((text) => text.includes(op.id));
    expect(versions.map((text) => text.split(": ")[0])).toEqual([
      "Sending the detach to ECL",
      "Detaching",
      "Done",
    ]);
    // ECL acted at once and answered 0.8 s later: the time is counted from the POST, and says so.
    const done = seen.replies.at(-1) ?? "";
    expect(done).toMatch(/, \d+\.\ds after bm sent it to ECL\.$/);
    expect(Number(/(\d+\.\d)s after/.exec(done)?.[1])).toBeGreaterThanOrEqual(0.8);
  });

  it("an answer lost past the action's timeout, with a change that shows late: read again until it shows", async () => {
    // The change shows 1.2 s after the POST's timeout: room for reads that still see nothing,
    // even on a loaded machine, and well inside the grace.
    model().unkind = { slowActionMs: 4500, mediaDelayMs: 2400 };
    const server = newServer();

    const { op, trail } = await detach(`${server.name} ${SAMPLE.image}`);

    expect(op.state).toBe("done");
    expect(actionsOn(server.id)).toHaveLength(1);
    expect(trail.find((e) => e.action === "detaching")?.facts).toMatchObject({
      decidedBy: "server state after an unanswered request",
    });
    // At least one read after the POST still showed nothing, and bm read again.
    expect(showsOf(server.id).length).toBeGreaterThanOrEqual(3);
  });
});

describe("4. a server missing from the list is read directly", () => {
  it("a capped page without servers_links: the follow-up reads the server and finishes", async () => {
    model().unkind = { cappedPageSize: 1 };
    const server = newServer();

    const { op } = await detach(`${server.name} ${SAMPLE.image}`);

    expect(op.state).toBe("done");
    expect(showsOf(server.id).length).toBeGreaterThanOrEqual(2);
  });

  it("a server the list leaves out and that cannot be read for a while: bm reads again next round, then finishes", async () => {
    model().unkind = { cappedPageSize: 1 };
    const server = newServer();
    const answer = await slash(stack, `detach ${server.name} ${SAMPLE.image}`);
    await reach(answer.operationId, "detaching");
    // Two rounds' worth of failed reads (each read is tried three times).
    model().inject({ route: "show", server: server.id, status: 503, times: 6 });
    await runToEnd(answer.operationId);
    expect((await operation(stack, answer.operationId)).state).toBe("done");
    expect(showsOf(server.id).filter((r) => r.status === 503)).toHaveLength(6);
  });

  it("a server deleted while bm watches: 404, said as gone", async () => {
    const server = newServer();
    // ECL's detach task is held, so the detach is still in flight when the server goes, however
    // long bm's Slack pace makes the rounds before it.
    model().hold(server.id);
    model().setBusy(server.id, "MEDIA_DETACHING");
    const answer = await slash(stack, `detach ${server.id} ${SAMPLE.image}`);
    await drain(
      stack,
      async () => (await operation(stack, answer.operationId)).state !== "requested",
    );
    // Busy: bm waits. Idle with a task that never ends, so the detach stays in flight. (The
    // follow-up reads the waiting server and hands the detach back when it is idle.)
    model().setTaskState(server.id, "None");
    await drain(
      stack,
      async () => {
        await stack.followup(250);
        return (await operation(stack, answer.operationId)).state === "detaching";
      },
      30_000,
    );
    model().setBusy(server.id, "MEDIA_DETACHING");
    model().removeServer(server.id);
    await drain(stack, async () => {
      await stack.followup(250);
      return settled(stack, answer.operationId);
    });

    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("failed");
    expect(op.ecl).toMatchObject({ status: 404, meaning: "not found" });
    expect(thread(stack, op).replies.at(-1)).toMatch(
      new RegExp(
        `the detach failed: \`${server.name}\` is gone: ECL answers 404 \\(not found\\) for it, \\d+\\.\\ds after it accepted the detach\\. bm cannot confirm the detach\\.$`,
      ),
    );
  });
});

describe("5. image ids compared without regard to case", () => {
  it("a server listing the image in capitals: detached, and a detach that never ends says the image is still attached", async () => {
    const upper = SAMPLE.image.toUpperCase();
    const done = await detach(`${newServer([upper]).name} ${upper}`);
    expect(done.op.state).toBe("done");

    const stuck = newServer([upper]);
    model().hold(stuck.id); // a detach that never ends
    const answer = await slash(stack, `detach ${stuck.name} ${SAMPLE.image}`);
    await runToEnd(answer.operationId);
    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("timed_out");
    expect(op.outcome).toMatch(/still shows task_state MEDIA_DETACHING with the image attached\.$/);
  });
});

describe("every unkind mode at once", () => {
  it("a detach through Slack still ends as ECL has it: done, said with what bm could not see", async () => {
    model().unkind = {
      cappedPageSize: 1,
      noMedia: true,
      race409Ms: 300,
      mediaDelayMs: 500,
      slowActionMs: 800,
    };
    const server = newServer();

    const { op, seen } = await detach(`${server.name} ${SAMPLE.image}`);

    expect(op.state).toBe("done");
    expect(actionsOn(server.id).map((r) => r.status)).toEqual([409, 200]);
    expect(model().server(server.id)?.media).toEqual([]);
    expect(seen.replies.some((r) => r.includes("ECL answered 409"))).toBe(true);
    expect(seen.replies.at(-1)).toContain("bm judged completion by task_state alone");
  });
});
