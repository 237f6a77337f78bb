import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  auditOf,
  drain,
  ECL_ACTIONS,
  enqueue,
  operation,
  purgeQueue,
  settled,
  slash,
  store,
  testStack,
  thread,
} from "../support/stack-harness";

/**
 * `/bm detach` through the real handlers: the front door, the worker (fed by the SQS stand-in),
 * the follow-up; against dynalite, the ECL simulator, and the Slack and Secrets Manager stand-ins
 * (and again in the `moto` project, against moto's DynamoDB, SQS and Secrets Manager).
 */
let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack({
    taskMs: 300,
    env: {
      BM_IDLE_WAIT_S: "2",
      BM_DETACH_TIMEOUT_S: "30",
      BM_ECL_TIMEOUT_MS: "400",
      BM_ECL_ACTION_TIMEOUT_MS: "800",
    },
  });
});
afterAll(() => stack.close());

let web: { id: string; name: string };
beforeEach(() => {
  // A fresh server per test, with the sample image attached.
  const name = `web-${Math.random().toString(36).slice(2, 8)}`;
  const server = stack.ecl?.model.addServer(SAMPLE.tenantId, { name, media: [SAMPLE.image] });
  web = { id: server?.id ?? "", name };
});

/** Runs an operation to its end: queue deliveries and follow-up rounds. */
async function runToEnd(id: string | undefined): Promise<void> {
  await drain(stack, async () => {
    await stack.followup(250);
    return settled(stack, id);
  });
}

describe("/bm detach, end to end", () => {
  it("detaches, and the channel shows the parent message and the thread a user would see", async () => {
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image} change CHG-1234`, {
      user: "U0ALICE",
    });
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(
      `Looking up \`${web.name}\` in tenant \`sample\`: bm records the request once it knows which server is meant, and tells you here in a moment, for you only.`,
    );
    expect(answer.followUp).toBe(
      `Recorded \`${answer.operationId}\`: detach image \`${SAMPLE.image}\` from \`${web.name}\` (\`${web.id}\`). bm will check the server and post progress in this channel.`,
    );

    await runToEnd(answer.operationId);

    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("done");
    expect(stack.ecl?.model.server(web.id)?.media).toEqual([]);
    const seen = thread(stack, op);
    expect(seen.parent).toContain(`*Media detach* \`${op.id}\` · :white_check_mark: Done`);
    expect(seen.parent).toContain("*Requested by*\n<@U0ALICE>");
    expect(seen.parent).toContain(`*Server*\n\`${web.name}\` (\`${web.id}\`)`);
    expect(seen.parent).toContain(`*Image*\n\`${SAMPLE.image}\``);
    expect(seen.parent).toContain("*Reason*\nchange CHG-1234");
    // ECL's acceptance is said on the card (its request id stays there); the thread says the end.
    expect(seen.parent).toMatch(/ · ECL request id `req-[0-9a-f-]+`/);
    expect(seen.replies).toHaveLength(1);
    expect(seen.replies[0]).toMatch(
      new RegExp(
        `^:white_check_mark: <@U0ALICE> done: image \`${SAMPLE.image}\` is detached from \`${web.name}\` and the server is idle, \\d+\\.\\ds after bm sent it to ECL\\.$`,
      ),
    );
    // Bolt asks none; the worker asks once per container, for the workspace's URL, and builds
    // each card's permalink from it (lib/slack/chat.ts).
    expect(stack.slack?.callsOf("auth.test")).toHaveLength(1);
    expect(stack.slack?.callsOf("chat.getPermalink")).toEqual([]);

    const events = await auditOf(stack, op.id);
    expect(events.map((e) => [e.seq, e.action])).toEqual([
      [1, "requested"],
      [2, "approved"],
      [3, "executing"],
      [4, "detaching"],
      [5, "done"],
    ]);
    expect(events[0]?.actor).toEqual({ teamId: "T0001", userId: "U0ALICE" });
    expect(events[3]?.facts).toMatchObject({
      eclStatus: 200,
      requestId: op.detachRequestId,
      permalink: op.permalink,
    });
    expect(op.permalink).toMatch(/^https:\/\/local\.slack\.test\/archives\/C0INCIDENT\/p\d+$/);
  });

  it("a server given by its id, the image not attached: nothing to do, saying what is", async () => {
    // By name, a lookup answers this privately (choices.test.ts); by id the request is recorded
    // at once, and the worker finds the image missing, as it would one detached meanwhile.
    const answer = await slash(stack, `detach ${web.id} ${SAMPLE.otherImage}`);
    await runToEnd(answer.operationId);
    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("noop");
    expect(thread(stack, op).replies).toEqual([
      `:information_source: <@U0REQUESTER> nothing to do: image \`${SAMPLE.otherImage}\` is not attached to \`${web.name}\` (attached: \`${SAMPLE.image}\`); nothing was sent to ECL.`,
    ]);
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(web.id))).toEqual([]);
  });

  it("waits while the server is busy, then detaches once it is idle", async () => {
    stack.ecl?.model.setBusy(web.id, "REBOOTING");
    const answer = await slash(stack, `detach ${web.id} ${SAMPLE.image}`);
    await drain(
      stack,
      async () => (await operation(stack, answer.operationId)).state === "waiting_for_idle",
    );
    stack.ecl?.model.setTaskState(web.id, "None"); // the other task ends
    await runToEnd(answer.operationId);
    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("done");
    const replies = thread(stack, op).replies;
    expect(replies[0]).toMatch(
      /^:hourglass_flowing_sand: `web-\w+` is busy \(task_state REBOOTING\)\. .* for up to 2\.0s\.$/,
    );
    expect(replies.at(-1)).toMatch(/done: image/);
    expect((await auditOf(stack, op.id)).map((e) => e.action)).toEqual([
      "requested",
      "approved",
      "waiting_for_idle",
      "executing",
      "detaching",
      "done",
    ]);
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(web.id))).toHaveLength(1);
  });

  it("gives up when the server never becomes idle, without sending anything", async () => {
    stack.ecl?.model.setBusy(web.id, "REBOOTING");
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await runToEnd(answer.operationId);
    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("failed");
    expect(thread(stack, op).replies.at(-1)).toMatch(
      /stayed busy \(task_state REBOOTING\) for \d+\.\ds; nothing was sent to ECL\. Try again later\./,
    );
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(web.id))).toEqual([]);
  });
});

describe("ECL refusing the detach", () => {
  it.each([
    [400, "invalid parameter"],
    [403, "tenant not available"],
    [404, "not found"],
    [405, "bad URL or method"],
    [415, "bad media type"],
    [500, "compute fault"],
  ])(
    "%i: failed, with the seed's meaning and ECL's message in the thread, sent once",
    async (status, meaning) => {
      stack.ecl?.model.inject({ route: "action", server: web.id, status });
      const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
      await runToEnd(answer.operationId);

      const op = await operation(stack, answer.operationId);
      expect(op.state).toBe("failed");
      expect(op.ecl).toMatchObject({ status, meaning });
      const seen = thread(stack, op);
      expect(seen.parent).toContain(":x: Failed");
      expect(seen.replies.at(-1)).toMatch(
        new RegExp(
          `the detach failed: ECL answered ${status} \\(${meaning}\\): .+ \\(request id req-[0-9a-f-]+\\)$`,
        ),
      );
      // Broadcast: the channel sees the failure without opening the thread, once.
      const inChannel = stack.slack
        ?.history(op.channelId)
        .filter((m) => m.threadTs === op.parentTs && m.broadcast);
      expect(inChannel?.map((m) => m.text)).toEqual([seen.replies.at(-1)]);
      expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(web.id))).toHaveLength(1);
      const failed = (await auditOf(stack, op.id)).at(-1);
      expect(failed).toMatchObject({
        action: "failed",
        facts: { eclStatus: status, requestId: op.ecl?.requestId },
      });
    },
  );

  it("409 again and again from a server that reads idle: sent again each time, then failed at the idle wait's end, saying so", async () => {
    stack.ecl?.model.inject({ route: "action", server: web.id, status: 409, times: 1000 });
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await runToEnd(answer.operationId);

    const op = await operation(stack, answer.operationId);
    stack.ecl?.model.clearFaults();
    expect(op.state).toBe("failed");
    const posts = ECL_ACTIONS(stack).filter((r) => r.path.includes(web.id));
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(posts.every((r) => r.status === 409)).toBe(true);
    expect(op.ecl).toMatchObject({ status: 409, meaning: "task_state not None" });
    const seen = thread(stack, op);
    expect(seen.replies[0]).toMatch(
      /^:hourglass_flowing_sand: ECL answered 409 \(task_state not None\)/,
    );
    expect(seen.replies.at(-1)).toMatch(
      new RegExp(
        `the detach failed: ECL refused the detach ${posts.length === 2 ? "twice" : `${posts.length} times`}, answering 409 \\(task_state not None\\), over \\d+\\.\\ds and accepted nothing\\. Try again later\\.$`,
      ),
    );
    expect(seen.replies.filter((r) => r.includes("ECL answered 409"))).toHaveLength(1);
    const trail = await auditOf(stack, op.id);
    expect(trail.filter((e) => e.action === "waiting_for_idle")).toHaveLength(posts.length - 1);
  });

  it("401 twice: the token is renewed once, then the 401 is final", async () => {
    stack.ecl?.model.inject({ route: "action", server: web.id, status: 401, times: 2 });
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await runToEnd(answer.operationId);
    const op = await operation(stack, answer.operationId);
    expect(op).toMatchObject({ state: "failed", ecl: { status: 401, meaning: "unauthorized" } });
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(web.id))).toHaveLength(2);
  });
});

describe("exactly one POST", () => {
  it("a duplicate SQS delivery of prepare sends one detach", async () => {
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await enqueue(stack, JSON.stringify({ kind: "prepare", operationId: answer.operationId }));
    await enqueue(stack, JSON.stringify({ kind: "execute", operationId: answer.operationId }));
    await runToEnd(answer.operationId);
    expect((await operation(stack, answer.operationId)).state).toBe("done");
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(web.id))).toHaveLength(1);
    expect(thread(stack, await operation(stack, answer.operationId)).replies).toHaveLength(1);
  });

  it("a POST that took effect but whose answer was lost is read off the server, never resent", async () => {
    stack.ecl?.model.inject({ route: "action", server: web.id, hangAfterApply: true });
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await runToEnd(answer.operationId);
    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("done");
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(web.id))).toHaveLength(1);
    const detaching = (await auditOf(stack, op.id)).find((e) => e.action === "detaching");
    expect(detaching?.facts).toMatchObject({
      decidedBy: "server state after an unanswered request",
    });
  });

  it("a crash after `executing` was recorded, before the POST: no POST, and a plain failure", async () => {
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    // Prepare runs, then the process "crashes": the operation is left in executing, no POST sent.
    const before = await operation(stack, answer.operationId);
    const executing = {
      ...before,
      state: "executing" as const,
      serverId: web.id,
      serverName: web.name,
    };
    await store(stack).save(before, executing);
    await purgeQueue(stack);
    await enqueue(stack, JSON.stringify({ kind: "execute", operationId: answer.operationId }));

    await runToEnd(answer.operationId);

    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("failed");
    expect(op.outcome).toMatch(
      /^ECL did not answer the detach request, and the server shows no sign of it\. bm never sends a detach twice/,
    );
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(web.id))).toEqual([]);
  });
});

describe("Slack rate limits", () => {
  it("a 429 on the parent message holds back neither the detach nor the card, and doubles nothing", async () => {
    stack.slack?.rateLimit("chat.postMessage", 1, 1);
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await runToEnd(answer.operationId);
    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("done");
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(op.serverId ?? "?"))).toHaveLength(1);
    expect(stack.slack?.history("C0INCIDENT").filter((m) => m.text.includes(op.id))).toHaveLength(
      1,
    );
    // Slack asked for a second's pause; the detach finished inside it, so the card and thread
    // show where it ended (the notice of each step on the way is issue 9's).
    const replies = thread(stack, op).replies;
    expect(replies.filter((r) => r.includes("done:"))).toHaveLength(1);
    expect(new Set(replies).size).toBe(replies.length);
  });
});
