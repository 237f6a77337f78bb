import { describe, expect, it } from "vitest";
import type { FrontDoorDeps } from "../../../lib/front-door/deps";
import { handleSlashCommand } from "../../../lib/front-door/handle-command";
import type { AuditEvent, Operation } from "../../../lib/operations/operation";
import type { WorkMessage } from "../../../lib/operations/ports";
import { parsePolicy } from "../../../lib/policy/policy";
import { cachedGroupMembers } from "../../../lib/slack/chat";
import { memoryStore } from "../memory-store";

const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";

/** Front-door ports in memory. */
function fakes(overrides: Partial<FrontDoorDeps> = {}) {
  const ops = new Map<string, Operation>();
  const events: AuditEvent[] = [];
  const sent: WorkMessage[] = [];
  const deps: FrontDoorDeps = {
    policy: parsePolicy({
      tenants: { t: { secret: "bm/tenant/t" } },
      channels: { C0OPS: { tenant: "t", requesters: ["S0OPS"], approvals: 0 } },
    }),
    store: memoryStore(ops),
    // Appending an event again changes nothing, as in the audit table.
    audit: {
      append: async (e) => {
        if (e.seq === 0 || !events.some((x) => x.operationId === e.operationId && x.seq === e.seq))
          events.push(e);
      },
    },
    queue: { send: async (m) => void sent.push(m) },
    chat: { ephemeral: async () => {}, openView: async () => {} },
    groupMembers: async () => ["U0OP"],
    now: () => new Date("2026-11-26T10:00:00Z"),
    log: { info: () => {}, warn: () => {} },
    ...overrides,
  };
  return { deps, ops, events, sent };
}

const command = (userId: string) => ({
  teamId: "T1",
  channelId: "C0OPS",
  userId,
  text: `detach web01 ${IMAGE}`,
  triggerId: "1.2.3",
});

describe("handleSlashCommand", () => {
  it("lets a group member request", async () => {
    const { deps, sent } = fakes();
    expect(await handleSlashCommand(deps, command("U0OP"))).toMatch(/^Recorded `op-/);
    expect(sent).toHaveLength(1);
  });

  it("refuses, audited, when Slack cannot say who is in the group", async () => {
    const { deps, events, ops } = fakes({
      groupMembers: async () => Promise.reject(new Error("ratelimited")),
    });
    expect(await handleSlashCommand(deps, command("U0OP"))).toContain(
      "could not check your user groups with Slack",
    );
    expect(events.map((e) => e.action)).toEqual(["refused:group_lookup_failed"]);
    expect(ops.size).toBe(0);
  });

  it("when the queue cannot take it, keeps it recorded and watched, and says it will follow", async () => {
    const { deps, ops, events } = fakes({
      queue: { send: async () => Promise.reject(new Error("sqs down")) },
    });
    expect(await handleSlashCommand(deps, command("U0OP"))).toMatch(
      /^Recorded `op-\w+`: .* \(bm could not hand it to its worker at once; it will within a minute or two\.\)$/,
    );
    // Not failed on a guess (the send may have reached SQS): the follow-up hands it over.
    expect([...ops.values()].map((o) => [o.state, o.inflight])).toEqual([
      ["requested", "requested"],
    ]);
    expect(events.map((e) => e.action)).toEqual(["requested"]);
  });
});

describe("cachedGroupMembers", () => {
  it("asks once per group within the ttl, and again after it or after a failure", async () => {
    const clock = { now: 0 };
    const asked: string[] = [];
    let fail = true;
    const members = cachedGroupMembers(
      async (g) => {
        asked.push(g);
        if (fail) throw new Error("down");
        return ["U1"];
      },
      1000,
      () => clock.now,
    );
    await expect(members("S1")).rejects.toThrow("down");
    fail = false;
    expect(await members("S1")).toEqual(["U1"]);
    await members("S1");
    clock.now = 1000;
    await members("S1");
    expect(asked).toEqual(["S1", "S1", "S1"]);
  });
});
