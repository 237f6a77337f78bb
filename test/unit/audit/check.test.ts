import { describe, expect, it } from "vitest";
import { hashed } from "../../../lib/audit/chain";
import {
  ARCHIVE_GRACE_MS,
  findingLine,
  measureVerdict,
  sealDays,
  type TrailSource,
  verdictLine,
  verifyTrail,
} from "../../../lib/audit/check";
import { type StoredEvent, sealDay } from "../../../lib/audit/seal";
import type { Verdict } from "../../../lib/audit/verify";
import { auditKey } from "../../../lib/aws/dynamo/audit-log";
import type { MetricName } from "../../../lib/metrics";
import type { AuditEvent } from "../../../lib/operations/operation";

const refusal = (at: string, userId = "U0X"): StoredEvent => {
  const e = hashed<AuditEvent>({
    operationId: "op-abcdefghjk",
    seq: 0,
    at,
    action: "refused:x",
    actor: { teamId: "T1", userId },
    facts: {},
  });
  return { ...e, event: auditKey(e) };
};

describe("verifying a trail read through its source", () => {
  const table = [refusal("2026-12-01T10:00:00.000Z")];

  it("reads the table, the records and the archive, and verifies them together", async () => {
    const archived: StoredEvent[] = [];
    const source: TrailSource = {
      items: async () => table,
      heads: async () => [{ id: "op-lostlostlo", seq: 1, unaudited: [] }],
      archive: async () => ({ events: archived, changes: [] }),
    };
    const now = new Date("2026-12-02T00:00:00.000Z");
    const verdict = await verifyTrail(source, { now });
    expect(verdict.findings.map((f) => `${f.operationId} ${f.event} ${f.kind}`)).toEqual([
      `op-abcdefghjk ${table[0]?.event} unarchived`,
      "op-lostlostlo e000001 removed",
    ]);
    expect(verdict.counted).toEqual({ events: 1, chains: 1, seals: 0, archived: 0 });
    // Within the archive's grace, an event not archived yet is not a finding.
    const soon = new Date(Date.parse("2026-12-01T10:00:00.000Z") + ARCHIVE_GRACE_MS);
    expect((await verifyTrail(source, { now: soon })).findings).toHaveLength(1);
    expect(ARCHIVE_GRACE_MS).toBe(15 * 60_000);
  });

  it("passes the window on, and goes without an archive", async () => {
    const source: TrailSource = { items: async () => table, heads: async () => [] };
    const since = new Date("2026-12-01T11:00:00.000Z");
    const verdict = await verifyTrail(source, { since, now: since });
    expect(verdict.counted).toEqual({ events: 0, chains: 0, seals: 0, archived: 0 });
    const whole = await verifyTrail(source, { now: since });
    expect(whole.counted.events).toBe(1);
    const changes = [
      {
        operationId: "op-abcdefghjk",
        event: "e000001",
        kind: "REMOVE" as const,
        at: "2026-12-01T10:30:00.000Z",
      },
    ];
    const withChanges = await verifyTrail(
      { ...source, archive: async () => ({ events: table, changes }) },
      { since, now: since },
    );
    // The change at 10:30 is before the window of 11:00.
    expect(withChanges.findings).toEqual([]);
  });
});

describe("sealing the days not sealed yet", () => {
  it("seals each day from the first event's up to yesterday, each after the one before", async () => {
    const table = [refusal("2026-11-29T23:59:59.999Z"), refusal("2026-12-01T00:00:00.000Z", "U0Y")];
    const appended: AuditEvent[] = [];
    const now = new Date("2026-12-02T00:30:00.000Z");
    const made = await sealDays(table, async (seal) => void appended.push(seal), now);
    expect(made.map((s) => [s.seq, s.facts])).toEqual([
      [1, { day: "2026-11-29", count: 1 }],
      [2, { day: "2026-11-30", count: 0 }],
      [3, { day: "2026-12-01", count: 1 }],
    ]);
    expect(appended).toEqual(made);
    expect(made[1]?.prev).toBe(made[0]?.hash);
    expect(made[2]?.prev).toBe(made[1]?.hash);
    expect(made.every((s) => s.at === now.toISOString())).toBe(true);
  });

  it("goes on from the last seal, whatever the table's order, and seals nothing twice", async () => {
    const events = [refusal("2026-11-29T10:00:00.000Z"), refusal("2026-12-01T10:00:00.000Z")];
    const first = sealDay("2026-11-29", events, undefined, new Date("2026-11-30T00:30:00Z"));
    const second = sealDay("2026-11-30", events, first, new Date("2026-12-01T00:30:00Z"));
    const table = [
      { ...second, event: auditKey(second) },
      ...events,
      { ...first, event: auditKey(first) },
    ];
    const made = await sealDays(table, async () => {}, new Date("2026-12-02T00:30:00Z"));
    expect(made.map((s) => [s.seq, s.facts.day, s.prev])).toEqual([[3, "2026-12-01", second.hash]]);
    expect(made[0]?.sealed).toEqual([`op-abcdefghjk ${events[1]?.event} ${events[1]?.hash}`]);
    expect(await sealDays(table, async () => {}, new Date("2026-12-01T23:00:00Z"))).toEqual([]);
    expect(await sealDays([], async () => {}, new Date("2026-12-01T23:00:00Z"))).toEqual([]);
  });

  it("stops at the first seal it cannot append, having appended those before it", async () => {
    const table = [refusal("2026-11-29T10:00:00.000Z")];
    const appended: number[] = [];
    let calls = 0;
    const append = async (seal: AuditEvent) => {
      if (++calls === 2) throw new Error("down");
      appended.push(seal.seq);
    };
    await expect(sealDays(table, append, new Date("2026-12-02T00:30:00Z"))).rejects.toThrow("down");
    expect(appended).toEqual([1]);
  });
});

describe("what the check says", () => {
  const verdict = (findings: Verdict["findings"]): Verdict => ({
    findings,
    counted: { events: 12, chains: 3, seals: 2, archived: 10 },
  });
  const finding = {
    operationId: "op-0123456789",
    event: "e000003",
    kind: "changed" as const,
    detail: "its content no longer gives its hash",
  };

  it("a finding in one line", () => {
    expect(findingLine(finding)).toBe(
      "op-0123456789 e000003: changed (its content no longer gives its hash)",
    );
  });

  it("the verdict, with and without an archive, and its count", () => {
    expect(verdictLine(verdict([]), true)).toBe(
      "audit: verified 12 events in 3 chains, 2 seals, 10 compared with the archive: all hold.",
    );
    expect(verdictLine(verdict([finding]), false)).toBe(
      "audit: verified 12 events in 3 chains, 2 seals (no archive: the chains and seals alone): 1 finding.",
    );
    expect(verdictLine(verdict([finding, finding]), false)).toMatch(/: 2 findings\.$/);
  });

  it("puts the number of findings, 0 when all hold", () => {
    const put: Array<[MetricName, number]> = [];
    const metrics = {
      put: (name: MetricName, value: number) => void put.push([name, value]),
      flush() {},
    };
    measureVerdict(metrics, verdict([]));
    measureVerdict(metrics, verdict([finding, finding]));
    expect(put).toEqual([
      ["AuditFindings", 0],
      ["AuditFindings", 2],
    ]);
  });
});

describe("a seal's lines", () => {
  it("lists each event of its day but the seals, an event without a hash with -", async () => {
    const { linesOfDay, sealLine } = await import("../../../lib/audit/seal");
    const a = refusal("2026-12-01T00:00:00.000Z");
    const b = refusal("2026-12-01T23:59:59.999Z", "U0Y");
    const other = refusal("2026-12-02T00:00:00.000Z");
    const seal = {
      ...sealDay("2026-11-30", [], undefined, new Date("2026-12-01T00:30:00Z")),
      event: "e000001",
    };
    const { hash: _h, ...bare } = a;
    expect(sealLine(bare as StoredEvent)).toBe(`op-abcdefghjk ${a.event} -`);
    expect(linesOfDay([other, b, seal, a], "2026-12-01")).toEqual(
      [sealLine(a), sealLine(b)].sort(),
    );
  });
});

describe("sealing after several seals, among operations' events", () => {
  it("goes on from the seal of the highest seq, never from an operation's event", async () => {
    const late = refusal("2026-11-28T10:00:00.000Z");
    const early = refusal("2026-11-25T10:00:00.000Z", "U0Y");
    const op = { ...late, operationId: "op-0123456789", seq: 7, event: "e000007" };
    let last: ReturnType<typeof sealDay> | undefined;
    const seals: StoredEvent[] = [];
    for (const day of ["2026-11-25", "2026-11-26", "2026-11-27"]) {
      last = sealDay(day, [late, early], last, new Date(`${day}T23:00:00Z`));
      seals.push({ ...last, event: auditKey(last) });
    }
    const table = [seals[1], late, op, seals[2], early, seals[0]] as StoredEvent[];
    const made = await sealDays(table, async () => {}, new Date("2026-11-29T00:30:00Z"));
    expect(made.map((s) => [s.seq, s.facts.day, s.prev])).toEqual([[4, "2026-11-28", last?.hash]]);
  });

  it("starts, with no seal yet, at the earliest event's day, whatever the table's order", async () => {
    const table = [refusal("2026-11-28T10:00:00.000Z"), refusal("2026-11-27T10:00:00.000Z", "U0Y")];
    const made = await sealDays(table, async () => {}, new Date("2026-11-29T00:30:00Z"));
    expect(made.map((s) => s.facts)).toEqual([
      { day: "2026-11-27", count: 1 },
      { day: "2026-11-28", count: 1 },
    ]);
  });
});

describe("sealing beside an item planted in the seals' chain", () => {
  it("takes a standalone item there for no seal: the first seal starts the chain", async () => {
    const planted = { ...refusal("2026-11-27T10:00:00.000Z"), operationId: "seal" };
    const table = [planted, refusal("2026-11-28T10:00:00.000Z")];
    const made = await sealDays(table, async () => {}, new Date("2026-11-29T00:30:00Z"));
    expect(made.map((s) => [s.seq, s.facts.day, s.prev])).toEqual([
      [1, "2026-11-27", undefined],
      [2, "2026-11-28", made[0]?.hash],
    ]);
  });
});
