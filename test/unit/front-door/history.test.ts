/**
 * `/bm history`'s words: one line an operation (who asked, who decided, how it ended, how long
 * it took, the thread), which operations concern a server, and which the asker may see.
 */
import { describe, expect, it } from "vitest";
import { concerns, history, historyLine } from "../../../lib/front-door/history";
import type { Operation } from "../../../lib/operations/operation";
import type { OperationStore } from "../../../lib/operations/ports";
import { visibleTo } from "../../../lib/policy/permissions";
import { fleetRequest, frontDoorFakes, operationIn, SERVER } from "../fakes";

/** An operation of C0CHG by U0REQ, requested at 09:59, moved through `states` at 09:59:30. */
const op = (states: Operation["state"][] = [], changes: Partial<Operation> = {}) =>
  operationIn(new Map(), "C0CHG", states, changes);

/** The line's text, as the user reads it. */
const line = (o: Operation) => historyLine(o).text;

const HEAD = `• \`op-0000000000\` <!date^1795773540^{date_num} {time}|2026-11-27 09:59 UTC> \`${SERVER}\` · requested by <@U0REQ>`;
const DONE: Operation["state"][] = ["approved", "executing", "detaching", "done"];

describe("historyLine", () => {
  it.each<[string, Operation["state"][], Partial<Operation>, string]>([
    ["just requested", [], {}, `${HEAD} · *requested* (in progress)`],
    [
      "awaiting approval, none yet",
      ["awaiting_approval"],
      { approvals: [] },
      `${HEAD} · *awaiting approval* (in progress)`,
    ],
    [
      "awaiting approval, one given",
      ["awaiting_approval"],
      { approvals: [{ userId: "U0A1", at: "2026-11-27T09:59:40.000Z" }] },
      `${HEAD} · approved by <@U0A1> · *awaiting approval* (in progress)`,
    ],
    ["done", DONE, {}, `${HEAD} · *done* in 30.0s`],
    ["timed out", ["approved", "executing", "timed_out"], {}, `${HEAD} · *timed out* in 30.0s`],
    [
      "cancelled",
      ["cancelled"],
      { cancelledBy: "U0REQ" },
      `${HEAD} · cancelled by <@U0REQ> · *cancelled* in 30.0s`,
    ],
    [
      "rejected with a reason",
      ["awaiting_approval", "rejected"],
      { rejectedBy: "U0A1", rejectReason: "not <now>" },
      `${HEAD} · rejected by <@U0A1> ("not &lt;now&gt;") · *rejected* in 30.0s`,
    ],
    [
      "rejected with no reason kept",
      ["awaiting_approval", "rejected"],
      { rejectedBy: "U0A1" },
      `${HEAD} · rejected by <@U0A1> ("") · *rejected* in 30.0s`,
    ],
    [
      "done, with its thread",
      DONE,
      { permalink: "https://slack.test/archives/C0CHG/p1700000000000001" },
      `${HEAD} · *done* in 30.0s · <https://slack.test/archives/C0CHG/p1700000000000001|thread>`,
    ],
  ])("%s", (_, states, changes, said) => {
    // Prepare
    const o = op(states, changes);
    // Act, Assess
    expect(line(o)).toBe(said);
  });

  it("names the server by the name ECL gave it, else as typed", () => {
    // Prepare
    const named = op([], { serverRef: "web1", serverName: "web01" });
    const typed = op([], { serverRef: "web1" });
    // Act, Assess
    expect(line(named)).toBe(
      "• `op-0000000000` <!date^1795773540^{date_num} {time}|2026-11-27 09:59 UTC> `web01` · requested by <@U0REQ> · *requested* (in progress)",
    );
    expect(line(typed)).toBe(
      "• `op-0000000000` <!date^1795773540^{date_num} {time}|2026-11-27 09:59 UTC> `web1` · requested by <@U0REQ> · *requested* (in progress)",
    );
  });

  it("names five approvers at most, then how many more", () => {
    // Prepare
    const approvals = ["U0A1", "U0A2", "U0A3", "U0A4", "U0A5", "U0A6", "U0A7"].map((userId) => ({
      userId,
      at: "2026-11-27T09:59:40.000Z",
    }));
    // Act, Assess
    expect(line(op(DONE, { approvals }))).toBe(
      `${HEAD} · approved by <@U0A1>, <@U0A2>, <@U0A3>, <@U0A4>, <@U0A5>, … and 2 more · *done* in 30.0s`,
    );
  });

  it.each([
    ["79 characters: all of it", 79, "r".repeat(79)],
    ["80 characters: all of it", 80, "r".repeat(80)],
    ["81 characters: the first 80, then …", 81, `${"r".repeat(80)}…`],
    ["300 characters: the first 80, then …", 300, `${"r".repeat(80)}…`],
  ])("a rejection's reason of %s", (_, length, shown) => {
    // Prepare
    const o = op(["awaiting_approval", "rejected"], {
      rejectedBy: "U0A1",
      rejectReason: "r".repeat(length),
    });
    // Act, Assess
    expect(line(o)).toBe(`${HEAD} · rejected by <@U0A1> ("${shown}") · *rejected* in 30.0s`);
  });

  it("says how long it took from its request to its end", () => {
    // Prepare: requested at 09:59:00, ended at 10:01:05.
    const o = op(DONE, { finishedAt: "2026-11-27T10:01:05.000Z" });
    // Act, Assess
    expect(line(o)).toBe(`${HEAD} · *done* in 2m 05s`);
  });

  it("an end without its time: no duration", () => {
    // Prepare
    const o = op(DONE);
    delete o.finishedAt;
    // Act, Assess
    expect(line(o)).toBe(`${HEAD} · *done*`);
  });
});

describe("concerns", () => {
  it.each([
    ["the server as typed", "web1", true],
    ["its name", "web01", true],
    ["its id", SERVER, true],
    ["its name in other case", "WEB01", true],
    ["its id in other case", SERVER.toUpperCase(), true],
    ["another server", "web02", false],
    ["a part of its name", "web", false],
  ])("%s: %s", (_, server, yes) => {
    // Prepare
    const o = op([], { serverRef: "Web1", serverName: "Web01", serverId: SERVER });
    // Act, Assess
    expect(concerns(o, server)).toBe(yes);
  });

  it.each([
    ["as typed", "web01", true],
    ["by another name", "web02", false],
  ])("an operation not yet resolved, looked for %s", (_, server, yes) => {
    // Prepare: no name nor id from ECL yet.
    const o = op([], { serverRef: "web01" });
    // Act, Assess
    expect(concerns(o, server)).toBe(yes);
  });

  it("matches on the name or the id when the typed reference differs", () => {
    // Prepare
    const byName = op([], { serverRef: SERVER, serverName: "web01" });
    const byId = op([], { serverRef: "web01", serverId: SERVER });
    // Act, Assess
    expect([concerns(byName, "web01"), concerns(byId, SERVER)]).toEqual([true, true]);
  });
});

describe("history: only what the asker may see", () => {
  /**
   * A store that reads as the DynamoDB adapter does: the tenant's operations newest first, every
   * one read given to `keep`, then the first `limit` kept.
   */
  const storeOf = (ops: Map<string, Operation>): Pick<OperationStore, "recentForTenant"> => ({
    recentForTenant: async (tenant, limit, keep = () => true) =>
      [...ops.values()]
        .filter((o) => o.tenant === tenant)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .filter(keep)
        .slice(0, limit),
  });
  /** An operation of `channel` requested `minutes` before 10:00, of `server`. */
  const at = (
    ops: Map<string, Operation>,
    channel: "C0INC" | "C0CHG" | "C0SELF",
    minutes: number,
    server = "web01",
  ) =>
    operationIn(ops, channel, [], {
      serverRef: server,
      createdAt: new Date(Date.parse("2026-11-27T10:00:00Z") - minutes * 60_000).toISOString(),
    });
  /** The ids an answer lists, in its order. */
  const ids = (text: string) => [...text.matchAll(/^• `(op-\w+)`/gm)].map((m) => m[1]);
  /** U0X may request in C0INC only (anyone may there); C0CHG and C0SELF are closed to them. */
  const sightOf = (userId = "U0X") => visibleTo(frontDoorFakes().deps, "t", userId);

  it("shows the operations of channels where the asker may look; counts the others", async () => {
    // Prepare
    const ops = new Map<string, Operation>();
    const shown = at(ops, "C0INC", 1);
    at(ops, "C0CHG", 2);
    at(ops, "C0SELF", 3);
    // Act
    const said = (await history(storeOf(ops), await sightOf(), "t", undefined)).answer.text;
    // Assess
    expect(said.split("\n")).toEqual([
      "The last 1 operation in tenant `t`:",
      historyLine(shown).text,
      "2 more in channels you cannot see.",
    ]);
  });

  it("shows a requester of every channel everything, with no count", async () => {
    const ops = new Map<string, Operation>();
    for (const [i, channel] of (["C0INC", "C0CHG", "C0SELF"] as const).entries())
      at(ops, channel, i);
    const said = (await history(storeOf(ops), await sightOf("U0REQ"), "t", undefined)).answer.text;
    expect(said.split("\n")).toHaveLength(4);
    expect(said.split("\n")[0]).toBe("The last 3 operations in tenant `t`:");
  });

  it("with ten shown, counts only the others newer than the oldest shown (or as old)", async () => {
    // Prepare: 11 of C0INC a minute apart (0 to 10 min ago); hidden ones 0.5, 8.5 and 9 min ago
    // (as old as the 10th shown), counted; 9.5 and 10.5 min ago, older than it, not counted.
    const ops = new Map<string, Operation>();
    const open = Array.from({ length: 11 }, (_, i) => at(ops, "C0INC", i));
    for (const minutes of [0.5, 8.5, 9, 9.5, 10.5]) at(ops, "C0CHG", minutes);
    // Act
    const said = (await history(storeOf(ops), await sightOf(), "t", undefined)).answer.text;
    // Assess
    expect(ids(said)).toEqual(open.slice(0, 10).map((o) => o.id));
    expect(said.split("\n").at(-1)).toBe("3 more in channels you cannot see.");
  });

  it("with fewer than ten shown, counts every other one read, however old", async () => {
    const ops = new Map<string, Operation>();
    const open = [at(ops, "C0INC", 1), at(ops, "C0INC", 2)];
    at(ops, "C0CHG", 0.5);
    at(ops, "C0CHG", 30);
    const said = (await history(storeOf(ops), await sightOf(), "t", undefined)).answer.text;
    expect(ids(said)).toEqual(open.map((o) => o.id));
    expect(said.split("\n").at(-1)).toBe("2 more in channels you cannot see.");
  });

  it("of one server: counts only that server's others", async () => {
    // Prepare
    const ops = new Map<string, Operation>();
    const mine = at(ops, "C0INC", 1, "web01");
    at(ops, "C0CHG", 2, "web01");
    at(ops, "C0CHG", 3, "web02");
    at(ops, "C0INC", 4, "web02");
    // Act
    const said = (await history(storeOf(ops), await sightOf(), "t", "WEB01")).answer.text;
    // Assess
    expect(said.split("\n")).toEqual([
      "The last 1 operation for `WEB01` in tenant `t`:",
      historyLine(mine).text,
      "1 more in channels you cannot see.",
    ]);
  });

  it.each([
    [
      "only others",
      ["C0CHG"],
      "No operations you may see for `web01` in tenant `t`: 1 more in channels you cannot see.",
    ],
    ["none at all", [], "No operations for `web01` in tenant `t` yet."],
  ] as const)("nothing shown, %s: says so", async (_, channels, words) => {
    const ops = new Map<string, Operation>();
    for (const channel of channels) at(ops, channel, 1);
    const said = (await history(storeOf(ops), await sightOf(), "t", "web01")).answer.text;
    expect(said).toBe(words);
  });

  it("says what it could not check with Slack, apart", async () => {
    // Prepare: Slack cannot say who is in S0OPS; U0X is listed nowhere else in C0CHG.
    const f = frontDoorFakes({ groupMembers: async () => Promise.reject(new Error("down")) });
    const ops = new Map<string, Operation>();
    at(ops, "C0INC", 1);
    at(ops, "C0CHG", 2);
    at(ops, "C0SELF", 3);
    // Act
    const said = (await history(storeOf(ops), await visibleTo(f.deps, "t", "U0X"), "t", undefined))
      .answer.text;
    // Assess
    expect(said.split("\n").at(-1)).toBe(
      "1 more in channels you cannot see; 1 more in channels where bm could not check your user groups with Slack just now (try again in a minute).",
    );
  });
});

describe("a fleet request in the history", () => {
  it("one line: its servers counted, its state, where its targets stand", () => {
    const fleet = fleetRequest(["done", "done", "detaching", "queued"]);
    expect(line(fleet)).toBe(
      "• `op-0000000000` <!date^1795773540^{date_num} {time}|2026-11-27 09:59 UTC> 4 servers · requested by <@U0REQ> · *detaching* (in progress) · 2 of 4 done, 1 in flight, 1 queued",
    );
  });

  it("its rest cancelled: by whom", () => {
    const fleet = fleetRequest(["done", "cancelled"], "cancelled", {
      cancelRest: { by: "U0REQ", at: "2026-11-27T09:59:50.000Z" },
    });
    expect(line(fleet)).toContain(" · rest cancelled by <@U0REQ> · *cancelled*");
  });

  it("a target: its server, and which fleet it is of", () => {
    expect(line(op(DONE, { serverName: "web01", parentId: "op-fleet00001" }))).toBe(
      "• `op-0000000000` <!date^1795773540^{date_num} {time}|2026-11-27 09:59 UTC> `web01` · of fleet `op-fleet00001` · requested by <@U0REQ> · *done* in 30.0s",
    );
  });

  it("concerns no server by itself; its targets do", () => {
    const fleet = fleetRequest(["done"], "done", {}, new Map());
    expect(concerns({ ...fleet, serverRef: SERVER, serverId: SERVER }, SERVER)).toBe(false);
    expect(concerns(op([], { serverId: SERVER, parentId: "op-fleet00001" }), SERVER)).toBe(true);
  });

  it("the tenant's history: the fleet once, not its targets; a server's: its target", async () => {
    const ops = new Map<string, Operation>();
    const fleet = fleetRequest(["done", "done"], "done", {}, ops);
    const target = operationIn(ops, "C0INC", DONE, {
      serverId: SERVER,
      serverName: "web01",
      parentId: fleet.id,
    });
    const store: Pick<OperationStore, "recentForTenant"> = {
      async recentForTenant(_tenant, limit, keep = () => true) {
        return [...ops.values()].reverse().filter(keep).slice(0, limit);
      },
    };
    const sight = await visibleTo(frontDoorFakes().deps, "t", "U0REQ");
    const all = await history(store, sight, "t", undefined);
    expect(all.shown).toBe(1);
    expect(all.answer.text).toContain(`\`${fleet.id}\``);
    expect(all.answer.text).not.toContain(`\`${target.id}\``);
    const one = await history(store, sight, "t", "web01");
    expect(one.shown).toBe(1);
    expect(one.answer.text).toContain(`\`${target.id}\` `);
    expect(one.answer.text).toContain(`of fleet \`${fleet.id}\``);
  });
});
