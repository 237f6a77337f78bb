/**
 * Lists longer than Slack allows, through the real handlers against the strict Slack stand-in: a
 * channel whose policy names 150 approvers, a name shared by 75 servers.
 */
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../lib/ecl/simulator/sample";
import type { LocalStack } from "../../lib/local/stack";
import { drain, operation, settled, slash, testStack, thread } from "../support/stack-harness";

describe("lists longer than Slack allows", () => {
  let big: LocalStack;
  const approvers = Array.from({ length: 150 }, (_, i) => `U1${String(i).padStart(4, "0")}`);

  beforeAll(async () => {
    const policy = join(tmpdir(), `bm-many-${process.pid}.json`);
    await writeFile(
      policy,
      JSON.stringify({
        tenants: { sample: { secret: "bm/tenant/sample" } },
        channels: {
          C0MANY: { tenant: "sample", requesters: ["*"], approvers, approvals: 1 },
          C0INCIDENT: { tenant: "sample", requesters: ["*"], approvals: 0 },
        },
      }),
    );
    big = await testStack({ policyFile: policy, taskMs: 100 });
  });
  afterAll(() => big.close());

  it("an approval card with 150 approvers names ten and counts the rest", async () => {
    const server = big.ecl?.model.addServer(SAMPLE.tenantId, {
      name: "many",
      media: [SAMPLE.image],
    });
    const answer = await slash(big, `detach ${server?.id} ${SAMPLE.image}`, { channel: "C0MANY" });
    await drain(big, async () => (await operation(big, answer.operationId)).parentTs !== undefined);
    const op = await operation(big, answer.operationId);
    expect(op.state).toBe("awaiting_approval");
    expect(thread(big, op).parent).toContain(
      `*Approval*\n1 needed from ${approvers
        .slice(0, 10)
        .map((a) => `<@${a}>`)
        .join(", ")}, … and 140 more`,
    );
    expect(big.slack?.calls.filter((c) => c.error)).toEqual([]);
  });

  it("a name shared by 75 servers fails plainly, with a card Slack takes", async () => {
    for (let i = 0; i < 75; i++)
      big.ecl?.model.addServer(SAMPLE.tenantId, { name: "dup", media: [SAMPLE.image] });
    const answer = await slash(big, `detach dup ${SAMPLE.image}`);
    await drain(big, async () => settled(big, answer.operationId));
    const op = await operation(big, answer.operationId);
    expect(op.state).toBe("failed");
    expect(thread(big, op).replies.at(-1)).toMatch(
      /the detach failed: 75 servers are named "dup" \([0-9a-f-]+(, [0-9a-f-]+){4}, … and 70 more\); use the id$/,
    );
    expect(big.slack?.calls.filter((c) => c.error)).toEqual([]);
  });
});
