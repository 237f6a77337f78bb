/**
 * Two requests on one image of one server (defect 6), and Slack down while a detach is due
 * (defect 5): the detach is sent once, and never waits for Slack.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { drain, ECL_ACTIONS, operation, slash, store, thread } from "../support/stack-harness";
import { assertInvariants, settle } from "./invariants";
import { useFaultStack } from "./matrix";

const fixture = useFaultStack({ taskMs: 300 });
let stack: LocalStack;
let web: { id: string; name: string };
beforeEach(() => {
  stack = fixture.stack();
  web = fixture.server();
});

const posts = () => ECL_ACTIONS(stack).filter((r) => r.path.includes(web.id));

describe("two requests on one image of one server (defect 6)", () => {
  it("are worked on together, and the detach is sent once; the second names the first", async () => {
    // ECL's detach is held until both requests are prepared: however slow the machine, the
    // second meets the first still detaching.
    stack.ecl?.model.hold(web.id);
    const [first, second] = await Promise.all([
      slash(stack, `detach ${web.name} ${SAMPLE.image} first`, { user: "U0ALICE" }),
      slash(stack, `detach ${web.id} ${SAMPLE.image} second`, { user: "U0BOB" }),
    ]);
    const states = async () =>
      (await Promise.all([first, second].map((a) => operation(stack, a.operationId)))).map(
        (o) => o.state,
      );
    await drain(stack, async () => {
      const [a, b] = await states();
      return (a === "noop" && b === "detaching") || (a === "detaching" && b === "noop");
    });
    stack.ecl?.model.release(web.id);
    await settle(stack, first.operationId ?? "");
    await settle(stack, second.operationId ?? "");
    expect(posts()).toHaveLength(1);
    const ops = await Promise.all([first, second].map((a) => operation(stack, a.operationId)));
    const winner = ops.find((o) => o.state === "done");
    const loser = ops.find((o) => o.state === "noop");
    expect(winner && loser).toBeTruthy();
    expect(loser?.outcome).toBe(
      `another request, ${winner?.id}, is already detaching this image from \`${web.name}\` (its thread: ${winner?.permalink}); nothing was sent to ECL.`,
    );
    await assertInvariants(stack, winner?.id ?? "", "done");
    await assertInvariants(stack, loser?.id ?? "", "noop");
  });

  it("the lock ends with its operation: the next request on the same image goes on", async () => {
    const first = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await settle(stack, first.operationId ?? "");
    stack.ecl?.model.server(web.id)?.media.push(SAMPLE.image);
    const from = ECL_ACTIONS(stack).length;
    const again = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await settle(stack, again.operationId ?? "");
    await assertInvariants(stack, again.operationId ?? "", "done", from);
    expect(posts()).toHaveLength(2);
  });

  it("a lock its holder never let go of is taken over once the holder has ended", async () => {
    const first = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await settle(stack, first.operationId ?? "");
    // As if the release had failed: the lock is back, held by an operation that ended.
    const done = await operation(stack, first.operationId);
    expect(await store(stack).lock(done.lockKey ?? "", done.id)).toEqual({ held: true });
    stack.ecl?.model.server(web.id)?.media.push(SAMPLE.image);
    const from = ECL_ACTIONS(stack).length;
    const again = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await settle(stack, again.operationId ?? "");
    await assertInvariants(stack, again.operationId ?? "", "done", from);
  });
});

describe("Slack down while the detach is due (defect 5)", () => {
  it("the detach is sent at once; the card follows when Slack is back, once", async () => {
    stack.slack?.serverError("chat.postMessage", 4);
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await drain(stack, async () => posts().length === 1, 5000);
    const op = await operation(stack, answer.operationId);
    expect(op.parentTs).toBeUndefined();
    await settle(stack, op.id);
    await assertInvariants(stack, op.id, "done");
    expect(thread(stack, await operation(stack, op.id)).replies.at(-1)).toMatch(/done:/);
  });
});
