/**
 * Reads are audited too, through the real handlers: `/bm status`, `/bm history`, the choices a
 * lookup shows and how a lookup ends without a request each leave one event (seq 0) in the audit
 * table, naming who asked what, in which channel. With the audit table failing, each read is
 * answered all the same, and the failure counted (AuditWriteError).
 */
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { choiceIdFor } from "../../lib/choices/choice";
import { type AuditEvent, shortId } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  auditOf,
  buttonsOf,
  clickPrivate,
  drain,
  privateMessages,
  settled,
  slash,
  testStack,
} from "../support/stack-harness";

/** web02 of the sample, by id: it has no image attached, so a detach is recorded and ends noop. */
const WEB02 = "0b9e3f4a-7c21-4d5e-8f60-a1b2c3d4e5f6";

let stack: LocalStack;
const lines: string[] = [];

beforeAll(async () => {
  // The metrics are EMF lines on stdout (as in metrics.test.ts): AuditWriteError is read there.
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  });
  stack = await testStack({
    taskMs: 100,
    faults: true,
    env: {
      POWERTOOLS_METRICS_DISABLED: "false",
      POWERTOOLS_DEV: "true",
      POWERTOOLS_LOG_LEVEL: "SILENT",
    },
  });
});
afterAll(async () => {
  await stack.close();
  vi.restoreAllMocks();
});

let triggers = 0;
/** A trigger id of our own, so the test knows the read's id (`rd-` from the team and it). */
const trigger = () => `13345224609.738474920.read${Date.now().toString(16)}${++triggers}`;
const readId = (triggerId: string) => shortId("rd", `T0001:${triggerId}`);

/** The one event under `id`: its shape, and its facts exactly. */
async function onlyEvent(id: string): Promise<AuditEvent> {
  const events = await auditOf(stack, id);
  expect(events).toHaveLength(1);
  return events[0] as AuditEvent;
}

function expectRead(
  event: AuditEvent,
  id: string,
  action: string,
  userId: string,
  facts: Record<string, unknown>,
) {
  expect(event).toMatchObject({
    operationId: id,
    seq: 0,
    action,
    actor: { teamId: "T0001", userId },
  });
  expect(Date.now() - Date.parse(event.at)).toBeLessThan(30_000);
  expect(event.facts).toEqual(facts);
}

/** How many AuditWriteError values the functions have emitted so far. */
function auditWriteErrors(): number {
  let sum = 0;
  for (const line of lines) {
    let emf: Record<string, unknown>;
    try {
      emf = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (typeof emf.AuditWriteError === "number") sum += emf.AuditWriteError;
  }
  return sum;
}

describe("/bm status", () => {
  it("of a server: one event under the read's id, what was asked and what was shown", async () => {
    const triggerId = trigger();
    await slash(stack, "status web01", { user: "U0ERIN", triggerId });
    await drain(stack);
    expect(privateMessages(stack, "U0ERIN").at(-1)?.text).toContain(`*web01* \`${SAMPLE.web01}\``);
    const id = readId(triggerId);
    expectRead(await onlyEvent(id), id, "viewed:status", "U0ERIN", {
      channel: "C0INCIDENT",
      tenant: "sample",
      asked: "web01",
      answer: "shown",
      server: SAMPLE.web01,
      inFlight: 0,
      hidden: 0,
      unchecked: 0,
    });
  });

  it("of an operation: the event is the operation's, with the state shown", async () => {
    const detach = await slash(stack, `detach ${WEB02} ${SAMPLE.image}`, { user: "U0FRANK" });
    await drain(stack, async () => {
      await stack.followup(150);
      return settled(stack, detach.operationId);
    });
    const id = detach.operationId as string;
    await slash(stack, `status ${id}`, { user: "U0FRANK" });
    await drain(stack);
    const viewed = (await auditOf(stack, id)).filter((e) => e.seq === 0);
    expect(viewed).toHaveLength(1);
    expectRead(viewed[0] as AuditEvent, id, "viewed:status", "U0FRANK", {
      channel: "C0INCIDENT",
      tenant: "sample",
      asked: id,
      answer: "shown",
      state: "noop",
      server: "0b9e3f4a-7c21-4d5e-8f60-a1b2c3d4e5f6",
      inFlight: 0,
      hidden: 0,
      unchecked: 0,
    });
  });

  it("of an operation that does not exist: audited under that id, nothing shown", async () => {
    await slash(stack, "status op-0000000000", { user: "U0ERIN" });
    await drain(stack);
    expectRead(await onlyEvent("op-0000000000"), "op-0000000000", "viewed:status", "U0ERIN", {
      channel: "C0INCIDENT",
      tenant: "sample",
      asked: "op-0000000000",
      answer: "no_such_operation",
    });
  });
});

describe("/bm history", () => {
  it("one event under the read's id: the filter, and how many were shown", async () => {
    const triggerId = trigger();
    const answer = await slash(stack, "history web02", { user: "U0GINA", triggerId });
    const shown = answer.text.split("\n").filter((line) => line.startsWith("• ")).length;
    expect(shown).toBeGreaterThan(0);
    const id = readId(triggerId);
    expectRead(await onlyEvent(id), id, "viewed:history", "U0GINA", {
      channel: "C0INCIDENT",
      tenant: "sample",
      server: "web02",
      shown,
      hidden: 0,
      unchecked: 0,
    });
  });
});

describe("lookups and their choices", () => {
  const named = (tag: string) => `rd${tag}${Math.random().toString(36).slice(2, 7)}`;

  it("options shown: one event under the choice's id; a pick's request adds none to it", async () => {
    const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: named("i"),
      media: [SAMPLE.image, SAMPLE.otherImage],
    });
    const triggerId = trigger();
    await slash(stack, `detach ${server?.name}`, { user: "U0HANK", triggerId });
    const offered = privateMessages(stack, "U0HANK").at(-1);
    expect(buttonsOf(offered)).toHaveLength(2);
    const id = choiceIdFor("T0001", triggerId);
    const event = await onlyEvent(id);
    expectRead(event, id, "viewed:choices", "U0HANK", {
      channel: "C0INCIDENT",
      tenant: "sample",
      asked: server?.name,
      offer: "images",
      options: 2,
      expires: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    // Kept 30 minutes from the command: its buttons work until then.
    const left = Date.parse(String(event.facts.expires)) - Date.parse(event.at);
    expect(left).toBeGreaterThan(29 * 60_000);
    expect(left).toBeLessThanOrEqual(30 * 60_000);

    await clickPrivate(stack, offered, 0);
    await drain(stack);
    expect(await auditOf(stack, id)).toHaveLength(1);
  });

  it.each([
    ["nothing attached", "nothing_attached"],
    ["no such name, none close", "no_server"],
  ])("a lookup that ends with %s: one choice_ended event", async (_, kind) => {
    const name = named("e");
    const server =
      kind === "nothing_attached"
        ? stack.ecl?.model.addServer(SAMPLE.tenantId, { name, media: [] })
        : undefined;
    const typed = server ? name : "zzzzzzzzzzzzqqq";
    const triggerId = trigger();
    await slash(stack, `detach ${typed}`, { user: "U0IVAN", triggerId });
    const id = choiceIdFor("T0001", triggerId);
    expectRead(await onlyEvent(id), id, `choice_ended:${kind}`, "U0IVAN", {
      channel: "C0INCIDENT",
      tenant: "sample",
      asked: typed,
      ...(server ? { server: server.id } : {}),
    });
  });

  it("a choice that expired before it was looked up: choice_ended:expired, nothing shown", async () => {
    const triggerId = trigger();
    await slash(stack, `detach web01 ${SAMPLE.image} later`, {
      user: "U0JUDY",
      triggerId,
      follow: false,
    });
    const id = choiceIdFor("T0001", triggerId);
    await stack.dynamo.send(
      new UpdateItemCommand({
        TableName: stack.env.BM_TABLE,
        Key: { id: { S: `choice#${id}` } },
        UpdateExpression: "SET #c.#e = :past",
        ExpressionAttributeNames: { "#c": "choice", "#e": "expiresAt" },
        ExpressionAttributeValues: { ":past": { N: String(Math.floor(Date.now() / 1000) - 60) } },
      }),
    );
    const seen = privateMessages(stack, "U0JUDY").length;
    await drain(stack);
    expect(privateMessages(stack, "U0JUDY")).toHaveLength(seen);
    expectRead(await onlyEvent(id), id, "choice_ended:expired", "U0JUDY", {
      channel: "C0INCIDENT",
      tenant: "sample",
      asked: "web01",
      image: SAMPLE.image,
    });
  });
});

describe("with the audit table failing", () => {
  it("hanging: the history is answered within Slack's 3 s all the same, the failure counted", async () => {
    stack.faults.dynamo?.inject({
      target: "PutItem",
      kind: "hang",
      when: (input) => input.TableName === stack.env.BM_AUDIT_TABLE,
      times: 1000,
    });
    const before = auditWriteErrors();
    try {
      const started = Date.now();
      const history = await slash(stack, "history", { user: "U0LEO" });
      expect(Date.now() - started).toBeLessThan(2500);
      expect(history.text).toMatch(/^The last \d+ operations? in tenant `sample`:/);
      expect(auditWriteErrors() - before).toBe(1);
    } finally {
      stack.faults.dynamo?.clear();
    }
  });

  it("each read is answered all the same, and the failure counted", async () => {
    const failing = stack.faults.dynamo?.inject({
      target: "PutItem",
      kind: "error",
      when: (input) => input.TableName === stack.env.BM_AUDIT_TABLE,
      times: 1000,
    });
    const before = auditWriteErrors();
    try {
      const historyTrigger = trigger();
      const history = await slash(stack, "history", { user: "U0KATE", triggerId: historyTrigger });
      expect(history.text).toMatch(/^The last \d+ operations? in tenant `sample`:/);

      const statusTrigger = trigger();
      await slash(stack, "status web01", { user: "U0KATE", triggerId: statusTrigger });
      await drain(stack);
      expect(privateMessages(stack, "U0KATE").at(-1)?.text).toContain(`*web01*`);

      const lookupTrigger = trigger();
      const lookup = await slash(stack, "detach web01", {
        user: "U0KATE",
        triggerId: lookupTrigger,
      });
      expect(buttonsOf(privateMessages(stack, "U0KATE").at(-1))).toHaveLength(1);
      expect(lookup.followUp).toContain("web01");

      expect(failing?.hits).toBeGreaterThanOrEqual(3);
      expect(auditWriteErrors() - before).toBe(3);
      stack.faults.dynamo?.clear();
      expect(await auditOf(stack, readId(historyTrigger))).toEqual([]);
      expect(await auditOf(stack, readId(statusTrigger))).toEqual([]);
      expect(await auditOf(stack, choiceIdFor("T0001", lookupTrigger))).toEqual([]);
    } finally {
      stack.faults.dynamo?.clear();
    }
  });
});
