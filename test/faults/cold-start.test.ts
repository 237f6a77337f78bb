/**
 * Secrets Manager failing at a cold start (its values are then kept, so a fault meets only a
 * fresh container: this file's handlers are fresh). The front door gives up within its deadlines
 * and tries the cold start again on the next request; the worker's message is redelivered.
 * The audit check seals and verifies without Slack, and fails loudly without its tables.
 */
import { QueryCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { expectErrorLogs } from "../support/error-logs";
import { refusalAt, slash, testStack } from "../support/stack-harness";
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

describe("the audit check when Secrets Manager or DynamoDB fails", () => {
  it("seals and verifies all the same: only the seal's post is skipped, and logged", async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    await refusalAt(stack, "op-cccccccccc", yesterday);
    const failing = stack.faults.secrets?.inject({
      target: "GetSecretValue",
      kind: "error",
      errorType: "InternalServiceError",
      status: 500,
      when: reading("bm/slack"),
      times: 100,
    });
    const said = expectErrorLogs(/audit seal not posted/);
    try {
      await stack.auditCheck();
    } finally {
      stack.faults.secrets?.clear();
    }
    expect(failing?.hits).toBeGreaterThan(0);
    const { Items = [] } = await stack.dynamo.send(
      new QueryCommand({
        TableName: stack.env.BM_AUDIT_TABLE,
        KeyConditionExpression: "operationId = :id",
        ExpressionAttributeValues: { ":id": { S: "seal" } },
      }),
    );
    expect(Items.map((i) => unmarshall(i))).toEqual([
      expect.objectContaining({ seq: 1, facts: { day: yesterday.slice(0, 10), count: 1 } }),
    ]);
    expect(stack.slack?.history("C0AUDIT")).toEqual([]);
    expect(said.lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({
        level: "ERROR",
        function: "audit-check",
        message: "audit seal not posted: Slack could not be set up",
        error: "SecretError",
        days: [yesterday.slice(0, 10)],
      }),
    ]);
  });

  it("fails the run when the audit table cannot be scanned: no seal made, and the invocation fails (its Errors alarm)", async () => {
    const failing = stack.faults.dynamo?.inject({
      target: "Scan",
      kind: "error",
      errorType: "ProvisionedThroughputExceededException",
      when: (input) => input.TableName === stack.env.BM_AUDIT_TABLE,
      times: 100,
    });
    try {
      await expect(stack.auditCheck()).rejects.toThrow();
    } finally {
      stack.faults.dynamo?.clear();
    }
    expect(failing?.hits).toBeGreaterThan(0);
    const { Items = [] } = await stack.dynamo.send(
      new QueryCommand({
        TableName: stack.env.BM_AUDIT_TABLE,
        KeyConditionExpression: "operationId = :id",
        ExpressionAttributeValues: { ":id": { S: "seal" } },
      }),
    );
    // Only the seal of the run before.
    expect(Items).toHaveLength(1);
  });
});
