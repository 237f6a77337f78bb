/**
 * Secrets Manager failing at a cold start (its values are then kept, so a fault meets only a
 * fresh container: this file's handlers are fresh). The front door gives up within its deadlines
 * and tries the cold start again on the next request; the worker's message is redelivered.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { expectErrorLogs } from "../support/error-logs";
import { slash, testStack } from "../support/stack-harness";
import { assertInvariants, settle } from "./invariants";

let stack: LocalStack;
beforeAll(async () => {
  stack = await testStack({ faults: true, taskMs: 100 });
});
afterAll(() => stack.close());

const reading = (id: string) => (input: Record<string, unknown>) => input.SecretId === id;

describe("Secrets Manager at a cold start", () => {
  it("hangs for the front door: it gives up in time, and the next command starts it again", async () => {
    const failed = expectErrorLogs(/"message":"cold start failed"/);
    const hung = stack.faults.secrets?.inject({
      target: "GetSecretValue",
      kind: "hang",
      when: reading("bm/slack"),
      times: 2,
    });
    const first = await slash(stack, "help");
    expect(first.status).toBe(503);
    expect(hung?.hits).toBe(2);
    // Logged by the error's name alone: no secret, no message.
    expect(failed.lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: "ERROR", function: "slack", error: "SecretError" }),
    ]);
    const second = await slash(stack, "help");
    expect(second.status).toBe(200);
    expect(second.text).toContain("*bm* detaches virtual media");
  });

  it("hangs for the worker, then fails for the tenant's secret: the detach is done all the same", async () => {
    const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: "cold-01",
      media: [SAMPLE.image],
    });
    const hung = stack.faults.secrets?.inject({
      target: "GetSecretValue",
      kind: "hang",
      when: reading("bm/slack"),
      times: 3,
    });
    const failing = stack.faults.secrets?.inject({
      target: "GetSecretValue",
      kind: "error",
      errorType: "InternalServiceError",
      status: 500,
      when: reading("bm/tenant/sample"),
      times: 3,
    });
    const answer = await slash(stack, `detach ${server?.id} ${SAMPLE.image}`);
    await settle(stack, answer.operationId ?? "");
    expect(hung?.hits).toBe(3);
    expect(failing?.hits).toBe(3);
    await assertInvariants(stack, answer.operationId ?? "", "done");
  });
});
