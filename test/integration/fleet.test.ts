/**
 * The fleet request, `/bm detach --all IMAGE-ID [--match PREFIX]`, through the real handlers:
 * one command, one card, one approval at most, and each target detached exactly once as an
 * operation of its own, at a bounded pace, its progress on the card, coalesced.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Operation } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { CHAIN_LIMIT } from "../../local/stand-ins/lineage";
import {
  auditOf,
  buttonsOf,
  click,
  drain,
  ECL_ACTIONS,
  operation,
  settled,
  slash,
  testStack,
  thread,
} from "../support/stack-harness";

let stack: LocalStack;
beforeAll(async () => {
  stack = await testStack({ taskMs: 100 });
});
afterAll(() => stack.close());

/** `n` fresh servers named `<prefix>NN`, each with `media`. */
function servers(prefix: string, n: number, media: string[] = [SAMPLE.image]): string[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `${prefix}${String(i + 1).padStart(2, "0")}`;
    return stack.ecl?.model.addServer(SAMPLE.tenantId, { name, media })?.id as string;
  });
}

/** A fresh prefix, so that each test's fleet names only its own servers. */
const fresh = (what: string) => `${what}-${Math.random().toString(36).slice(2, 7)}-`;

/** Runs the queue and the follow-up until the fleet has ended and said so. */
async function finish(id: string): Promise<Operation> {
  await drain(
    stack,
    async () => {
      await stack.followup(200);
      return settled(stack, id);
    },
    30_000,
  );
  return operation(stack, id);
}

/** The Web API calls Slack answered since `from`, by method. */
function callsSince(from: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of stack.slack?.calls.slice(from) ?? [])
    if (call.error !== "ratelimited") counts[call.method] = (counts[call.method] ?? 0) + 1;
  return counts;
}

const accepted = (ids: string[]) =>
  ECL_ACTIONS(stack).filter((r) => ids.some((id) => r.path.includes(id)) && r.status === 200);

describe("a fleet in an incident channel (break-glass)", () => {
  it("30 servers: one card, each detached exactly once, the card's final 30 done, few notices", async () => {
    // Prepare: 30 servers with the image, and 3 of the same prefix without it.
    const prefix = fresh("inc");
    const ids = servers(prefix, 30);
    const without = servers(`${prefix}x`, 3, [SAMPLE.otherImage]);
    const from = stack.slack?.calls.length ?? 0;
    stack.lineage.deepest = 0;

    // Act
    const answer = await slash(
      stack,
      `detach --all ${SAMPLE.image} --match ${prefix} INC-7 reboot loop`,
    );
    const fleet = await finish(answer.operationId as string);

    // Assess: every target done, exactly one accepted POST each, none elsewhere.
    expect(fleet.state).toBe("done");
    expect(fleet.outcome).toBe("30 done");
    expect(fleet.fleet?.targets.map((t) => t.serverId).sort()).toEqual([...ids].sort());
    for (const id of ids) expect(accepted([id])).toHaveLength(1);
    expect(ECL_ACTIONS(stack).filter((r) => without.some((id) => r.path.includes(id)))).toEqual([]);
    for (const id of ids) expect(stack.ecl?.model.server(id)?.media).toEqual([]);
    // Each target its own operation, born approved for the fleet, done.
    for (const target of fleet.fleet?.targets ?? []) {
      const op = await operation(stack, target.opId);
      expect([op.state, op.parentId, op.parentTs]).toEqual(["done", fleet.id, undefined]);
    }
    const first = await auditOf(stack, fleet.fleet?.targets[0]?.opId as string);
    expect(first.slice(0, 2).map((e) => [e.action, e.actor.userId, e.facts.fleet])).toEqual([
      ["requested", "U0REQUESTER", fleet.id],
      ["approved", "bm", fleet.id],
    ]);
    // One card in the channel, its thread short; its end mentions the requester once.
    const seen = thread(stack, fleet);
    expect(seen.parent).toContain(":white_check_mark: Done");
    expect(seen.parent).toContain("30 of 30 done");
    expect(seen.replies.at(-1)).toBe(":white_check_mark: <@U0REQUESTER> done: 30 done.");
    expect(seen.replies.length).toBeLessThanOrEqual(10);
    const posts = stack.slack
      ?.history("C0INCIDENT")
      .filter((m) => (m.text ?? "").includes(prefix) || m.ts === fleet.parentTs);
    expect(posts).toHaveLength(1);
    const calls = callsSince(from);
    const web = Object.values(calls).reduce((a, b) => a + b, 0);
    expect(web).toBeLessThan(30);
    // No chain past Lambda's limit: the releases come from the follow-up's rounds.
    expect(stack.lineage.deepest).toBeLessThan(CHAIN_LIMIT);
    const trail = await auditOf(stack, fleet.id);
    expect(trail.map((e) => e.action)).toEqual(["requested", "approved", "detaching", "done"]);
    expect(trail[1]?.facts.targets).toBe(fleet.fleet?.targets.map((t) => t.serverId).join(" "));
  }, 60_000);

  it("none with the image: noop, said plainly, nothing sent", async () => {
    const prefix = fresh("none");
    servers(prefix, 2, [SAMPLE.otherImage]);
    const before = ECL_ACTIONS(stack).length;
    const answer = await slash(stack, `detach --all ${SAMPLE.image} --match ${prefix}`);
    const fleet = await finish(answer.operationId as string);
    expect(fleet.state).toBe("noop");
    expect(fleet.outcome).toBe(
      `No server whose name starts with \`${prefix}\` of tenant \`${fleet.tenant}\` has image \`${SAMPLE.image}\` attached; nothing was sent to ECL.`,
    );
    expect(ECL_ACTIONS(stack).length).toBe(before);
  });

  it("a busy target, one answering 404, one 409 once: the rest done, each said", async () => {
    const prefix = fresh("mix");
    const ids = servers(prefix, 6);
    const [busy, gone, refusing] = ids as [string, string, string];
    stack.ecl?.model.setBusy(busy, "REBOOTING", 300);
    stack.ecl?.model.inject({ route: "action", server: gone, status: 404 });
    stack.ecl?.model.inject({ route: "action", server: refusing, status: 409 });
    const answer = await slash(stack, `detach --all ${SAMPLE.image} --match ${prefix}`);
    const fleet = await finish(answer.operationId as string);
    expect(fleet.state).toBe("failed");
    expect(fleet.outcome).toMatch(new RegExp(`^5 done; 1 failed: \`${prefix}02\` \\(.*404`));
    expect(accepted([refusing])).toHaveLength(1);
    expect(accepted([busy])).toHaveLength(1);
    expect(thread(stack, fleet).replies.at(-1)).toContain(
      "finished, not all done: 5 done; 1 failed",
    );
  }, 60_000);

  it("a target detached by hand in the middle: noop for it, the rest done", async () => {
    const prefix = fresh("hand");
    const ids = servers(prefix, 3);
    const answer = await slash(stack, `detach --all ${SAMPLE.image} --match ${prefix}`, {
      follow: false,
    });
    // Its list is read, its targets named; then someone detaches the image from the third by hand.
    await stack.deliver();
    const named = await operation(stack, answer.operationId);
    expect(named.fleet?.targets).toHaveLength(3);
    const server = stack.ecl?.model.server(ids[2] as string);
    if (server) server.media = [];
    const fleet = await finish(answer.operationId as string);
    expect(fleet.state).toBe("done");
    expect(fleet.outcome).toMatch(new RegExp(`^2 done; 1 nothing to do: \`${prefix}03\``));
    expect(accepted([ids[2] as string])).toHaveLength(0);
  }, 60_000);
});

describe("cancel the rest", () => {
  it("halfway: what was sent finishes, the rest is never sent, the fleet ends cancelled", async () => {
    // Prepare: 20 targets; ECL holds every media task, so the first 10 (the tenant's bound) stay
    // detaching while the requester cancels the rest.
    const prefix = fresh("cx");
    const ids = servers(prefix, 20);
    stack.ecl?.model.hold();
    const answer = await slash(stack, `detach --all ${SAMPLE.image} --match ${prefix}`);
    await drain(stack, async () => accepted(ids).length === 10);
    await drain(stack);
    const running = await operation(stack, answer.operationId);
    const card = stack.slack?.history("C0INCIDENT").find((m) => m.ts === running.parentTs);
    expect(buttonsOf(card).map((b) => [b.actionId, b.label])).toEqual([
      ["bm_cancel", "Cancel the rest"],
    ]);

    // Act
    const said = await slash(stack, `cancel ${running.id}`);
    stack.ecl?.model.release();
    const fleet = await finish(running.id);

    // Assess
    expect(said.text).toBe(
      `You cancelled the rest of \`${running.id}\`: bm sends no more of its detaches. Those sent already finish, and its card says how it ends.`,
    );
    expect(fleet.state).toBe("cancelled");
    expect(fleet.outcome).toBe("10 done; 10 cancelled");
    expect(accepted(ids)).toHaveLength(10);
    expect(thread(stack, fleet).replies.at(-1)).toBe(
      ":heavy_multiplication_x: <@U0REQUESTER> the rest was cancelled: 10 done; 10 cancelled.",
    );
    const trail = await auditOf(stack, fleet.id);
    expect(trail.map((e) => [e.action, e.actor.userId])).toEqual([
      ["requested", "U0REQUESTER"],
      ["approved", "bm"],
      ["detaching", "bm"],
      ["cancel_rest", "U0REQUESTER"],
      ["cancelled", "bm"],
    ]);
  }, 60_000);
});

describe("a fleet in an approval channel", () => {
  it("no POST before the approval; one click sends all", async () => {
    const prefix = fresh("chg");
    const ids = servers(prefix, 5);
    const answer = await slash(stack, `detach --all ${SAMPLE.image} --match ${prefix} CHG-2`, {
      channel: "C0CHANGES",
    });
    await drain(
      stack,
      async () => (await operation(stack, answer.operationId)).state === "awaiting_approval",
    );
    await drain(stack);
    const waiting = await operation(stack, answer.operationId);
    expect(accepted(ids)).toHaveLength(0);
    const card = stack.slack?.history("C0CHANGES").find((m) => m.ts === waiting.parentTs);
    expect(buttonsOf(card).map((b) => b.actionId)).toEqual([
      "bm_approve",
      "bm_reject",
      "bm_cancel",
    ]);
    expect(thread(stack, waiting).parent).toContain(`5 servers: \`${prefix}01\``);

    await click(stack, waiting, "bm_approve", "U0APPROVER1");
    const fleet = await finish(waiting.id);
    expect(fleet.state).toBe("done");
    for (const id of ids) expect(accepted([id])).toHaveLength(1);
    const target = await auditOf(stack, fleet.fleet?.targets[0]?.opId as string);
    expect(target[1]?.facts).toEqual({ fleet: fleet.id, approvals: "U0APPROVER1" });
  }, 60_000);

  it("a second fleet for the same image while the first waits names the first and sends nothing", async () => {
    const prefix = fresh("two");
    servers(prefix, 2);
    const first = await slash(stack, `detach --all ${SAMPLE.image} --match ${prefix}`, {
      channel: "C0CHANGES",
    });
    await drain(
      stack,
      async () => (await operation(stack, first.operationId)).state === "awaiting_approval",
    );
    const second = await slash(stack, `detach --all ${SAMPLE.image}`, { channel: "C0INCIDENT" });
    const ended = await finish(second.operationId as string);
    expect(ended.state).toBe("noop");
    expect(ended.outcome).toContain(first.operationId as string);
    expect(ended.fleet?.targets).toEqual([]);
    // The first is cancelled, and lets go of the image's fleet lock.
    await click(stack, await operation(stack, first.operationId), "bm_cancel", "U0REQUESTER");
    expect((await finish(first.operationId as string)).state).toBe("cancelled");
  }, 60_000);
});
