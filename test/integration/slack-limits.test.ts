/**
 * Lists longer than Slack allows, through the real handlers against the strict Slack stand-in: a
 * channel whose policy names 150 approvers, a name shared by 75 servers, a server with 20 images.
 */
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { drain, operation, slash, testStack, thread } from "../support/stack-harness";

describe("lists longer than Slack allows", () => {
  let big: LocalStack;
  const approvers = Array.from({ length: 150 }, (_, i) => `U1${String(i).padStart(4, "0")}`);

  beforeAll(async () => {
    const policy = join(tmpdir(), `bm-many-${process.pid}.json`);
    await writeFile(
      policy,
      JSON.stringify({
        team_ids: ["T0001", "T0LOCAL"], // the harness's team, and the Slack stand-in's users'
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

  it("a name shared by 75 servers: a private choice Slack takes, 40 shown and the rest counted", async () => {
    const images = [SAMPLE.image, SAMPLE.otherImage, "0f0e0d0c-0b0a-4909-8807-060504030201"];
    for (let i = 0; i < 75; i++)
      big.ecl?.model.addServer(SAMPLE.tenantId, { name: "dup", media: images });
    const before = big.slack?.history("C0INCIDENT").length;
    const answer = await slash(big, "detach dup");
    expect(answer.operationId).toBeUndefined();
    const [choice] = big.slack?.ephemeralsOf("C0INCIDENT", "U0REQUESTER").slice(-1) ?? [];
    const blocks = (choice?.blocks ?? []) as Array<{ accessory?: { value: string } }>;
    expect(blocks).toHaveLength(42);
    expect(blocks.filter((b) => b.accessory)).toHaveLength(40);
    expect(JSON.stringify(blocks.at(-1))).toContain("35 more are not shown");
    expect(big.slack?.calls.filter((c) => c.error)).toEqual([]);
    expect(big.slack?.history("C0INCIDENT").length).toBe(before);
  });

  it("a server with 20 images attached: a private choice of all 20 that Slack takes", async () => {
    const media = Array.from(
      { length: 20 },
      (_, i) => `3339fd5f-ec06-4ef8-9337-${String(i).padStart(12, "0")}`,
    );
    big.ecl?.model.addServer(SAMPLE.tenantId, { name: "twenty", media });
    const answer = await slash(big, "detach twenty");
    expect(answer.operationId).toBeUndefined();
    const [choice] = big.slack?.ephemeralsOf("C0INCIDENT", "U0REQUESTER").slice(-1) ?? [];
    const buttons = ((choice?.blocks ?? []) as Array<{ accessory?: { text: { text: string } } }>)
      .filter((b) => b.accessory)
      .map((b) => b.accessory?.text.text);
    expect(buttons).toEqual(Array(20).fill("Detach this image"));
    expect(big.slack?.calls.filter((c) => c.error)).toEqual([]);
  });
});
