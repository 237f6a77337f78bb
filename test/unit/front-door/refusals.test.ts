/**
 * Refusals collapsed per minute: the first of each minute written at once, the repeats counted
 * and written as one event once the minute is over.
 */
import { describe, expect, it } from "vitest";
import { refuse, writeRefusalCounts } from "../../../lib/front-door/deps";
import { commandRepeats, RefusalTally } from "../../../lib/front-door/refusals";
import type { AuditEvent } from "../../../lib/operations/operation";
import { md } from "../../../lib/slack/mrkdwn";
import { frontDoorFakes } from "../fakes";

const refusal = (at: string, changes: Partial<AuditEvent> = {}): AuditEvent => ({
  operationId: "op-0123456789",
  seq: 0,
  at,
  action: "refused:not_an_approver",
  actor: { teamId: "T1", userId: "U0X" },
  facts: { button: "approve" },
  ...changes,
});

describe("RefusalTally", () => {
  it("gives the first refusal of a minute to write, with its minute; counts the repeats", () => {
    const tally = new RefusalTally("c1");
    expect(tally.count(refusal("2026-12-02T10:15:01.000Z"))).toEqual(
      refusal("2026-12-02T10:15:01.000Z", {
        facts: { button: "approve", minute: "2026-12-02T10:15" },
      }),
    );
    expect(tally.count(refusal("2026-12-02T10:15:02.000Z"))).toBeUndefined();
    expect(tally.count(refusal("2026-12-02T10:15:59.999Z"))).toBeUndefined();
    // Not over yet: nothing due.
    expect(tally.due(new Date("2026-12-02T10:15:59.999Z"))).toEqual([]);
    // Over: one event with the minute's count, at its last moment, named by the container.
    expect(tally.due(new Date("2026-12-02T10:16:00.000Z"))).toEqual([
      refusal("2026-12-02T10:15:59.999Z", {
        facts: {
          button: "approve",
          minute: "2026-12-02T10:15",
          count: 3,
          first: "2026-12-02T10:15:01.000Z",
          tally: "c1",
        },
      }),
    ]);
    // And forgotten.
    expect(tally.due(new Date("2026-12-02T10:20:00.000Z"))).toEqual([]);
  });

  it("a single refusal in a minute is its own event, with no count to write after", () => {
    const tally = new RefusalTally("c1");
    expect(tally.count(refusal("2026-12-02T10:15:01.000Z"))).toBeDefined();
    expect(tally.due(new Date("2026-12-02T10:17:00.000Z"))).toEqual([]);
  });

  it("a new minute starts again: its first refusal is written, the last minute's count due", () => {
    const tally = new RefusalTally("c1");
    tally.count(refusal("2026-12-02T10:15:01.000Z"));
    tally.count(refusal("2026-12-02T10:15:30.000Z"));
    expect(tally.count(refusal("2026-12-02T10:16:00.000Z"))).toMatchObject({
      facts: { minute: "2026-12-02T10:16" },
    });
    // The earlier minute's count is still owed, though its key has a new minute open: due at
    // once, ahead of the new minute's (which has no repeats).
    expect(tally.due(new Date("2026-12-02T10:16:00.000Z"))).toEqual([
      refusal("2026-12-02T10:15:59.999Z", {
        facts: {
          button: "approve",
          minute: "2026-12-02T10:15",
          count: 2,
          first: "2026-12-02T10:15:01.000Z",
          tally: "c1",
        },
      }),
    ]);
    expect(tally.due(new Date("2026-12-02T10:17:00.000Z"))).toEqual([]);
  });

  it("a single refusal in a minute, then another the next: no count owed for either", () => {
    const tally = new RefusalTally("c1");
    expect(tally.count(refusal("2026-12-02T10:15:01.000Z"))).toBeDefined();
    expect(tally.count(refusal("2026-12-02T10:16:01.000Z"))).toBeDefined();
    expect(tally.due(new Date("2026-12-02T10:16:30.000Z"))).toEqual([]);
    expect(tally.due(new Date("2026-12-02T10:17:00.000Z"))).toEqual([]);
  });

  it("the minute ends at :59.999: the next millisecond opens a new one", () => {
    const tally = new RefusalTally("c1");
    tally.count(refusal("2026-12-02T10:15:00.000Z"));
    expect(tally.count(refusal("2026-12-02T10:15:59.999Z"))).toBeUndefined();
    expect(tally.count(refusal("2026-12-02T10:16:00.000Z"))).toEqual(
      refusal("2026-12-02T10:16:00.000Z", {
        facts: { button: "approve", minute: "2026-12-02T10:16" },
      }),
    );
    expect(tally.due(new Date("2026-12-02T10:16:59.999Z")).map((e) => e.facts.count)).toEqual([2]);
    // The new minute's single refusal: nothing more, even once it is over.
    expect(tally.due(new Date("2026-12-02T10:17:00.000Z"))).toEqual([]);
  });

  it("a command's repeats are those of its channel, whatever operation each would make", () => {
    const tally = new RefusalTally("c1");
    const at = "2026-12-02T10:15:01.000Z";
    const command = (operationId: string, changes: Partial<AuditEvent> = {}) =>
      refusal(at, { operationId, facts: { channel: "C0X" }, ...changes });
    const repeats = commandRepeats("C0X");
    expect(repeats).toBe("channel-C0X");
    expect(tally.count(command("op-aaaaaaaaaa"), repeats)).toBeDefined();
    expect(tally.count(command("op-bbbbbbbbbb"), repeats)).toBeUndefined();
    expect(tally.count(command("op-cccccccccc"), repeats)).toBeUndefined();
    // Another channel, user or reason is counted apart; so is a click on one of those operations.
    expect(tally.count(command("op-dddddddddd"), commandRepeats("C0Y"))).toBeDefined();
    const other = { teamId: "T1", userId: "U0Y" };
    expect(tally.count(command("op-eeeeeeeeee", { actor: other }), repeats)).toBeDefined();
    const reason = { action: "refused:channel_not_bound" };
    expect(tally.count(command("op-ffffffffff", reason), repeats)).toBeDefined();
    expect(tally.count(command("op-bbbbbbbbbb"))).toBeDefined();
    const [count] = tally.due(new Date("2026-12-02T10:16:00.000Z"));
    expect(count).toEqual({
      ...command("op-aaaaaaaaaa"),
      at: "2026-12-02T10:15:59.999Z",
      facts: { channel: "C0X", minute: "2026-12-02T10:15", count: 3, first: at, tally: "c1" },
    });
  });

  it("counts each user, operation and reason apart", () => {
    const tally = new RefusalTally("c1");
    const at = "2026-12-02T10:15:01.000Z";
    expect(tally.count(refusal(at))).toBeDefined();
    expect(tally.count(refusal(at, { actor: { teamId: "T1", userId: "U0Y" } }))).toBeDefined();
    expect(tally.count(refusal(at, { operationId: "op-other00000" }))).toBeDefined();
    expect(tally.count(refusal(at, { action: "refused:self_approval" }))).toBeDefined();
    expect(tally.count(refusal(at))).toBeUndefined();
  });

  it("names its container at random unless told", () => {
    const a = new RefusalTally();
    const b = new RefusalTally();
    for (const t of [a, b]) {
      t.count(refusal("2026-12-02T10:15:01.000Z"));
      t.count(refusal("2026-12-02T10:15:02.000Z"));
    }
    const [ta] = a.due(new Date("2026-12-02T10:16:00.000Z"));
    const [tb] = b.due(new Date("2026-12-02T10:16:00.000Z"));
    expect(ta?.facts.tally).toMatch(/^[0-9a-f]{8}$/);
    expect(ta?.facts.tally).not.toBe(tb?.facts.tally);
  });
});

describe("refuse, with a tally", () => {
  it("writes the first refusal of a minute, logs the repeats as such, writes the count after", async () => {
    let now = new Date("2026-12-02T10:15:01.000Z");
    const logged: Array<[string, object | undefined]> = [];
    const f = frontDoorFakes({
      now: () => now,
      refusals: new RefusalTally("c1"),
      log: { info: (message, extra) => void logged.push([message, extra]), warn: () => {} },
    });
    const no = {
      operationId: "op-0123456789",
      teamId: "T1",
      userId: "U0X",
      reason: "not_an_approver",
      facts: { button: "approve" },
    };
    for (let i = 0; i < 5; i++) await refuse(f.deps, no, md`No.`);
    expect(f.events).toHaveLength(1);
    expect(logged.map(([, extra]) => extra)).toEqual([
      { operationId: "op-0123456789", reason: "not_an_approver" },
      ...Array(4).fill({ operationId: "op-0123456789", reason: "not_an_approver", repeat: true }),
    ]);
    now = new Date("2026-12-02T10:16:10.000Z");
    await writeRefusalCounts(f.deps);
    expect(f.events.map((e) => [e.at, e.facts])).toEqual([
      ["2026-12-02T10:15:01.000Z", { button: "approve", minute: "2026-12-02T10:15" }],
      [
        "2026-12-02T10:15:59.999Z",
        {
          button: "approve",
          minute: "2026-12-02T10:15",
          count: 5,
          first: "2026-12-02T10:15:01.000Z",
          tally: "c1",
        },
      ],
    ]);
    // Written once.
    await writeRefusalCounts(f.deps);
    expect(f.events).toHaveLength(2);
  });

  it("collapses by what it is told its repeats are of", async () => {
    const f = frontDoorFakes({
      now: () => new Date("2026-12-02T10:15:01.000Z"),
      refusals: new RefusalTally("c1"),
    });
    const no = (operationId: string) => ({
      operationId,
      teamId: "T1",
      userId: "U0X",
      reason: "x",
      facts: {},
      repeats: "channel-C0X",
    });
    await refuse(f.deps, no("op-aaaaaaaaaa"), md`No.`);
    await refuse(f.deps, no("op-bbbbbbbbbb"), md`No.`);
    expect(f.events.map((e) => e.operationId)).toEqual(["op-aaaaaaaaaa"]);
  });

  it("a refusal after the minute writes the last minute's count before its own", async () => {
    let now = new Date("2026-12-02T10:15:01.000Z");
    const f = frontDoorFakes({ now: () => now, refusals: new RefusalTally("c1") });
    const no = {
      operationId: "op-0123456789",
      teamId: "T1",
      userId: "U0X",
      reason: "x",
      facts: {},
    };
    await refuse(f.deps, no, md`No.`);
    await refuse(f.deps, { ...no, userId: "U0X" }, md`No.`);
    now = new Date("2026-12-02T10:18:00.000Z");
    await refuse(f.deps, { ...no, operationId: "op-other00000" }, md`No.`);
    expect(f.events.map((e) => [e.operationId, e.facts.count ?? 1])).toEqual([
      ["op-0123456789", 1],
      ["op-0123456789", 2],
      ["op-other00000", 1],
    ]);
  });
});
