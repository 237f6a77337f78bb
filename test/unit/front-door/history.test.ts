/**
 * `/bm history`'s words: one line an operation (who asked, who decided, how it ended, how long
 * it took, the thread), and which operations concern a server.
 */
import { describe, expect, it } from "vitest";
import { concerns, historyLine } from "../../../lib/front-door/history";
import type { Operation } from "../../../lib/operations/operation";
import { operationIn, SERVER } from "../fakes";

/** An operation of C0CHG by U0REQ, requested at 09:59, moved through `states` at 09:59:30. */
const op = (states: Operation["state"][] = [], changes: Partial<Operation> = {}) =>
  operationIn(new Map(), "C0CHG", states, changes);

/** The line's text, as the user reads it. */
const line = (o: Operation) => historyLine(o).text;

const HEAD = `• \`op-0000000000\` 2026-11-27 09:59Z \`${SERVER}\` · requested by <@U0REQ>`;
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
      "• `op-0000000000` 2026-11-27 09:59Z `web01` · requested by <@U0REQ> · *requested* (in progress)",
    );
    expect(line(typed)).toBe(
      "• `op-0000000000` 2026-11-27 09:59Z `web1` · requested by <@U0REQ> · *requested* (in progress)",
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
