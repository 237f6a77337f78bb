import { describe, expect, it } from "vitest";
import { requestRecheck } from "../../../lib/front-door/request-recheck";
import type { Operation } from "../../../lib/operations/operation";
import { frontDoorFakes, NOW, operationIn, SERVER } from "../fakes";

type Fakes = ReturnType<typeof frontDoorFakes>;

/** Changes to an operation; a field given as undefined is left out. */
type Changes = { [K in keyof Operation]?: Operation[K] | undefined };

/** A detach of `channel` that timed out, its server resolved to web01 unless told. */
function timedOut(f: Fakes, channel: "C0INC" | "C0CHG" = "C0INC", changes: Changes = {}) {
  const made = operationIn(f.ops, channel, ["approved", "executing", "timed_out"], {
    serverId: SERVER,
    serverName: "web01",
  });
  const op = Object.fromEntries(
    Object.entries({ ...made, ...changes }).filter(([, v]) => v !== undefined),
  ) as unknown as Operation;
  f.ops.set(op.id, op);
  return op;
}

const click = (op: { id: string }, userId = "U0REQ") =>
  ({ teamId: "T1", userId, operationId: op.id }) as const;

describe("a click on Re-check", () => {
  it("a timed-out detach: handed to the worker with the clicker, who is told it is being read", async () => {
    const f = frontDoorFakes();
    const op = timedOut(f);
    const said = await requestRecheck(f.deps, click(op, "U0ANY"));
    expect(said.text).toBe(
      `bm is reading \`web01\` again for \`${op.id}\`; it will answer you here in a few seconds.`,
    );
    expect(f.sent).toEqual([{ kind: "recheck", operationId: op.id, userId: "U0ANY" }]);
    expect(f.events).toEqual([]);
  });

  it("a server never named by ECL is called as it was typed", async () => {
    const f = frontDoorFakes();
    const op = timedOut(f, "C0INC", { serverName: undefined, serverRef: "web-typed" });
    const said = await requestRecheck(f.deps, click(op));
    expect(said.text).toBe(
      `bm is reading \`web-typed\` again for \`${op.id}\`; it will answer you here in a few seconds.`,
    );
  });

  it.each([
    ["detaching", ["approved", "executing", "detaching"], "detaching"],
    ["awaiting approval", ["awaiting_approval"], "awaiting approval"],
    ["done", ["approved", "executing", "detaching", "done"], "done"],
  ] as const)(
    "a request %s: nothing to re-check, nothing handed over",
    async (_, states, words) => {
      const f = frontDoorFakes();
      const op = operationIn(f.ops, "C0INC", [...states], { serverId: SERVER });
      const said = await requestRecheck(f.deps, click(op));
      expect(said.text).toBe(`\`${op.id}\` is ${words}: there is nothing to re-check.`);
      expect(f.sent).toEqual([]);
      expect(f.events).toEqual([]);
    },
  );

  it.each([
    [
      "someone who may not request in its channel",
      "C0CHG" as const,
      {},
      "U0A1",
      "not_a_requester",
      "You may not re-check here: only the channel's requesters may. `op-0000000000` is unchanged.",
    ],
    [
      "a channel no longer bound to a tenant",
      "C0INC" as const,
      { channelId: "C0GONE" },
      "U0REQ",
      "channel_not_bound",
      "bm is not enabled in this channel: no tenant is bound to it in the policy. Ask an admin, or use a channel that is.",
    ],
  ])(
    "%s: refused, audited with the state, nothing handed over",
    async (_, channel, changes, who, reason, words) => {
      const f = frontDoorFakes();
      const op = timedOut(f, channel, changes);
      const said = await requestRecheck(f.deps, click(op, who));
      expect(said.text).toBe(words);
      expect(f.sent).toEqual([]);
      expect(f.events).toEqual([
        {
          operationId: op.id,
          seq: 0,
          at: NOW.toISOString(),
          action: `refused:${reason}`,
          actor: { teamId: "T1", userId: who },
          facts: { decision: "recheck", state: "timed_out" },
        },
      ]);
    },
  );

  it("a button that does not carry an operation id: not bm's, the store not asked", async () => {
    const f = frontDoorFakes();
    const asked: string[] = [];
    f.deps.store = { ...f.deps.store, get: async (id) => void asked.push(id) };
    const said = await requestRecheck(f.deps, {
      teamId: "T1",
      userId: "U0REQ",
      operationId: "web01",
    });
    expect(said.text).toBe("That is not a bm request.");
    expect(asked).toEqual([]);
    expect(f.sent).toEqual([]);
  });

  it("an operation id the store no longer has: said so, nothing handed over", async () => {
    const f = frontDoorFakes();
    const said = await requestRecheck(f.deps, {
      teamId: "T1",
      userId: "U0REQ",
      operationId: "op-0123456789",
    });
    expect(said.text).toBe("There is no request `op-0123456789` any more.");
    expect(f.sent).toEqual([]);
    expect(f.events).toEqual([]);
  });
});
