import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventHash, hashed } from "../../../lib/audit/chain";
import { daysToSeal, type Seal, type StoredEvent, sealDay } from "../../../lib/audit/seal";
import { type Head, type VerifyInput, verify } from "../../../lib/audit/verify";
import { auditKey } from "../../../lib/aws/dynamo/audit-log";
import {
  type AuditEvent,
  bmActor,
  type Operation,
  record,
  transition,
} from "../../../lib/operations/operation";
import { AT, sampleOperation } from "../operations/sample-operation";

const at = (minutes: number) => new Date(AT.getTime() + minutes * 60_000);
const stored = (e: AuditEvent): StoredEvent => ({ ...e, event: auditKey(e) });

/** A detach from request to done, with an approval, as bm records it. */
function detach(id = "op-0123456789", reason = "INC-1"): Operation {
  let op = sampleOperation({ id, approvalsRequired: 1 }, reason);
  op = { ...op, lastEvent: { ...op.lastEvent, operationId: id } };
  op.unaudited = [op.lastEvent];
  const bm = bmActor(op);
  op = transition(op, "awaiting_approval", bm, at(1));
  op = record(op, "approval", { teamId: "T1", userId: "U0CEO" }, at(2), {}, { count: 1 });
  op = transition(op, "approved", bm, at(3));
  op = transition(op, "executing", bm, at(4));
  op = transition(op, "detaching", bm, at(5), {}, { requestId: "req-1" });
  return transition(op, "done", bm, at(6));
}

/** The detach's first event again, under its id (sampleOperation's is fixed). */
function trail(): { table: StoredEvent[]; heads: Head[]; op: Operation } {
  const op = detach();
  const first = op.unaudited?.[0] as AuditEvent;
  // sampleOperation's first event is hashed with its own id; make it this operation's.
  const events = (op.unaudited ?? []).map(stored);
  expect(first.seq).toBe(1);
  const refusal = stored(
    hashed<AuditEvent>({
      operationId: "op-abcdefghjk",
      seq: 0,
      at: at(7).toISOString(),
      action: "refused:not_an_approver",
      actor: { teamId: "T1", userId: "U0MALLORY" },
      facts: { channel: "C1" },
    }),
  );
  return {
    table: [...events, refusal],
    heads: [{ id: op.id, seq: op.seq, hash: op.lastEvent.hash as string, unaudited: [] }],
    op,
  };
}

const NOW = at(60 * 24 * 2);
const check = (input: Partial<VerifyInput> & Pick<VerifyInput, "table">) =>
  verify({ now: NOW, archiveGraceMs: 15 * 60_000, ...input });
const kinds = (input: Partial<VerifyInput> & Pick<VerifyInput, "table">) =>
  check(input).findings.map((f) => `${f.operationId} ${f.event} ${f.kind}`);
const at2 = (table: StoredEvent[], key: string, id = "op-0123456789") =>
  table.findIndex((e) => e.operationId === id && e.event === key);

describe("the verifier", () => {
  it("finds nothing in a trail as bm wrote it, and counts what it verified", () => {
    const { table, heads } = trail();
    const verdict = check({ table, heads });
    expect(verdict.findings).toEqual([]);
    expect(verdict.counted).toEqual({ events: 8, chains: 2, seals: 0, archived: 0 });
  });

  it("names an event rewritten in place: U0CEO's approval given to U0APPROVER2", () => {
    const { table, heads } = trail();
    const i = at2(table, "e000003");
    table[i] = { ...(table[i] as StoredEvent), actor: { teamId: "T1", userId: "U0APPROVER2" } };
    expect(check({ table, heads }).findings).toEqual([
      {
        operationId: "op-0123456789",
        event: "e000003",
        kind: "changed",
        detail: "its content no longer gives its hash",
      },
    ]);
  });

  it("names where the chain breaks when the rewrite was hashed again", () => {
    const { table, heads } = trail();
    const i = at2(table, "e000003");
    const forged = { ...(table[i] as StoredEvent), actor: { teamId: "T1", userId: "U0X" } };
    table[i] = { ...forged, hash: eventHash(forged) };
    expect(kinds({ table, heads })).toEqual(["op-0123456789 e000004 broken"]);
    expect(check({ table, heads }).findings[0]?.detail).toContain("other than e000003");
  });

  it("names the last event rewritten and hashed again: its operation names another", () => {
    const { table, heads } = trail();
    const i = at2(table, "e000007");
    const forged = { ...(table[i] as StoredEvent), facts: { requestId: "req-2" } };
    table[i] = { ...forged, hash: eventHash(forged) };
    expect(kinds({ table, heads })).toEqual(["op-0123456789 e000007 changed"]);
    // Without the operation's record, the chain alone cannot see it: the seal and archive do.
    expect(kinds({ table })).toEqual([]);
  });

  it("names events removed: from the middle, from the end, all of an operation's", () => {
    const { table, heads } = trail();
    const middle = table.filter((e) => e.event !== "e000003");
    expect(kinds({ table: middle, heads })).toEqual(["op-0123456789 e000003 removed"]);
    const tail = table.filter((e) => e.event !== "e000007" && e.event !== "e000006");
    expect(kinds({ table: tail, heads })).toEqual([
      "op-0123456789 e000006 removed",
      "op-0123456789 e000007 removed",
    ]);
    const none = table.filter((e) => e.operationId !== "op-0123456789");
    expect(kinds({ table: none, heads })).toHaveLength(7);
  });

  it("does not count the events still in the operation's outbox as removed", () => {
    const { table, heads } = trail();
    const head = { ...(heads[0] as Head), unaudited: [6, 7] };
    const tail = table.filter((e) => e.event !== "e000007" && e.event !== "e000006");
    expect(kinds({ table: tail, heads: [head] })).toEqual([]);
  });

  it("names events inserted: beyond the operation's end, under a key bm never writes", () => {
    const { table, heads, op } = trail();
    const extra = stored(record(op, "approval", { teamId: "T1", userId: "U0X" }, at(8)).lastEvent);
    expect(kinds({ table: [...table, extra], heads })).toEqual(["op-0123456789 e000008 inserted"]);
    const odd = { ...(table[0] as StoredEvent), seq: 0, event: "x1" };
    expect(kinds({ table: [...table, { ...odd, hash: eventHash(odd) }], heads })).toEqual([
      "op-0123456789 x1 inserted",
    ]);
    const negative = { ...(table[0] as StoredEvent), seq: -1, event: "e-1" };
    expect(kinds({ table: [...table, { ...negative, hash: eventHash(negative) }] })).toEqual([
      "op-0123456789 e-1 inserted",
    ]);
  });

  it("names events moved or reordered: content under another event's key", () => {
    const { table, heads } = trail();
    const a = at2(table, "e000003");
    const b = at2(table, "e000004");
    const [three, four] = [table[a] as StoredEvent, table[b] as StoredEvent];
    table[a] = { ...four, event: "e000003" };
    table[b] = { ...three, event: "e000004" };
    expect(kinds({ table, heads })).toEqual([
      "op-0123456789 e000003 moved",
      "op-0123456789 e000003 removed",
      "op-0123456789 e000004 moved",
      "op-0123456789 e000004 removed",
    ]);
  });

  it("names an event without a hash, and a chain that starts with a predecessor", () => {
    const { table, heads } = trail();
    const i = at2(table, "e000001");
    const { hash: _gone, ...bare } = table[i] as StoredEvent;
    table[i] = bare as StoredEvent;
    expect(kinds({ table, heads })).toEqual(["op-0123456789 e000001 unchained"]);
    const linked = { ...bare, prev: "f".repeat(64) };
    table[i] = { ...linked, hash: eventHash(linked) } as StoredEvent;
    expect(kinds({ table, heads })).toEqual([
      "op-0123456789 e000001 broken",
      "op-0123456789 e000002 broken",
    ]);
  });

  it("only verifies what happened since the date asked, whole operations at a time", () => {
    const { table, heads } = trail();
    const i = at2(table, "e000001");
    table[i] = { ...(table[i] as StoredEvent), reason: "rewritten" } as StoredEvent;
    expect(kinds({ table, heads, since: at(7).toISOString() })).toEqual([]);
    expect(kinds({ table, heads, since: at(6).toISOString() })).toEqual([
      "op-0123456789 e000001 changed",
    ]);
  });
});

describe("the day's seal", () => {
  const day = AT.toISOString().slice(0, 10);
  const sealed = () => {
    const t = trail();
    const seal = sealDay(day, t.table, undefined, new Date(`${day}T23:59:59Z`));
    const later = sealDay("2026-11-27", t.table, seal, at(60 * 24));
    return { ...t, seal, table: [...t.table, stored(seal), stored(later)] };
  };

  it("lists every event of its day but seals, sorted, chained to the seal before it", () => {
    const { seal, table } = sealed();
    expect(seal.facts).toEqual({ day, count: 8 });
    expect(seal.sealed[0]).toMatch(/^op-0123456789 e000001 [0-9a-f]{64}$/);
    expect(seal.sealed).toEqual([...seal.sealed].sort());
    const next = table.find((e) => e.operationId === "seal" && e.seq === 2) as unknown as Seal;
    expect(next.prev).toBe(seal.hash);
    expect(next.facts).toEqual({ day: "2026-11-27", count: 0 });
    expect(check({ table }).findings).toEqual([]);
    expect(check({ table }).counted.seals).toBe(2);
  });

  it("names a standalone event removed, or changed and hashed again, after its day was sealed", () => {
    const { table } = sealed();
    const without = table.filter((e) => !e.event.startsWith("r"));
    expect(kinds({ table: without })).toEqual([
      expect.stringMatching(/^op-abcdefghjk r.* removed$/),
    ]);
    const i = table.findIndex((e) => e.event.startsWith("r"));
    const forged = { ...(table[i] as StoredEvent), actor: { teamId: "T1", userId: "U0X" } };
    table[i] = { ...forged, hash: eventHash(forged) };
    expect(kinds({ table })).toEqual([expect.stringMatching(/^op-abcdefghjk r.* changed$/)]);
  });

  it("names an event planted in a day already sealed", () => {
    const { table } = sealed();
    const planted = stored(
      hashed<AuditEvent>({
        operationId: "op-zzzzzzzzzz",
        seq: 0,
        at: at(30).toISOString(),
        action: "refused:x",
        actor: { teamId: "T1", userId: "U1" },
        facts: {},
      }),
    );
    expect(kinds({ table: [...table, planted] })).toEqual([
      `op-zzzzzzzzzz ${planted.event} inserted`,
    ]);
  });

  it("names a seal removed, rewritten, or sealing the wrong day", () => {
    const { table } = sealed();
    const first = table.findIndex((e) => e.operationId === "seal" && e.seq === 1);
    expect(kinds({ table: table.filter((_, j) => j !== first) })).toEqual(["seal e000001 removed"]);
    const rewritten = [...table];
    rewritten[first] = { ...(table[first] as Seal & { event: string }), sealed: [] } as StoredEvent;
    expect(kinds({ table: rewritten })).toContain("seal e000001 changed");
    const second = table.findIndex((e) => e.operationId === "seal" && e.seq === 2);
    const wrong = {
      ...(table[second] as Seal & { event: string }),
      facts: { day: "2026-11-29", count: 0 },
    };
    const skipped = [...table];
    skipped[second] = { ...wrong, hash: eventHash(wrong) };
    expect(kinds({ table: skipped })).toEqual(["seal e000002 broken"]);
  });

  it("seals every day from the last one sealed (or the first event's) up to yesterday", () => {
    const now = new Date("2026-12-02T01:00:00Z");
    expect(daysToSeal("2026-11-29", "2026-11-01", now)).toEqual(["2026-11-30", "2026-12-01"]);
    expect(daysToSeal(undefined, "2026-12-01", now)).toEqual(["2026-12-01"]);
    expect(daysToSeal("2026-12-01", "2026-11-01", now)).toEqual([]);
    expect(daysToSeal(undefined, undefined, now)).toEqual([]);
    expect(daysToSeal(undefined, "2026-12-02", now)).toEqual([]);
  });
});

describe("against the archive", () => {
  it("names what differs, what only the archive has, and what it lacks past its grace", () => {
    const { table, heads } = trail();
    const archive = table.map((e) => ({ ...e }));
    expect(check({ table, heads, archive }).findings).toEqual([]);
    expect(check({ table, heads, archive }).counted.archived).toBe(8);
    // Changed in the table, hash and all, the chain intact: the archive still tells.
    const i = at2(table, "e000007");
    const forged = { ...(table[i] as StoredEvent), facts: { requestId: "req-2" } };
    const changed = [...table];
    changed[i] = { ...forged, hash: eventHash(forged) };
    expect(kinds({ table: changed, archive })).toEqual(["op-0123456789 e000007 changed"]);
    expect(kinds({ table: table.slice(0, -1), heads, archive })).toEqual([
      expect.stringMatching(/^op-abcdefghjk r.* removed$/),
    ]);
    expect(kinds({ table, heads, archive: archive.slice(1) })).toEqual([
      "op-0123456789 e000001 unarchived",
    ]);
    // Not yet past the grace: the archiver may still be on its way.
    expect(kinds({ table, heads, archive: archive.slice(1), now: at(10) })).toEqual([]);
  });

  it("names each change the stream recorded", () => {
    const { table } = trail();
    const changes = [
      {
        operationId: "op-0123456789",
        event: "e000003",
        kind: "MODIFY" as const,
        at: at(9).toISOString(),
      },
      {
        operationId: "op-0123456789",
        event: "e000004",
        kind: "REMOVE" as const,
        at: at(9).toISOString(),
      },
    ];
    const found = check({ table, changes }).findings;
    expect(found.map((f) => `${f.event} ${f.kind}`)).toEqual([
      "e000003 rewritten",
      "e000004 rewritten",
    ]);
    expect(found[0]?.detail).toContain("written over");
    expect(found[1]?.detail).toContain("deleted");
    expect(check({ table, changes, since: at(10).toISOString() }).findings).toEqual([]);
  });
});

describe("every tampering is named", () => {
  it("a rewrite (hashed again or not) or a removal of any event, by its chain, its seal or its archived copy", () => {
    const { seal, table, heads } = (() => {
      const t = trail();
      const s = sealDay(AT.toISOString().slice(0, 10), t.table, undefined, at(60 * 24));
      return { ...t, seal: s, table: [...t.table, stored(s)] };
    })();
    expect(seal.facts.count).toBe(8);
    const archive = table.map((e) => ({ ...e }));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: table.length - 1 }),
        fc.constantFrom("rewrite", "rewrite-and-hash", "remove"),
        fc.string({ minLength: 1 }),
        (index, how, text) => {
          const target = table[index] as StoredEvent;
          const tampered = [...table];
          if (how === "remove") tampered.splice(index, 1);
          else {
            const forged = { ...target, action: `${target.action}${text}` };
            tampered[index] = how === "rewrite" ? forged : { ...forged, hash: eventHash(forged) };
          }
          // The latest seal has no successor: only its archived copy (and Slack's) can tell.
          const inputs = target.operationId === "seal" ? [{ archive }] : [{ heads }, { archive }];
          for (const input of inputs) {
            const found = check({ table: tampered, ...input }).findings;
            expect(
              found.some(
                (f) =>
                  f.operationId === target.operationId &&
                  (f.event === target.event || f.detail.includes(target.event)),
              ),
            ).toBe(true);
          }
        },
      ),
    );
  });
});
