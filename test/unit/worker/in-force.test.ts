import { describe, expect, it } from "vitest";
import { EclNetworkError } from "../../../lib/ecl/errors";
import type { Operation } from "../../../lib/operations/operation";
import { TenantSecretError } from "../../../lib/secrets/tenant-secret";
import { processMessage } from "../../../lib/worker/process-message";
import { RetryLater } from "../../../lib/worker/retry-later";
import { GROUPS, NOW, operationIn, recordingOpens, workerFakes } from "../fakes";

type Fakes = ReturnType<typeof workerFakes>;
const run = (f: Fakes, op: Operation, kind: "prepare" | "execute", receive = 1) =>
  processMessage(f.deps, { kind, operationId: op.id }, receive);
const detaches = (f: Fakes) => f.calls.filter((c) => c.startsWith("detach"));
const before = new Date(NOW.getTime() - 10_000).toISOString();
const expires = new Date(NOW.getTime() + 60_000).toISOString();

describe("the worker asks the policy in force before it sends a detach", () => {
  it("an `approved` item with no approvals (written straight into the table): failed, nothing sent", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0CHG", ["approved"], { serverId: "s", serverName: "web01" });
    await run(f, op, "execute");
    expect(detaches(f)).toEqual([]);
    expect(f.ops.get(op.id)).toMatchObject({
      state: "failed",
      outcome:
        "bm did not send the detach: it has 0 valid approvals of the 2 the policy requires. Nothing was sent to ECL.",
    });
    expect(f.events.at(-1)).toMatchObject({
      action: "failed",
      actor: { userId: "bm" },
      facts: { refusedBy: "policy in force", reason: "approvals_short", receiveCount: 1 },
    });
    // The thread is told, with the requester named.
    expect(f.slack.filter((m) => m.threadTs).map((m) => m.text)).toContainEqual(
      expect.stringContaining("the detach failed: bm did not send the detach"),
    );
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "the policy in force refuses the detach; nothing sent",
      extra: { operationId: op.id, reason: "approvals_short" },
    });
  });

  it("an approver removed from the group since they approved: failed, nothing sent", async () => {
    const approvals = [
      { userId: "U0A1", at: before },
      { userId: "U0A2", at: before },
    ];
    const changes = { serverId: "s", serverName: "web01", approvals, requestExpiresAt: expires };
    const kept = workerFakes();
    const ok = operationIn(kept.ops, "C0CHG", ["approved"], changes);
    await run(kept, ok, "execute");
    expect(detaches(kept)).toHaveLength(1);

    const f = workerFakes(
      {},
      { groupMembers: async (g) => (g === "S0APP" ? [] : (GROUPS[g] ?? [])) },
    );
    const op = operationIn(f.ops, "C0CHG", ["approved"], changes);
    await run(f, op, "execute");
    expect(detaches(f)).toEqual([]);
    expect(f.ops.get(op.id)?.outcome).toBe(
      "bm did not send the detach: it has 1 valid approval of the 2 the policy requires (an approver is no longer one of the channel's approvers). Nothing was sent to ECL.",
    );
  });

  it("checks right before the POST, after a wait for idle too", async () => {
    const f = workerFakes({}, { groupMembers: async () => [] });
    const op = operationIn(f.ops, "C0CHG", ["approved", "waiting_for_idle"], {
      serverId: "s",
      approvals: [
        { userId: "U0A1", at: before },
        { userId: "U0A2", at: before },
      ],
      requestExpiresAt: expires,
    });
    await run(f, op, "execute");
    expect(f.calls).toEqual(["slack card", "slack reply", "show s", "slack reply"]);
    expect(f.ops.get(op.id)?.state).toBe("failed");
  });

  it("Slack cannot say who is in a group: nothing sent, nothing decided, tried again", async () => {
    const f = workerFakes(
      {},
      {
        groupMembers: async () => {
          throw new Error("ratelimited");
        },
      },
    );
    const op = operationIn(f.ops, "C0CHG", ["approved"], {
      serverId: "s",
      approvals: [
        { userId: "U0A1", at: before },
        { userId: "U0A2", at: before },
      ],
      requestExpiresAt: expires,
    });
    await expect(run(f, op, "execute")).rejects.toBeInstanceOf(RetryLater);
    expect(f.ops.get(op.id)?.state).toBe("approved");
    expect(detaches(f)).toEqual([]);
    // The last try ends it plainly.
    await run(f, op, "execute", 5);
    expect(f.ops.get(op.id)).toMatchObject({ state: "failed" });
    expect(f.ops.get(op.id)?.outcome).toContain(
      "Slack could not say who is in the channel's user groups",
    );
    expect(detaches(f)).toEqual([]);
  });

  it("a request naming another tenant's secret: failed at prepare, ECL never read with it", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", [], { secretId: "bm/tenant/other" });
    await run(f, op, "prepare");
    expect(f.calls).toEqual(["slack card", "slack reply"]);
    expect(f.ops.get(op.id)).toMatchObject({
      state: "failed",
      outcome:
        "bm did not send the detach: it names a tenant or a secret that is not its channel's in the policy. Nothing was sent to ECL.",
    });
  });

  it("a request in a channel the policy no longer binds: failed at prepare", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC");
    f.deps.policy = { ...f.deps.policy, channels: {} };
    await run(f, op, "prepare");
    expect(f.calls).toEqual(["slack card", "slack reply"]);
    expect(f.events.at(-1)?.facts).toMatchObject({ reason: "channel_not_bound" });
  });

  it("a break-glass request by anyone in the channel still goes out", async () => {
    const f = workerFakes();
    const op = operationIn(f.ops, "C0INC", [], {}, "U0ANYONE");
    await run(f, op, "prepare");
    expect(detaches(f)).toHaveLength(1);
  });
});

describe("a final answer before the POST, when executing", () => {
  it("a tenant that cannot be opened any more (an endpoint refused, say): failed, said, nothing sent", async () => {
    const f = workerFakes(
      {},
      {
        openTenant: async () => {
          throw new TenantSecretError("bm/tenant/t", ["api_endpoint must be a URL"]);
        },
      },
    );
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: "s", serverName: "web01" });
    await run(f, op, "execute");
    expect(detaches(f)).toEqual([]);
    expect(f.ops.get(op.id)).toMatchObject({
      state: "failed",
      outcome: 'tenant secret "bm/tenant/t" is invalid: api_endpoint must be a URL',
    });
  });

  it("a passing failure is left for the queue to bring back", async () => {
    const f = workerFakes({ reads: [new EclNetworkError("timeout", "GET", "https://ecl.test")] });
    const op = operationIn(f.ops, "C0INC", ["approved"], { serverId: "s", serverName: "web01" });
    await expect(run(f, op, "execute")).rejects.toBeInstanceOf(RetryLater);
    expect(f.ops.get(op.id)?.state).toBe("approved");
  });
});

describe("a final failure the step does not end itself", () => {
  it("is thrown as it is, not tried again as if it might pass (a redelivery reading the server)", async () => {
    const broken = new TenantSecretError("bm/tenant/t", ["tenant_id is missing"]);
    const f = workerFakes({}, { openTenant: async () => Promise.reject(broken) });
    const op = operationIn(f.ops, "C0INC", ["approved", "executing"], { serverId: "s" });
    await expect(run(f, op, "execute")).rejects.toBe(broken);
    expect(f.ops.get(op.id)?.state).toBe("executing");
    expect(f.logs.some((l) => l.message === "passing failure")).toBe(false);
  });
});

describe("the secret a message names is its channel's tenant's, before anything is read with it", () => {
  /** Worker fakes that keep each secret a tenant was opened with. */
  const opening = () => recordingOpens(workerFakes());
  const FOREIGN =
    "bm/tenant/other: bm did not send the detach: it names a tenant or a secret that is not its channel's in the policy. Nothing was sent to ECL.";

  it.each([
    ["approved", ["approved"]],
    ["waiting for idle", ["approved", "waiting_for_idle"]],
    ["executing (a redelivery reading the server)", ["approved", "executing"]],
  ] as const)(
    "an item %s naming another secret: refused, never opened, no lock",
    async (_, states) => {
      const f = opening();
      const approvals = [{ userId: "U0REQ", at: before }];
      const op = operationIn(f.ops, "C0SELF", [...states], {
        serverId: "s",
        serverName: "web01",
        secretId: "bm/tenant/other",
        approvals,
        requestExpiresAt: expires,
      });
      await run(f, op, "execute");
      expect(f.opened).toEqual([]);
      expect(f.calls.filter((c) => !c.startsWith("slack"))).toEqual([]);
      const after = f.ops.get(op.id);
      expect(`${after?.secretId}: ${after?.outcome}`).toBe(FOREIGN);
      expect(after?.state).toBe("failed");
      expect(after?.lockKey).toBeUndefined();
      expect(f.events.at(-1)).toMatchObject({
        action: "failed",
        facts: { refusedBy: "policy in force", reason: "tenant_not_the_channels" },
      });
    },
  );

  it("the same item naming its channel's secret is read and sent", async () => {
    const f = opening();
    const op = operationIn(f.ops, "C0SELF", ["approved", "executing"], {
      serverId: "s",
      serverName: "web01",
      updatedAt: new Date(NOW.getTime() - 60_000).toISOString(),
    });
    await run(f, op, "execute");
    expect(f.opened).toEqual(["bm/tenant/t"]);
    expect(f.ops.get(op.id)?.state).toBe("failed");
    expect(f.ops.get(op.id)?.outcome).toContain("ECL did not answer the detach request");
  });
});
