/**
 * Faults around `/bm media`, a read: the list, the image service and the sightings item failing,
 * hanging, or losing their answer, through the real handlers. Whatever fails, the asker gets one
 * answer, and the read is audited once.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { readIdFor } from "../../lib/operations/standalone-event";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import type { FaultKind } from "../../local/stand-ins/aws-fault-proxy";
import { auditOf, drain, privateMessages, slash } from "../support/stack-harness";
import { useFaultStack } from "./matrix";

const fixture = useFaultStack();
let stack: LocalStack;
let asks = 0;
beforeEach(() => {
  stack = fixture.stack();
  stack.ecl?.model.clearFaults();
});

/** `/bm media TARGET` by a new user; their one answer's text and blocks, and the read's audit. */
async function media(target = "") {
  const user = `U0FM${++asks}`;
  const triggerId = `${Date.now()}.${asks}.media`;
  await slash(stack, `media ${target}`.trim(), { user, triggerId });
  await drain(stack, async () => privateMessages(stack, user).length > 0);
  await drain(stack);
  const answers = privateMessages(stack, user);
  const blocks = (answers[0]?.blocks ?? []) as Array<{
    text?: { text: string };
    elements?: Array<{ text: string }>;
  }>;
  const events = await auditOf(stack, readIdFor("T0001", triggerId));
  return {
    answers,
    lines: blocks.map((b) => b.text?.text ?? b.elements?.map((e) => e.text).join(" ") ?? ""),
    events,
  };
}

const ecl = (kind: FaultKind, times: number) =>
  kind === "error"
    ? { status: 500, times }
    : kind === "hang"
      ? { hang: true, times }
      : { hangAfterApply: true, times };
const KINDS = ["error", "hang", "lost-answer"] as const;

describe("the list of servers", () => {
  it.each(KINDS)("%s: one answer, the whole list, audited once", async (kind) => {
    // An error strikes the page and its retry, then the redelivery's first try.
    stack.ecl?.model.inject({ route: "list", ...ecl(kind, kind === "error" ? 3 : 1) });
    const { answers, lines, events } = await media();
    expect(answers).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d+ servers of this tenant have virtual media attached: 2 images\.$/,
    );
    expect(events.map((e) => [e.action, e.facts.answer])).toEqual([["viewed:media", "shown"]]);
  });

  it("failing past the queue's limit: said, once", async () => {
    stack.ecl?.model.inject({ route: "list", status: 500, times: 100 });
    const { answers, events } = await media();
    expect(answers.map((a) => a.text)).toEqual([
      expect.stringMatching(/^bm could not list the media of this tenant: /),
    ]);
    expect(events.map((e) => e.facts.answer)).toEqual(["failed"]);
    stack.ecl?.model.clearFaults();
  });
});

describe("the image service", () => {
  it.each(KINDS)("%s: the image by its id alone, the answer whole", async (kind) => {
    stack.ecl?.model.inject({ route: "image", ...ecl(kind, 10) });
    const { answers, lines, events } = await media(SAMPLE.image);
    expect(answers).toHaveLength(1);
    expect(lines[2]).toMatch(new RegExp(`^Image \`${SAMPLE.image}\` on \\d+ servers$`));
    expect(events.map((e) => e.facts.named)).toEqual([0]);
  });
});

describe("the sightings item", () => {
  const sightings = (input: Record<string, unknown>) =>
    JSON.stringify(input.Key ?? input.Item ?? {}).includes("sightings#");

  it.each(KINDS)("its read %s: the answer without durations, nothing written", async (kind) => {
    const puts = () =>
      stack.faults.dynamo?.calls.filter((c) => c.target === "PutItem" && sightings(c.input)).length;
    // A new pair, so that a write would be made if the read had been taken for empty.
    stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: `fr-${Math.random().toString(36).slice(2, 8)}`,
      media: [SAMPLE.otherImage],
    });
    const before = puts();
    stack.faults.dynamo?.inject({ target: "GetItem", kind, when: sightings, times: 6 });
    const { answers, lines, events } = await media(SAMPLE.otherImage);
    expect(answers).toHaveLength(1);
    expect(puts()).toBe(before);
    expect([lines[1], events.length]).toEqual([
      "How long each has been mounted is unknown: bm could not read its sightings just now.",
      1,
    ]);
  });

  it.each(KINDS)("its write %s: the answer given all the same", async (kind) => {
    stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: `fm-${Math.random().toString(36).slice(2, 8)}`,
      media: [SAMPLE.otherImage],
    });
    stack.faults.dynamo?.inject({ target: "PutItem", kind, when: sightings, times: 6 });
    const { answers, lines, events } = await media(SAMPLE.otherImage);
    expect(answers).toHaveLength(1);
    expect(lines[1]).toBe(
      "How long: since bm first saw each image on each server; ECL does not say when media was attached.",
    );
    expect(events.map((e) => e.facts.answer)).toEqual(["shown"]);
  });
});
