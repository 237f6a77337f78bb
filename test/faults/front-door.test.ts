/**
 * Faults on the front door's path (defect 3): SQS or DynamoDB failing, hanging or losing their
 * answer between Slack's command and its answer. Slack gets an answer in time that says what
 * bm knows, and no operation is stranded: the follow-up hands over what the front door could not.
 */

import { beforeEach, describe, expect, it } from "vitest";
import { operationIdFor } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { drain, operation, operationIdOf, operationIds, slash } from "../support/stack-harness";
import { assertInvariants, settle } from "./invariants";
import { useFaultStack } from "./matrix";

const fixture = useFaultStack();
let stack: LocalStack;
let web: { id: string; name: string };
beforeEach(() => {
  stack = fixture.stack();
  web = fixture.server();
});

const sendPrepare = (input: Record<string, unknown>) =>
  String(input.MessageBody ?? "").includes('"prepare"');
const created = (prefix: RegExp) => (input: Record<string, unknown>) =>
  input.TableName === stack.env.BM_TABLE &&
  String(input.ConditionExpression ?? "").includes("attribute_not_exists") &&
  prefix.test(String((input.Item as { id?: { S?: string } } | undefined)?.id?.S ?? ""));
const createOperation = created(/^op-/);
const createChoice = created(/^choice#/);
const sendLookup = (input: Record<string, unknown>) =>
  String(input.MessageBody ?? "").includes('"lookup"');
const NOT_HANDED = (name: string) =>
  `bm could not hand the lookup of \`${name}\` to its worker just now (its database or queue did not answer), and has recorded no request. If nothing appears here within a minute, run the command again.`;

describe("the hand-over to the worker", () => {
  it.each([
    ["fails", "error"],
    ["hangs", "hang"],
  ] as const)(
    "when SendMessage %s, the request is recorded, said so, and handed over later",
    async (_, kind) => {
      stack.faults.sqs?.inject({ target: "SendMessage", kind, when: sendPrepare, times: 2 });
      const answer = await slash(stack, `detach ${web.id} ${SAMPLE.image}`);
      expect(answer.text).toMatch(
        /^Recorded `op-\w+`: .*\(bm could not hand it to its worker at once; it will within a minute or two\.\)$/,
      );
      expect((await operation(stack, answer.operationId)).state).toBe("requested");
      await new Promise((r) => setTimeout(r, 1100));
      await settle(stack, answer.operationId ?? "");
      await assertInvariants(stack, answer.operationId ?? "", "done");
    },
  );

  it("when SendMessage loses its answer, the request is not failed on a guess: it goes on once", async () => {
    stack.faults.sqs?.inject({
      target: "SendMessage",
      kind: "lost-answer",
      when: sendPrepare,
      times: 2,
    });
    const answer = await slash(stack, `detach ${web.id} ${SAMPLE.image}`);
    expect(answer.text).toContain("it will within a minute or two");
    await new Promise((r) => setTimeout(r, 1100));
    await settle(stack, answer.operationId ?? "");
    await assertInvariants(stack, answer.operationId ?? "", "done");
  });
});

describe("the write of the operation", () => {
  it("when its answer is lost, says bm cannot confirm it, and a recorded request goes on", async () => {
    stack.faults.dynamo?.inject({
      target: "PutItem",
      kind: "lost-answer",
      when: createOperation,
      times: 2,
    });
    const answer = await slash(stack, `detach ${web.id} ${SAMPLE.image}`);
    const id = operationIdOf(answer.text);
    expect(answer.text).toBe(
      `bm could not confirm that it recorded \`${id}\` (its database did not answer in time). If it did, the request goes on by itself: \`/bm status ${id}\` in a minute tells you; if not, ask again.`,
    );
    await new Promise((r) => setTimeout(r, 1100));
    await settle(stack, id);
    await assertInvariants(stack, id, "done");
  });
});

describe("a server named by name: the lookup's hand-over to the worker", () => {
  it.each([
    ["the write of the lookup fails", "dynamo", "error"],
    ["the write of the lookup hangs", "dynamo", "hang"],
    ["the send of the lookup fails", "sqs", "error"],
    ["the send of the lookup hangs", "sqs", "hang"],
  ] as const)(
    "when %s: nothing is recorded, and the requester is told to ask again",
    async (_, where, kind) => {
      if (where === "dynamo")
        stack.faults.dynamo?.inject({ target: "PutItem", kind, when: createChoice, times: 3 });
      else stack.faults.sqs?.inject({ target: "SendMessage", kind, when: sendLookup, times: 3 });
      const ops = await operationIds(stack);
      const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`, { follow: false });
      expect(answer.text).toBe(NOT_HANDED(web.name));
      await drain(stack);
      expect(await operationIds(stack)).toEqual(ops);
      // Asked again, it goes on.
      const again = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
      await settle(stack, again.operationId ?? "");
      await assertInvariants(stack, again.operationId ?? "", "done");
    },
  );

  it("when the send of the lookup loses its answer: the requester is told to ask again, and the lookup goes on once", async () => {
    stack.faults.sqs?.inject({
      target: "SendMessage",
      kind: "lost-answer",
      when: sendLookup,
      times: 3,
    });
    const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`, { follow: false });
    expect(answer.text).toBe(NOT_HANDED(web.name));
    await drain(stack);
    const said = stack.slack?.ephemeralsOf("C0INCIDENT", "U0REQUESTER").at(-1)?.text ?? "";
    const id = operationIdOf(said);
    expect(said).toMatch(/^Recorded `op-/);
    await settle(stack, id);
    await assertInvariants(stack, id, "done");
  });

  it.each([
    ["fails", "error"],
    ["loses its answer", "lost-answer"],
  ] as const)(
    "when the worker's write of the request %s, the lookup is tried again and records it once",
    async (_, kind) => {
      stack.faults.dynamo?.inject({ target: "PutItem", kind, when: createOperation, times: 2 });
      const answer = await slash(stack, `detach ${web.name} ${SAMPLE.image}`);
      expect(answer.followUp).toMatch(/^Recorded `op-/);
      await settle(stack, answer.operationId ?? "");
      await assertInvariants(stack, answer.operationId ?? "", "done");
    },
  );
});

describe("Slack's 3 seconds", () => {
  it("when DynamoDB and SQS are both slow, Slack still gets an answer in time, and the request goes on", async () => {
    // One hung try of the write (700 ms) and two hung tries of the send (1.4 s): past the front
    // door's 1.8 s of work, so it answers before its work is done.
    stack.faults.dynamo?.inject({
      target: "PutItem",
      kind: "hang",
      when: createOperation,
      times: 1,
    });
    stack.faults.sqs?.inject({ target: "SendMessage", kind: "hang", when: sendPrepare, times: 2 });
    const triggerId = `${Date.now()}.slow.front-door`;
    const answer = await slash(stack, `detach ${web.id} ${SAMPLE.image}`, { triggerId });
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(
      "bm is slow to answer just now (its database or queue). If you asked for a detach, it may have been recorded and then goes on by itself: `/bm history` shows it in a minute.",
    );
    const id = operationIdFor("T0001", triggerId);
    await settle(stack, id);
    await assertInvariants(stack, id, "done");
  });
});
