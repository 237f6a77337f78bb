/**
 * Bolt's and the WebClient's own logging, at the most talkative level: at DEBUG they log whole
 * events and request bodies (the signature, the response_url, the trigger id, tokens). Through
 * the real handler, none of that may reach the logs, whatever the level.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import { slackHeaders } from "../../local/slack-request";
import type { LocalStack } from "../../local/stack";
import {
  click,
  drain,
  operation,
  sendToFrontDoor,
  slashBody,
  testStack,
} from "../support/stack-harness";

let stack: LocalStack;
/** Everything the functions wrote to stdout and stderr while this file ran. */
let written = "";
const streams = [process.stdout, process.stderr] as const;
const writes = streams.map((s) => s.write);

beforeAll(async () => {
  for (const [i, stream] of streams.entries()) {
    const write = writes[i] as typeof stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString();
      written += text;
      // ERROR lines still go to the suite's guard; the rest is kept here only.
      if (/"level":"(ERROR|CRITICAL)"/.test(text))
        return (write as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof stream.write;
  }
  stack = await testStack({ env: { POWERTOOLS_LOG_LEVEL: "DEBUG" } });
});
afterAll(async () => {
  await stack.close();
  for (const [i, stream] of streams.entries()) stream.write = writes[i] as typeof stream.write;
});

describe("at POWERTOOLS_LOG_LEVEL=DEBUG", () => {
  it("no signature, response_url, trigger id or token of a signed request reaches the logs", async () => {
    const responseUrl = stack.slack?.newResponseUrl("C0CHANGES", "U0REQUESTER") ?? "";
    const triggerId = "4242.4343.feedfacecafebeef0123";
    const body = slashBody({
      text: `detach ${SAMPLE.web01} ${SAMPLE.image} CHG-1`,
      channel: "C0CHANGES",
      triggerId,
      responseUrl,
    });
    const headers = slackHeaders(stack.signingSecret, body);
    const answer = await sendToFrontDoor(stack, body, headers);
    expect(answer.text).toMatch(/^Recorded `op-/);
    await drain(
      stack,
      async () => (await operation(stack, answer.operationId)).state === "awaiting_approval",
    );
    await drain(stack);
    // A click (its payload has a response_url and trigger id of its own), and the reject button,
    // whose views.open sends a trigger id to Slack's Web API.
    const op = await operation(stack, answer.operationId);
    await click(stack, op, "bm_approve", "U0APPROVER1");
    await click(stack, op, "bm_reject", "U0APPROVER2");
    // A wrong signature: Bolt's own handler would log the signature it was given.
    const forged = slackHeaders("not-the-signing-secret", body);
    expect((await sendToFrontDoor(stack, body, forged)).status).toBe(401);

    const secrets = JSON.parse(
      readFileSync(join(import.meta.dirname, "../../infra/local/secrets.json"), "utf8"),
    ) as Record<string, Record<string, string>>;
    const botToken = secrets["bm/slack"]?.bot_token as string;
    expect(botToken).toMatch(/^xoxb-/);
    expect(stack.slack?.callsOf("views.open")).toHaveLength(1);
    expect(written).toContain('"level":"DEBUG"');
    for (const leak of [
      headers["x-slack-signature"],
      forged["x-slack-signature"],
      responseUrl,
      "/hooks/",
      triggerId,
      ".click",
      "gIkuvaNzQIHg97ATvDxqgjtO",
      botToken,
    ])
      expect(written).not.toContain(leak);
  });
});
