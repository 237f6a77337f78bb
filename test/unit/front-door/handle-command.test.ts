import { describe, expect, it } from "vitest";
import type { FrontDoorDeps } from "../../../lib/front-door/deps";
import { handleSlashCommand } from "../../../lib/front-door/handle-command";
import { RefusalTally } from "../../../lib/front-door/refusals";
import type { AuditEvent, Operation } from "../../../lib/operations/operation";
import { readIdFor } from "../../../lib/operations/standalone-event";
import type { WorkMessage } from "../../../lib/operations/work-message";
import { parsePolicy } from "../../../lib/policy/policy";
import { cachedGroupMembers } from "../../../lib/slack/chat";
import { frontDoorFakes, GROUPS, memoryClaims, NOW, operationIn, person } from "../fakes";
import { memoryChoices, memoryStore } from "../memory-store";

const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";

/** Front-door ports in memory. */
function fakes(overrides: Partial<FrontDoorDeps> = {}) {
  const ops = new Map<string, Operation>();
  const events: AuditEvent[] = [];
  const sent: WorkMessage[] = [];
  const deps: FrontDoorDeps = {
    policy: parsePolicy({
      team_ids: ["T1"],
      tenants: { t: { secret: "bm/tenant/t" } },
      channels: { C0OPS: { tenant: "t", requesters: ["S0OPS"], approvals: 0 } },
    }),
    store: memoryStore(ops),
    person,
    // Appending an event again changes nothing, as in the audit table.
    audit: {
      append: async (e) => {
        if (e.seq === 0 || !events.some((x) => x.operationId === e.operationId && x.seq === e.seq))
          events.push(e);
      },
    },
    queue: { send: async (m) => void sent.push(m) },
    choices: memoryChoices(),
    chat: {
      ephemeral: async () => {},
      openView: async () => ({ id: "V1" }),
      updateView: async () => {},
      respond: async () => {},
      publishHome: async () => {},
    },
    events: memoryClaims(),
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

  it("detach --all: records one fleet request, its prepare queued", async () => {
    const { deps, sent, ops } = fakes();
    const said = await handleSlashCommand(deps, command("U0OP", `detach --all ${IMAGE} INC-7`));
    expect(said).toMatch(
      /^Recorded `op-\w+`: detach image `[^`]+` from every server of tenant `t` that has it\./,
    );
    const [op] = ops.values();
    expect(op?.fleet).toEqual({ targets: [] });
    expect(op?.reason).toBe("INC-7");
    expect(sent).toEqual([{ kind: "prepare", operationId: op?.id }]);
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

/**
 * The shared front-door fakes, with a store that answers `recentForTenant` from its operations
 * (of the tenant, kept by the filter given, at most the limit), and notes what it was asked.
 */
function lookFakes(overrides: Partial<FrontDoorDeps> = {}) {
  const f = frontDoorFakes(overrides);
  const asked: Array<[string, number]> = [];
  f.deps.store = {
    ...f.deps.store,
    recentForTenant: async (tenant, limit, keep) => {
      asked.push([tenant, limit]);
      return [...f.ops.values()]
        .filter((op) => op.tenant === tenant && (keep === undefined || keep(op)))
        .slice(0, limit);
    },
  };
  return { ...f, asked };
}

/** `/bm <text>` typed by `userId` in `channelId`, with a response_url when given. */
const typed = (channelId: string, userId: string, text: string, responseUrl?: string) => ({
  teamId: "T1",
  channelId,
  userId,
  text,
  triggerId: "1.2.3",
  ...(responseUrl ? { responseUrl } : {}),
});

const HEAD = "*bm* detaches virtual media from ECL bare-metal servers.";
const HELP = {
  detach:
    "`/bm detach SERVER [IMAGE-ID [REASON…]]`: detach a virtual media image from a bare-metal server (its name or id); without the image, pick one of those attached; `/bm detach --all IMAGE-ID [--match PREFIX] [REASON…]` detaches it from every server of the tenant that has it, under one approval. Example: `/bm detach web01 3339fd5f-ec06-4ef8-9337-c1c70218a748 INC-1234 reboot loop`",
  cancel:
    "`/bm cancel OPERATION-ID`: cancel your own request before it is sent to ECL. Example: `/bm cancel op-7kq2m9x4ab`",
  status:
    "`/bm status SERVER|OPERATION-ID`: a server's live state and attached media, and its operations in flight. Example: `/bm status web01`",
  media:
    "`/bm media [IMAGE-ID|SERVER]`: the servers with virtual media attached, grouped by image, and how long bm has seen each mounted. Example: `/bm media 3339fd5f-ec06-4ef8-9337-c1c70218a748`",
  history:
    "`/bm history [SERVER]`: the last 10 operations of this channel's tenant. Example: `/bm history web01`",
  help: "`/bm help`: what you may do in this channel.",
};
const APPROVING =
  "You approve or reject requests with the buttons on bm's messages in this channel.";
const NOT_BOUND =
  "bm is not enabled in this channel: no tenant is bound to it in the policy. Ask an admin, or use a channel that is.";
const GROUPS_UNKNOWN =
  "bm could not check your user groups with Slack just now, so it cannot tell what you may do here. Try again in a minute.";
const USAGE = [
  "`/bm detach SERVER [IMAGE-ID [REASON…]]`: detach a virtual media image from a bare-metal server (its name or id); without the image, pick one of those attached; `/bm detach --all IMAGE-ID [--match PREFIX] [REASON…]` detaches it from every server of the tenant that has it, under one approval",
  "`/bm status SERVER|OPERATION-ID`: a server's live state and attached media, and its operations in flight",
  "`/bm media [IMAGE-ID|SERVER]`: the servers with virtual media attached, grouped by image, and how long bm has seen each mounted",
  "`/bm history [SERVER]`: the last 10 operations of this channel's tenant",
  "`/bm cancel OPERATION-ID`: cancel your own request before it is sent to ECL",
  "`/bm help`: what you may do in this channel",
].join("\n");

describe("/bm help", () => {
  it.each([
    // [who, channel, user, text, lines]
    [
      "a requester",
      "C0CHG",
      "U0REQ",
      "help",
      [HEAD, HELP.detach, HELP.cancel, HELP.status, HELP.media, HELP.history, HELP.help],
    ],
    [
      "an approver",
      "C0CHG",
      "U0A1",
      "",
      [HEAD, HELP.status, HELP.media, HELP.history, HELP.help, APPROVING],
    ],
    [
      "an approver through a group",
      "C0CHG",
      "U0A2",
      "HELP",
      [HEAD, HELP.status, HELP.media, HELP.history, HELP.help, APPROVING],
    ],
    [
      "a requester who approves too",
      "C0SELF",
      "U0REQ",
      "help",
      [HEAD, HELP.detach, HELP.cancel, HELP.status, HELP.media, HELP.history, HELP.help, APPROVING],
    ],
    [
      "neither",
      "C0CHG",
      "U0X",
      "help",
      [HEAD, HELP.help, "You are neither a requester nor an approver in this channel."],
    ],
    ["anyone, in a channel not bound", "C0NOPE", "U0REQ", "help", [HEAD, NOT_BOUND]],
  ])("for %s: only what they may do", async (_, channelId, userId, text, lines) => {
    // Prepare
    const f = lookFakes();
    // Act
    const said = await handleSlashCommand(f.deps, typed(channelId, userId, text));
    // Assess
    expect(said).toBe(lines.join("\n"));
    expect(f.events).toEqual([]);
    expect(f.sent).toEqual([]);
  });

  it("when Slack cannot say who is in a group: says so, and refuses nothing", async () => {
    // Prepare
    const f = lookFakes({ groupMembers: async () => Promise.reject(new Error("ratelimited")) });
    // Act
    const said = await handleSlashCommand(f.deps, typed("C0CHG", "U0X", "help"));
    // Assess
    expect(said).toBe(`${HEAD}\n${GROUPS_UNKNOWN}`);
    expect(f.events).toEqual([]);
  });
});

describe("/bm with a mistake", () => {
  it.each([
    ["frob", "`frob` is not a bm command."],
    ["histroy web01", "`histroy` is not a bm command. Did you mean `/bm history`?"],
    [
      "cancel",
      "`/bm cancel` needs an operation id, such as `op-7kq2m9x4ab`: it is in the message bm posted.",
    ],
    ["status", "`/bm status` needs a server name or id, or an operation id: `/bm status web01`"],
  ])("/bm %s: what is wrong, then the usage; nothing done", async (text, wrong) => {
    // Prepare: a requester, who may look at the history.
    const f = lookFakes();
    operationIn(f.ops, "C0CHG");
    // Act
    const said = await handleSlashCommand(f.deps, typed("C0CHG", "U0REQ", text));
    // Assess
    expect(said).toBe(`${wrong}\n${USAGE}`);
    expect(f.events).toEqual([]);
    expect(f.sent).toEqual([]);
    expect(f.asked).toEqual([]);
  });
});

describe("/bm cancel", () => {
  it("by its requester: cancelled, audited, and handed to the worker to announce", async () => {
    // Prepare
    const f = lookFakes();
    const op = operationIn(f.ops, "C0CHG", ["awaiting_approval"]);
    // Act
    const said = await handleSlashCommand(f.deps, typed("C0CHG", "U0REQ", `cancel ${op.id}`));
    // Assess
    expect(said).toBe("You cancelled `op-0000000000`. Nothing was sent to ECL.");
    expect(f.ops.get(op.id)).toMatchObject({ state: "cancelled", cancelledBy: "U0REQ" });
    expect(f.events.map((e) => [e.operationId, e.action, e.actor])).toEqual([
      [op.id, "cancelled", { teamId: "T1", userId: "U0REQ" }],
    ]);
    expect(f.sent).toEqual([{ kind: "announce", operationId: op.id }]);
  });

  it("by someone else: refused, audited, the request unchanged", async () => {
    // Prepare
    const f = lookFakes();
    const op = operationIn(f.ops, "C0CHG", ["awaiting_approval"]);
    // Act
    const said = await handleSlashCommand(f.deps, typed("C0CHG", "U0A1", `cancel ${op.id}`));
    // Assess
    expect(said).toBe("Only the person who asked for `op-0000000000` may cancel it.");
    expect(f.events).toEqual([
      {
        operationId: op.id,
        seq: 0,
        at: NOW.toISOString(),
        action: "refused:not_the_requester",
        actor: { teamId: "T1", userId: "U0A1" },
        facts: { decision: "cancel", state: "awaiting_approval" },
      },
    ]);
    expect(f.ops.get(op.id)?.state).toBe("awaiting_approval");
    expect(f.sent).toEqual([]);
  });
});

describe("/bm status", () => {
  it.each([
    ["a requester", "U0REQ", "https://hooks.slack.com/commands/T1/1/x"],
    ["an approver through a group, without a response_url", "U0A2", undefined],
  ])("by %s: handed to the worker, to answer privately", async (_, userId, responseUrl) => {
    // Prepare
    const f = lookFakes();
    // Act
    const said = await handleSlashCommand(
      f.deps,
      typed("C0CHG", userId, "status web01", responseUrl),
    );
    // Assess
    expect(said).toBe(
      "Looking up `web01` in ECL; the answer will appear here in a moment, for you only.",
    );
    expect(f.sent).toEqual([
      {
        kind: "status",
        request: {
          teamId: "T1",
          channelId: "C0CHG",
          userId,
          target: "web01",
          tenant: "t",
          secretId: "bm/tenant/t",
          ...(responseUrl ? { responseUrl } : {}),
          readId: readIdFor("T1", "1.2.3"),
        },
      },
    ]);
    // The worker audits the read, once it has answered it.
    expect(f.events).toEqual([]);
  });
});

describe("/bm media", () => {
  it.each([
    ["media", undefined, "Looking up the media attached to the servers in ECL"],
    ["media web01", "web01", "Looking up the media attached to `web01` in ECL"],
    [`media ${IMAGE}`, IMAGE, `Looking up the media attached to \`${IMAGE}\` in ECL`],
  ])(
    "/bm %s by an approver: handed to the worker, to answer privately",
    async (text, target, words) => {
      // Prepare
      const f = lookFakes();
      const responseUrl = "https://hooks.slack.com/commands/T1/1/x";
      // Act
      const said = await handleSlashCommand(f.deps, typed("C0CHG", "U0A1", text, responseUrl));
      // Assess
      expect(said).toBe(`${words}; the answer will appear here in a moment, for you only.`);
      expect(f.sent).toStrictEqual([
        {
          kind: "media",
          request: {
            teamId: "T1",
            channelId: "C0CHG",
            userId: "U0A1",
            ...(target === undefined ? {} : { target }),
            tenant: "t",
            secretId: "bm/tenant/t",
            responseUrl,
            readId: readIdFor("T1", "1.2.3"),
          },
        },
      ]);
      expect(f.events).toEqual([]);
    },
  );
});

describe("who may look: /bm status, /bm media and /bm history", () => {
  const refusals = [
    // [who, channel, user, Slack's groups fail, reason, words]
    [
      "someone neither requester nor approver",
      "C0CHG",
      "U0X",
      false,
      "not_a_member",
      "Only this channel's requesters and approvers may look at its servers and history.",
    ],
    ["anyone, in a channel not bound", "C0NOPE", "U0REQ", false, "channel_not_bound", NOT_BOUND],
    [
      "someone Slack cannot place in groups",
      "C0CHG",
      "U0X",
      true,
      "group_lookup_failed",
      GROUPS_UNKNOWN,
    ],
  ] as const;
  it.each(
    refusals.flatMap(([who, ...rest]) =>
      (["status web01", "media", "media web01", "history", "history web01"] as const).map(
        (text) => [text, who, ...rest] as const,
      ),
    ),
  )(
    "/bm %s by %s: refused, audited under the channel",
    async (text, _, channelId, userId, fail, reason, words) => {
      // Prepare
      const f = lookFakes(
        fail ? { groupMembers: async () => Promise.reject(new Error("ratelimited")) } : {},
      );
      operationIn(f.ops, "C0CHG");
      // Act
      const said = await handleSlashCommand(f.deps, typed(channelId, userId, text));
      // Assess
      expect(said).toBe(words);
      expect(f.events).toEqual([
        {
          operationId: `channel-${channelId}`,
          seq: 0,
          at: NOW.toISOString(),
          action: `refused:${reason}`,
          actor: { teamId: "T1", userId },
          facts: { command: text.split(" ")[0] },
        },
      ]);
      expect(f.sent).toEqual([]);
      expect(f.asked).toEqual([]);
    },
  );
});

describe("/bm history", () => {
  /** Two operations of tenant t (web01 done with two approvals, web02 just asked), one of another. */
  function kept(f: ReturnType<typeof lookFakes>) {
    const at = "2026-11-27T09:59:20.000Z";
    operationIn(
      f.ops,
      "C0CHG",
      ["awaiting_approval", "approved", "executing", "detaching", "done"],
      {
        serverName: "web01",
        approvals: [
          { userId: "U0A1", at },
          { userId: "U0A2", at },
        ],
      },
    );
    operationIn(f.ops, "C0INC", [], { serverRef: "web02" });
    operationIn(f.ops, "C0CHG", [], { serverRef: "web01", tenant: "elsewhere" });
  }
  const WEB01 =
    "• `op-0000000000` <!date^1795773540^{date_num} {time}|2026-11-27 09:59 UTC> `web01` · requested by <@U0REQ> · approved by <@U0A1>, <@U0A2> · *done* in 30.0s";
  const WEB02 =
    "• `op-0000000001` <!date^1795773540^{date_num} {time}|2026-11-27 09:59 UTC> `web02` · requested by <@U0REQ> · *requested* (in progress)";

  it.each([
    // [text, user, lines, what the audit keeps of it]
    ["history", "U0REQ", ["The last 2 operations in tenant `t`:", WEB01, WEB02], { shown: 2 }],
    ["history", "U0A1", ["The last 2 operations in tenant `t`:", WEB01, WEB02], { shown: 2 }],
    [
      "history web01",
      "U0REQ",
      ["The last 1 operation for `web01` in tenant `t`:", WEB01],
      { server: "web01", shown: 1 },
    ],
    [
      "history WEB02",
      "U0A2",
      ["The last 1 operation for `WEB02` in tenant `t`:", WEB02],
      { server: "WEB02", shown: 1 },
    ],
    [
      "history web03",
      "U0REQ",
      ["No operations for `web03` in tenant `t` yet."],
      { server: "web03", shown: 0 },
    ],
  ])(
    "/bm %s by %s: the tenant's last operations, one a line, the read audited",
    async (text, userId, lines, facts) => {
      // Prepare
      const f = lookFakes();
      kept(f);
      // Act
      const said = await handleSlashCommand(f.deps, typed("C0CHG", userId, text));
      // Assess
      expect(said).toBe(lines.join("\n"));
      expect(f.asked).toEqual([["t", 10]]);
      expect(f.events).toStrictEqual([
        {
          operationId: readIdFor("T1", "1.2.3"),
          seq: 0,
          at: NOW.toISOString(),
          action: "viewed:history",
          actor: { teamId: "T1", userId },
          facts: { channel: "C0CHG", tenant: "t", hidden: 0, unchecked: 0, ...facts },
        },
      ]);
      expect(f.sent).toEqual([]);
    },
  );

  it("the audit failing: answered all the same, the failure logged and counted", async () => {
    // Prepare
    const counted: string[] = [];
    const warned: string[] = [];
    const f = lookFakes({
      audit: { append: async () => Promise.reject(new Error("down")) },
      metrics: { put: (name) => void counted.push(name), flush() {} },
      log: { info: () => {}, warn: (message) => void warned.push(message) },
    });
    kept(f);
    // Act
    const said = await handleSlashCommand(f.deps, typed("C0CHG", "U0REQ", "history web01"));
    // Assess
    expect(said).toBe(["The last 1 operation for `web01` in tenant `t`:", WEB01].join("\n"));
    expect(counted).toEqual(["AuditWriteError"]);
    expect(warned).toEqual(["audit append of a read failed; the read is answered all the same"]);
  });

  it("the audit still at work near the work's deadline: answered then, before the deadline", async () => {
    // Prepare
    const counted: string[] = [];
    const f = lookFakes({
      audit: { append: () => new Promise<void>(() => {}) },
      metrics: { put: (name) => void counted.push(name), flush() {} },
    });
    kept(f);
    const workBy = Date.now() + 150;
    // Act
    const said = await handleSlashCommand(f.deps, typed("C0CHG", "U0REQ", "history web01"), workBy);
    // Assess
    expect(Date.now()).toBeLessThan(workBy);
    expect(said).toBe(["The last 1 operation for `web01` in tenant `t`:", WEB01].join("\n"));
    expect(counted).toEqual(["AuditWriteError"]);
  });

  it("without a deadline given, the work's whole budget: an audit of a few ms is waited for", async () => {
    // Prepare
    const counted: string[] = [];
    const appended: AuditEvent[] = [];
    const f = lookFakes({
      audit: {
        append: (e) =>
          new Promise<void>((resolve) => setTimeout(() => resolve(void appended.push(e)), 20)),
      },
      metrics: { put: (name) => void counted.push(name), flush() {} },
    });
    // Act
    await handleSlashCommand(f.deps, typed("C0CHG", "U0REQ", "history"));
    // Assess
    expect(appended.map((e) => e.action)).toEqual(["viewed:history"]);
    expect(counted).toEqual([]);
  });

  it("with none yet: says so", async () => {
    // Prepare
    const f = lookFakes();
    // Act
    const said = await handleSlashCommand(f.deps, typed("C0CHG", "U0REQ", "history"));
    // Assess
    expect(said).toBe("No operations in tenant `t` yet.");
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
      { now: () => clock.now },
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

describe("what a channel may see: /bm history across the tenant's channels", () => {
  it("from an open channel, shows none of a closed channel's operations, only their count", async () => {
    // Prepare: U0X may request in C0INC (anyone may), not in C0CHG.
    const f = lookFakes();
    const closed = operationIn(f.ops, "C0CHG", [], { serverRef: "web01", reason: "secret" });
    const open = operationIn(f.ops, "C0INC", [], { serverRef: "web02" });
    // Act
    const said = await handleSlashCommand(f.deps, typed("C0INC", "U0X", "history"));
    // Assess
    expect(said.split("\n")).toEqual([
      "The last 1 operation in tenant `t`:",
      `• \`${open.id}\` <!date^1795773540^{date_num} {time}|2026-11-27 09:59 UTC> \`web02\` · requested by <@U0REQ> · *requested* (in progress)`,
      "1 more in channels you cannot see.",
    ]);
    expect(said).not.toContain(closed.id);
  });

  it("asks Slack for each group once beside the channel's own check, and not for a status", async () => {
    // Prepare
    const asked: string[] = [];
    const f = lookFakes({
      groupMembers: async (group) => {
        asked.push(group);
        return GROUPS[group] ?? [];
      },
    });
    // Act: U0A2 approves in C0CHG through S0APP; C0INC and C0SELF list no groups.
    await handleSlashCommand(f.deps, typed("C0CHG", "U0A2", "status web01"));
    const byStatus = [...asked];
    await handleSlashCommand(f.deps, typed("C0CHG", "U0A2", "history"));
    // Assess: the channel's check (S0OPS, then S0APP), then the tenant's, once each
    expect(byStatus).toEqual(["S0OPS", "S0APP"]);
    expect(asked.slice(2).sort()).toEqual(["S0APP", "S0APP", "S0OPS", "S0OPS"]);
  });
});

describe("refused commands, repeated", () => {
  it("`/bm cancel` of ids that do not exist: one event for the channel's minute", async () => {
    const { deps, events } = fakes({ refusals: new RefusalTally("c1") });
    for (const id of ["op-aaaaaaaaaa", "op-bbbbbbbbbb", "op-cccccccccc"])
      await handleSlashCommand(deps, command("U0OP", `cancel ${id}`));
    expect(events.map((e) => [e.operationId, e.action])).toEqual([
      ["op-aaaaaaaaaa", "refused:unknown_operation"],
    ]);
  });
});
