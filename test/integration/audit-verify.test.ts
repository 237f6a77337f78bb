import {
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand as RawQueryCommand,
} from "@aws-sdk/client-dynamodb";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "../../lib/aws/dynamo/documents";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  awaitingApproval,
  click,
  finished,
  refusalAt,
  runAudit,
  slash,
  testStack,
} from "../support/stack-harness";

/** web02 of the sample, by id: it has no image attached, so a detach is recorded and ends noop. */
const WEB02 = "0b9e3f4a-7c21-4d5e-8f60-a1b2c3d4e5f6";

/**
 * `npm run audit -- --verify` and `--seal` against the local stack's tables, as bm wrote them
 * through the real handlers, then tampered with as someone with one role's PutItem and
 * DeleteItem would.
 */
let stack: LocalStack;
let approved: string;

beforeAll(async () => {
  stack = await testStack();
  // A detach approved by U0APPROVER1, a break-glass detach, and a refusal.
  const { op } = await awaitingApproval(stack);
  await click(stack, op, "bm_approve", "U0APPROVER1");
  approved = (await finished(stack, op.id)).id;
  const incident = await slash(stack, `detach ${WEB02} ${SAMPLE.image} INC-9`, {
    channel: "C0INCIDENT",
    user: "U0BOB",
  });
  await finished(stack, incident.operationId as string);
  await click(stack, op, "bm_approve", "U0MALLORY");
});
afterAll(() => stack.close());

const audit = (...args: string[]) => runAudit(stack.env, ...args);
const table = () => stack.env.BM_AUDIT_TABLE as string;
async function item(operationId: string, event: string): Promise<Record<string, unknown>> {
  const { Items = [] } = await documentClient(stack.dynamo).send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: "operationId = :id AND event = :event",
      ExpressionAttributeValues: { ":id": operationId, ":event": event },
    }),
  );
  return Items[0] as Record<string, unknown>;
}
/** An unconditional PutItem, as any bm function role may make. */
const put = (value: Record<string, unknown>) =>
  stack.dynamo.send(
    new PutItemCommand({
      TableName: table(),
      Item: marshall(value, { removeUndefinedValues: true }),
    }),
  );
const remove = (operationId: string, event: string) =>
  stack.dynamo.send(
    new DeleteItemCommand({ TableName: table(), Key: marshall({ operationId, event }) }),
  );

/** Tampers, runs the verifier, puts the table back as it was. */
async function tampered(
  change: () => Promise<unknown>,
  restore: Array<Record<string, unknown>>,
  drop: Array<[string, string]> = [],
) {
  await change();
  const result = await audit("--verify");
  for (const [operationId, event] of drop) await remove(operationId, event);
  for (const value of restore) await put(value);
  return result;
}

describe("npm run audit -- --verify", () => {
  it("says every chain holds in a trail as bm wrote it", async () => {
    const { code, stdout } = await audit("--verify");
    expect(stdout).toMatch(
      /^audit: verified \d+ events in \d+ chains, 0 seals \(no archive: the chains and seals alone\): all hold\.\n$/,
    );
    expect(code).toBe(0);
  });

  it("names an approval rewritten to another approver: exit 1", async () => {
    const approval = await item(approved, "e000003");
    expect(approval).toMatchObject({ action: "approved", actor: { userId: "U0APPROVER1" } });
    const { code, stdout } = await tampered(
      () => put({ ...approval, actor: { teamId: "T0001", userId: "U0APPROVER2" } }),
      [approval],
    );
    expect(stdout.split("\n")[0]).toBe(
      `${approved} e000003: changed (its content no longer gives its hash)`,
    );
    expect(stdout).toMatch(/: 1 finding\.\n$/);
    expect(code).toBe(1);
    expect((await audit("--verify")).code).toBe(0);
  });

  it("names an event removed, one inserted, and two swapped", async () => {
    const second = await item(approved, "e000002");
    const third = await item(approved, "e000003");
    const removed = await tampered(() => remove(approved, "e000002"), [second]);
    expect(removed.stdout).toContain(
      `${approved} e000002: removed (event #2 is missing from its chain)`,
    );
    expect(removed.code).toBe(1);

    const extra = { ...third, event: "e000099", seq: 99 };
    const inserted = await tampered(() => put(extra), [], [[approved, "e000099"]]);
    expect(inserted.stdout).toContain(`${approved} e000099: inserted`);
    expect(inserted.code).toBe(1);

    const swapped = await tampered(async () => {
      await put({ ...third, event: "e000002" });
      await put({ ...second, event: "e000003" });
    }, [second, third]);
    expect(swapped.stdout).toContain(
      `${approved} e000002: moved (it holds event #3, whose key is e000003)`,
    );
    expect(swapped.stdout).toContain(
      `${approved} e000003: moved (it holds event #2, whose key is e000002)`,
    );
    expect(swapped.code).toBe(1);
    expect((await audit("--verify")).code).toBe(0);
  });

  it("seals yesterday, then names a refusal removed from the sealed day", async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    // A refusal bm wrote yesterday (as the front door writes one).
    await refusalAt(stack, "op-yyyyyyyyyy", yesterday);
    const sealed = await audit("--seal");
    expect(sealed.stdout).toMatch(
      new RegExp(`^sealed ${yesterday.slice(0, 10)}: 1 events, seal [0-9a-f]{64}\\n$`),
    );
    expect((await audit("--seal")).stdout).toBe(
      "audit: every day up to yesterday is sealed already.\n",
    );
    expect((await audit("--verify")).stdout).toMatch(/ 1 seals .*: all hold\.\n$/);

    const key = `r${yesterday}#`;
    const { stdout, code } = await audit("--verify");
    expect(code).toBe(0);
    const { Items = [] } = await stack.dynamo.send(
      new RawQueryCommand({
        TableName: table(),
        KeyConditionExpression: "operationId = :id",
        ExpressionAttributeValues: { ":id": { S: "op-yyyyyyyyyy" } },
      }),
    );
    const refusal = unmarshall(Items[0] ?? {});
    expect(String(refusal.event).startsWith(key)).toBe(true);
    expect(stdout).not.toContain("op-yyyyyyyyyy");
    const gone = await tampered(() => remove("op-yyyyyyyyyy", String(refusal.event)), [refusal]);
    expect(gone.stdout).toContain(
      `op-yyyyyyyyyy ${refusal.event}: removed (the seal of ${yesterday.slice(0, 10)} lists it; the audit table has it no more)`,
    );
    expect(gone.code).toBe(1);
  });

  it("says a mistake in the command plainly, without a stack trace", async () => {
    const typo = await audit("--frmat", "csv");
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(
      /^audit: Unknown option '--frmat' \(did you mean --format\?\)\nusage: npm run audit -- /,
    );
    expect(typo.stderr).not.toContain("    at ");
    const bare = await audit("--since");
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^audit: Option '--since <value>' argument missing\nusage:/);
    expect((await audit("--verify", "--seal")).stderr).toBe(
      "audit: --verify and --seal are two commands: run them one at a time\n",
    );
    const help = await audit("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("npm run audit -- --verify [--since DATE]");
  });
});
