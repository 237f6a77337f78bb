/**
 * Faults around the worker's detach: DynamoDB and Slack failing, hanging, or losing their answer
 * at the moments that matter, through the real handlers. Each test names the defect it guards.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { click, drain, ECL_ACTIONS, operation, slash, thread } from "../support/stack-harness";
import { assertInvariants, settle } from "./invariants";
import { useFaultStack } from "./matrix";

const fixture = useFaultStack({ queueTimeScale: 0.05, env: { BM_DETACH_TIMEOUT_S: "30" } });
let stack: LocalStack;
let web: { id: string; name: string };
beforeEach(() => {
  stack = fixture.stack();
  web = fixture.server();
});

/** A DynamoDB write that moves an operation into `state`. */
const writing =
  (state: string) =>
  (input: Record<string, unknown>): boolean =>
    (input.Item as { state?: { S?: string } } | undefined)?.state?.S === state;

describe("after ECL accepted the detach (defect 1)", () => {
  it.each([
    ["fails", "error"],
    ["hangs", "hang"],
    ["loses its answer", "lost-answer"],
  ] as const)(
    "the write of `detaching` %s: the detach is done, never reported failed",
    async (_, kind) => {
      stack.faults.dynamo?.inject({
        target: "PutItem",
        kind,
        when: writing("detaching"),
        times: kind === "lost-answer" ? 1 : 6,
      });
      const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
      await settle(stack, answer.operationId ?? "");
      const op = await operation(stack, answer.operationId);
      expect(thread(stack, op).replies.join("\n")).not.toContain("failed");
      expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(web.id))).toHaveLength(1);
      await assertInvariants(stack, op.id, "done");
    },
  );
});

describe("an audit append that fails (defect 2)", () => {
  const auditWrite =
    (action: string) =>
    (input: Record<string, unknown>): boolean =>
      input.TableName === stack.env.BM_AUDIT_TABLE &&
      (input.Item as { action?: { S?: string } } | undefined)?.action?.S === action;

  it("at the front door: the approval stands, the approver is told so, the event arrives later", async () => {
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`, {
      channel: "C0CHANGES",
      user: "U0ALICE",
    });
    await drain(
      stack,
      async () => (await operation(stack, answer.operationId)).parentTs !== undefined,
    );
    const failing = stack.faults.dynamo?.inject({
      target: "PutItem",
      kind: "error",
      when: auditWrite("approved"),
      times: 2,
    });
    await click(stack, await operation(stack, answer.operationId), "bm_approve", "U0APPROVER1");
    expect(failing?.hits).toBe(2);
    expect(stack.slack?.ephemerals.filter((e) => e.user === "U0APPROVER1").at(-1)?.text).toBe(
      `You approved \`${answer.operationId}\` (1 of 1): bm goes on with the detach.`,
    );
    await settle(stack, answer.operationId ?? "");
    await assertInvariants(stack, answer.operationId ?? "", "done");
  });

  it("in the follow-up: `done` is in the trail all the same", async () => {
    stack.faults.dynamo?.inject({
      target: "PutItem",
      kind: "error",
      when: auditWrite("done"),
      times: 3,
    });
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
    await settle(stack, answer.operationId ?? "");
    await assertInvariants(stack, answer.operationId ?? "", "done");
  });
});

describe("a card's ts, kept whatever else is written (defect 4)", () => {
  it("a concurrent writer while the card is posted: still one card, and it is the one updated", async () => {
    // Someone else (a click, /bm cancel, the follow-up) writes the operation between the post and
    // the save that records the card: that save loses the race.
    const raced = stack.faults.dynamo?.inject({
      target: "PutItem",
      kind: "error",
      errorType: "ConditionalCheckFailedException",
      when: (input) =>
        input.TableName === stack.env.BM_TABLE &&
        (input.Item as { noticedSeq?: unknown; state?: { S?: string } } | undefined)?.state?.S ===
          "awaiting_approval" &&
        (input.Item as { noticedSeq?: unknown }).noticedSeq !== undefined,
    });
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`, {
      channel: "C0CHANGES",
      user: "U0ALICE",
    });
    await drain(
      stack,
      async () => (await operation(stack, answer.operationId)).parentTs !== undefined,
    );
    expect(raced?.hits).toBe(1);
    await stack.followup(150);
    const op = await operation(stack, answer.operationId);
    await click(stack, op, "bm_approve", "U0APPROVER1");
    await settle(stack, op.id);
    await assertInvariants(stack, op.id, "done");
    const card = stack.slack?.history("C0CHANGES").find((m) => m.text.includes(op.id));
    expect(card?.edits).toBeGreaterThan(0);
  });
});
