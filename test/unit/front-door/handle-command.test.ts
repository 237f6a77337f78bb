import { describe, expect, it } from "vitest";
import type { FrontDoorDeps } from "../../../lib/front-door/deps";
import { handleSlashCommand } from "../../../lib/front-door/handle-command";
import type { AuditEvent, Operation } from "../../../lib/operations/operation";
import type { WorkMessage } from "../../../lib/operations/work-message";
import { parsePolicy } from "../../../lib/policy/policy";
import { cachedGroupMembers } from "../../../lib/slack/chat";
import { memoryChoices, memoryStore } from "../memory-store";

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
    choices: memoryChoices(),
    chat: { ephemeral: async () => {}, openView: async () => {}, respond: async () => {} },
    groupMembers: async () => ["U0OP"],
    now: () => new Date("2026-11-26T10:00:00Z"),
    log: { info: () => {}, warn: () => {} },
    ...overrides,
  };
  return { deps, ops, events, sent };
}

const SERVER = "c880a4b5-0230-4925-a8f5-16fb48249275";

const command = (userId: string, text = `detach ${SERVER} ${IMAGE}`) => ({
  teamId: "T1",
  channelId: "C0OPS",
  userId,
  text,
  triggerId: "1.2.3",
});

describe("handleSlashCommand", () => {
  it("lets a group member request", async () => {
    const { deps, sent } = fakes();
    expect(await handleSlashCommand(deps, command("U0OP"))).toMatch(/^Recorded `op-/);
    expect(sent).toHaveLength(1);
  });

  it.each([
    [
      `detach web01 ${IMAGE}`,
      "Looking up `web01` in tenant `t`: bm records the request once it knows which server is meant",
    ],
    [`detach ${SERVER}`, `Looking up the images attached to \`${SERVER}\` in tenant \`t\``],
    ["detach web01", "Looking up the images attached to `web01` in tenant `t`"],
  ])("%s: records nothing but a lookup for the worker", async (text, said) => {
    const { deps, sent, ops, events } = fakes();
    expect(await handleSlashCommand(deps, command("U0OP", text))).toContain(said);
    expect(sent).toEqual([
      { kind: "lookup", choiceId: expect.stringMatching(/^ch-[0-9a-z]{10}$/) },
    ]);
    expect(ops.size).toBe(0);
    expect(events).toEqual([]);
  });

  it("a repeated delivery of a lookup hands it over once", async () => {
    const { deps, sent } = fakes();
    await handleSlashCommand(deps, command("U0OP", "detach web01"));
    // Still looking (its first send may have been lost): handed over again; not once it is answered.
    await handleSlashCommand(deps, command("U0OP", "detach web01"));
    expect(sent).toHaveLength(2);
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
