import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, chained, eventHash, hashed } from "../../../lib/audit/chain";
import type { AuditEvent } from "../../../lib/operations/operation";

const event = (changes: Partial<AuditEvent> = {}): AuditEvent => ({
  operationId: "op-0123456789",
  seq: 2,
  at: "2026-12-01T10:00:00.000Z",
  action: "approved",
  from: "awaiting_approval",
  to: "approved",
  actor: { teamId: "T1", userId: "U2" },
  facts: { approvals: 1 },
  ...changes,
});

describe("the canonical encoding (RFC 8785)", () => {
  it("sorts members by their names' UTF-16 code units, at every depth, without white space", () => {
    expect(canonicalJson({ b: 1, a: { d: true, c: null }, "\u20ac": "x", "\ud83d\ude00": 2 })).toBe(
      '{"a":{"c":null,"d":true},"b":1,"\u20ac":"x","\ud83d\ude00":2}',
    );
    // The RFC's own sorting example (3.2.3): code units, not code points.
    const names = ["\u20ac", "\r", "\ufb33", "1", "\ud83d\ude00", "\u0080", "\u00f6"];
    const order = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"];
    expect(canonicalJson(Object.fromEntries(names.map((n) => [n, 0])))).toBe(
      `{${order.map((n) => `${JSON.stringify(n)}:0`).join(",")}}`,
    );
  });

  it("writes numbers and strings as ECMAScript does, and leaves undefined members out", () => {
    expect(canonicalJson([1e21, 0.1, -0, 333333333.3333333, 'a\u2028\n"', false])).toBe(
      '[1e+21,0.1,0,333333333.3333333,"a\u2028\\n\\"",false]',
    );
    expect(canonicalJson({ a: undefined, b: [] })).toBe('{"b":[]}');
  });

  it("refuses what JSON cannot hold", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow("no canonical form for Infinity");
    expect(() => canonicalJson({ f: () => 1 })).toThrow("no canonical form for a function");
    expect(() => canonicalJson(10n)).toThrow(TypeError);
  });

  it("is the same for the same content, whatever the order it was built in", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const reversed = Object.fromEntries(Object.entries(value).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(value));
        // And it is JSON that reads back to the same value.
        expect(canonicalJson(JSON.parse(canonicalJson(value)))).toBe(canonicalJson(value));
      }),
    );
  });
});

describe("an event's hash", () => {
  it("is SHA-256 in hex of the canonical content, without the hash and the table's key", () => {
    const e = event();
    const hash = eventHash(e);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(eventHash({ ...e, hash: "x", event: "e000002" })).toBe(hash);
    // A known value: the encoding is a contract with every verifier, bm's or an auditor's.
    expect(eventHash({ a: 1 })).toBe(
      "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862",
    );
  });

  it("changes with any change of any attribute, the predecessor's hash included", () => {
    const base = chained<AuditEvent>(event(), { hash: "a".repeat(64) });
    fc.assert(
      fc.property(
        fc.constantFrom("operationId", "at", "action", "from", "to", "prev"),
        fc.string(),
        (field, value) => {
          fc.pre(value !== (base as unknown as Record<string, unknown>)[field]);
          expect(eventHash({ ...base, [field]: value })).not.toBe(base.hash);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
        (facts) => {
          fc.pre(canonicalJson(facts) !== canonicalJson(base.facts));
          expect(eventHash({ ...base, facts })).not.toBe(base.hash);
        },
      ),
    );
    expect(eventHash({ ...base, seq: 3 })).not.toBe(base.hash);
    expect(eventHash({ ...base, actor: { teamId: "T1", userId: "U3" } })).not.toBe(base.hash);
    expect(eventHash({ ...base, planted: true })).not.toBe(base.hash);
  });
});

describe("chaining", () => {
  it("links an event to its predecessor's hash, and hashes it", () => {
    const first = chained<AuditEvent>(event({ seq: 1 }));
    expect(first.prev).toBeUndefined();
    expect(first.hash).toBe(eventHash(first));
    const second = chained<AuditEvent>(event(), first);
    expect(second.prev).toBe(first.hash);
    expect(second.hash).toBe(eventHash(second));
  });

  it("drops a chain it is handed and makes its own", () => {
    const again = chained<AuditEvent>({ ...event(), prev: "p", hash: "h" } as AuditEvent, {
      hash: "q",
    });
    expect(again.prev).toBe("q");
    expect(again.hash).toBe(eventHash(again));
    // A predecessor recorded before events were chained: nothing to link to, said by the verifier.
    expect(chained<AuditEvent>(event(), {}).prev).toBeUndefined();
  });

  it("hashes a standalone event, chained to nothing", () => {
    const refusal = hashed({ ...event({ seq: 0 }), prev: "p", hash: "h" });
    expect(refusal.prev).toBeUndefined();
    expect(refusal.hash).toBe(eventHash(refusal));
  });
});
