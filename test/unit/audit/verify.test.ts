import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventHash, hashed } from "../../../lib/audit/chain";
import { daysToSeal, nextDay, type Seal, type StoredEvent, sealDay } from "../../../lib/audit/seal";
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

describe("each finding, said in full", () => {
  const rehash = (e: StoredEvent): StoredEvent => ({ ...e, hash: eventHash(e) });
  const only = (input: Partial<VerifyInput> & Pick<VerifyInput, "table">) => check(input).findings;

  it("an event of no form bm writes: a seq that is no whole number, a key of no form", () => {
    const { table } = trail();
    const base = table[0] as StoredEvent;
    const odd = [
      rehash({ ...base, seq: 1.5, event: "e1.5" }),
      rehash({ ...base, seq: "2" as unknown as number, event: "e2s" }),
      rehash({ ...base, seq: 0, event: "x0" }),
    ];
    expect(only({ table: [...table, ...odd] })).toEqual([
      {
        operationId: base.operationId,
        event: "e1.5",
        kind: "inserted",
        detail: "its seq 1.5 is of no form bm writes",
      },
      {
        operationId: base.operationId,
        event: "e2s",
        kind: "inserted",
        detail: "its seq 2 is of no form bm writes",
      },
      {
        operationId: base.operationId,
        event: "x0",
        kind: "inserted",
        detail: "a standalone event under a key bm never gives one",
      },
    ]);
    // A standalone event in the seals' chain, under a refusal's key: still no form bm writes.
    const inSeals = rehash({ ...base, operationId: "seal", seq: 0, event: "r2026" });
    expect(only({ table: [inSeals] })).toEqual([
      {
        operationId: "seal",
        event: "r2026",
        kind: "inserted",
        detail: "a standalone event under a key bm never gives one",
      },
    ]);
  });

  it("unchained, moved, removed and broken events, in words", () => {
    const { table } = trail();
    const i = at2(table, "e000003");
    const { hash: _h, ...bare } = table[i] as StoredEvent;
    expect(only({ table: table.map((e, j) => (j === i ? (bare as StoredEvent) : e)) })).toEqual([
      {
        operationId: "op-0123456789",
        event: "e000003",
        kind: "unchained",
        detail: "it carries no hash",
      },
    ]);
    const moved = table.map((e, j) => (j === i ? { ...e, event: "e000009" } : e));
    expect(only({ table: moved })).toEqual([
      {
        operationId: "op-0123456789",
        event: "e000003",
        kind: "removed",
        detail: "event #3 is missing from its chain",
      },
      {
        operationId: "op-0123456789",
        event: "e000009",
        kind: "moved",
        detail: "it holds event #3, whose key is e000003",
      },
    ]);
    const first = at2(table, "e000001");
    const linked = table.map((e, j) => (j === first ? rehash({ ...e, prev: "0".repeat(64) }) : e));
    expect(only({ table: linked })[0]).toEqual({
      operationId: "op-0123456789",
      event: "e000001",
      kind: "broken",
      detail: "the first event of a chain names a predecessor",
    });
    const { prev: _p, ...unlinked } = table[i] as StoredEvent;
    const cut = table.map((e, j) => (j === i ? rehash(unlinked as StoredEvent) : e));
    expect(only({ table: cut })[0]).toEqual({
      operationId: "op-0123456789",
      event: "e000003",
      kind: "broken",
      detail: "it names no predecessor; e000002 comes before it",
    });
    // The last event of a chain is checked as the others are.
    const last = at2(table, "e000007");
    const relinked = table.map((e, j) => (j === last ? rehash({ ...e, prev: "1".repeat(64) }) : e));
    expect(only({ table: relinked })).toEqual([
      {
        operationId: "op-0123456789",
        event: "e000007",
        kind: "broken",
        detail:
          "it names a predecessor other than e000006: one of the two was rewritten or replaced",
      },
    ]);
  });

  it("what the operation's record says: a tail removed, a last event changed, one beyond", () => {
    const { table, heads, op } = trail();
    const tail = table.filter((e) => e.event !== "e000007");
    expect(only({ table: tail, heads })).toEqual([
      {
        operationId: op.id,
        event: "e000007",
        kind: "removed",
        detail: "its operation has 7 events; #7 is not in the audit table",
      },
    ]);
    // A gap inside the chain is said once, by the chain: the record adds nothing to it.
    const gap = table.filter((e) => e.event !== "e000004");
    expect(only({ table: gap, heads })).toEqual([
      {
        operationId: op.id,
        event: "e000004",
        kind: "removed",
        detail: "event #4 is missing from its chain",
      },
    ]);
    const other = { ...(heads[0] as Head), hash: "2".repeat(64) };
    expect(only({ table, heads: [other] })).toEqual([
      {
        operationId: op.id,
        event: "e000007",
        kind: "changed",
        detail: "its operation's record names another last event",
      },
    ]);
    const shorter = { ...(heads[0] as Head), seq: 6, hash: undefined } as unknown as Head;
    expect(only({ table, heads: [shorter] })).toEqual([
      {
        operationId: op.id,
        event: "e000007",
        kind: "inserted",
        detail: "its operation has only 6 events",
      },
    ]);
  });

  it("reads an operation's record only for the operations verified", () => {
    const { table, heads } = trail();
    const since = at(7).toISOString();
    const tail = table.filter((e) => e.event !== "e000007");
    // The detach's last event was at minute 6: not in the window, so neither is its record.
    expect(only({ table: tail, heads, since })).toEqual([]);
    // An operation with no event at all in the table: its record says what is missing.
    const lost = { id: "op-lostlostlo", seq: 2, unaudited: [] };
    expect(kinds({ table, heads: [lost] })).toEqual([
      "op-lostlostlo e000001 removed",
      "op-lostlostlo e000002 removed",
    ]);
    expect(only({ table, heads: [lost], since })).toEqual([]);
    expect(only({ table, heads: [{ id: "op-nothingno", seq: 0, unaudited: [] }] })).toEqual([]);
  });

  it("changes the stream recorded at the very moment asked for are in the window", () => {
    const { table } = trail();
    const when = at(9).toISOString();
    const change = {
      operationId: "op-0123456789",
      event: "e000003",
      kind: "MODIFY" as const,
      at: when,
    };
    expect(only({ table, changes: [change], since: when })).toEqual([
      {
        operationId: "op-0123456789",
        event: "e000003",
        kind: "rewritten",
        detail: `it was written over at ${when} (the archive keeps the first and the new content)`,
      },
    ]);
  });

  it("two reasons for one finding are said together, once each", () => {
    const { table, heads } = trail();
    const day = AT.toISOString().slice(0, 10);
    const seal = sealDay(day, table, undefined, at(60 * 24));
    const removed = table.filter((e) => e.event !== "e000004");
    const found = only({ table: [...removed, stored(seal)], heads, archive: table });
    expect(found.filter((f) => f.event === "e000004")).toEqual([
      {
        operationId: "op-0123456789",
        event: "e000004",
        kind: "removed",
        detail: `event #4 is missing from its chain; the seal of ${day} lists it; the audit table has it no more; the archive has it; the audit table has it no more`,
      },
    ]);
  });
});

describe("the seals, in words", () => {
  const day = AT.toISOString().slice(0, 10);
  const sealedTable = () => {
    const t = trail();
    const first = sealDay(day, t.table, undefined, at(60 * 24));
    const second = sealDay("2026-11-27", t.table, first, at(60 * 48));
    return { table: [...t.table, stored(first), stored(second)], first, second };
  };

  it("takes a standalone item in the seals' chain for no seal", () => {
    const { table } = sealedTable();
    const odd = { ...(table[0] as StoredEvent), operationId: "seal", seq: 0, event: "r0" };
    const withOdd = [{ ...odd, hash: eventHash(odd) }, ...table];
    expect(kinds({ table: withOdd })).toEqual(["seal r0 inserted"]);
  });

  it("reads the seals in their chain's order, whatever order the table gives", () => {
    const { table } = sealedTable();
    const reversed = [...table].reverse();
    expect(only(reversed)).toEqual([]);
  });

  it("says a removed, changed or inserted event of a sealed day in full", () => {
    const { table } = sealedTable();
    const refusal = table.find((e) => e.event.startsWith("r")) as StoredEvent;
    const forged = { ...refusal, facts: { channel: "C2" } };
    const changed = table.map((e) => (e === refusal ? { ...forged, hash: eventHash(forged) } : e));
    expect(only(changed)).toEqual([
      {
        operationId: refusal.operationId,
        event: refusal.event,
        kind: "changed",
        detail: `its hash differs from the one the seal of ${day} lists`,
      },
    ]);
    const removed = table.filter((e) => e !== refusal);
    expect(only(removed)).toEqual([
      {
        operationId: refusal.operationId,
        event: refusal.event,
        kind: "removed",
        detail: `the seal of ${day} lists it; the audit table has it no more`,
      },
    ]);
    const planted = { ...refusal, event: `${refusal.event}x` };
    expect(only([...table, planted])).toEqual([
      {
        operationId: refusal.operationId,
        event: planted.event,
        kind: "inserted",
        detail: `it is of ${day}, which was sealed without it`,
      },
    ]);
  });

  it("says a seal that skips a day, and one with no list or no facts, without failing", () => {
    const { table, first } = sealedTable();
    const skipping = sealDay("2026-11-28", [], first, at(60 * 48));
    const withSkip = [
      ...table.filter((e) => !(e.operationId === "seal" && e.seq === 2)),
      stored(skipping),
    ];
    expect(only(withSkip)).toEqual([
      {
        operationId: "seal",
        event: "e000002",
        kind: "broken",
        detail: `it seals 2026-11-28, not the day after ${day}`,
      },
    ]);
    const i = table.findIndex((e) => e.operationId === "seal" && e.seq === 1);
    const noList = table.map((e, j) =>
      j === i ? rehashed({ ...e, sealed: "all" } as StoredEvent) : e,
    );
    expect(kinds({ table: noList })).toEqual(
      table
        .filter((e) => e.operationId !== "seal")
        .map((e) => `${e.operationId} ${e.event} inserted`)
        .sort()
        // Hashed again, the first seal is no longer the one the second names.
        .concat("seal e000002 broken"),
    );
    const { facts: _f, ...bare } = table[i] as StoredEvent;
    const noFacts = table.map((e, j) => (j === i ? (bare as StoredEvent) : e));
    expect(kinds({ table: noFacts })).toContain("seal e000001 changed");
  });

  it("checks only the seals of days in the window asked for", () => {
    const { table } = sealedTable();
    const refusal = table.find((e) => e.event.startsWith("r")) as StoredEvent;
    const removed = table.filter((e) => e !== refusal);
    expect(check({ table: removed, since: "2026-11-27T00:00:00.000Z" }).counted.seals).toBe(1);
    expect(check({ table: removed, since: "2026-11-27T00:00:00.000Z" }).findings).toEqual([]);
    expect(check({ table: removed, since: `${day}T23:59:59.999Z` }).counted.seals).toBe(2);
  });

  function only(table: StoredEvent[]) {
    return check({ table }).findings;
  }
  function rehashed(e: StoredEvent): StoredEvent {
    return { ...e, hash: eventHash(e) };
  }
});

describe("the archive, in words", () => {
  it("names what it lacks only once past its grace, from that very moment", () => {
    const { table } = trail();
    const first = table[0] as StoredEvent;
    const now = new Date(Date.parse(first.at) + 15 * 60_000);
    const archive = table.slice(1);
    expect(check({ table, archive, now }).findings).toEqual([]);
    const later = new Date(now.getTime() + 1);
    expect(check({ table, archive, now: later }).findings).toEqual([
      {
        operationId: first.operationId,
        event: first.event,
        kind: "unarchived",
        detail: "it is not in the archive",
      },
    ]);
  });

  it("says a copy that differs, and one only the archive has, in full", () => {
    const { table } = trail();
    const i = at2(table, "e000002");
    const copy = { ...(table[i] as StoredEvent), at: at(30).toISOString() };
    const archive = table.map((e, j) => (j === i ? copy : e));
    expect(check({ table, archive }).findings).toEqual([
      {
        operationId: "op-0123456789",
        event: "e000002",
        kind: "changed",
        detail: "it differs from its archived copy",
      },
    ]);
    const extra = { ...(table[0] as StoredEvent), operationId: "op-archivedon", event: "e000001" };
    expect(check({ table, archive: [...table, extra] }).findings).toEqual([
      {
        operationId: "op-archivedon",
        event: "e000001",
        kind: "removed",
        detail: "the archive has it; the audit table has it no more",
      },
    ]);
  });

  it("compares with the archive only what is in the window, seals included", () => {
    const { table } = trail();
    const day = AT.toISOString().slice(0, 10);
    const seal = stored(sealDay(day, table, undefined, at(60 * 24)));
    const since = at(60 * 24 - 1).toISOString();
    // Nothing of the detach is in the window; the seal, made after, is: compared, and missing.
    expect(kinds({ table: [...table, seal], archive: [], since })).toEqual([
      "seal e000001 unarchived",
    ]);
    expect(kinds({ table: [...table, seal], archive: [seal], since })).toEqual([]);
    expect(check({ table: [...table, seal], archive: [seal], since }).counted.archived).toBe(1);
    // An archived copy of an operation out of the window, gone from the table: not this window's.
    const old = { ...(table[0] as StoredEvent), operationId: "op-oldoldoldo" };
    expect(kinds({ table, archive: [...table, old], since })).toEqual([]);
    expect(kinds({ table, archive: [...table, old] })).toEqual(["op-oldoldoldo e000001 removed"]);
    // One gone from the table whose time is the very start of the window: this window's.
    const recent = { ...old, operationId: "op-recentrece", at: since };
    expect(kinds({ table, archive: [...table, recent], since })).toEqual([
      "op-recentrece e000001 removed",
    ]);
  });
});

describe("items of no form bm writes", () => {
  it("names an item without a time, and verifies the rest", () => {
    const { table, heads } = trail();
    const { at: _at, ...timeless } = table[1] as StoredEvent;
    const found = check({
      table: table.map((e, j) => (j === 1 ? (timeless as StoredEvent) : e)),
      heads,
    }).findings;
    expect(found).toEqual([
      {
        operationId: "op-0123456789",
        event: "e000002",
        kind: "inserted",
        detail: "it has no time, as no event bm writes",
      },
      {
        operationId: "op-0123456789",
        event: "e000002",
        kind: "removed",
        detail: "event #2 is missing from its chain",
      },
    ]);
  });

  it("names a seal whose day is no day, and the one after it", () => {
    const t = trail();
    const first = sealDay("2026-11-26", t.table, undefined, at(60 * 24));
    const forged = { ...first, facts: { day: "someday", count: 0 } };
    const second = sealDay("2026-11-27", [], forged as Seal, at(60 * 48));
    const table = [...t.table, stored({ ...forged, hash: eventHash(forged) }), stored(second)];
    expect(kinds({ table })).toContain("seal e000002 broken");
    expect(
      check({ table }).findings.find((f) => f.operationId === "seal" && f.event === "e000002")
        ?.detail,
    ).toContain("it seals 2026-11-27, not the day after someday");
    expect(nextDay("someday")).toBe("");
    expect(nextDay("2026-12-31")).toBe("2027-01-01");
  });
});
