/**
 * The audit trail's hash chains: each event carries the SHA-256 of a canonical encoding of its
 * content (`hash`) and, after an operation's first event, its predecessor's hash (`prev`). The
 * chain of an operation follows its `seq`, which its conditional writes already order, so
 * chaining takes no lock of its own. Standalone events (refusals, reads) are hashed, chained to
 * nothing: the day's seal (lib/audit/seal.ts) covers them. docs/audit.md says why.
 */
import { createHash } from "node:crypto";

/**
 * RFC 8785's JSON Canonicalization Scheme for the values an audit event holds (objects,
 * arrays, strings, finite numbers, booleans, null): members sorted by their names' UTF-16 code
 * units, no white space, strings and numbers as ECMAScript's JSON.stringify writes them (the
 * RFC's own definition). Members whose value is undefined are left out, as DynamoDB drops them.
 * @throws TypeError for a value JSON cannot hold (a non-finite number, a function, …).
 */
export function canonicalJson(value: unknown): string {
  return canonicalJsonWith(value, () => undefined);
}

/**
 * {@link canonicalJson}, with `leaf` first given each value: what it returns is written as it
 * is (the archive's DynamoDB numbers as their own digits, its sets and binaries). One encoder,
 * so the archive's bytes and the chain's hashes sort and escape alike.
 */
export function canonicalJsonWith(
  value: unknown,
  leaf: (value: unknown, encode: (inner: unknown) => string) => string | undefined,
): string {
  const encode = (inner: unknown): string => {
    const special = leaf(inner, encode);
    if (special !== undefined) return special;
    if (inner === null || typeof inner === "boolean" || typeof inner === "string")
      return JSON.stringify(inner);
    if (typeof inner === "number") {
      if (!Number.isFinite(inner)) throw new TypeError(`no canonical form for ${inner}`);
      return JSON.stringify(inner);
    }
    if (Array.isArray(inner)) return `[${inner.map(encode).join(",")}]`;
    if (typeof inner === "object") {
      const members = Object.entries(inner as Record<string, unknown>)
        .filter(([, member]) => member !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, member]) => `${JSON.stringify(name)}:${encode(member)}`);
      return `{${members.join(",")}}`;
    }
    throw new TypeError(`no canonical form for a ${typeof inner}`);
  };
  return encode(value);
}

/** The attributes of a stored event that its hash does not cover: the hash, and the table's key. */
const UNHASHED = new Set(["hash", "event"]);

/**
 * An event's hash: SHA-256, in lower-case hex, of the canonical JSON (UTF-8) of every attribute it
 * has but `hash` and the table's sort key `event`, `prev` included. An attribute added, removed
 * or changed gives another hash.
 */
export function eventHash(event: object): string {
  const content = Object.fromEntries(Object.entries(event).filter(([name]) => !UNHASHED.has(name)));
  return createHash("sha256").update(canonicalJson(content)).digest("hex");
}

/** What a chain holds: events with a place in it, and their hashes (AuditEvent is one). */
export interface Chainable {
  prev?: string;
  hash?: string;
}

/**
 * The event linked to its predecessor (`prev`: that event's hash) and hashed. An operation's
 * first event, and a standalone one, has no predecessor; nor does the next event of an operation
 * recorded before events were chained (its predecessor has no hash): the verifier reports that
 * chain as unchained there, rather than bm stopping the operation.
 */
export function chained<T extends Chainable>(
  event: Omit<T, "prev" | "hash">,
  predecessor?: Chainable,
): T {
  const linked = { ...event } as T;
  delete linked.prev;
  delete linked.hash;
  if (predecessor?.hash) linked.prev = predecessor.hash;
  return { ...linked, hash: eventHash(linked) };
}

/** A standalone event (a refusal, a read) with its hash, whatever it carried before. */
export function hashed<T extends Chainable>(event: T): T {
  return chained<T>(event, undefined);
}
