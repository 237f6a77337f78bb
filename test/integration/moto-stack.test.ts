import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack";
import { AGAINST_MOTO, MOTO_URL, slash, testStack } from "../support/stack-harness";

/**
 * The `moto` project's stacks really are on moto, each in an account of its own: else its runs
 * of the other files would pass against dynalite and the stand-ins, and prove nothing new.
 */
if (!AGAINST_MOTO) console.warn("the moto stack's own test runs in the moto project only");

describe.skipIf(!AGAINST_MOTO)("a test stack in the moto project", () => {
  let first: LocalStack;
  let env: Record<string, string>;
  beforeAll(async () => {
    first = await testStack();
    env = { ...first.env };
  });
  afterAll(() => first?.close());

  it("has DynamoDB, SQS and Secrets Manager of moto, and no stand-in for them", async () => {
    expect(env.AWS_ENDPOINT_URL_DYNAMODB).toBe(MOTO_URL);
    expect(env.AWS_ENDPOINT_URL_SQS).toBe(MOTO_URL);
    expect(env.AWS_ENDPOINT_URL_SECRETS_MANAGER).toBe(MOTO_URL);
    expect(env.BM_QUEUE_URL?.startsWith(`${MOTO_URL}/`)).toBe(true);
    expect(env.BM_SECRETS_FILE).toBeUndefined();
    expect(first.queue).toBeUndefined();
    expect(first.secretsManager).toBeUndefined();
    const { TableNames = [] } = await first.dynamo.send(new ListTablesCommand({}));
    expect(TableNames.sort()).toEqual([env.BM_AUDIT_TABLE, env.BM_TABLE].sort());
    // And a request goes through it.
    const answer = await slash(first, "detach web01 3339fd5f-ec06-4ef8-9337-c1c70218a748", {
      follow: false,
    });
    expect(answer.status).toBe(200);
  });

  it("a second stack has an account and names of its own", async () => {
    const second = await testStack();
    try {
      const account = (url: string | undefined) => new URL(url ?? "").pathname.split("/")[1];
      expect(account(second.env.BM_QUEUE_URL)).not.toBe(account(env.BM_QUEUE_URL));
      expect(second.env.BM_TABLE).not.toBe(env.BM_TABLE);
      const { TableNames = [] } = await second.dynamo.send(new ListTablesCommand({}));
      expect(TableNames).not.toContain(env.BM_TABLE);
    } finally {
      await second.close();
    }
  });
});
