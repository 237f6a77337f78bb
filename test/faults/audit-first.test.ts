/**
 * Issue 22, "the outbox is watched": with the audit table down, a detach went all the way to
 * `done` with its events only in the operation's outbox. Now no detach POST leaves while the
 * events that authorise it are not in the audit table, and the follow-up counts the outboxes that
 * wait too long (`AuditOutboxStale`). Through the real handlers, the audit table failing behind
 * the fault proxy.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  auditOf as auditTrail,
  click,
  detachesOf,
  drain,
  operation,
  slash,
  thread,
} from "../support/stack-harness";
import { assertInvariants, settle } from "./invariants";
import { auditOf, useFaultStack } from "./matrix";

const fixture = useFaultStack({
  queueTimeScale: 0.05,
  env: {
    // Metrics on, as EMF lines on stdout (read below), and no log lines printed.
    POWERTOOLS_METRICS_DISABLED: "false",
    POWERTOOLS_DEV: "true",
    POWERTOOLS_LOG_LEVEL: "SILENT",
  },
});
let stack: LocalStack;
let web: { id: string; name: string };
const lines: string[] = [];
beforeEach(() => {
  stack = fixture.stack();
  web = fixture.server();
  lines.splice(0);
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Every write to the audit table is refused (as when a policy denies it), until cleared. */
function auditTableDown(): { readonly hits: number } | undefined {
  return stack.faults.dynamo?.inject({
    target: "PutItem",
    kind: "error",
    errorType: "AccessDeniedException",
    when: (input) => input.TableName === stack.env.BM_AUDIT_TABLE,
    times: 1_000_000,
  });
}

/** How many times the queue has handed the operation's message to the worker so far. */
const receives = (id: string) =>
  Math.max(
    0,
    ...(stack.queue?.messages ?? []).filter((m) => m.body.includes(id)).map((m) => m.receiveCount),
  );

const NOT_WRITTEN =
  "bm could not write the audit trail, so it did not send the detach; nothing was sent to ECL.";

describe("no detach POST while its authorisation is only in the outbox", () => {
  it("a break-glass channel, the audit table down: no POST, tried again, failed on the last try and told", async () => {
    auditTableDown();
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`, {
      channel: "C0INCIDENT",
      user: "U0ALICE",
    });
    const id = answer.operationId ?? "";
    // Until it ends, or (as before the fix) ECL is sent the detach.
    await drain(
      stack,
      async () =>
        detachesOf(stack, web.id).length > 0 || (await operation(stack, id)).state === "failed",
      20_000,
    );
    const op = await operation(stack, id);
    expect(detachesOf(stack, web.id)).toEqual([]);
    expect(op.outcome).toBe(NOT_WRITTEN);
    // The message was tried five times, with its back-off, before the operation ended.
    expect(op.lastEvent.facts).toMatchObject({ receiveCount: 5 });
    expect(thread(stack, op).replies.at(-1)).toBe(
      `:x: <@U0ALICE> the detach failed: ${NOT_WRITTEN}`,
    );
    // The table back, the follow-up appends what waited: the trail is whole, and says so.
    stack.faults.dynamo?.clear();
    await settle(stack, id);
    await assertInvariants(stack, id, "failed");
    expect(detachesOf(stack, web.id)).toEqual([]);
  });

  it("an approved request, the audit table down at execute time and back before the last try: the detach goes out once", async () => {
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`, {
      channel: "C0CHANGES",
      user: "U0ALICE",
    });
    const id = answer.operationId ?? "";
    await drain(stack, async () => (await operation(stack, id)).parentTs !== undefined);
    await drain(stack);
    auditTableDown();
    await click(stack, await operation(stack, id), "bm_approve", "U0APPROVER1");
    // Tried, and left for the queue to bring again, twice: nothing sent meanwhile.
    await drain(
      stack,
      async () => receives(id) >= 2 || detachesOf(stack, web.id).length > 0,
      20_000,
    );
    expect(detachesOf(stack, web.id)).toEqual([]);
    expect((await operation(stack, id)).state).toBe("approved");
    stack.faults.dynamo?.clear();
    await settle(stack, id, 20_000);
    await assertInvariants(stack, id, "done");
    expect(detachesOf(stack, web.id)).toHaveLength(1);
  });

  it("the audit table failing between the two writes (executing's own event refused): no POST until it is written, then once", async () => {
    const refused = stack.faults.dynamo?.inject({
      target: "PutItem",
      kind: "error",
      errorType: "AccessDeniedException",
      when: auditOf(() => stack.env.BM_AUDIT_TABLE as string, "executing"),
    });
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`, {
      channel: "C0INCIDENT",
      user: "U0ALICE",
    });
    const id = answer.operationId ?? "";
    await settle(stack, id, 20_000);
    expect(refused?.hits).toBe(1);
    await assertInvariants(stack, id, "done");
    expect(detachesOf(stack, web.id)).toHaveLength(1);
    const trail = (await auditTrail(stack, id)).sort((a, b) => a.seq - b.seq);
    expect(trail.map((e) => e.action)).toEqual([
      "requested",
      "approved",
      "executing",
      "waiting_for_idle",
      "executing",
      "detaching",
      "done",
    ]);
    expect(trail[3]?.facts).toMatchObject({ auditNotWritten: true });
    const op = await operation(stack, id);
    expect(thread(stack, op).replies).toContain(
      ":hourglass_flowing_sand: bm could not write the audit trail, so it has not sent the detach; it tries again shortly.",
    );
  });
});

/** Every value of `name` the functions have put so far, in order (EMF lines on stdout). */
function values(name: string): number[] {
  return lines.flatMap((line) => {
    let emf: Record<string, unknown>;
    try {
      emf = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return [];
    }
    const value = emf[name];
    if (value === undefined) return [];
    expect(emf).toMatchObject({ service: "bm" });
    return (Array.isArray(value) ? value : [value]).map(Number);
  });
}

/** One follow-up invocation with the clock `aheadMs` in the future (Date only; timers run). */
async function followupAt(aheadMs: number): Promise<void> {
  vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
  vi.setSystemTime(Date.now() + aheadMs);
  try {
    await stack.followup(200);
  } finally {
    vi.useRealTimers();
  }
}

describe("the outbox is watched: AuditOutboxStale", () => {
  it("puts the number of operations whose events waited past the grace, every round, 0 when none", async () => {
    await followupAt(0);
    expect(values("AuditOutboxStale").at(-1)).toBe(0);
    auditTableDown();
    // Two requests awaiting approval, their events only in their outboxes; nobody touches them.
    const ids: string[] = [];
    for (const user of ["U0ALICE", "U0BOB"]) {
      const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
        name: `st-${Math.random().toString(36).slice(2, 8)}`,
        media: [SAMPLE.image],
      });
      const answer = await slash(stack, `detach ${server?.name} ${SAMPLE.image}`, {
        channel: "C0CHANGES",
        user,
      });
      ids.push(answer.operationId ?? "");
      await drain(
        stack,
        async () => (await operation(stack, answer.operationId)).state === "awaiting_approval",
      );
    }
    await drain(stack);
    for (const id of ids) expect((await operation(stack, id)).unaudited?.length).toBe(2);

    // Within the grace (300 s): not counted.
    lines.splice(0);
    await followupAt(0);
    expect(values("AuditOutboxStale")).toEqual([0]);
    // Past it, the table still down: both counted, after the follow-up tried to append them.
    lines.splice(0);
    await followupAt(301_000);
    expect(values("AuditOutboxStale")).toEqual([2]);
    // The table back: the follow-up appends them, and counts none.
    stack.faults.dynamo?.clear();
    lines.splice(0);
    await followupAt(301_000);
    expect(values("AuditOutboxStale")).toEqual([0]);
    for (const id of ids) {
      expect((await operation(stack, id)).unaudited).toEqual([]);
      expect((await auditTrail(stack, id)).map((e) => e.action).sort()).toEqual([
        "awaiting_approval",
        "requested",
      ]);
    }
  });
});
