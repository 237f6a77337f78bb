import { describe, expect, it } from "vitest";
import type { ArchivedChange as StoredChange } from "../../../lib/audit/archive";
import { chained, hashed } from "../../../lib/audit/chain";
import {
  type AuditCheckDeps,
  archivedTrail,
  archiveSinceDay,
  auditCheck,
  CHECK_DAYS,
  checkSince,
} from "../../../lib/audit/daily-check";
import { SEAL_CHAIN, type StoredEvent } from "../../../lib/audit/seal";
import type { Head } from "../../../lib/audit/verify";
import type { Metrics } from "../../../lib/metrics";
import type { AuditEvent } from "../../../lib/operations/operation";
import type { Chat, SlackMessage } from "../../../lib/slack/chat";
import { SlackApiError } from "../../../lib/slack/slack-error";

const NOW = new Date("2026-12-03T00:30:00.000Z");

/** A standalone event of `operationId` at `at`, as the table holds it. */
function stored(operationId: string, at: string, key = `r${at}#abcdef`): StoredEvent {
  const event = hashed<AuditEvent>({
    operationId,
    seq: 0,
    at,
    action: "refused:not_an_approver",
    actor: { teamId: "T0001", userId: "U0MALLORY" },
    facts: { channel: "C0CHANGES" },
  });
  return { ...event, event: key };
}

function fakes(
  table: StoredEvent[],
  options: {
    archive?: { events: StoredEvent[]; changes?: StoredChange[] };
    channel?: "none" | "unavailable" | "C0AUDIT";
    postFails?: boolean;
    heads?: Head[];
  } = {},
) {
  let asked = 0;
  const logged: Array<[string, string, object | undefined]> = [];
  const puts: Array<[string, number]> = [];
  const posted: Array<[string, string]> = [];
  const archiveDays: string[] = [];
  const chat = {
    post: async (channel: string, message: SlackMessage) => {
      if (options.postFails)
        throw new SlackApiError("chat.postMessage", "not_in_channel", "permanent");
      posted.push([channel, message.text]);
      return "1.0";
    },
  } as unknown as Chat;
  const metrics: Metrics = { put: (n, v) => void puts.push([n, v]), flush() {} };
  const deps: AuditCheckDeps = {
    source: { items: async () => [...table], heads: async () => options.heads ?? [] },
    archive: options.archive
      ? async (sinceDay) => {
          archiveDays.push(sinceDay);
          return {
            events: (options.archive?.events ?? []).map((item) => ({
              item: item as unknown as Record<string, unknown>,
            })),
            changes: (options.archive?.changes ?? []).map((change) => ({ change })),
          };
        }
      : undefined,
    append: async (seal) => {
      table.push({ ...seal, event: `e${String(seal.seq).padStart(6, "0")}` });
    },
    sealChannel: async () => {
      asked++;
      const channel = options.channel ?? "C0AUDIT";
      if (channel === "none") return undefined;
      if (channel === "unavailable")
        throw Object.assign(new Error("unreadable"), { name: "SecretError" });
      return { channel, chat };
    },
    log: {
      info: (m, e) => void logged.push(["info", m, e]),
      warn: (m, e) => void logged.push(["warn", m, e]),
      error: (m, e) => void logged.push(["error", m, e]),
      debug: (m, e) => void logged.push(["debug", m, e]),
    },
    metrics,
    now: () => NOW,
  };
  return { deps, logged, puts, posted, archiveDays, table, asked: () => asked };
}

describe("the window of a run", () => {
  it("starts at midnight UTC, CHECK_DAYS days before today", () => {
    expect(CHECK_DAYS).toBe(2);
    expect(checkSince(NOW).toISOString()).toBe("2026-12-01T00:00:00.000Z");
    expect(checkSince(new Date("2026-12-03T23:59:59.999Z")).toISOString()).toBe(
      "2026-12-01T00:00:00.000Z",
    );
  });

  it("reads the archive from the window's first day, or the first day of an operation it verifies", () => {
    const since = new Date("2026-12-01T00:00:00.000Z");
    expect(archiveSinceDay([], since)).toBe("2026-12-01");
    const old = stored("op-old", "2026-11-20T10:00:00.000Z");
    expect(archiveSinceDay([old], since)).toBe("2026-12-01");
    const open = [
      stored("op-open", "2026-11-28T10:00:00.000Z", "e000001"),
      stored("op-open", "2026-12-01T00:00:00.000Z", "e000002"),
    ];
    expect(archiveSinceDay([old, ...open], since)).toBe("2026-11-28");
    expect(archiveSinceDay([old, ...open.slice(0, 1)], since)).toBe("2026-12-01");
  });
});

describe("the archive, as the verifier takes it", () => {
  const change = (eventName: StoredChange["eventName"], seenAt?: string): StoredChange => ({
    eventName,
    why:
      eventName === "MODIFY"
        ? "changed"
        : eventName === "REMOVE"
          ? "removed"
          : "differs-from-archive",
    sequenceNumber: "1",
    seenAt,
    keys: { operationId: "op-1", event: "e000002" },
    oldImage: eventName === "INSERT" ? null : { at: "2026-11-30T01:00:00.000Z" },
    newImage: eventName === "REMOVE" ? null : { at: "2026-11-30T02:00:00.000Z" },
  });

  it("keeps each event as it was archived, and each change by its place, kind and time", () => {
    const event = stored("op-1", "2026-12-01T10:00:00.000Z");
    expect(
      archivedTrail({
        events: [{ item: event as unknown as Record<string, unknown> }],
        changes: [
          { change: change("MODIFY", "2026-12-02T09:00:00.000Z") },
          { change: change("REMOVE", "2026-12-02T09:00:01.000Z") },
          { change: change("INSERT", "2026-12-02T09:00:02.000Z") },
        ],
      }),
    ).toEqual({
      events: [event],
      changes: [
        { operationId: "op-1", event: "e000002", kind: "MODIFY", at: "2026-12-02T09:00:00.000Z" },
        { operationId: "op-1", event: "e000002", kind: "REMOVE", at: "2026-12-02T09:00:01.000Z" },
        // An INSERT whose archived copy differs: written over.
        { operationId: "op-1", event: "e000002", kind: "MODIFY", at: "2026-12-02T09:00:02.000Z" },
      ],
    });
  });

  it("dates a change the stream did not date by its new image, else its old one", () => {
    const at = (c: StoredChange) =>
      archivedTrail({ events: [], changes: [{ change: c }] }).changes[0]?.at;
    expect(at(change("MODIFY"))).toBe("2026-11-30T02:00:00.000Z");
    expect(at(change("REMOVE"))).toBe("2026-11-30T01:00:00.000Z");
    expect(at({ ...change("REMOVE"), oldImage: null })).toBe("");
  });
});

describe("one run of the check", () => {
  const yesterday = "2026-12-02T15:00:00.000Z";

  it("seals yesterday, verifies, puts AuditFindings 0, and posts the seal in the audit channel", async () => {
    const f = fakes([stored("op-a", yesterday)]);
    const { seals, verdict } = await auditCheck(f.deps);
    expect(seals.map((s) => [s.seq, s.facts])).toEqual([[1, { day: "2026-12-02", count: 1 }]]);
    expect(f.table.filter((e) => e.operationId === SEAL_CHAIN)).toHaveLength(1);
    expect(verdict.findings).toEqual([]);
    // The seal just made is verified as the table holds it.
    expect(verdict.counted.seals).toBe(1);
    expect(f.puts).toEqual([["AuditFindings", 0]]);
    expect(f.posted).toEqual([
      [
        "C0AUDIT",
        `:lock: bm audit seal for 2026-12-02: 1 event. Seal #1 \`${seals[0]?.hash}\`, the first of its chain. \`npm run audit -- --verify\` checks the trail against it.`,
      ],
    ]);
    expect(f.logged).toEqual([
      [
        "info",
        "audit check finished",
        {
          since: "2026-12-01T00:00:00.000Z",
          sealed: ["2026-12-02"],
          findings: 0,
          // The event, and the seal in its own chain.
          events: 2,
          chains: 2,
          seals: 1,
          archived: 0,
          archive: false,
        },
      ],
    ]);
  });

  it("posts nothing when nothing is sealed, or the policy names no audit channel", async () => {
    const f = fakes([stored("op-a", yesterday)]);
    await auditCheck(f.deps);
    await auditCheck(f.deps);
    expect(f.posted).toHaveLength(1);
    // Slack is not even set up on a day with nothing to post.
    expect(f.asked()).toBe(1);
    expect(f.puts).toEqual([
      ["AuditFindings", 0],
      ["AuditFindings", 0],
    ]);
    const none = fakes([stored("op-a", yesterday)], { channel: "none" });
    expect((await auditCheck(none.deps)).seals).toHaveLength(1);
    expect(none.posted).toEqual([]);
    expect(none.logged.map(([level]) => level)).toEqual(["info"]);
  });

  it("logs each finding at error level, one line each, and counts them", async () => {
    const event = stored("op-a", yesterday);
    const f = fakes([{ ...event, actor: { teamId: "T0001", userId: "U0SOMEONE" } }]);
    const { verdict } = await auditCheck(f.deps);
    expect(f.puts).toEqual([["AuditFindings", 1]]);
    expect(f.logged.filter(([level]) => level === "error")).toEqual([
      [
        "error",
        `op-a ${event.event}: changed (its content no longer gives its hash)`,
        verdict.findings[0],
      ],
    ]);
  });

  it("verifies each operation against its own record (its head)", async () => {
    const first = {
      ...chained<AuditEvent>({
        operationId: "op-h",
        seq: 1,
        at: yesterday,
        action: "requested",
        actor: { teamId: "T0001", userId: "U0ALICE" },
        facts: {},
      }),
      event: "e000001",
    };
    const f = fakes([first], {
      heads: [{ id: "op-h", seq: 2, hash: "f".repeat(64), unaudited: [] }],
    });
    const { verdict } = await auditCheck(f.deps);
    expect(verdict.findings.map((x) => `${x.operationId} ${x.event} ${x.kind}`)).toEqual([
      "op-h e000002 removed",
    ]);
    expect(f.puts).toEqual([["AuditFindings", 1]]);
  });

  it("compares with the archive from the first day it verifies", async () => {
    const event = stored("op-a", yesterday);
    const f = fakes([event], {
      archive: { events: [{ ...event, actor: { teamId: "T0001", userId: "U0OTHER" } }] },
    });
    const { verdict } = await auditCheck(f.deps);
    expect(f.archiveDays).toEqual(["2026-12-01"]);
    expect(verdict.findings).toEqual([
      {
        operationId: "op-a",
        event: event.event,
        kind: "changed",
        detail: "it differs from its archived copy",
      },
    ]);
    expect(f.logged.at(-1)?.[2]).toMatchObject({ archive: true, archived: 1 });
  });

  it("seals and verifies when Slack cannot be set up: only the post is skipped, and logged", async () => {
    const f = fakes([stored("op-a", yesterday)], { channel: "unavailable" });
    const { seals } = await auditCheck(f.deps);
    expect(seals).toHaveLength(1);
    expect(f.puts).toEqual([["AuditFindings", 0]]);
    expect(f.logged.filter(([level]) => level !== "info")).toEqual([
      [
        "error",
        "audit seal not posted: Slack could not be set up",
        { error: "SecretError", days: ["2026-12-02"] },
      ],
    ]);
  });

  it("tries each seal when a post fails, logging each, and never throws", async () => {
    const f = fakes([stored("op-a", "2026-12-01T10:00:00.000Z")], { postFails: true });
    const { seals } = await auditCheck(f.deps);
    expect(seals.map((s) => s.facts.day)).toEqual(["2026-12-01", "2026-12-02"]);
    expect(f.logged.filter(([level]) => level === "error")).toEqual(
      ["2026-12-01", "2026-12-02"].map((day) => [
        "error",
        "audit seal not posted",
        { day, channel: "C0AUDIT", error: "SlackApiError", code: "not_in_channel" },
      ]),
    );
  });
});
