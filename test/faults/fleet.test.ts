/**
 * Faults around a fleet request's prepare: the list of the tenant's servers fails, hangs, or
 * succeeds and then the write of the targets is lost. Whatever happens, each target is detached
 * exactly once, and none is named that does not have the image.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Operation } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { ECL_ACTIONS, operation, slash } from "../support/stack-harness";
import { settle } from "./invariants";
import { useFaultStack } from "./matrix";

const fixture = useFaultStack({ queueTimeScale: 0.02 });
let stack: LocalStack;
beforeEach(() => {
  stack = fixture.stack();
  stack.ecl?.model.clearFaults();
});

/** Three fresh servers with the image under a fresh prefix, and a fleet request for them. */
async function fleetOfThree(): Promise<{ ids: string[]; id: string }> {
  const prefix = `fl-${Math.random().toString(36).slice(2, 7)}-`;
  const ids = [1, 2, 3].map(
    (i) =>
      stack.ecl?.model.addServer(SAMPLE.tenantId, { name: `${prefix}${i}`, media: [SAMPLE.image] })
        ?.id as string,
  );
  const answer = await slash(stack, `detach --all ${SAMPLE.image} --match ${prefix}`);
  return { ids, id: answer.operationId as string };
}

async function assessDone(id: string, ids: string[]): Promise<Operation> {
  await settle(stack, id, 30_000);
  const fleet = await operation(stack, id);
  expect(fleet.state).toBe("done");
  expect(fleet.outcome).toBe("3 done");
  for (const server of ids)
    expect(
      ECL_ACTIONS(stack).filter((r) => r.path.includes(server) && r.status === 200),
    ).toHaveLength(1);
  return fleet;
}

describe("the list at prepare", () => {
  it("fails (500, past the GET's retries): the message comes back, the fleet goes on, each once", async () => {
    stack.ecl?.model.inject({ route: "list", status: 500, times: 3 });
    const { ids, id } = await fleetOfThree();
    const fleet = await assessDone(id, ids);
    expect(fleet.fleet?.targets).toHaveLength(3);
    // Three 500s (a try and the GET's two retries), then the redelivery's list.
    const lists = stack.ecl?.requests.filter((r) => r.route === "list").map((r) => r.status);
    expect(lists?.slice(-4)).toEqual([500, 500, 500, 200]);
  }, 60_000);

  it("hangs (cut by the read timeout, retried): the fleet goes on, each once", async () => {
    stack.ecl?.model.inject({ route: "list", hang: true, times: 3 });
    const { ids, id } = await fleetOfThree();
    await assessDone(id, ids);
  }, 60_000);

  it("answers, then the write of the targets is lost: the redelivery lists again, each once", async () => {
    stack.faults.dynamo?.inject({
      target: "PutItem",
      kind: "error",
      when: (input) =>
        (input.Item as { state?: { S?: string } } | undefined)?.state?.S === "approved" &&
        (input.Item as { fleet?: unknown }).fleet !== undefined,
      times: 1,
    });
    const { ids, id } = await fleetOfThree();
    await assessDone(id, ids);
    const lists = stack.ecl?.requests.filter((r) => r.route === "list") ?? [];
    expect(lists.length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it("refuses for good (403): the request fails, said, nothing sent, the image's fleet lock let go", async () => {
    stack.ecl?.model.inject({ route: "list", status: 403, times: 1 });
    const { ids, id } = await fleetOfThree();
    await settle(stack, id, 30_000);
    const failed = await operation(stack, id);
    expect(failed.state).toBe("failed");
    expect(failed.outcome).toContain("403");
    expect(ECL_ACTIONS(stack).filter((r) => ids.some((s) => r.path.includes(s)))).toEqual([]);
    // The lock is free: the next fleet for the image goes through.
    const again = await slash(stack, `detach --all ${SAMPLE.image} --match ${failed.serverRef}`);
    await assessDone(again.operationId as string, ids);
  }, 60_000);
});
