import { describe, expect, it } from "vitest";
import { ServerLookupError } from "../../../lib/ecl/client";
import { EclNetworkError } from "../../../lib/ecl/errors";
import type { Server } from "../../../lib/ecl/server";
import type { Operation } from "../../../lib/operations/operation";
import type { StatusRequest } from "../../../lib/operations/work-message";
import { SlackApiError } from "../../../lib/slack/slack-error";
import { answerStatus } from "../../../lib/worker/answer-status";
import { RetryLater } from "../../../lib/worker/retry-later";
import { eclServer, fleetRequest, IMAGE, NOW, operationIn, SERVER, workerFakes } from "../fakes";

type Fakes = ReturnType<typeof workerFakes>;
const URL = "https://hooks.slack.com/commands/T1/1/x";
const OTHER_SERVER = "6a2f1b8e-5a0d-4f3c-9d7e-2b8c4e1f0a93";
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const down = () => new EclNetworkError("timeout", "GET", "https://ecl.test");

const ask = (target: string, changes: Partial<StatusRequest> = {}): StatusRequest => ({
  teamId: "T1",
  channelId: "C0INC",
  userId: "U0ASK",
  target,
  tenant: "t",
  secretId: "bm/tenant/t",
  responseUrl: URL,
  ...changes,
});

/**
 * Worker fakes whose store answers `recentForTenant` from its operations (the shared memory store
 * knows no history), and whose Slack keeps where each answer went.
 */
function fakes(...reads: Array<Server | Error>) {
  const f = workerFakes(reads.length > 0 ? { reads } : {});
  const asked: Array<[string, number]> = [];
  f.deps.store = {
    ...f.deps.store,
    recentForTenant: async (tenant, limit, keep = () => true) => {
      asked.push([tenant, limit]);
      return [...f.ops.values()].filter((o) => o.tenant === tenant && keep(o)).slice(0, limit);
    },
  };
  const answers: Array<{ to: string; text: string }> = [];
  f.deps.chat = {
    ...f.deps.chat,
    respond: async (url, message) => void answers.push({ to: url, text: message.text }),
    ephemeral: async (channel, user, message) =>
      void answers.push({ to: `${channel} ${user}`, text: message.text }),
  };
  return { ...f, asked, answers };
}

const answer = (f: Fakes, request: StatusRequest, receive = 1) =>
  answerStatus(f.deps, request, receive);

/** The audit event of a status asked of `target` by U0ASK (unless told), with these facts. */
const viewed = (target: string, facts: Record<string, unknown>, userId = "U0ASK") => ({
  operationId: target,
  seq: 0,
  at: NOW.toISOString(),
  action: "viewed:status",
  actor: { teamId: "T1", userId },
  facts: { channel: "C0INC", tenant: "t", asked: target, ...facts },
});
/** The facts of a server shown, with nothing in flight hidden. */
const shown = (facts: Record<string, unknown>) => ({
  answer: "shown",
  server: SERVER,
  hidden: 0,
  unchecked: 0,
  ...facts,
});

/** The server's two lines, as web01 idle with the image attached reads. */
const WEB01 = `*web01* \`${SERVER}\`: ACTIVE, power RUNNING, task_state None (idle)\nMedia: \`${IMAGE}\``;
/** An operation's line, made a minute before NOW. */
const line = (op: Operation, state: string) =>
  `\`${op.id}\` ${state}, image \`${IMAGE}\`, requested by <@U0REQ> 1m 00s ago`;

describe("/bm status of a server", () => {
  it("its state and media, told to the asker alone through the response_url", async () => {
    const f = fakes();
    await answer(f, ask("web01"));
    expect(f.answers).toEqual([{ to: URL, text: `${WEB01}\nNo operation in flight for it.` }]);
    expect(f.calls).toEqual(["resolve web01"]);
    expect(f.asked).toEqual([["t", 10]]);
  });

  it("without a response_url, the answer is an ephemeral message in the channel", async () => {
    const f = fakes();
    await answer(f, ask("web01", { responseUrl: undefined }));
    expect(f.answers).toEqual([
      { to: "C0INC U0ASK", text: `${WEB01}\nNo operation in flight for it.` },
    ]);
  });

  it.each([
    [
      "busy",
      { taskState: "REBOOTING" },
      `*web01* \`${SERVER}\`: ACTIVE, power RUNNING, task_state REBOOTING (busy)`,
    ],
    [
      "with nothing known of its state",
      { status: undefined, powerState: undefined, taskState: undefined },
      `*web01* \`${SERVER}\`: ?, power ?, task_state None (idle)`,
    ],
    [
      "with task_state null",
      { taskState: null },
      `*web01* \`${SERVER}\`: ACTIVE, power RUNNING, task_state None (idle)`,
    ],
    [
      "stopped",
      { status: "SHUTOFF", powerState: "SHUTDOWN" },
      `*web01* \`${SERVER}\`: SHUTOFF, power SHUTDOWN, task_state None (idle)`,
    ],
  ] as const)("a server %s: its state as ECL gives it", async (_, changes, said) => {
    const f = fakes(eclServer(changes));
    await answer(f, ask("web01"));
    expect(f.answers[0]?.text.split("\n")[0]).toBe(said);
  });

  it.each([
    [
      "not listed",
      undefined,
      "Media: not listed. ECL did not list media for this server; bm cannot tell whether the image is attached.",
    ],
    ["none", [], "Media: none attached"],
    ["two", [IMAGE, OTHER_SERVER], `Media: \`${IMAGE}\`, \`${OTHER_SERVER}\``],
    [
      "twelve",
      Array.from({ length: 12 }, (_, i) => uuid(i)),
      `Media: ${Array.from({ length: 10 }, (_, i) => `\`${uuid(i)}\``).join(", ")}, … and 2 more`,
    ],
  ])("media %s: said so", async (_, mediaIds, said) => {
    const f = fakes(eclServer({ mediaIds }));
    await answer(f, ask("web01"));
    expect(f.answers[0]?.text.split("\n")[1]).toBe(said);
  });

  it("the operations in flight for this server, and only those", async () => {
    const f = fakes();
    const detaching = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"], {
      serverId: SERVER,
    });
    const awaiting = operationIn(f.ops, "C0CHG", ["awaiting_approval"], { serverId: SERVER });
    // Ended, on another server, or not yet resolved: not in flight for it.
    operationIn(f.ops, "C0INC", ["approved", "executing", "detaching", "done"], {
      serverId: SERVER,
    });
    operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"], { serverId: OTHER_SERVER });
    operationIn(f.ops, "C0INC");
    // U0REQ may request in C0INC and C0CHG both.
    await answer(f, ask("web01", { userId: "U0REQ" }));
    expect(f.answers).toEqual([
      {
        to: URL,
        text: `${WEB01}\nIn flight: ${line(detaching, "detaching")}; ${line(awaiting, "awaiting approval")}`,
      },
    ]);
  });

  it("of those in flight, only those of channels where the asker may look; the others counted", async () => {
    // Prepare: U0ASK may request in C0INC (anyone may), not in C0CHG nor C0SELF.
    const f = fakes();
    const open = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"], {
      serverId: SERVER,
    });
    operationIn(f.ops, "C0CHG", ["awaiting_approval"], { serverId: SERVER });
    operationIn(f.ops, "C0SELF", ["awaiting_approval"], { serverId: SERVER });
    // Ended, or on another server: not counted.
    operationIn(f.ops, "C0CHG", ["awaiting_approval", "rejected"], { serverId: SERVER });
    operationIn(f.ops, "C0CHG", ["awaiting_approval"], { serverId: OTHER_SERVER });
    // Act
    await answer(f, ask("web01"));
    // Assess
    expect(f.answers).toEqual([
      {
        to: URL,
        text: `${WEB01}\nIn flight: ${line(open, "detaching")}; 2 more in channels you cannot see`,
      },
    ]);
  });

  it("none in flight that the asker may see: says so, and how many others", async () => {
    const f = fakes();
    operationIn(f.ops, "C0CHG", ["awaiting_approval"], { serverId: SERVER });
    await answer(f, ask("web01"));
    expect(f.answers[0]?.text).toBe(
      `${WEB01}\nNo operation in flight for it that you may see; 1 more in channels you cannot see.`,
    );
  });

  it("Slack unable to say who is in a group: those operations counted apart", async () => {
    const f = fakes();
    f.deps.groupMembers = async () => Promise.reject(new Error("ratelimited"));
    operationIn(f.ops, "C0CHG", ["awaiting_approval"], { serverId: SERVER });
    operationIn(f.ops, "C0SELF", ["awaiting_approval"], { serverId: SERVER });
    await answer(f, ask("web01"));
    expect(f.answers[0]?.text).toBe(
      `${WEB01}\nNo operation in flight for it that you may see; 1 more in channels you cannot see; 1 more in channels where bm could not check your user groups with Slack just now (try again in a minute).`,
    );
  });
});

describe("/bm status of an operation", () => {
  it("its line, then its server's state and what is in flight for it", async () => {
    const f = fakes();
    const op = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"], {
      serverId: SERVER,
    });
    await answer(f, ask(op.id));
    expect(f.answers).toEqual([
      {
        to: URL,
        text: `${line(op, "detaching")}\n${WEB01}\nIn flight: ${line(op, "detaching")}`,
      },
    ]);
    expect(f.calls).toEqual([`show ${SERVER}`]);
    expect(f.events).toEqual([viewed(op.id, shown({ state: "detaching", inFlight: 1 }))]);
  });

  it("one that timed out is re-checked first, the asker its actor, and the outcome told first", async () => {
    const f = fakes(eclServer({ mediaIds: [] }));
    const op = operationIn(f.ops, "C0INC", ["approved", "executing", "timed_out"], {
      serverId: SERVER,
      serverName: "web01",
      detachStartedAt: new Date(NOW.getTime() - 120_000).toISOString(),
    });
    await answer(f, ask(op.id));
    expect(f.answers).toEqual([
      {
        to: URL,
        text: [
          `Re-checked: \`web01\` is idle and image \`${IMAGE}\` is detached. \`${op.id}\` is done.`,
          line(op, "done"),
          `*web01* \`${SERVER}\`: ACTIVE, power RUNNING, task_state None (idle)`,
          "Media: none attached",
          "No operation in flight for it.",
        ].join("\n"),
      },
    ]);
    expect(f.ops.get(op.id)?.state).toBe("done");
    expect(f.events.map((e) => [e.action, e.actor])).toEqual([
      ["done", { teamId: "T1", userId: "U0ASK" }],
      ["viewed:status", { teamId: "T1", userId: "U0ASK" }],
    ]);
    expect(f.events[1]).toEqual(viewed(op.id, shown({ state: "done", inFlight: 0 })));
  });

  it("one whose server was never resolved: its line, and that; ECL not read", async () => {
    const f = fakes();
    const op = operationIn(f.ops, "C0CHG", ["awaiting_approval"], { serverRef: "web-typed" });
    await answer(f, ask(op.id, { userId: "U0OP" }));
    expect(f.answers).toEqual([
      {
        to: URL,
        text: `${line(op, "awaiting approval")}\nIts server \`web-typed\` was never resolved.`,
      },
    ]);
    expect(f.calls).toEqual([]);
    expect(f.events).toEqual([
      viewed(op.id, { answer: "unresolved", state: "awaiting_approval" }, "U0OP"),
    ]);
  });

  it.each([
    ["that does not exist", "op-0123456789", {}],
    ["of another tenant", "op-0000000000", { tenant: "u" }],
    ["of a channel where the asker may not look", "op-0000000000", { channelId: "C0CHG" }],
    ["of a channel the policy no longer binds", "op-0000000000", { channelId: "C0GONE" }],
    [
      "timed out, of a channel where the asker may not look",
      "op-0000000000",
      { channelId: "C0CHG", state: "timed_out" as const },
    ],
  ])("one %s: the same words, nothing of it told, ECL not read", async (_, id, changes) => {
    // Prepare: U0ASK may request in C0INC only.
    const f = fakes();
    if (id === "op-0000000000")
      operationIn(f.ops, "C0INC", ["approved"], {
        serverId: SERVER,
        serverName: "web01",
        reason: "secret plans",
        ...changes,
      });
    // Act
    await answer(f, ask(id));
    // Assess
    expect(f.answers).toEqual([
      {
        to: URL,
        text: `bm shows you no operation \`${id}\`: either there is none in this channel's tenant, or it is in a channel where you may neither request nor approve.`,
      },
    ]);
    expect(f.calls).toEqual([]);
    expect(f.events).toEqual([
      viewed(id, { answer: id === "op-0000000000" ? "not_visible" : "no_such_operation" }),
    ]);
  });

  it("when Slack cannot say what the asker may see: says so, the same whether it exists or not", async () => {
    // Prepare
    const f = fakes();
    f.deps.groupMembers = async () => Promise.reject(new Error("ratelimited"));
    operationIn(f.ops, "C0CHG", ["awaiting_approval"], { serverId: SERVER });
    // Act
    await answer(f, ask("op-0000000000"));
    await answer(f, ask("op-0123456789"));
    // Assess
    const words = (id: string) =>
      `bm could not check your user groups with Slack just now, so it cannot tell whether you may see \`${id}\`. Try again in a minute.`;
    expect(f.answers.map((a) => a.text)).toEqual([words("op-0000000000"), words("op-0123456789")]);
    expect(f.calls).toEqual([]);
  });

  it("an approver who may not click Re-check sees a timed-out one, not re-checked", async () => {
    // Prepare: U0A1 approves in C0CHG, and requests nowhere but C0INC.
    const f = fakes(eclServer({ mediaIds: [] }));
    const op = operationIn(
      f.ops,
      "C0CHG",
      ["awaiting_approval", "approved", "executing", "timed_out"],
      {
        serverId: SERVER,
      },
    );
    // Act
    await answer(f, ask(op.id, { userId: "U0A1" }));
    // Assess
    expect(f.answers[0]?.text.split("\n")).toEqual([
      line(op, "timed out"),
      `*web01* \`${SERVER}\`: ACTIVE, power RUNNING, task_state None (idle)`,
      "Media: none attached",
      "No operation in flight for it.",
    ]);
    expect(f.ops.get(op.id)?.state).toBe("timed_out");
    expect(f.events).toEqual([viewed(op.id, shown({ state: "timed_out", inFlight: 0 }), "U0A1")]);
  });
});

describe("/bm status when something fails", () => {
  it("ECL failing for a while: tried again through the queue, carrying the cause; nothing said", async () => {
    const f = fakes(down());
    for (const receive of [1, 4]) {
      const error = await answer(f, ask("web01"), receive).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryLater);
      expect((error as RetryLater).message).toBe("ECL at https://ecl.test did not answer in time");
      expect((error as RetryLater).cause).toBeInstanceOf(EclNetworkError);
    }
    expect(f.answers).toEqual([]);
  });

  it.each([
    [
      "ECL failing at the last receive",
      down(),
      5,
      "web01",
      "ECL at https://ecl.test did not answer in time",
    ],
    [
      "a server that does not exist, at the first receive",
      new ServerLookupError("not_found", "web9"),
      1,
      "web9",
      'no server named "web9" in this tenant',
    ],
  ])("%s: the asker is told", async (_, error, receive, target, said) => {
    const f = fakes(error);
    await answer(f, ask(target), receive);
    expect(f.answers).toEqual([{ to: URL, text: `bm could not look up \`${target}\`: ${said}` }]);
  });

  it("Slack refusing the answer for good: dropped, logged with what was asked", async () => {
    const f = fakes();
    f.deps.chat = {
      ...f.deps.chat,
      respond: async () =>
        Promise.reject(new SlackApiError("response_url", "expired_url", "permanent")),
    };
    await answer(f, ask("web01"));
    expect(f.logs).toEqual([
      {
        level: "warn",
        message: "Slack refused the answer; not retried",
        extra: { status: "web01", slackError: "expired_url", method: "response_url" },
      },
    ]);
  });

  it.each([
    ["Slack failing for a while", new SlackApiError("response_url", "http_503", "passing")],
    // Only Slack's own refusal is known to be final.
    [
      "anything else, whatever it says of itself",
      Object.assign(new Error("odd"), { kind: "permanent" }),
    ],
  ])("%s: thrown, for the queue to deliver it again", async (_, error) => {
    const f = fakes();
    f.deps.chat = { ...f.deps.chat, respond: async () => Promise.reject(error) };
    await expect(answer(f, ask("web01"))).rejects.toBe(error);
    expect(f.logs).toEqual([]);
  });
});

describe("what a status leaves in the audit trail", () => {
  it("of a server: under the read's id the front door gave, or the channel's for a message without one", async () => {
    const f = fakes();
    operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"], { serverId: SERVER });
    await answer(f, ask("web01", { readId: "rd-0123456789" }));
    await answer(f, ask("web01"));
    const facts = shown({ inFlight: 1 });
    expect(f.events).toEqual([
      { ...viewed("web01", facts), operationId: "rd-0123456789" },
      { ...viewed("web01", facts), operationId: "channel-C0INC" },
    ]);
  });

  it("of those in flight, the count of those left out", async () => {
    const f = fakes();
    operationIn(f.ops, "C0CHG", ["awaiting_approval"], { serverId: SERVER });
    await answer(f, ask("web01"));
    expect(f.events[0]?.facts).toMatchObject({ inFlight: 0, hidden: 1, unchecked: 0 });
  });

  it("a lookup that failed for good: audited as failed, by the error's name", async () => {
    const f = fakes(new ServerLookupError("not_found", "web9"));
    await answer(f, ask("web9"));
    expect(f.events).toEqual([
      {
        ...viewed("web9", { answer: "failed", error: "ServerLookupError" }),
        operationId: "channel-C0INC",
      },
    ]);
  });

  it("Slack refusing the answer for good: audited as not delivered; failing for a while: not yet", async () => {
    const refused = fakes();
    refused.deps.chat = {
      ...refused.deps.chat,
      respond: async () =>
        Promise.reject(new SlackApiError("response_url", "expired_url", "permanent")),
    };
    await answer(refused, ask("web01"));
    expect(refused.events.map((e) => e.facts.delivered)).toEqual([false]);

    const passing = fakes();
    passing.deps.chat = {
      ...passing.deps.chat,
      respond: async () => Promise.reject(new SlackApiError("response_url", "http_503", "passing")),
    };
    await expect(answer(passing, ask("web01"))).rejects.toBeInstanceOf(SlackApiError);
    expect(passing.events).toEqual([]);
  });

  it("ECL failing for a while: nothing audited until it is answered", async () => {
    const f = fakes(down());
    await expect(answer(f, ask("web01"), 1)).rejects.toBeInstanceOf(RetryLater);
    expect(f.events).toEqual([]);
  });

  it("the audit failing: answered all the same, the failure logged and counted", async () => {
    const f = fakes();
    const counted: string[] = [];
    f.deps.audit = { append: async () => Promise.reject(new Error("down")) };
    f.deps.metrics = { put: (name) => void counted.push(name), flush() {} };
    await answer(f, ask("web01", { readId: "rd-0123456789" }));
    expect(f.answers).toEqual([{ to: URL, text: `${WEB01}\nNo operation in flight for it.` }]);
    expect(counted).toEqual(["AuditWriteError"]);
    expect(f.logs).toEqual([
      {
        level: "warn",
        message: "audit append of a read failed; the read is answered all the same",
        extra: { operationId: "rd-0123456789", action: "viewed:status", error: "Error" },
      },
    ]);
  });
});

describe("/bm status naming a secret that is not its channel's tenant's", () => {
  it.each([
    [
      "another secret",
      { secretId: "bm/tenant/other" },
      "it names a tenant or a secret that is not its channel's in the policy",
      "tenant_not_the_channels",
    ],
    [
      "another tenant",
      { tenant: "x" },
      "it names a tenant or a secret that is not its channel's in the policy",
      "tenant_not_the_channels",
    ],
    [
      "a channel the policy does not bind",
      { channelId: "C0GONE" },
      "its channel is not bound to a tenant in the policy",
      "channel_not_bound",
    ],
  ] as const)(
    "%s: a plain private answer, audited, ECL never read",
    async (_, changes, why, reason) => {
      const f = fakes();
      const opened: string[] = [];
      f.deps.openTenant = async (secretId) => {
        opened.push(secretId);
        return Promise.reject(new Error("never"));
      };
      const request = ask("web01", changes);
      await answer(f, request);
      expect(f.answers).toEqual([{ to: URL, text: `bm did not look up \`web01\`: ${why}.` }]);
      expect(opened).toEqual([]);
      expect(f.calls).toEqual([]);
      expect(f.asked).toEqual([]);
      expect(f.events).toEqual([
        {
          ...viewed("web01", { answer: "refused", reason }),
          operationId: `channel-${request.channelId}`,
          facts: {
            channel: request.channelId,
            tenant: request.tenant,
            asked: "web01",
            answer: "refused",
            reason,
          },
        },
      ]);
    },
  );
});

describe("/bm status of a fleet request", () => {
  it("its line with its counts, then its targets by name with their operations' ids; no ECL read", async () => {
    const f = fakes();
    const fleet = fleetRequest(["done", "detaching", "queued"], "detaching", {}, f.ops);
    await answer(f, ask(fleet.id));
    expect(f.answers).toEqual([
      {
        to: URL,
        text: `${line(fleet, "detaching")}: 3 servers, 1 of 3 done, 1 in flight, 1 queued.\nTargets: \`web01\` \`op-t1\` done; \`web02\` \`op-t2\` detaching; \`web03\` \`op-t3\` queued. Each target's server: \`/bm status OPERATION-ID\` of its id.`,
      },
    ]);
    expect(f.calls).toEqual([]);
    expect(f.events).toEqual([
      viewed(fleet.id, { answer: "shown", state: "detaching", fleet: true, targets: 3 }),
    ]);
  });

  it("ended: its outcome said; the first 20 targets named, then how many more", async () => {
    const f = fakes();
    const states = Array.from({ length: 21 }, () => "done" as const);
    const fleet = fleetRequest(states, "done", {}, f.ops);
    f.ops.set(fleet.id, { ...fleet, outcome: "21 done" });
    await answer(f, ask(fleet.id));
    const [head, outcome, targets] = f.answers[0]?.text.split("\n") ?? [];
    expect(head).toBe(`${line(fleet, "done")}: 21 servers, 21 of 21 done.`);
    expect(outcome).toBe("21 done");
    expect(targets).toContain("; `web20` `op-t20` done; … and 1 more. Each target's server");
    expect(targets).not.toContain("web21");
  });

  it("not yet listed: every server, and no targets line", async () => {
    const f = fakes();
    const fleet = fleetRequest([], "requested", {}, f.ops);
    await answer(f, ask(fleet.id));
    expect(f.answers[0]?.text).toBe(`${line(fleet, "requested")}: every server.`);
  });

  it("a target's own line names its fleet", async () => {
    const f = fakes();
    const op = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"], {
      serverId: SERVER,
      parentId: "op-fleet00001",
    });
    await answer(f, ask(op.id));
    expect(f.answers[0]?.text.split("\n")[0]).toBe(
      `\`${op.id}\` (of fleet \`op-fleet00001\`) detaching, image \`${IMAGE}\`, requested by <@U0REQ> 1m 00s ago`,
    );
  });
});
