/**
 * The daily audit check (handlers/audit-check.ts) through the local stack, run once as the
 * schedule would: it seals yesterday, posts the seal in the policy's audit channel, and puts
 * `AuditFindings` (0); after an unconditional PutItem, 1, the finding logged.
 */
import { PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { LocalStack } from "../../local/stack";
import { expectErrorLogs } from "../support/error-logs";
import { refusalAt, testStack } from "../support/stack-harness";

let stack: LocalStack;
beforeAll(async () => {
  stack = await testStack({
    // Metrics on, as EMF lines on stdout (read below, as CloudWatch reads them).
    env: { POWERTOOLS_METRICS_DISABLED: "false" },
  });
});
afterAll(() => stack.close());

const lines: string[] = [];
beforeEach(() => {
  lines.splice(0);
  const write = process.stdout.write.bind(process.stdout) as (...a: unknown[]) => boolean;
  vi.spyOn(process.stdout, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
    const text = String(chunk);
    if (!text.includes('"_aws"')) return write(chunk, ...rest);
    lines.push(...text.split("\n").filter(Boolean));
    return true;
  }) as typeof process.stdout.write);
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The values of a metric in the EMF lines written so far. */
function values(name: string): number[] {
  return lines.flatMap((line) => {
    try {
      const value = (JSON.parse(line) as Record<string, unknown>)[name];
      return value === undefined ? [] : [value as number].flat();
    } catch {
      return [];
    }
  });
}

const table = () => stack.env.BM_AUDIT_TABLE as string;
async function chain(operationId: string): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await stack.dynamo.send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: "operationId = :id",
      ExpressionAttributeValues: { ":id": { S: operationId } },
    }),
  );
  return Items.map((item) => unmarshall(item));
}

describe("the daily audit check", () => {
  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  const day = yesterday.slice(0, 10);

  it("seals yesterday, posts the seal in the audit channel, and finds nothing", async () => {
    // A refusal bm wrote yesterday, as the front door writes one.
    await refusalAt(stack, "op-zzzzzzzzzz", yesterday);
    await stack.auditCheck();
    const [seal] = await chain("seal");
    const [refusal] = await chain("op-zzzzzzzzzz");
    expect(seal).toMatchObject({
      seq: 1,
      action: "sealed",
      facts: { day, count: 1 },
      sealed: [`op-zzzzzzzzzz ${refusal?.event} ${refusal?.hash}`],
    });
    expect(stack.slack?.history("C0AUDIT").map((m) => m.text)).toEqual([
      `:lock: bm audit seal for ${day}: 1 event. Seal #1 \`${seal?.hash}\`, the first of its chain. \`npm run audit -- --verify\` checks the trail against it.`,
    ]);
    expect(values("AuditFindings")).toEqual([0]);

    // Run again: nothing more to seal, nothing posted, still 0.
    await stack.auditCheck();
    expect(await chain("seal")).toHaveLength(1);
    expect(stack.slack?.history("C0AUDIT")).toHaveLength(1);
    expect(values("AuditFindings")).toEqual([0, 0]);
  });

  it("finds an event rewritten by an unconditional PutItem: AuditFindings 1, the finding logged", async () => {
    const errors = expectErrorLogs(/op-zzzzzzzzzz/);
    const [refusal] = await chain("op-zzzzzzzzzz");
    await stack.dynamo.send(
      new PutItemCommand({
        TableName: table(),
        Item: marshall({ ...refusal, actor: { teamId: "T0001", userId: "U0SOMEONE" } }),
      }),
    );
    await stack.auditCheck();
    expect(values("AuditFindings")).toEqual([1]);
    expect(errors.lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual([
      `op-zzzzzzzzzz ${refusal?.event}: changed (its content no longer gives its hash)`,
    ]);
    expect(stack.slack?.history("C0AUDIT")).toHaveLength(1);
  });
});
